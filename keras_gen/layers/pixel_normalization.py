"""Pixelwise feature vector normalization (ProGAN)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class PixelNormalization(keras.layers.Layer):
    """Normalizes each pixel's feature vector to unit average square.

    `y = x / sqrt(mean(x**2, axis=axis) + epsilon)`, applied independently at
    every position. ProGAN uses it after every generator convolution;
    StyleGAN applies it to the latent before the mapping network.

    Args:
        epsilon: small constant added under the square root (paper: `1e-8`).
        axis: the feature (channel) axis: -1 (default) for vectors and
            channels-last maps, 1 for channels-first maps.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor with the input's shape.

    Example:

    ```python
    layer = keras_gen.layers.PixelNormalization()
    y = layer(keras.random.normal((2, 8, 8, 16)))  # (2, 8, 8, 16)
    channels_first = keras_gen.layers.PixelNormalization(axis=1)
    y = channels_first(keras.random.normal((2, 16, 8, 8)))  # (2, 16, 8, 8)
    ```

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality,
        Stability, and Variation", ICLR 2018 (section 4.2).
    """

    def __init__(self, epsilon=1e-8, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if epsilon < 0:
            raise ValueError(f"`epsilon` must be >= 0. Received: epsilon={epsilon}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"`axis` must be an int (-1 or 1 for images). Received: axis={axis!r}")
        self.epsilon = float(epsilon)
        self.axis = axis

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"`axis` {self.axis} is not a feature axis of inputs of shape {input_shape} "
                "(-1 for vectors and channels-last maps, 1 for channels-first maps)."
            )

    def call(self, inputs):
        mean_square = ops.mean(ops.square(inputs), axis=self.axis, keepdims=True)
        return inputs * ops.rsqrt(mean_square + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "axis": self.axis}
