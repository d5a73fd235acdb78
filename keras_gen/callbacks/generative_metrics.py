"""Computes FID, KID, IS and precision/recall of a generator during `fit()`."""

import time

import keras
import numpy as np

from keras_gen.metrics.directions import declare_directions
from keras_gen.metrics.feature_extractors import get_feature_extractor
from keras_gen.metrics.frechet import FrechetInceptionDistance
from keras_gen.metrics.frechet import frechet_distance
from keras_gen.metrics.inception_score import InceptionScore
from keras_gen.metrics.inception_score import inception_score
from keras_gen.metrics.kernel_inception import KernelInceptionDistance
from keras_gen.metrics.kernel_inception import kernel_inception_distance
from keras_gen.metrics.precision_recall import PrecisionRecall
from keras_gen.metrics.precision_recall import precision_recall
from keras_gen.metrics.statistics import feature_statistics

# Metric name -> the log keys it writes.
METRIC_KEYS = {
    "fid": ("fid",),
    "kid": ("kid", "kid_std"),
    "is": ("is", "is_std"),
    "precision_recall": ("precision", "recall"),
}
# Metric name -> its streaming class, which says which way its values improve.
METRIC_CLASSES = {
    "fid": FrechetInceptionDistance,
    "kid": KernelInceptionDistance,
    "is": InceptionScore,
    "precision_recall": PrecisionRecall,
}
_ALIASES = {"pr": "precision_recall", "precision": "precision_recall", "recall": "precision_recall"}


def _quality(name, results):
    """A number that is higher for better samples, by the metric `name` (see `compare_ema`)."""
    if name in ("fid", "kid"):
        return -results[name]
    if name == "is":
        return results["is"]
    return results["precision"] + results["recall"]


