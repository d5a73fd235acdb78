"""The CycleGAN / pix2pix learning-rate schedule: constant, then linear decay to zero."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class LinearDecayAfter(keras.optimizers.schedules.LearningRateSchedule):
    """Keeps the learning rate constant, then decays it linearly to zero.

    `lr(step) = initial_learning_rate * min(1, max(0, 1 - (step -
    constant_steps) / decay_steps))`: `initial_learning_rate` for the first
    `constant_steps` optimizer steps, zero from `constant_steps +
    decay_steps` on. CycleGAN trains 100 epochs at 2e-4 and decays linearly
    to zero over the next 100 (`constant_steps = decay_steps = 100 *
    steps_per_epoch`); the pix2pix code offers the same schedule.

    Args:
        constant_steps: optimizer steps at the initial rate.
        decay_steps: optimizer steps of the linear decay (> 0).
        initial_learning_rate: the constant rate (2e-4 in both papers).

    Returns:
        A serializable `keras.optimizers.schedules.LearningRateSchedule`.

    Example:

    >>> schedule = keras_gen.models.image_to_image.LinearDecayAfter(
    ...     constant_steps=100 * steps_per_epoch, decay_steps=100 * steps_per_epoch)
    >>> model.compile(
    ...     generator_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5),
    ...     discriminator_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5))

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593),
        sec. 4 / appendix 7.1.
    """

    def __init__(self, constant_steps, decay_steps, initial_learning_rate=2e-4):
        if int(constant_steps) != constant_steps or constant_steps < 0:
            raise ValueError(
                f"constant_steps must be a non-negative int; received {constant_steps!r}."
            )
        if int(decay_steps) != decay_steps or decay_steps < 1:
            raise ValueError(f"decay_steps must be a positive int; received {decay_steps!r}.")
        if initial_learning_rate <= 0:
            raise ValueError(
                f"initial_learning_rate must be positive; received {initial_learning_rate!r}."
            )
        self.constant_steps = int(constant_steps)
        self.decay_steps = int(decay_steps)
        self.initial_learning_rate = float(initial_learning_rate)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        fraction = 1.0 - (step - float(self.constant_steps)) / float(self.decay_steps)
        return self.initial_learning_rate * ops.clip(fraction, 0.0, 1.0)

    def get_config(self):
        return {
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
            "initial_learning_rate": self.initial_learning_rate,
        }
