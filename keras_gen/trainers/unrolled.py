"""Unrolled optimization of a network, differentiable (Metz et al. 2017).

An unrolled GAN trains its generator against the discriminator as it would
be after K more optimizer steps, min_G f(θ_G, θ_D^K(θ_G, θ_D)), where

    θ_D^0 = θ_D,   θ_D^{k+1} = θ_D^k + update(∇_θD f_D(θ_G, θ_D^k), optimizer state^k),

and differentiates through those K steps: the gradient with respect to θ_G
includes how the discriminator's updates react to the generator (the
second-order terms ∂²f_D/∂θ_D∂θ_G). The real discriminator keeps its one
ordinary update per step in its own phase; nothing here changes a variable.

Written once with `keras.ops` on two pieces:

- `keras_gen.trainers.parameter_gradients`, the backend primitive giving
  ∇_θ f with the graph kept (TF nested tape, `jax.value_and_grad`,
  `torch.autograd.grad(create_graph=True)`);
- `network.stateless_call(trainable_values, non_trainable_values, x)`, which
  runs a Keras network on weight values that are tensors, not Variables;

and a functional form of the network's own optimizer (`FunctionalOptimizer`:
SGD with or without momentum, Nesterov, Adam, AdamW), which starts from the
optimizer's current state (learning rate or schedule at its current
iteration, Adam's moments and step count) as Metz et al.'s reference code
does when it unrolls the Keras optimizer's own update ops.

Reference:
    Metz, Poole, Pfau & Sohl-Dickstein, "Unrolled Generative Adversarial
    Networks", ICLR 2017.
"""

import numbers

import keras
import numpy as np
from keras import ops

from keras_gen.trainers.parameter_gradients import parameter_gradients

SUPPORTED_OPTIMIZERS = ("SGD", "Adam", "AdamW")


