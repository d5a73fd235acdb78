"""SampleGrid: saves a grid of generated images from a fixed latent batch during `fit()`."""

import os
import warnings

import keras
import numpy as np

from keras_gen.distributed.environment import is_chief
from keras_gen.utils.images import make_grid
from keras_gen.utils.images import save_image


class SampleGrid(keras.callbacks.Callback):
    """Saves a PNG grid of samples from the same latent vectors every N epochs.

    The latent batch is drawn once, from `seed`, with NumPy
    (`standard_normal((num_samples, model.latent_dim))`), so successive grids
    show how the same samples evolve. Images come from
    `model.generate_from_latents(z)` when the model has it, else from
    `model.generator(z, training=False)`, and are expected in `value_range`.

    Epochs are counted from 1, as Keras prints them: with `every_n_epochs=5`
    the grids are written after epochs 5, 10, ... The file name is
    `filename.format(epoch=epoch)`.

    For a model that keeps a moving average of its generator
    (`GeneratorEMA`), the grid comes from the better of the two generators
    when a `GenerativeMetrics` placed before this callback evaluated both in
    the same epoch (its `ema_better` log), and from the average otherwise.
    `generators` records which one each grid shows; with `compare=True` the
    other generator's grid is written too, as `<name>_raw.png` or
    `<name>_ema.png`.

    In a multi-process run only the chief writes (rank 0, see
    `keras_gen.distributed.is_chief`): on the other workers the callback
    generates nothing and writes nothing, and `paths` stays empty, so every
    worker can pass the same callbacks to `fit`.

    Args:
        output_dir: folder for the PNG files (created if needed).
        num_samples: images in the grid.
        every_n_epochs: write a grid after every this many epochs.
        seed: seed of the fixed latent batch.
        log_dir: when given, the grid is also written as a TensorBoard image
            summary named `"samples"` at step `epoch` (from 1), e.g. the
            `log_dir` of `keras.callbacks.TensorBoard` (needs TensorFlow and
            TensorBoard, `pip install "keras-gen[tensorflow,tensorboard]"`;
            skipped with one warning otherwise).
        num_rows: rows of the grid (default: about square).
        filename: format string with an `epoch` field.
        value_range: `(low, high)` of the generated images.
        compare: also write the other generator's grid (models with an EMA).
        verbose: 1 prints each file written and the generator it shows.

    Attributes:
        paths: the PNG files written so far, in order (the chosen
            generator's grids; not the `compare` extras).
        generators: for each of `paths`, `"ema"`, `"raw"`, or None for a
            model without a moving average.

    Example:

    >>> callback = keras_gen.callbacks.SampleGrid("samples/", every_n_epochs=5)
    >>> gan.fit(dataset, epochs=20, callbacks=[callback])
    >>> callback.paths[-1]
    'samples/samples_epoch_020.png'
    """

    def __init__(
        self,
        output_dir,
        num_samples=64,
        every_n_epochs=1,
        seed=0,
        log_dir=None,
        num_rows=None,
        filename="samples_epoch_{epoch:03d}.png",
        value_range=(-1.0, 1.0),
        compare=False,
        verbose=0,
    ):
        super().__init__()
        if int(num_samples) < 1 or int(every_n_epochs) < 1:
            raise ValueError(
                "`num_samples` and `every_n_epochs` must be positive integers; received "
                f"num_samples={num_samples!r}, every_n_epochs={every_n_epochs!r}."
            )
        try:
            filename.format(epoch=1)
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                "`filename` must be a format string whose only field is `epoch`, e.g. "
                f"'samples_epoch_{{epoch:03d}}.png'; received {filename!r}."
            ) from None
        self.output_dir = os.fspath(output_dir)
        self.num_samples = int(num_samples)
        self.every_n_epochs = int(every_n_epochs)
        self.seed = seed
        self.log_dir = log_dir
        self.num_rows = num_rows
        self.filename = filename
        self.value_range = value_range
        self.compare = bool(compare)
        self.verbose = verbose
        self.paths = []
        self.generators = []
        self._latents = None
        self._summary_writer = None
        self._warned_no_tensorflow = False

    def _latent_shape(self):
        latent_dim = getattr(self.model, "latent_dim", None)
        if latent_dim is None:
            raise ValueError(
                "SampleGrid needs `model.latent_dim` to draw latent vectors; the "
                f"model {type(self.model).__name__} has none."
            )
        if isinstance(latent_dim, (tuple, list)):
            return tuple(int(d) for d in latent_dim)
        return (int(latent_dim),)

    @property
    def latents(self):
        """The fixed latent batch, float32 `(num_samples, latent_dim)`."""
        shape = (self.num_samples,) + self._latent_shape()
        if self._latents is None or self._latents.shape != shape:
            rng = np.random.default_rng(self.seed)
            self._latents = rng.standard_normal(shape).astype(np.float32)
        return self._latents

    def _has_ema(self):
        return getattr(self.model, "ema_model", None) is not None

    def generate_grid(self, use_ema=None):
        """Generates images from the fixed latents and returns the uint8 grid.

        `use_ema` (True/False) picks the averaged or raw generator of a model
        that keeps an EMA; None uses the model's default (the average).
        """
        z = self.latents
        if hasattr(self.model, "generate_from_latents"):
            kwargs = {} if use_ema is None or not self._has_ema() else {"use_ema": use_ema}
            images = self.model.generate_from_latents(z, **kwargs)
        elif getattr(self.model, "generator", None) is not None:
            generator = self.model.generator
            if use_ema is not False and self._has_ema():
                generator = self.model.ema_model
            images = generator(z, training=False)
        else:
            raise ValueError(
                f"SampleGrid needs a model with `generate_from_latents(z)` or a "
                f"`generator`; {type(self.model).__name__} has neither."
            )
        images = keras.ops.convert_to_numpy(images)
        return make_grid(images, num_rows=self.num_rows, value_range=self.value_range)

    def write(self, epoch, use_ema=None):
        """Writes the grid for `epoch` (1-based) and returns the PNG path.

        `use_ema`: which generator of a model with an EMA (None: the average).
        Returns None, writing nothing, on a worker that is not the chief.
        """
        if not is_chief():
            return None
        has_ema = self._has_ema()
        use_ema = (True if use_ema is None else bool(use_ema)) if has_ema else None
        grid = self.generate_grid(use_ema)
        os.makedirs(self.output_dir, exist_ok=True)
        path = os.path.join(self.output_dir, self.filename.format(epoch=epoch))
        save_image(grid, path)
        self.paths.append(path)
        chosen = None if use_ema is None else ("ema" if use_ema else "raw")
        self.generators.append(chosen)
        if self.compare and has_ema:
            other = "raw" if use_ema else "ema"
            stem, extension = os.path.splitext(path)
            save_image(self.generate_grid(not use_ema), f"{stem}_{other}{extension}")
        if self.verbose:
            names = {"ema": " (moving average of the generator)", "raw": " (raw generator)"}
            print(f"SampleGrid: wrote {path}{names.get(chosen, '')}")
        if self.log_dir is not None:
            self._write_summary(grid, epoch)
        return path

    def _write_summary(self, grid, epoch):
        try:
            import tensorboard  # noqa: F401 - tf.summary.image is implemented there
            import tensorflow as tf
        except ImportError:
            if not self._warned_no_tensorflow:
                warnings.warn(
                    "SampleGrid(log_dir=...) writes TensorBoard summaries with "
                    "TensorFlow and TensorBoard, which are not both installed "
                    "(`pip install \"keras-gen[tensorflow,tensorboard]\"`); only PNG files "
                    "are written.",
                    stacklevel=2,
                )
                self._warned_no_tensorflow = True
            return
        if self._summary_writer is None:
            self._summary_writer = tf.summary.create_file_writer(os.fspath(self.log_dir))
        with self._summary_writer.as_default():
            tf.summary.image("samples", grid[None], step=epoch)
        self._summary_writer.flush()

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs == 0:
            # GenerativeMetrics, run before this callback, names the better generator.
            ema_better = (logs or {}).get("ema_better")
            self.write(epoch + 1, None if ema_better is None else bool(ema_better))

    def on_train_end(self, logs=None):
        if self._summary_writer is not None:
            self._summary_writer.close()
            self._summary_writer = None