class GenerativeMetrics(keras.callbacks.Callback):
    """Evaluates sample quality every `every_n_epochs` epochs and writes it into `logs`.

    At the end of an evaluated epoch it generates `num_samples` images in
    batches with `model.generate(batch, seed=...)` (or, without `generate`, with
    `model.generator` on NumPy-seeded latents of size `model.latent_dim`),
    extracts their features once and computes the chosen metrics against
    `real_data`, whose features and statistics are computed once at the start
    of training. The same seeds are used at every evaluation, so the numbers
    move with the model, not with the noise.

    Results go into the epoch `logs` under `fid`, `kid`/`kid_std`,
    `is`/`is_std`, `precision`/`recall`, where `History`, `CSVLogger`,
    `TensorBoard`, `EarlyStopping` and `ModelCheckpoint` read them. Keras runs
    callbacks in list order (History and the progress bar last), so put this
    callback BEFORE any callback that monitors its keys:
    `callbacks=[GenerativeMetrics(...), ModelCheckpoint(..., monitor="fid")]`.
    The callback declares on the model which way each key improves (FID and
    KID down; IS, precision and recall up; see
    `keras_gen.metrics.MonitorDirections`), so monitors need no `mode=`;
    `kid_std` and `is_std` have no direction (pass `mode=` to monitor them).
    Epochs that are not evaluated carry no metric keys (monitors then skip
    them instead of seeing a stale or NaN value).

    In a multi-process run (`keras_gen.distributed`) every worker evaluates
    the same seeded samples of its (identical) weights and logs the same
    values, so a monitor on `fid` takes the same decision on every worker;
    the evaluation is repeated on each worker rather than split between them
    (tested with 2 TensorFlow workers).

    When the model keeps a moving average of its generator (`GeneratorEMA`,
    `ema_decay=`) and `compare_ema` is True, both generators are evaluated
    on the same latents: the logs get `ema_<key>` and `raw_<key>` for every
    key, the plain keys hold the better generator's values, and
    `ema_better` is 1.0 when the average is the better one (0.0 for the raw
    generator). "Better" is decided by the first metric in `metrics`: lower
    FID or KID, higher IS, higher precision + recall; a tie goes to the
    average. `SampleGrid` placed after this callback draws its grid from
    the better generator. The choice is also in `self.selected_generator`
    (`"ema"`, `"raw"`, or None without an average).

    Args:
        real_data: real images `(n, height, width[, channels])`, float in
            `[-1, 1]` or uint8, or an iterable of such batches (a batch may be
            an `(images, labels)` tuple: labels are ignored).
        metrics: names among `"fid"`, `"kid"`, `"is"`, `"precision_recall"`
            (alias `"pr"`).
        num_samples: generated images per evaluation.
        every_n_epochs: evaluate after every N-th epoch (and the last one).
        feature_extractor: `"digits"`, `"inception_v3"`, a `keras.Model` or a
            `keras_gen.metrics.FeatureExtractor`; for `"is"` it must give
            probabilities (the named extractors do).
        batch_size: images generated per call.
        seed: base seed of the generated samples.
        verbose: 1 shows a progress bar and a summary line, 0 is silent.
        weights: weights of a named extractor (`"auto"`, a path, `None`).
        kid_subsets: number of KID subsets.
        kid_subset_size: rows per KID subset.
        k: neighbourhood size of precision/recall.
        compare_ema: evaluate the raw generator beside its moving average
            when the model keeps one, and report the better (see above).

    Example:

    >>> (x_train, _), _ = keras_gen.datasets.mnist.load_data(source="embedded")
    >>> gan.fit(dataset, epochs=20, callbacks=[
    ...     keras_gen.callbacks.GenerativeMetrics(x_train, metrics=("fid", "kid")),
    ...     keras.callbacks.ModelCheckpoint("best.weights.h5", monitor="fid",
    ...                                     save_best_only=True,
    ...                                     save_weights_only=True),
    ... ])
    """

    def __init__(
        self,
        real_data,
        metrics=("fid",),
        num_samples=1000,
        every_n_epochs=1,
        feature_extractor="digits",
        batch_size=100,
        seed=0,
        verbose=1,
        weights="auto",
        kid_subsets=100,
        kid_subset_size=1000,
        k=3,
        compare_ema=True,
    ):
        super().__init__()
        if isinstance(metrics, str):
            metrics = (metrics,)
        names = []
        for metric in metrics:
            name = _ALIASES.get(metric, metric)
            if name not in METRIC_KEYS:
                raise ValueError(
                    f"Unknown metric {metric!r}; choose among {sorted(METRIC_KEYS)} (or 'pr')."
                )
            if name not in names:
                names.append(name)
        if not names:
            raise ValueError("`metrics` is empty; name at least one, e.g. ('fid',).")
        if num_samples < 2 or every_n_epochs < 1 or batch_size < 1:
            raise ValueError(
                "`num_samples` must be >= 2 and `every_n_epochs`, `batch_size` >= 1; "
                f"received {num_samples}, {every_n_epochs}, {batch_size}."
            )
        self.metric_names = tuple(names)
        self.real_data = real_data
        self.num_samples = int(num_samples)
        self.every_n_epochs = int(every_n_epochs)
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.verbose = verbose
        self.kid_subsets = kid_subsets
        self.kid_subset_size = kid_subset_size
        self.k = k
        self.compare_ema = bool(compare_ema)
        self.selected_generator = None
        output = "probabilities" if self.metric_names == ("is",) else "features"
        self.extractor = get_feature_extractor(feature_extractor, weights=weights, output_name=output)
        self._real = None

    @property
    def log_keys(self):
        """The keys this callback writes into `logs`."""
        return tuple(key for name in self.metric_names for key in METRIC_KEYS[name])

    @property
    def directions(self):
        """`{log key: "down" | "up"}`: which way each key with a direction improves."""
        directions = {}
        for name in self.metric_names:
            directions.update(METRIC_CLASSES[name].directions)
        if self.compare_ema:
            # The keys of each generator when the model keeps an EMA (see the class doc).
            for key, direction in list(directions.items()):
                directions[f"ema_{key}"] = directions[f"raw_{key}"] = direction
        return directions

    def set_model(self, model):
        super().set_model(model)
        # Before any monitor sets itself up (at the end of the first epoch).
        declare_directions(model, self.directions)

    def on_train_begin(self, logs=None):
        self.real_statistics()

    def real_statistics(self):
        """Features and Gaussian statistics of `real_data`, computed once."""
        if self._real is None and self.metric_names == ("is",):
            self._real = {}
        if self._real is None:
            features = [self.extractor.extract(batch) for batch in _batches(self.real_data)]
            real = {key: np.concatenate([f[key] for f in features]) for key in features[0]}
            if "features" in real and "fid" in self.metric_names:
                real["mu"], real["sigma"] = feature_statistics(real["features"])
            self._real = real
        return self._real

    def on_epoch_end(self, epoch, logs=None):
        last_epoch = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every_n_epochs and epoch + 1 != last_epoch:
            return
        start = time.time()
        results = self.evaluate_generators(self.model)
        if logs is not None:
            logs.update(results)
        if self.verbose:
            print(f"GenerativeMetrics epoch {epoch + 1}: {self.describe(results)} "
                  f"({time.time() - start:.1f}s)")

    def evaluate_generators(self, model):
        """The metric dict of `model`, of both generators when it keeps an EMA (see the class doc)."""
        if not (self.compare_ema and getattr(model, "ema_model", None) is not None):
            self.selected_generator = None
            return self.evaluate(model)
        averaged = self.evaluate(model, use_ema=True)
        raw = self.evaluate(model, use_ema=False)
        name = self.metric_names[0]
        ema_better = _quality(name, averaged) >= _quality(name, raw)
        self.selected_generator = "ema" if ema_better else "raw"
        results = dict(averaged if ema_better else raw)
        results.update({f"ema_{key}": value for key, value in averaged.items()})
        results.update({f"raw_{key}": value for key, value in raw.items()})
        results["ema_better"] = 1.0 if ema_better else 0.0
        return results

    def describe(self, results):
        """One line for the console: the values, and which generator they are from."""
        def line(prefix):
            return " - ".join(f"{key}: {results[prefix + key]:.4g}" for key in self.log_keys)

        if "ema_better" not in results:
            return line("")
        chosen, other = ("ema", "raw") if results["ema_better"] else ("raw", "ema")
        names = {"ema": "moving average (EMA)", "raw": "raw generator"}
        return (f"{line('')} [{names[chosen]}, the better; "
                f"{names[other]}: {line(other + '_')}]")

    def evaluate(self, model, use_ema=None):
        """Generates `num_samples` images with `model` and returns the metric dict.

        `use_ema` (True/False) picks the averaged or raw generator of a model
        that keeps an EMA; None uses `model.generate`'s default.
        """
        real = self.real_statistics()
        generated = self._generated_outputs(model, use_ema)
        results = {}
        if "fid" in self.metric_names:
            mu, sigma = feature_statistics(generated["features"])
            results["fid"] = frechet_distance(real["mu"], real["sigma"], mu, sigma)
        if "kid" in self.metric_names:
            results["kid"], results["kid_std"] = kernel_inception_distance(
                real["features"],
                generated["features"],
                num_subsets=self.kid_subsets,
                subset_size=self.kid_subset_size,
                seed=self.seed,
            )
        if "is" in self.metric_names:
            if "probabilities" not in generated:
                raise ValueError(
                    "The 'is' metric needs class probabilities, but the feature "
                    "extractor gives only features; use feature_extractor='digits' "
                    "or a model with a dict output {'features', 'probabilities'}."
                )
            results["is"], results["is_std"] = inception_score(
                generated["probabilities"], num_splits=min(10, self.num_samples)
            )
        if "precision_recall" in self.metric_names:
            results.update(precision_recall(real["features"], generated["features"], k=self.k))
        return results

    def _generated_outputs(self, model, use_ema=None):
        progress = keras.utils.Progbar(self.num_samples, verbose=1) if self.verbose else None
        outputs = {}
        for batch_index, start in enumerate(range(0, self.num_samples, self.batch_size)):
            count = min(self.batch_size, self.num_samples - start)
            images = _generate(model, count, self.seed + batch_index, use_ema)
            for key, value in self.extractor.extract(images).items():
                outputs.setdefault(key, []).append(value)
            if progress is not None:
                progress.update(start + count)
        return {key: np.concatenate(values) for key, values in outputs.items()}


