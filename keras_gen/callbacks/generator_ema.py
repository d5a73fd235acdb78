"""GeneratorEMA: an exponential moving average of the generator's weights."""

import keras


class GeneratorEMA(keras.callbacks.Callback):
    """Keeps an EMA of the generator, updated inside every train step.

    Attaching the callback calls `model.enable_ema(decay)`: the average is a
    clone of the generator whose weights the train step itself updates, so
    on JAX the average is part of the state that `fit()` carries, and it is
    saved with the model. `model.generate()`, `SampleGrid` and
    `GenerativeMetrics` then use the averaged generator.

    Args:
        decay: EMA decay per step (default 0.999).

    Example:

    >>> gan.fit(x, epochs=10, callbacks=[keras_gen.callbacks.GeneratorEMA(0.999)])
    >>> images = gan.generate(16, seed=0)  # from the averaged generator

    Reference: Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN
    Training", ICLR 2019.
    """

    def __init__(self, decay=0.999):
        super().__init__()
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1); received {decay}.")
        self.decay = decay

    def set_model(self, model):
        super().set_model(model)
        if not hasattr(model, "enable_ema"):
            raise TypeError(
                "GeneratorEMA needs a keras_gen model with `enable_ema` (e.g. "
                f"keras_gen.models.GAN); received {type(model).__name__}."
            )
        model.enable_ema(self.decay)
