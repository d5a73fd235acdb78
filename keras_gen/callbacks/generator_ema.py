"""GeneratorEMA: an exponential moving average of the generator's weights."""

import keras


class GeneratorEMA(keras.callbacks.Callback):
    """Keeps an EMA of the generator, updated inside every train step.

    Attaching the callback calls `model.enable_ema(decay, rampup)`: the
    average is a clone of the generator whose weights the train step itself
    updates, so on JAX the average is part of the state that `fit()`
    carries, and it is saved with the model. `model.generate()` then uses
    the averaged generator; `SampleGrid` and `GenerativeMetrics` report both
    and use the better one.

    The average ramps up as in StyleGAN2-ADA: its half-life is at most
    `rampup` times the steps trained so far, so early in training it follows
    the generator closely instead of holding on to the random initial
    weights. The update after `t` finished steps uses

        d_t = min(decay, 0.5 ** (1 / (rampup * t)))

    (`decay=0.999`, `rampup=0.05`: the constant 0.999 is reached after
    13,860 steps; after 630 steps the half-life is 31 steps). With
    `rampup=None` the decay is constant, and after `t` steps a fraction
    `decay ** t` of the average is still the initial weights (0.999: 53%
    after 630 steps, 0.2% after 6,300).

    Args:
        decay: EMA decay per step once ramped up (default 0.999).
        rampup: half-life cap as a fraction of the steps trained so far
            (default 0.05, StyleGAN2-ADA's `ema_rampup`); None for none.

    Example:

    >>> gan.fit(x, epochs=10, callbacks=[keras_gen.callbacks.GeneratorEMA(0.999)])
    >>> images = gan.generate(16, seed=0)                 # the averaged generator
    >>> raw = gan.generate(16, seed=0, use_ema=False)     # the generator itself

    References:
        Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN
        Training", ICLR 2019.
        Karras et al., "Training Generative Adversarial Networks with Limited
        Data", NeurIPS 2020 (the `ema_kimg` / `ema_rampup` rule of the
        stylegan2-ada training loop).
    """

    def __init__(self, decay=0.999, rampup=0.05):
        super().__init__()
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1); received {decay}.")
        if rampup is not None and not 0.0 < rampup:
            raise ValueError(f"rampup must be positive (StyleGAN2-ADA: 0.05) or None; received {rampup}.")
        self.decay = decay
        self.rampup = rampup

    def set_model(self, model):
        super().set_model(model)
        if not hasattr(model, "enable_ema"):
            raise TypeError(
                "GeneratorEMA needs a keras_gen model with `enable_ema` (e.g. "
                f"keras_gen.models.GAN); received {type(model).__name__}."
            )
        model.enable_ema(self.decay, self.rampup)