def _generate(model, count, seed, use_ema=None):
    images = None
    if hasattr(model, "generate"):
        kwargs = {} if use_ema is None else {"use_ema": use_ema}
        try:
            images = model.generate(count, seed=seed, **kwargs)
        except NotImplementedError:
            images = None
    if images is None and hasattr(model, "generator") and hasattr(model, "latent_dim"):
        latents = np.random.default_rng(seed).standard_normal((count, model.latent_dim))
        generator = model.generator
        if use_ema and getattr(model, "ema_model", None) is not None:
            generator = model.ema_model
        images = generator(latents.astype("float32"), training=False)
    if images is None:
        raise ValueError(
            "GenerativeMetrics needs a model with `generate(num_samples, seed=...)` "
            "or with `generator` and `latent_dim` attributes."
        )
    return keras.ops.convert_to_numpy(images)


def _batches(data):
    """Yields image batches from an array or an iterable of batches."""
    if isinstance(data, np.ndarray) or hasattr(data, "shape"):
        yield data
        return
    for batch in data:
        if isinstance(batch, (tuple, list)):
            batch = batch[0]
        if isinstance(batch, dict):
            raise ValueError("Give `real_data` as images or (images, labels) batches, not dicts.")
        yield keras.ops.convert_to_numpy(batch)
