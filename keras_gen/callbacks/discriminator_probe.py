"""Logs the linear-probe accuracy of a GAN's discriminator features during `fit()`."""

import time

import keras
import numpy as np

from keras_gen.metrics.directions import declare_directions
from keras_gen.metrics.discriminator_probe import PROBE_LOG_KEY
from keras_gen.metrics.discriminator_probe import check_probe_labels
from keras_gen.metrics.discriminator_probe import discriminator_feature_model
from keras_gen.metrics.discriminator_probe import probe_feature_model
from keras_gen.metrics.discriminator_probe import probe_split


class DiscriminatorProbe(keras.callbacks.Callback):
    """Writes the discriminator's linear-probe accuracy into the epoch `logs`.

    At the end of every `every_n_epochs`-th epoch (and the last one) it runs
    `keras_gen.metrics.discriminator_probe(model, images, labels, ...)`: the
    discriminator's features of the labelled real `images` (frozen, inference
    mode) classified by a linear softmax classifier trained on a fixed
    stratified split and scored on the rest. The accuracy goes into
    `logs["d_probe_accuracy"]` (or `log_key`), where `History`, `CSVLogger`,
    `TensorBoard`, `EarlyStopping` and `ModelCheckpoint` read it. Epochs that
    are not evaluated carry no key.

    Higher is better: the callback declares the key's direction ("up") on the
    model (`keras_gen.metrics.MonitorDirections`), so a monitor needs no
    `mode=`. Keras runs callbacks in list order: put this one BEFORE a
    callback that monitors its key. The split, the classifier's start and its
    iterations are fixed, so the number changes with the discriminator only.

    Args:
        images: labelled real images `(n, height, width[, channels])`, float
            in [-1, 1] or uint8 (a few hundred are enough; images the GAN did
            not train on are the honest choice).
        labels: `(n,)` integer class labels.
        every_n_epochs: evaluate after every N-th epoch (and the last one).
        layer: the discriminator layer whose features are probed (None: the
            input of its logit layer; see `keras_gen.metrics.discriminator_feature_model`).
        holdout: fraction of each class held out for the accuracy.
        seed: seed of the split.
        l2: L2 penalty of the linear classifier.
        max_iterations: L-BFGS iterations of the classifier.
        batch_size: images per forward pass.
        log_key: the key written into `logs`.
        verbose: 1 prints one line per evaluation, 0 is silent.

    Example:

    >>> (_, _), (x_probe, y_probe) = keras_gen.datasets.mnist.load_data(source="embedded")
    >>> gan.fit(x_train, epochs=20, callbacks=[
    ...     keras_gen.callbacks.DiscriminatorProbe(x_probe[:600], y_probe[:600]),
    ...     keras.callbacks.ModelCheckpoint("best.weights.h5", monitor="d_probe_accuracy",
    ...                                     save_best_only=True, save_weights_only=True),
    ... ])

    Reference:
        Radford, Metz & Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016
        (arXiv:1511.06434), Section 5.1.
    """

    def __init__(
        self,
        images,
        labels,
        every_n_epochs=1,
        layer=None,
        holdout=0.25,
        seed=0,
        l2=1e-2,
        max_iterations=200,
        batch_size=256,
        log_key=PROBE_LOG_KEY,
        verbose=0,
    ):
        super().__init__()
        if int(every_n_epochs) != every_n_epochs or every_n_epochs < 1:
            raise ValueError(f"`every_n_epochs` must be an integer >= 1; received {every_n_epochs!r}.")
        if not isinstance(log_key, str) or not log_key:
            raise ValueError(f"`log_key` must be a non-empty string; received {log_key!r}.")
        if isinstance(images, (list, tuple)):
            images = np.asarray(images)
        elif not isinstance(images, np.ndarray):
            images = keras.ops.convert_to_numpy(images)
        # Label and split problems are reported here, before training starts.
        self.labels = check_probe_labels(labels, num_samples=len(images))
        probe_split(self.labels, holdout=holdout, seed=seed)
        self.images = images
        self.every_n_epochs = int(every_n_epochs)
        self.layer = layer
        self.holdout = holdout
        self.seed = seed
        self.l2 = l2
        self.max_iterations = max_iterations
        self.batch_size = batch_size
        self.log_key = log_key
        self.verbose = verbose
        self.results = []  # (epoch, details dict) of every evaluation
        self._features = None

    @property
    def directions(self):
        """`{log_key: "up"}`: a higher probe accuracy is better."""
        return {self.log_key: "up"}

    def set_model(self, model):
        super().set_model(model)
        # Before any monitor sets itself up (at the end of the first epoch).
        declare_directions(model, self.directions)

    def evaluate(self, model=None):
        """The probe's details (`keras_gen.metrics.discriminator_probe(..., return_details=True)`)."""
        model = self.model if model is None else model
        if self._features is None or self._features[0] is not model:
            # Built once per model: it shares the discriminator's variables (current
            # weights at every call) and its compiled predict function.
            self._features = (model,) + discriminator_feature_model(model, self.layer)
        _, features_model, description = self._features
        return probe_feature_model(
            features_model,
            description,
            self.images,
            self.labels,
            holdout=self.holdout,
            seed=self.seed,
            l2=self.l2,
            max_iterations=self.max_iterations,
            batch_size=self.batch_size,
            return_details=True,
        )

    def on_epoch_end(self, epoch, logs=None):
        last_epoch = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every_n_epochs and epoch + 1 != last_epoch:
            return
        start = time.time()
        details = self.evaluate()
        self.results.append((epoch, details))
        if logs is not None:
            logs[self.log_key] = details["accuracy"]
        if self.verbose:
            print(
                f"DiscriminatorProbe epoch {epoch + 1}: {self.log_key}: {details['accuracy']:.4f} "
                f"(train {details['train_accuracy']:.4f}, chance {details['chance']:.2f}, "
                f"{details['num_features']} features, {details['layer']}; "
                f"{time.time() - start:.1f}s)"
            )
