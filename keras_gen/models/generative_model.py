"""GenerativeModel: the base class every keras_gen model trains through."""

import copy
import inspect
import math
import warnings

import keras
import numpy as np
from keras import ops

from keras_gen.distributed.seeds import ReplicaSeedGenerator
from keras_gen.models import validation
from keras_gen.trainers import OptimizerGroup
from keras_gen.trainers import PhaseTrainer


class GenerativeModel(PhaseTrainer, keras.Model):
    """Base class for models trained in phases with several optimizers.

    A subclass is its networks, its phases and its objective:

    - `networks`: a class attribute naming the constructor arguments that are
      sub-models (e.g. `("generator", "discriminator")`), stored on the
      model under the same names;
    - `phases()`: the ordered list of `keras_gen.trainers.Phase` of a step;
    - `compute_phase_loss(phase, data, training)`: `(loss, logs)` for the
      phase named `phase`, written once with `keras.ops` for every backend;
    - optionally `default_optimizers()`, `validate_batch_spec(shape, dtype)`
      and `validate_training_data(x, y)`, and its sampling methods.

    The base class provides the rest once:

    - `get_config`/`from_config` from the constructor's signature: every
      argument is read back from the attribute of the same name (or the one
      named in `config_attributes`), sub-models and layers are serialized;
    - `compile(<optimizer name>_optimizer=...)`, with names derived from the
      phases and defaults from `default_optimizers()`; Keras is handed an
      `OptimizerGroup`;
    - a running-mean tracker for every value a phase logs (`fit()` shows
      and records e.g. `d_loss`), created when the model is compiled;
    - `fit()`, which checks the data with `validate_training_data` before
      anything changes, guards against non-finite steps, and keeps the model
      usable when the data fail later;
    - `run_in_batches` (batched NumPy inference) and `inference_network`
      (the moving average of a network when one is kept).

    Args:
        seed: seed of the model's `keras.random.SeedGenerator` (latent noise
            and any other randomness in the step).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> class Regressor(keras_gen.models.GenerativeModel):
    ...     networks = ("net",)
    ...     def __init__(self, net, seed=None, **kwargs):
    ...         super().__init__(seed=seed, **kwargs)
    ...         self.net = net
    ...     def phases(self):
    ...         return [keras_gen.trainers.Phase("fit", "net",
    ...                 self.net.trainable_variables, log_names=("mse",))]
    ...     def default_optimizers(self):
    ...         return {"net": keras.optimizers.SGD(0.1)}
    ...     def compute_phase_loss(self, phase, data, training=True):
    ...         x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
    ...         mse = keras.ops.mean((self.net(x, training=training) - y) ** 2)
    ...         return mse, {"mse": mse}
    >>> model = Regressor(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]))
    >>> model.compile(net_optimizer=keras.optimizers.Adam(1e-2))
    >>> model.fit(x, y, epochs=2)
    """

    # Constructor arguments that are sub-models (serialized by get_config).
    networks = ()
    # Constructor argument -> attribute holding its value, where they differ.
    config_attributes = {}
    # Constructor arguments of a parent class that this class sets itself.
    config_excluded = ()

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.ema_model = None
        self.ema_decay = None
        self.ema_rampup = None
        self.seed_generator = ReplicaSeedGenerator(seed, name="seed_generator")
        # What the in-step data checks found (see `validation.DataCheckMonitor`).
        self.data_check = validation.DataCheckState()
        # Sub-models are built functional models: nothing is built by calling
        # the model, which `fit()` under torch and tf.distribute would try.
        self.built = True

    # ----------------------------------------------------------- to override
    def phases(self):
        raise NotImplementedError(f"{self.__class__.__name__} must define phases().")

    def compute_phase_loss(self, phase, data, training=True):
        raise NotImplementedError(f"{self.__class__.__name__} must define compute_phase_loss().")

    def generate(self, *args, **kwargs):
        raise NotImplementedError(f"{self.__class__.__name__} does not generate samples.")

    def default_optimizers(self):
        """Optimizers used for names that `compile()` was not given."""
        return {}

    def ema_source(self):
        """The sub-model whose weights `enable_ema` averages (None: no EMA)."""
        return None

    def validate_batch_spec(self, shape, dtype):
        """Raises a clear error if input batches of `shape`/`dtype` cannot train.

        Called before training with the static spec of the data and again
        when the step is traced. `shape` includes the batch dimension
        (possibly `None`).
        """

    def validate_training_data(self, x, y=None):
        """Raises a clear error if `fit(x, y)` cannot train, before anything changes.

        The default checks the static spec of the first input with
        `validate_batch_spec`, and the values of NumPy images (rank 4): a
        `ValueError` for values beyond [-1, 1] such as [0, 255] pixels, a
        warning for images in [0, 1]. Models that take labels or pairs
        extend it.
        """
        spec = validation.data_spec(x)
        if spec is not None:
            self.validate_batch_spec(*spec)
        images = validation.array_first_element(x)
        if images is not None:
            validation.check_image_values(images, "Images (x)", self.__class__.__name__)

    # ----------------------------------------------------------------- EMA
    def enable_ema(self, decay=0.999, rampup=0.05):
        """Keeps an exponential moving average of `ema_source()`'s weights.

        After every train step (inside it, so JAX carries the average in its
        state) each averaged weight becomes `d * average + (1 - d) * weight`;
        non-trainable weights (BatchNorm statistics) are copied. The average
        is a clone of the source model, `self.ema_model`, which `generate()`
        uses by default.

        With a ramp-up (the default) the average never holds much of the
        random initial weights: its half-life, in steps, is at most `rampup`
        times the number of steps trained so far, as in StyleGAN2-ADA
        (`ema_rampup=0.05`). The decay of the update after `t` finished
        steps (the model's step counter, `optimizer.iterations`) is

            d_t = min(decay, 0.5 ** (1 / (rampup * t)))

        so the first update copies the weights, after 1,000 steps the
        average spans about the last 50, and `decay` (half-life
        `log(0.5) / log(decay)` steps: 693 for 0.999) applies from
        `t = half-life / rampup` on (13,860 steps for 0.999 and 0.05).
        `rampup=None` uses the constant `decay` from the first step, which
        after `t` steps still holds a fraction `decay ** t` of the initial
        weights (53% after 630 steps at 0.999).

        Args:
            decay: the EMA decay once ramped up (0.999 as in Karras et al.
                2018; Yazıcı et al. 2019 study 0.999-0.9999).
            rampup: cap on the half-life as a fraction of the steps trained
                so far (StyleGAN2-ADA: 0.05); None for a constant decay.

        References:
            Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN
            Training", ICLR 2019.
            Karras et al., "Training Generative Adversarial Networks with
            Limited Data", NeurIPS 2020 (`ema_kimg`, `ema_rampup` in
            stylegan2-ada's training loop).
        """
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1); received {decay}.")
        if rampup is not None and not 0.0 < rampup:
            raise ValueError(
                f"EMA rampup must be positive (StyleGAN2-ADA: 0.05) or None; received {rampup}."
            )
        source = self.ema_source()
        if source is None:
            raise ValueError(f"{self.__class__.__name__} has no sub-model to average.")
        self.ema_decay = float(decay)
        self.ema_rampup = None if rampup is None else float(rampup)
        if getattr(self, "ema_model", None) is None:
            self.ema_model = keras.models.clone_model(source)
            self.ema_model.set_weights(source.get_weights())

    def ema_decay_at(self, step):
        """The EMA decay of the update after `step` finished steps (a tensor; see `enable_ema`)."""
        decay = ops.convert_to_tensor(self.ema_decay, "float32")
        rampup = getattr(self, "ema_rampup", None)
        if rampup is None:
            return decay
        halflife = ops.maximum(rampup * ops.cast(step, "float32"), 1e-8)
        return ops.minimum(decay, ops.power(0.5, 1.0 / halflife))

    def after_train_step(self):
        ema_model = getattr(self, "ema_model", None)
        if ema_model is None:
            return
        # The step counter has already counted this step.
        decay = self.ema_decay_at(ops.convert_to_tensor(self.optimizer.iterations) - 1)
        source = self.ema_source()
        for average, weight in zip(ema_model.trainable_variables, source.trainable_variables):
            d = ops.cast(decay, average.dtype)
            average.assign(d * average.value + (1.0 - d) * weight.value)
        for average, weight in zip(ema_model.non_trainable_variables, source.non_trainable_variables):
            average.assign(weight.value)

    def _variables_excluded_from_guard(self):
        ema_model = getattr(self, "ema_model", None)
        return ema_model.variables if ema_model is not None else []

    # ------------------------------------------------------------ inference
    def inference_network(self, use_ema=True):
        """The network sampling uses: the moving average when kept and wanted."""
        if use_ema and getattr(self, "ema_model", None) is not None:
            return self.ema_model
        return self.ema_source()

    def run_in_batches(self, fn, arrays, batch_size=256):
        """Applies `fn(*batch)` to consecutive batches of NumPy arrays.

        Args:
            fn: called with one slice of each array (None entries stay None);
                returns a tensor or a list/tuple of tensors.
            arrays: list of arrays of equal length (or None).
            batch_size: rows per call.

        Returns:
            A NumPy array, or a list of arrays when `fn` returns several,
            concatenated over the batches. Zero rows give zero-row outputs
            (of the shapes `fn` gives one row of zeros: some layers cannot
            run on an empty batch).
        """
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        n = len(next(a for a in arrays if a is not None))
        results = []
        for start in range(0, max(n, 1), batch_size):
            batch = [None if a is None else a[start : start + batch_size] for a in arrays]
            if n == 0:
                batch = [None if a is None else np.zeros((1,) + a.shape[1:], a.dtype) for a in batch]
            out = fn(*batch)
            several = isinstance(out, (list, tuple))
            out = out if several else [out]
            values = [np.asarray(ops.convert_to_numpy(o)) for o in out]
            results.append([v[:0] for v in values] if n == 0 else values)
        merged = [np.concatenate(parts, axis=0) for parts in zip(*results)]
        return merged if several else merged[0]

    # ------------------------------------------------------------- compile
    def optimizer_names(self):
        """The names of the model's optimizers, in phase order."""
        names = []
        for phase in self.phases():
            if phase.optimizer not in names:
                names.append(phase.optimizer)
        return names

    def compile(self, optimizers=None, **kwargs):
        """Configures training with one optimizer per name.

        Each optimizer is passed as `<name>_optimizer=` (e.g.
        `generator_optimizer=`, `discriminator_optimizer=`; the names are
        `optimizer_names()`); names left out use the defaults of the model's
        paper (`default_optimizers()`).

        Under the `"mixed_float16"` dtype policy (of the model or any of its
        layers), each optimizer is wrapped in its own
        `keras.optimizers.LossScaleOptimizer`: every phase scales its own
        loss, and an update whose scaled gradients overflow is skipped while
        that optimizer's loss scale falls (`model.optimizers[name]` is then
        the wrapper; `.inner_optimizer` is the one passed). Optimizers that
        are already `LossScaleOptimizer`s are kept as given.

        Args:
            optimizers: alternatively, a dict `name -> optimizer`.
            **kwargs: `<name>_optimizer=` entries, and Keras's
                `run_eagerly`, `jit_compile`, `steps_per_execution`,
                `auto_scale_loss` (False: no loss scaling under
                `"mixed_float16"`).
        """
        names = self.optimizer_names()
        if optimizers is not None and not isinstance(optimizers, dict):
            raise TypeError(
                f"Pass each optimizer by name: "
                f"{', '.join(n + '_optimizer=' for n in names)} "
                f"(received {type(optimizers).__name__} as the first argument)."
            )
        given = dict(optimizers or {})
        for key in [k for k in kwargs if k.endswith("_optimizer")]:
            name = key[: -len("_optimizer")]
            if name not in names:
                raise ValueError(
                    f"{self.__class__.__name__} has no optimizer {name!r}; its optimizers "
                    f"are {', '.join(n + '_optimizer=' for n in names)}."
                )
            given[name] = kwargs.pop(key)
        self._compile_optimizers(given, **kwargs)

    def _compile_optimizers(self, optimizers, auto_scale_loss=True, **kwargs):
        """Compiles with a dict `name -> optimizer` (None means the default)."""
        names = self.optimizer_names()
        unknown = sorted(k for k, v in optimizers.items() if k not in names and v is not None)
        if unknown:
            raise ValueError(
                f"{self.__class__.__name__} has optimizers {names}; "
                f"received unknown names {unknown}."
            )
        for key in ("loss", "metrics", "optimizer"):
            if key in kwargs:
                raise ValueError(
                    f"{self.__class__.__name__}.compile() does not take `{key}=`: "
                    "objectives are set in the constructor and each optimizer is "
                    f"passed by name ({', '.join(n + '_optimizer=' for n in names)})."
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
        if auto_scale_loss and self._uses_mixed_float16():
            # One scale per optimizer: each phase scales its own loss.
            resolved = {
                name: optimizer
                if isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(optimizer)
                for name, optimizer in resolved.items()
            }
        group = OptimizerGroup(resolved)
        # Keras would wrap the group itself in one LossScaleOptimizer.
        super().compile(optimizer=group, auto_scale_loss=False, **kwargs)
        variables_by_name = {name: [] for name in names}
        for phase in self.phases():
            known = {id(v) for v in variables_by_name[phase.optimizer]}
            variables_by_name[phase.optimizer].extend(
                v for v in phase.variables if id(v) not in known
            )
        group.build_groups(variables_by_name)
        self._create_loss_trackers()

    def _uses_mixed_float16(self):
        return any(
            getattr(getattr(layer, "dtype_policy", None), "name", None) == "mixed_float16"
            for layer in self._flatten_layers(include_self=True)
        )

    def _create_loss_trackers(self):
        from keras_gen.metrics.directions import MonitorDirections

        names = []
        for phase in self.phases():
            names.extend(n for n in phase.log_names if n not in names)
        existing = getattr(self, "_loss_trackers", None) or {}
        self._loss_trackers = {
            name: existing.get(name) or keras.metrics.Mean(name=name) for name in names
        }
        # Which way each logged value improves, for ModelCheckpoint,
        # EarlyStopping and ReduceLROnPlateau with mode="auto" (they read
        # `_direction`): losses and penalties fall; `elbo`, a bound, rises.
        # A model may name others in a `log_directions` dict.
        declared = {"elbo": "up", **getattr(self, "log_directions", {})}
        directions = MonitorDirections.of(self)
        for name, tracker in self._loss_trackers.items():
            tracker._direction = declared.get(name, "down")
            directions.declare(name, tracker._direction)

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

        Before training starts this checks the data against the model
        (`validate_training_data`, also for `validation_data`) and what the
        backend needs (e.g. under a JAX `keras.distribution`, that every
        batch divides by the number of devices), so a mistake raises a clear
        error while the model is untouched. A step with a non-finite loss is
        not applied and stops training with a warning naming the step.

        Data that cannot be read beforehand (a `tf.data` pipeline, a Python
        generator) are checked inside the step (class labels in range, images
        in [-1, 1]): a batch that fails is not trained on, and training stops
        with a `ValueError` naming the epoch, the step and the bad value.
        """
        if not getattr(self, "compiled", False):
            raise ValueError(
                f"{self.__class__.__name__} must be compiled before fit(): "
                "call model.compile() (defaults from the paper are used for any "
                "optimizer you do not pass)."
            )
        validation.check_has_samples(x)
        self.validate_training_data(x, y)
        validation_data = kwargs.get("validation_data")
        if isinstance(validation_data, (tuple, list)):
            self.validate_training_data(
                validation_data[0], validation_data[1] if len(validation_data) > 1 else None
            )
        elif validation_data is not None:
            self.validate_training_data(validation_data, None)
        callbacks = list(callbacks or [])
        # NumPy data were checked above; batches of other data are checked in the step.
        callbacks.append(
            validation.DataCheckMonitor(warn_unit_range=validation.array_first_element(x) is None)
        )
        callbacks.append(NonFiniteLossMonitor())
        try:
            with self.fit_guard(x, batch_size):
                return super().fit(
                    x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                    callbacks=callbacks, **kwargs,
                )
        finally:
            self.clear_phase_gates()

    # -------------------------------------------------------------- saving
    def seed_generators(self):
        """Every `keras.random.SeedGenerator` of the model and its layers, in a fixed order."""
        generators = []
        for layer in self._flatten_layers(include_self=True):
            for generator in getattr(layer, "_seed_generators", None) or []:
                if all(generator is not g for g in generators):
                    generators.append(generator)
        return generators

    def save_own_variables(self, store):
        # Keras saves no seed-generator state; without it a reloaded or
        # resumed model would replay the random draws (latents, pools,
        # augmentation) from the start.
        super().save_own_variables(store)
        for index, generator in enumerate(self.seed_generators()):
            store[f"seed_state_{index}"] = generator.state

    def load_own_variables(self, store):
        values = {key: store[key] for key in store.keys()}
        states = {k: values.pop(k) for k in list(values) if k.startswith("seed_state_")}
        super().load_own_variables(values)
        for index, generator in enumerate(self.seed_generators()):
            state = states.get(f"seed_state_{index}")
            if state is not None:  # files written before seed states were saved have none
                generator.state.assign(np.asarray(state))

    # ------------------------------------------------------------- config
    @classmethod
    def constructor_arguments(cls):
        """Names of the constructor's arguments, following `**kwargs` to the parents."""
        names = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            passes_on = False
            for parameter in list(inspect.signature(init).parameters.values())[1:]:
                if parameter.kind == parameter.VAR_KEYWORD:
                    passes_on = True
                elif parameter.kind != parameter.VAR_POSITIONAL and parameter.name not in names:
                    names.append(parameter.name)
            if klass is GenerativeModel or not passes_on:
                break
        return [name for name in names if name not in cls.config_excluded]

    def get_config(self):
        config = super().get_config()
        for name in self.constructor_arguments():
            value = getattr(self, self.config_attributes.get(name, name))
            if isinstance(value, (keras.layers.Layer, keras.optimizers.Optimizer)):
                value = keras.saving.serialize_keras_object(value)
            config[name] = value
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for name in cls.constructor_arguments():
            value = config.get(name)
            if isinstance(value, dict) and "class_name" in value and "config" in value:
                # Deserialization consumes the nested config: work on a copy.
                config[name] = keras.saving.deserialize_keras_object(
                    copy.deepcopy(value), custom_objects=custom_objects
                )
        return cls(**config)


class NonFiniteLossMonitor(keras.callbacks.Callback):
    """Stops training at the first step whose loss or gradients are NaN or Inf.

    Every phase's total loss and gradients are checked, not only the values
    it logs: when they are not finite the trainer logs NaN for each value of
    that phase (see `PhaseTrainerMixin._apply_phase`), so a NaN total made
    of finite parts (e.g. a NaN loss weight) is seen here too. The trainer
    has already left that phase's weights and optimizer state as they were
    before the step. The warning names the epoch, the step and the phase.
    An overflow of the scaled gradients under dynamic loss scaling
    (`mixed_float16`) is expected and is not reported: that update is
    skipped and the loss scale falls. Added by `GenerativeModel.fit`.
    """

    def __init__(self):
        super().__init__()
        self.epoch = 0
        self.failed_step = None
        self.failed_phases = None
        self._phases_by_log = {}

    def on_train_begin(self, logs=None):
        self._phases_by_log = {}
        phases = getattr(self.model, "phases", None)
        for phase in phases() if phases is not None else []:
            for name in phase.log_names:
                self._phases_by_log.setdefault(name, [])
                if phase.name not in self._phases_by_log[name]:
                    self._phases_by_log[name].append(phase.name)

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
            phases = []
            for key in bad:
                phases.extend(p for p in self._phases_by_log.get(key, []) if p not in phases)
            self.failed_phases = phases
            self.model.stop_training = True
            names = ", ".join(repr(p) for p in phases)
            where = {0: "a phase", 1: f"phase {names}"}.get(len(phases), f"phases {names}")
            message = (
                f"Non-finite loss or gradients in {where} at epoch {self.epoch + 1}, "
                f"step {batch + 1} (logged {bad}): that update was not applied and "
                "training stopped. Check the input data for NaN/Inf values and the "
                "loss weights, or lower the learning rate."
            )
            warnings.warn(message, RuntimeWarning, stacklevel=2)