def check_unrolled_steps(value, name="unrolled_steps"):
    """Returns `value` as an int, raising `ValueError` unless it is an integer >= 0 (None: 0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not _is_integer(value) or value < 0:
        raise ValueError(
            f"{name} must be a non-negative integer (0 or None: no unrolling; Metz et al. "
            f"2017 unroll 1 to 10 steps); received {value!r}."
        )
    return int(value)


def check_unrolled_options(unrolled_steps, unrolled_second_order):
    """`(steps, second_order)` checked, for a model's `unrolled_steps` and `unrolled_second_order`.

    Raises a `ValueError` unless `unrolled_steps` is an integer >= 0 (None:
    0), a `TypeError` unless `unrolled_second_order` is a bool, and a
    `ValueError` for `unrolled_second_order=False` without unrolling (it
    would have no effect).
    """
    steps = check_unrolled_steps(unrolled_steps)
    if not isinstance(unrolled_second_order, (bool, np.bool_)):
        raise TypeError(
            f"unrolled_second_order must be True or False; received {unrolled_second_order!r}."
        )
    if not unrolled_second_order and steps == 0:
        raise ValueError(
            "unrolled_second_order=False has no effect without unrolling: pass "
            "unrolled_steps=k (k >= 1) as well, or leave it out."
        )
    return steps, bool(unrolled_second_order)


def _is_integer(value):
    return isinstance(value, numbers.Integral)


def check_unrollable_optimizer(optimizer):
    """The optimizer whose update is unrolled, checked; raises `ValueError` for any other.

    A `keras.optimizers.LossScaleOptimizer` (mixed_float16) is unwrapped:
    its inner optimizer's update is unrolled.

    Returns:
        The (inner) optimizer.
    """
    inner = optimizer
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        inner = optimizer.inner_optimizer
    supported = isinstance(inner, (keras.optimizers.SGD, keras.optimizers.Adam)) and (
        type(inner).__name__ in SUPPORTED_OPTIMIZERS
    )
    if not supported:
        raise ValueError(
            "Unrolling the discriminator's optimizer (unrolled_steps > 0) supports "
            "keras.optimizers.SGD (with or without momentum) and keras.optimizers.Adam "
            f"(or AdamW); the discriminator's optimizer is {type(inner).__name__}. Compile "
            "with e.g. discriminator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), "
            "or set unrolled_steps=0."
        )
    if inner.gradient_accumulation_steps:
        raise ValueError(
            "Unrolling the discriminator's optimizer does not support "
            f"gradient_accumulation_steps={inner.gradient_accumulation_steps}: its unrolled "
            "steps would not be the real optimizer's updates. Leave it unset."
        )
    if inner.use_ema and inner.ema_overwrite_frequency:
        raise ValueError(
            "Unrolling the discriminator's optimizer does not support use_ema with "
            "ema_overwrite_frequency (the weights are overwritten by their average). "
            "Leave ema_overwrite_frequency unset."
        )
    return inner


class FunctionalOptimizer:
    """A Keras optimizer's update rule as a pure function of values, differentiable.

    `step(values, gradients, state, offset)` returns the values and state a
    real `optimizer.apply(gradients)` would leave after `offset` earlier
    unrolled steps: gradient clipping (`clipnorm`, `global_clipnorm`,
    `clipvalue`), decoupled `weight_decay`, the update at the learning rate
    of that iteration (schedules are evaluated at `iterations + offset`),
    and each variable's `constraint`. It reads the optimizer and never
    writes to it.

    Use `FunctionalOptimizer.of(optimizer, variables)`, which picks the rule
    (`FunctionalSGD`, `FunctionalAdam`) and raises a `ValueError` for an
    unsupported optimizer.
    """

    def __init__(self, optimizer, variables):
        self.optimizer = optimizer
        self.variables = list(variables)

    @staticmethod
    def of(optimizer, variables):
        inner = check_unrollable_optimizer(optimizer)
        if isinstance(inner, keras.optimizers.Adam):
            return FunctionalAdam(inner, variables)
        return FunctionalSGD(inner, variables)

    # ---------------------------------------------------------------- state
    def _slot(self, slots, variable):
        """The current value of `variable`'s slot in `slots` (zeros if not built yet)."""
        if not self.optimizer.built or not slots:
            return ops.zeros(variable.shape, dtype=variable.dtype)
        slot = slots[self.optimizer._get_variable_index(variable)]
        return ops.stop_gradient(ops.convert_to_tensor(slot.value))

    def initial_state(self):
        """The optimizer's current state as tensors (a dict of lists, one entry per variable)."""
        return {}

    def iterations(self):
        return ops.stop_gradient(ops.convert_to_tensor(self.optimizer.iterations.value))

    def learning_rate(self, offset=0):
        """The learning rate of the update `offset` steps after the current one."""
        rate = getattr(self.optimizer, "_learning_rate", None)
        if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
            value = rate(ops.add(self.iterations(), offset))
        elif isinstance(rate, keras.Variable):
            value = rate.value
        elif callable(rate):
            value = rate()
        elif rate is None:
            value = self.optimizer.learning_rate
        else:
            value = rate
        return ops.stop_gradient(ops.cast(value, "float32"))

    # ----------------------------------------------------------------- step
    def step(self, values, gradients, state, offset=0):
        """`(values, state)` after one update with `gradients` (see the class docstring)."""
        optimizer = self.optimizer
        gradients = [ops.cast(g, v.dtype) for g, v in zip(gradients, values)]
        if optimizer.loss_scale_factor is not None:
            gradients = [g / optimizer.loss_scale_factor for g in gradients]
        gradients = self._clip(gradients)
        learning_rate = self.learning_rate(offset)
        if optimizer.weight_decay is not None:
            values = [
                value - value * ops.cast(optimizer.weight_decay * learning_rate, value.dtype)
                if optimizer._use_weight_decay(variable) else value
                for value, variable in zip(values, self.variables)
            ]
        values, state = self.update(values, gradients, state, learning_rate, offset)
        values = [
            variable.constraint(value) if variable.constraint is not None else value
            for value, variable in zip(values, self.variables)
        ]
        return values, state

    def _clip(self, gradients):
        optimizer = self.optimizer
        if optimizer.clipnorm and optimizer.clipnorm > 0:
            return [
                g * optimizer.clipnorm / ops.maximum(_safe_norm(g), optimizer.clipnorm)
                for g in gradients
            ]
        if optimizer.global_clipnorm and optimizer.global_clipnorm > 0:
            squared = ops.sum(ops.stack([ops.sum(ops.square(g)) for g in gradients]))
            norm = _safe_sqrt(squared)
            clip = optimizer.global_clipnorm
            scale = clip / ops.maximum(norm, clip)
            return [g * ops.cast(scale, g.dtype) for g in gradients]
        if optimizer.clipvalue and optimizer.clipvalue > 0:
            return [ops.clip(g, -optimizer.clipvalue, optimizer.clipvalue) for g in gradients]
        return gradients

    def update(self, values, gradients, state, learning_rate, offset):
        raise NotImplementedError


