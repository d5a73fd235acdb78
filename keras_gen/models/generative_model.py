"""GenerativeModel: the base class every keras_gen model trains through."""

import math
import warnings

import keras
import numpy as np

from keras_gen.trainers import OptimizerGroup
from keras_gen.trainers import PhaseTrainer


class GenerativeModel(PhaseTrainer, keras.Model):
    """Base class for models trained in phases with several optimizers.

    A subclass builds its sub-models in `__init__`, then calls
    `self._finish_init()`, and implements:

    - `phases()`: the ordered list of `keras_gen.trainers.Phase` of a step;
    - `compute_phase_loss(phase, data, training)`: `(loss, logs)` for the
      phase named `phase`, written once with `keras.ops` for every backend;
    - `generate(...)`: samples as NumPy arrays;
    - `get_config()` that serializes its sub-models.

    `compile()` takes one optimizer per phase optimizer name and hands Keras
    an `OptimizerGroup`; each logged value gets a running-mean tracker, so
    `fit()` shows and records e.g. `d_loss` and `g_loss`.

    Args:
        seed: seed of the model's `keras.random.SeedGenerator` (latent noise
            and any other randomness in the step).
        **kwargs: passed to `keras.Model` (e.g. `name`).
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.ema_model = None
        self.ema_decay = None
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")

    def _finish_init(self):
        """Creates the loss trackers and marks the model built.

        Sub-models are built functional models, so there is nothing to build
        by calling the model; `fit()` under torch and `tf.distribute` would
        otherwise try to.
        """
        names = []
        for phase in self.phases():
            for name in phase.log_names:
                if name not in names:
                    names.append(name)
        self._loss_trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    # ----------------------------------------------------------- to override
    def phases(self):
        raise NotImplementedError

    def compute_phase_loss(self, phase, data, training=True):
        raise NotImplementedError

    def generate(self, *args, **kwargs):
        raise NotImplementedError

    def default_optimizers(self):
        """Optimizers used for names that `compile()` was not given."""
        return {}

    def ema_source(self):
        """The sub-model whose weights `enable_ema` averages (None: no EMA)."""
        return None

    # ----------------------------------------------------------------- EMA
    def enable_ema(self, decay=0.999):
        """Keeps an exponential moving average of `ema_source()`'s weights.

        After every train step (inside it, so JAX carries the average in its
        state) each averaged weight becomes `decay * average + (1 - decay) *
        weight`; non-trainable weights (BatchNorm statistics) are copied.
        The average is a clone of the source model, `self.ema_model`, which
        `generate()` uses by default.

        Args:
            decay: the EMA decay (0.999 as in Karras et al. 2018; Yazıcı et
                al. 2019 study 0.999-0.9999).

        Reference: Yazıcı et al., "The Unusual Effectiveness of Averaging in
        GAN Training", ICLR 2019.
        """
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1); received {decay}.")
        source = self.ema_source()
        if source is None:
            raise ValueError(f"{self.__class__.__name__} has no sub-model to average.")
        self.ema_decay = float(decay)
        if getattr(self, "ema_model", None) is None:
            self.ema_model = keras.models.clone_model(source)
            self.ema_model.set_weights(source.get_weights())

    def after_train_step(self):
        ema_model = getattr(self, "ema_model", None)
        if ema_model is None:
            return
        decay = self.ema_decay
        source = self.ema_source()
        for average, weight in zip(ema_model.trainable_variables, source.trainable_variables):
            average.assign(decay * average.value + (1.0 - decay) * weight.value)
        for average, weight in zip(ema_model.non_trainable_variables, source.non_trainable_variables):
            average.assign(weight.value)

    def _variables_excluded_from_guard(self):
        ema_model = getattr(self, "ema_model", None)
        return ema_model.variables if ema_model is not None else []

    def validate_batch_spec(self, shape, dtype):
        """Raises a clear error if batches of `shape`/`dtype` cannot train.

        Called before training with the static spec of the data and again
        when the step is traced. `shape` includes the batch dimension
        (possibly `None`).
        """

    # ------------------------------------------------------------- compile
    def _optimizer_names(self):
        names = []
        for phase in self.phases():
            if phase.optimizer not in names:
                names.append(phase.optimizer)
        return names

    def _compile_optimizers(self, optimizers, **kwargs):
        """Compiles with a dict `name -> optimizer` (None means the default)."""
        names = self._optimizer_names()
        unknown = sorted(k for k, v in optimizers.items() if k not in names and v is not None)
        if unknown:
            raise ValueError(
                f"{self.__class__.__name__} has optimizers {names}; "
                f"received unknown names {unknown}."
            )
        defaults = self.default_optimizers()
        resolved = {}
        for name in names:
            optimizer = optimizers.get(name)
            if optimizer is None:
                optimizer = defaults.get(name)
            if optimizer is None:
                raise ValueError(
                    f"No optimizer given for {name!r}: pass `{name}_optimizer=` to compile()."
                )
            resolved[name] = keras.optimizers.get(optimizer)
        for key in ("loss", "metrics", "optimizer"):
            if key in kwargs:
                raise ValueError(
                    f"{self.__class__.__name__}.compile() does not take `{key}=`: "
                    "objectives are set in the constructor and each optimizer is "
                    "passed by name (e.g. `generator_optimizer=`)."
                )
        group = OptimizerGroup(resolved)
        super().compile(optimizer=group, **kwargs)
        variables_by_name = {name: [] for name in names}
        for phase in self.phases():
            known = {id(v) for v in variables_by_name[phase.optimizer]}
            variables_by_name[phase.optimizer].extend(
                v for v in phase.variables if id(v) not in known
            )
        group.build_groups(variables_by_name)

    def compile(self, optimizers=None, **kwargs):
        """Configures training with one optimizer per name.

        Args:
            optimizers: dict `name -> optimizer` (names as in `phases()`);
                names left out use `default_optimizers()`.
            **kwargs: `run_eagerly`, `jit_compile`, `steps_per_execution`.
        """
        self._compile_optimizers(optimizers or {}, **kwargs)

    def get_compile_config(self):
        if not getattr(self, "compiled", False):
            return None
        return {
            "optimizers": {
                name: keras.optimizers.serialize(optimizer)
                for name, optimizer in self.optimizer.optimizers.items()
            }
        }

    def compile_from_config(self, config):
        optimizers = {
            name: keras.optimizers.deserialize(value)
            for name, value in config["optimizers"].items()
        }
        self._compile_optimizers(optimizers)

    @property
    def optimizers(self):
        """The named inner optimizers (after `compile()`)."""
        if not getattr(self, "compiled", False):
            raise ValueError("The model is not compiled yet: call compile() first.")
        return dict(self.optimizer.optimizers)

    # ----------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, **kwargs):
        """Trains the model; see `keras.Model.fit`.

        Before training starts this checks the data against the model (shape,
        dtype) and, under a JAX `keras.distribution`, that every batch
        divides by the number of devices, so a mistake raises a clear error
        while the model is untouched. A step with a non-finite loss is not
        applied and stops training with a warning naming the step.
        """
        if not getattr(self, "compiled", False):
            raise ValueError(
                f"{self.__class__.__name__} must be compiled before fit(): "
                "call model.compile() (defaults from the paper are used for any "
                "optimizer you do not pass)."
            )
        spec = _data_spec(x)
        if spec is not None:
            self.validate_batch_spec(*spec)
            _check_distribution_batches(x, batch_size)
        callbacks = list(callbacks or [])
        callbacks.append(NonFiniteLossMonitor())
        snapshot = None
        if keras.backend.backend() == "jax":
            from keras_gen.trainers.jax_trainer import snapshot_model_state

            snapshot = snapshot_model_state(self)
        try:
            return super().fit(
                x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
                **kwargs,
            )
        except Exception:
            # Data that can only be checked when the step is traced (Python
            # generators, PyDataset) raises there; the model stays usable.
            if snapshot is not None:
                from keras_gen.trainers.jax_trainer import restore_purged_state

                restore_purged_state(snapshot)
            raise


class NonFiniteLossMonitor(keras.callbacks.Callback):
    """Stops training at the first step whose logged loss is NaN or Inf.

    The trainer has already refused to apply that step's update, so the
    weights stay those of the previous step. Added by `GenerativeModel.fit`.
    """

    def __init__(self):
        super().__init__()
        self.epoch = 0
        self.failed_step = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not logs or self.failed_step is not None:
            return
        bad = {}
        for key, value in logs.items():
            try:
                value = float(np.asarray(value))
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):
                bad[key] = value
        if bad:
            self.failed_step = (self.epoch + 1, batch + 1)
            self.model.stop_training = True
            message = (
                f"Non-finite loss {bad} at epoch {self.epoch + 1}, step {batch + 1}: "
                "the update of that step was not applied and training stopped. "
                "Check the input data for NaN/Inf values, or lower the learning rate."
            )
            warnings.warn(message, RuntimeWarning, stacklevel=2)


def _data_spec(x):
    """Static `(shape, dtype)` of the first input of `x`, or None if unknown."""
    if isinstance(x, np.ndarray):
        return (None,) + tuple(x.shape[1:]), str(x.dtype)
    if isinstance(x, (tuple, list)) and x and isinstance(x[0], np.ndarray):
        return (None,) + tuple(x[0].shape[1:]), str(x[0].dtype)
    element_spec = getattr(x, "element_spec", None)
    if element_spec is None:
        return None
    while isinstance(element_spec, (tuple, list)):
        element_spec = element_spec[0]
    if isinstance(element_spec, dict):
        return None
    return tuple(element_spec.shape), element_spec.dtype.name


def _check_distribution_batches(x, batch_size):
    """Under a JAX data-parallel distribution, batches must split evenly."""
    if keras.backend.backend() != "jax":
        return
    distribution = keras.distribution.distribution()
    if distribution is None:
        return
    devices = int(np.prod(distribution.device_mesh.shape))
    if devices <= 1:
        return
    if isinstance(x, np.ndarray) or (isinstance(x, (tuple, list)) and x and isinstance(x[0], np.ndarray)):
        array = x if isinstance(x, np.ndarray) else x[0]
        batch_size = batch_size or 32
        sizes = {batch_size}
        if len(array) % batch_size:
            sizes.add(len(array) % batch_size)
    else:
        spec = _data_spec(x)
        first = spec[0][0] if spec else None
        if first is None:
            raise ValueError(
                f"Training on {devices} devices needs batches whose size is known "
                "and divides by the device count. Batch the dataset with "
                "`dataset.batch(batch_size, drop_remainder=True)`."
            )
        sizes = {first}
    bad = sorted(size for size in sizes if size % devices)
    if bad:
        raise ValueError(
            f"Training on {devices} devices needs every batch to divide by {devices}, "
            f"but batches of size {bad} would occur. Use a batch size that is a "
            f"multiple of {devices} and drop the last partial batch "
            "(`dataset.batch(batch_size, drop_remainder=True)`, or trim the array "
            "to a multiple of the batch size)."
        )
