"""AdaptiveSchedule: update each network only while its loss says it needs it."""

import keras


class AdaptiveSchedule(keras.callbacks.Callback):
    """Trains the discriminator (generator) only while its loss is above a threshold.

    The classic adaptive balance of GAN training: when the discriminator
    wins too easily its loss is low and its updates only make the
    generator's gradients vanish, so it pauses until the generator catches
    up; the same the other way round. The decision is taken inside every
    train step from that step's own loss (computed before the update), on
    every backend: an update whose loss is at or below its threshold is not
    applied, and the weights and optimizer state of that network stay
    exactly as they were.

    While attached, `fit()` also logs the fraction of steps in which each
    gated network was updated, e.g. `discriminator_update_rate`. The
    thresholds are variables the compiled train step reads when it runs:
    calling `fit()` again with this schedule, or with other thresholds on
    the same losses, reuses the step instead of compiling anew
    (`GenerativeModel.set_phase_gates`).

    Args:
        discriminator_threshold: train the discriminator while its loss
            (`discriminator_monitor`) is above this value; None leaves it
            always on.
        generator_threshold: train the generator while its loss is above this
            value; None leaves it always on.
        discriminator_monitor: logged value the discriminator is judged by
            (default `"d_loss"`, the adversarial term without penalties).
        generator_monitor: logged value the generator is judged by (default
            `"g_loss"`).
        phase_names: names of the two phases, for models whose phases are
            named otherwise (default `("discriminator", "generator")`).

    Thresholds are in the units of the chosen loss. For the non-saturating
    loss, a discriminator that cannot tell real from fake has
    `d_loss = 2 log 2 ≈ 1.386` and `g_loss = log 2 ≈ 0.693`; for example
    `discriminator_threshold=0.3` pauses the discriminator once it is nearly
    perfect.

    Example:

    >>> schedule = keras_gen.callbacks.AdaptiveSchedule(
    ...     discriminator_threshold=0.3, generator_threshold=None)
    >>> history = gan.fit(x, epochs=5, callbacks=[schedule])
    >>> history.history["discriminator_update_rate"]

    Reference:
        Salimans et al., "Improved Techniques for Training GANs", NeurIPS
        2016, and the loss-threshold schedules of the GAN tutorial
        literature (e.g. Goodfellow, "NIPS 2016 Tutorial: Generative
        Adversarial Networks", section 4.4, on balancing G and D).
    """

    def __init__(
        self,
        discriminator_threshold=None,
        generator_threshold=None,
        discriminator_monitor="d_loss",
        generator_monitor="g_loss",
        phase_names=("discriminator", "generator"),
    ):
        super().__init__()
        if discriminator_threshold is None and generator_threshold is None:
            raise ValueError(
                "AdaptiveSchedule needs `discriminator_threshold` and/or "
                "`generator_threshold`; with neither it would change nothing."
            )
        for name, value in (
            ("discriminator_threshold", discriminator_threshold),
            ("generator_threshold", generator_threshold),
        ):
            if value is not None and not isinstance(value, (int, float)):
                raise TypeError(f"`{name}` must be a number or None; received {value!r}.")
        if len(phase_names) != 2:
            raise ValueError(
                "`phase_names` must name the discriminator and generator phases, "
                f"e.g. ('discriminator', 'generator'); received {phase_names!r}."
            )
        self.rules = {}
        if discriminator_threshold is not None:
            self.rules[phase_names[0]] = (discriminator_monitor, float(discriminator_threshold))
        if generator_threshold is not None:
            self.rules[phase_names[1]] = (generator_monitor, float(generator_threshold))

    def set_model(self, model):
        super().set_model(model)
        if not hasattr(model, "phases"):
            raise TypeError(
                "AdaptiveSchedule needs a keras_gen model trained in phases (e.g. "
                f"keras_gen.models.GAN); received {type(model).__name__}."
            )
        phases = {phase.name: phase for phase in model.phases()}
        for phase_name, (monitor, _) in self.rules.items():
            if phase_name not in phases:
                raise ValueError(
                    f"{type(model).__name__} has no phase {phase_name!r}; its phases are "
                    f"{sorted(phases)}. Pass `phase_names=` to match them."
                )
            if monitor not in phases[phase_name].log_names:
                raise ValueError(
                    f"Phase {phase_name!r} logs {list(phases[phase_name].log_names)}, not "
                    f"{monitor!r}. Pass a logged name as the monitor."
                )
        # Now, before fit() makes the train function: the gates are traced into it.
        model.set_phase_gates(self.rules)