class FunctionalSGD(FunctionalOptimizer):
    """`keras.optimizers.SGD`: plain, with momentum, or Nesterov momentum."""

    def initial_state(self):
        if not self.optimizer.momentum:
            return {}
        slots = getattr(self.optimizer, "momentums", None)
        return {"momentums": [self._slot(slots, v) for v in self.variables]}

    def update(self, values, gradients, state, learning_rate, offset):
        optimizer = self.optimizer
        if not optimizer.momentum:
            new = [p - g * ops.cast(learning_rate, p.dtype) for p, g in zip(values, gradients)]
            return new, state
        new_values, momentums = [], []
        for p, g, m in zip(values, gradients, state["momentums"]):
            lr = ops.cast(learning_rate, p.dtype)
            mu = ops.cast(optimizer.momentum, p.dtype)
            m = m * mu - g * lr
            p = p + m * mu - g * lr if optimizer.nesterov else p + m
            new_values.append(p)
            momentums.append(m)
        return new_values, {"momentums": momentums}


class FunctionalAdam(FunctionalOptimizer):
    """`keras.optimizers.Adam` (and `AdamW`, Adam with decoupled weight decay), with amsgrad."""

    def initial_state(self):
        optimizer = self.optimizer
        state = {
            "momentums": [self._slot(getattr(optimizer, "_momentums", None), v) for v in self.variables],
            "velocities": [self._slot(getattr(optimizer, "_velocities", None), v) for v in self.variables],
        }
        if optimizer.amsgrad:
            slots = getattr(optimizer, "_velocity_hats", None)
            state["velocity_hats"] = [self._slot(slots, v) for v in self.variables]
        return state

    def update(self, values, gradients, state, learning_rate, offset):
        optimizer = self.optimizer
        step = ops.add(ops.cast(self.iterations(), "float32"), float(offset + 1))
        new_state = {key: [] for key in state}
        new_values = []
        for index, (p, g) in enumerate(zip(values, gradients)):
            dtype = p.dtype
            local_step = ops.cast(step, dtype)
            beta_1 = ops.cast(optimizer.beta_1, dtype)
            beta_2 = ops.cast(optimizer.beta_2, dtype)
            alpha = (
                ops.cast(learning_rate, dtype)
                * ops.sqrt(1 - ops.power(beta_2, local_step))
                / (1 - ops.power(beta_1, local_step))
            )
            m = state["momentums"][index]
            v = state["velocities"][index]
            m = m + (g - m) * (1 - beta_1)
            v = v + (ops.square(g) - v) * (1 - beta_2)
            new_state["momentums"].append(m)
            new_state["velocities"].append(v)
            if optimizer.amsgrad:
                v = ops.maximum(state["velocity_hats"][index], v)
                new_state["velocity_hats"].append(v)
            # √v with a zero derivative at v = 0 (a weight whose gradient is
            # exactly 0, e.g. a critic's bias under the Wasserstein loss):
            # d√v/dv is infinite there and would make the generator's gradient NaN.
            new_values.append(p - m * alpha / (_safe_sqrt(v) + optimizer.epsilon))
        return new_values, new_state


def _safe_sqrt(x):
    """√x, whose derivative at 0 is 0 instead of infinite (the two-`where` trick)."""
    positive = ops.greater(x, 0)
    return ops.where(positive, ops.sqrt(ops.where(positive, x, ops.ones_like(x))), ops.zeros_like(x))


