"""OptimizerGroup: several named optimizers presented to Keras as one."""

import keras


class NamedOptimizers(list):
    """The inner optimizers of an `OptimizerGroup`: a list, also addressed by name.

    Keras's callbacks read a model's several optimizers as a list
    `model.optimizer.optimizers` (the convention of
    `keras.optimizers.MultiOptimizer`): `TensorBoard` logs each one's
    learning rate as `learning_rate_<optimizer.name>`, `ReduceLROnPlateau`
    and `LearningRateScheduler` set each one's learning rate,
    `SwapEMAWeights` swaps each one's averages. Iterating therefore gives the
    optimizers, in phase order; `named["generator"]`, `keys()`, `values()`,
    `items()` and `dict(named)` address them by name. Fixed when the group
    is created: treat it as read-only.
    """

    def __init__(self, named):
        super().__init__(named.values())
        self._names = tuple(named)

    def keys(self):
        return list(self._names)

    def values(self):
        return list(self)

    def items(self):
        return list(zip(self._names, self))

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self._names:
                raise KeyError(key)
            key = self._names.index(key)
        return super().__getitem__(key)

    def __contains__(self, item):
        if isinstance(item, str):
            return item in self._names
        return any(item is optimizer for optimizer in self)


@keras.saving.register_keras_serializable(package="keras_gen")
class OptimizerGroup(keras.optimizers.Optimizer):
    """Named optimizers that Keras sees as the model's single optimizer.

    `fit()` threads exactly one optimizer's `variables` through a training
    step. On JAX the state is functional, so any optimizer that is not part
    of `model.optimizer.variables` would silently restart every step (its
    `iterations` stuck at 0, Adam moments lost). The group's `variables` are
    its own step counter followed by every inner optimizer's variables, so
    all of them are carried, saved and restored together.

    The group's own `iterations` counts training steps; each inner
    optimizer's `iterations` counts its own updates.

    `group.optimizers` is a `NamedOptimizers`: the list of inner optimizers
    that Keras's callbacks expect of a model with several optimizers, also
    addressed by name (`group.optimizers["generator"]`, `.items()`). Each
    inner optimizer takes its name in the group as its `name`, under which
    `keras.callbacks.TensorBoard` logs its learning rate
    (`learning_rate_generator`, `learning_rate_discriminator`), as do
    `ReduceLROnPlateau` and `LearningRateScheduler` in the epoch logs.

    Args:
        optimizers: dict `name -> keras.optimizers.Optimizer`.

    Example:

    >>> group = keras_gen.trainers.OptimizerGroup({
    ...     "generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...     "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5)})
    >>> group["generator"].learning_rate
    """

    def __init__(self, optimizers, name="optimizer_group", **kwargs):
        kwargs.pop("learning_rate", None)
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        if not isinstance(optimizers, dict) or not optimizers:
            raise ValueError(
                "`optimizers` must be a non-empty dict mapping names to "
                f"keras.optimizers.Optimizer instances; received {optimizers!r}."
            )
        named = {}
        for key, optimizer in optimizers.items():
            optimizer = keras.optimizers.get(optimizer)
            if not isinstance(optimizer, keras.optimizers.Optimizer):
                raise TypeError(
                    f"The optimizer for {key!r} must be a keras.optimizers.Optimizer "
                    f"(or its name); received {optimizer!r}."
                )
            # The name Keras's callbacks log it under (`learning_rate_<name>`).
            optimizer.name = str(key)
            named[key] = optimizer
        # Set past the optimizer's attribute tracking, which would turn the
        # list into a plain tracked list. `.weights.h5`/`.keras` files store
        # the inner optimizers under `optimizers/<class name>` as before.
        object.__setattr__(self, "optimizers", NamedOptimizers(named))

    def __getitem__(self, key):
        try:
            return self.optimizers[key]
        except KeyError:
            raise KeyError(
                f"No optimizer named {key!r}; this group has {sorted(self.optimizers.keys())}."
            ) from None

    def build_groups(self, variables_by_name):
        """Builds each inner optimizer for its own variables.

        Args:
            variables_by_name: dict `optimizer name -> list of variables`.
        """
        if not self.built:
            super().build([])
        for key, variables in variables_by_name.items():
            optimizer = self[key]
            if not optimizer.built:
                optimizer.build(variables)

    def build(self, var_list):
        # Inner optimizers are built by `build_groups` with their own
        # variables; Keras may call `build(model.trainable_variables)` when it
        # restores a compiled model, which must not build them again.
        if not self.built:
            super().build([])

    @property
    def variables(self):
        variables = list(self._variables)
        for optimizer in self.optimizers.values():
            variables.extend(optimizer.variables)
        return variables

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError(
            "OptimizerGroup does not apply gradients itself: apply them with "
            "the inner optimizer of each phase, e.g. group['generator'].apply(...)."
        )

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError("OptimizerGroup has no update rule of its own.")

    def get_config(self):
        config = super().get_config()
        config["optimizers"] = {
            key: keras.optimizers.serialize(optimizer)
            for key, optimizer in self.optimizers.items()
        }
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        optimizers = {
            key: keras.optimizers.deserialize(value, custom_objects=custom_objects)
            for key, value in config.pop("optimizers").items()
        }
        for key in ("learning_rate",):
            config.pop(key, None)
        return cls(optimizers=optimizers, **config)
