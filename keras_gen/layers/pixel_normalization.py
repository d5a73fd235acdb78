"""Pixelwise feature vector normalization (ProGAN)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class PixelNormalization(keras.layers.Layer):
    """Normalizes each pixel's feature vector to unit average square.

    `y = x / sqrt(mean(x**2, axis=-1) + epsilon)`, applied independently at
    every position (channels last). ProGAN uses it after every generator
    convolution; StyleGAN applies it to the latent before the mapping network.

    Args:
        epsilon: small constant added under the square root (paper: `1e-8`).
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor with the input's shape.

    Example:

    ```python
    layer = keras_gen.layers.PixelNormalization()
    y = layer(keras.random.normal((2, 8, 8, 16)))  # (2, 8, 8, 16)
    ```

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality,
        Stability, and Variation", ICLR 2018 (section 4.2).
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        if epsilon < 0:
            raise ValueError(f"`epsilon` must be >= 0. Received: epsilon={epsilon}")
        self.epsilon = float(epsilon)

    def call(self, inputs):
        mean_square = ops.mean(ops.square(inputs), axis=-1, keepdims=True)
        return inputs * ops.rsqrt(mean_square + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