def _safe_norm(x):
    return _safe_sqrt(ops.sum(ops.square(x)))


def _all_finite(tensors):
    finite = ops.convert_to_tensor(True)
    for tensor in tensors:
        finite = ops.logical_and(finite, ops.all(ops.isfinite(tensor)))
    return finite


def _map(fn, nest):
    if isinstance(nest, dict):
        return {key: _map(fn, value) for key, value in nest.items()}
    if isinstance(nest, (list, tuple)):
        return [_map(fn, value) for value in nest]
    return fn(nest)


def _select(condition, new, old):
    if isinstance(new, dict):
        return {key: _select(condition, new[key], old[key]) for key in new}
    if isinstance(new, (list, tuple)):
        return [_select(condition, a, b) for a, b in zip(new, old)]
    return ops.where(condition, new, old)


def current_values(variables):
    """The values of `variables` as constant tensors (the unrolling starts from them)."""
    return [ops.stop_gradient(ops.convert_to_tensor(v.value)) for v in variables]


def unroll(network, optimizer, loss_fn, steps, second_order=True, constraint=None):
    """`network`'s weights after `steps` differentiable updates of `optimizer` on `loss_fn`.

    Nothing is written: the network's variables and the optimizer's state
    are read, and the updated values are returned as tensors.

    Args:
        network: a built Keras model (e.g. the discriminator).
        optimizer: its optimizer (SGD, Adam or AdamW, possibly inside a
            `LossScaleOptimizer`), built for `network.trainable_variables`.
        loss_fn: `fn(trainable_values, non_trainable_values) -> (loss,
            new_non_trainable_values)`, the network's scalar objective
            evaluated with the given weight values, e.g. through
            `network.stateless_call`. The non-trainable values it returns
            (BatchNorm statistics, dropout seed state) feed the next step.
        steps: the number of unrolled updates K (>= 0).
        second_order: keep the derivatives of the updates with respect to
            whatever `loss_fn` closes over (the generator's samples). With
            False every update is a constant (stop-gradient), and a loss of
            the result differentiates as against a fixed network with the
            updated weights.
        constraint: optional `fn(value) -> value` applied to every weight
            after each update, as the training phase does (e.g. WGAN
            clipping).

    Returns:
        `(trainable_values, non_trainable_values)` after K updates.

    Under `mixed_float16` (a `LossScaleOptimizer`), each unrolled step
    scales its loss by the optimizer's current loss scale and unscales the
    gradients; a step whose gradients overflow leaves the values and state
    as they were, as the real optimizer skips such an update.
    """
    steps = check_unrolled_steps(steps, "steps")
    variables = network.trainable_variables
    functional = FunctionalOptimizer.of(optimizer, variables)
    values = current_values(variables)
    non_trainable = current_values(network.non_trainable_variables)
    if steps == 0:
        return values, non_trainable
    state = functional.initial_state()
    scale = None
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        scale = ops.stop_gradient(ops.cast(ops.convert_to_tensor(optimizer.dynamic_scale.value), "float32"))

    for offset in range(steps):
        def objective(trainable_values, non_trainable=non_trainable):
            loss, updated = loss_fn(trainable_values, non_trainable)
            loss = ops.cast(loss, "float32")
            if scale is not None:
                loss = loss * scale
            return loss, updated

        _, updated, gradients = parameter_gradients(objective, values, has_aux=True)
        if scale is not None:
            gradients = [g / ops.cast(scale, g.dtype) for g in gradients]
        if not second_order:
            gradients = [ops.stop_gradient(g) for g in gradients]
        new_values, new_state = functional.step(values, gradients, state, offset)
        if constraint is not None:
            new_values = [constraint(value) for value in new_values]
        if scale is not None:
            finite = _all_finite(gradients)
            new_values = _select(finite, new_values, values)
            new_state = _select(finite, new_state, state)
        values, state = new_values, new_state
        non_trainable = [
            old if new is None else ops.stop_gradient(new)
            for new, old in zip(updated, non_trainable)
        ]
    if not second_order:
        values = [ops.stop_gradient(value) for value in values]
    return values, non_trainable


class _Critic:
    """`network` on fixed weight values, as a function `inputs -> float32 logits`.

    Each call runs `network.stateless_call(..., training=training)`; the
    non-trainable values it updates feed the next call, and `losses` holds
    the regularization losses of the last call (e.g. weight regularizers
    evaluated on these weight values).
    """

    def __init__(self, network, trainable_values, non_trainable_values, training=True):
        self.network = network
        self.trainable_values = trainable_values
        self.non_trainable_values = non_trainable_values
        self.training = training
        self.losses = []

    def __call__(self, inputs):
        outputs, updated, losses = self.network.stateless_call(
            self.trainable_values, self.non_trainable_values, inputs,
            training=self.training, return_losses=True,
        )
        self.non_trainable_values = [
            old if new is None else new for new, old in zip(updated, self.non_trainable_values)
        ]
        self.losses = list(losses)
        if isinstance(outputs, (list, tuple)):
            outputs = outputs[0]
        return ops.cast(outputs, "float32")

    def regularization(self):
        if not self.losses:
            return ops.zeros(())
        return ops.sum(ops.stack([ops.cast(ops.sum(loss), "float32") for loss in self.losses]))


def unrolled_critic(
    discriminator, optimizer, steps, discriminator_loss, second_order=True, constraint=None,
    training=True,
):
    """The discriminator K optimizer steps ahead, as a function `inputs -> float32 logits`.

    Args:
        discriminator: the (built) discriminator network.
        optimizer: its optimizer (the model's, e.g.
            `model.optimizers["discriminator"]`): SGD, Adam or AdamW; its
            hyperparameters and current state are read, never changed.
        steps: unrolled updates K (Metz et al. use 1 to 10).
        discriminator_loss: `fn(critic) -> scalar`, the discriminator's
            objective written with a critic function (inputs -> float32
            logits), e.g. `lambda critic: loss.discriminator(critic(real),
            critic(fake))`. Every unrolled step evaluates it on the same
            inputs it closes over (keep `fake` differentiable: the
            second-order terms flow through it). The regularization losses
            of the discriminator (`discriminator.losses`) are added to it.
        second_order: differentiate through the updates (Metz et al.); False
            treats the unrolled weights as constants.
        constraint: optional `fn(value) -> value` applied to every weight
            after each update (the discriminator phase's constraint).
        training: the `training` flag of the discriminator's calls.

    Returns:
        `critic(inputs) -> logits`, the discriminator with weights θ_D^K
        (and the non-trainable state the unrolled steps left).

    Example:

    >>> critic = keras_gen.trainers.unrolled_critic(
    ...     discriminator, model.optimizers["discriminator"], 5,
    ...     lambda critic: loss.discriminator(critic(real), critic(fake)))
    >>> g_loss = loss.generator(critic(fake))
    """

    def loss_fn(trainable_values, non_trainable_values):
        critic = _Critic(discriminator, trainable_values, non_trainable_values, training)
        loss = ops.cast(discriminator_loss(critic), "float32") + critic.regularization()
        return loss, critic.non_trainable_values

    values, non_trainable = unroll(
        discriminator, optimizer, loss_fn, steps, second_order=second_order, constraint=constraint
    )
    return _Critic(discriminator, values, non_trainable, training)


def unrolled_generator_loss(
    discriminator, optimizer, steps, discriminator_loss, generator_loss, second_order=True,
    constraint=None, training=True,
):
    """The generator's loss against the discriminator K optimizer steps ahead.

    `generator_loss(unrolled_critic(discriminator, optimizer, steps,
    discriminator_loss, ...))`: the surrogate f_K(θ_G, θ_D) = f(θ_G, θ_D^K)
    of Metz et al. 2017, differentiable with respect to whatever
    `discriminator_loss` and `generator_loss` close over (the generator's
    samples). See `unrolled_critic` for the arguments; `generator_loss` is
    `fn(critic) -> scalar`, e.g. `lambda critic: loss.generator(critic(fake))`.
    """
    critic = unrolled_critic(
        discriminator, optimizer, steps, discriminator_loss, second_order=second_order,
        constraint=constraint, training=training,
    )
    return generator_loss(critic)
