"""Adaptive instance normalization (AdaIN), as used by StyleGAN and MUNIT; plain instance normalization."""

import keras
from keras import ops

from keras_gen.layers.depth_to_space import resolve_data_format


def _spatial_axes(data_format):
    return (2, 3) if resolve_data_format(data_format) == "channels_first" else (1, 2)


def instance_normalize(x, epsilon=1e-5, data_format=None):
    """Normalizes each sample and channel of `x` over its spatial axes, with no affine map.

    The shared core of `adaptive_instance_normalization`, `keras_gen.layers.SPADE`
    (`norm="instance"`) and `keras_gen.layers.AdaINResBlock`. It computes in
    `x`'s dtype; the statistics themselves are taken in float32 for float16
    and bfloat16 inputs by every Keras backend (`keras.ops.moments`).

    Args:
        x: images `(batch, height, width, channels)`, or `(batch, channels,
            height, width)` channels-first.
        epsilon: added to the variance (PyTorch's instance norm: 1e-5).
        data_format: `"channels_last"` or `"channels_first"`; None follows
            `keras.config.image_data_format()`.

    Returns:
        `(x - mean) / sqrt(var + epsilon)`, with `mean` and `var` taken over the
        spatial axes of each sample and channel.

    Example:

    ```python
    y = keras_gen.layers.instance_normalize(keras.random.normal((2, 8, 8, 4)))
    ```

    Reference:
        Ulyanov, Vedaldi & Lempitsky, "Instance Normalization: The Missing
        Ingredient for Fast Stylization", arXiv:1607.08022, 2016.
    """
    x = ops.convert_to_tensor(x)
    mean, variance = ops.moments(x, axes=_spatial_axes(data_format), keepdims=True)
    return (x - mean) * ops.rsqrt(variance + epsilon)


def adaptive_instance_normalization(x, scale, bias, epsilon=1e-8, data_format=None):
    """Instance-normalizes `x` and applies a per-sample, per-channel scale and bias.

    Args:
        x: images `(batch, height, width, channels)`, or `(batch, channels,
            height, width)` channels-first.
        scale: `(batch, channels)` standard deviation to impose.
        bias: `(batch, channels)` mean to impose.
        epsilon: added to the variance (StyleGAN: 1e-8).
        data_format: `"channels_last"` or `"channels_first"`; None follows
            `keras.config.image_data_format()`.

    Returns:
        `scale * (x - mean) / sqrt(var + epsilon) + bias`, with `mean` and `var`
        taken over the spatial axes of each sample and channel.

    Example:

    ```python
    y = keras_gen.layers.adaptive_instance_normalization(
        keras.random.normal((2, 8, 8, 4)),
        scale=keras.ops.ones((2, 4)), bias=keras.ops.zeros((2, 4)))
    ```

    Reference:
        Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive
        Instance Normalization", ICCV 2017 (equation 8).
    """
    x = ops.convert_to_tensor(x)
    normalized = instance_normalize(x, epsilon, data_format)
    if resolve_data_format(data_format) == "channels_first":
        scale = ops.cast(scale, x.dtype)[:, :, None, None]
        bias = ops.cast(bias, x.dtype)[:, :, None, None]
    else:
        scale = ops.cast(scale, x.dtype)[:, None, None, :]
        bias = ops.cast(bias, x.dtype)[:, None, None, :]
    return normalized * scale + bias


@keras.saving.register_keras_serializable(package="keras_gen")
class AdaptiveInstanceNormalization(keras.layers.Layer):
    """AdaIN with a learned affine map from a style vector (StyleGAN's "A" + AdaIN).

    Called as `layer([x, style])`: `style` `(batch, style_dim)` is mapped by a
    learned affine transform to a per-channel scale and bias, and `x` is
    instance-normalized then scaled and shifted. As in StyleGAN the scale is
    parameterised as `1 + dense(style)`, so with the default initialisation
    it starts around 1 and the bias around 0.

    Args:
        epsilon: added to the variance (StyleGAN: 1e-8).
        kernel_initializer: initializer of the affine map; StyleGAN uses
            N(0, 1/fan_in) (`VarianceScaling(1.0, "fan_in", "untruncated_normal")`).
        data_format: `"channels_last"` or `"channels_first"` (`x` is
            `(batch, channels, height, width)`); None follows
            `keras.config.image_data_format()`. The weights are the same in
            both layouts.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor with the shape of `x`.

    Example:

    ```python
    layer = keras_gen.layers.AdaptiveInstanceNormalization()
    y = layer([keras.random.normal((2, 8, 8, 16)), keras.random.normal((2, 64))])
    ```

    Reference:
        Huang & Belongie, ICCV 2017; Karras et al., "A Style-Based Generator
        Architecture for Generative Adversarial Networks", CVPR 2019.
    """

    def __init__(self, epsilon=1e-8, kernel_initializer=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.data_format = resolve_data_format(data_format)
        if kernel_initializer is None:
            kernel_initializer = keras.initializers.VarianceScaling(
                1.0, "fan_in", "untruncated_normal"
            )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(
                "AdaptiveInstanceNormalization is called as layer([x, style]). "
                f"Received input shape {input_shape}"
            )
        x_shape, style_shape = input_shape
        channels_first = self.data_format == "channels_first"
        if len(x_shape) != 4 or len(style_shape) != 2:
            layout = ("(batch, channels, height, width)" if channels_first
                      else "(batch, height, width, channels)")
            raise ValueError(
                f"Expected {self.data_format} x of shape {layout} and style "
                f"of shape (batch, style_dim). Received {x_shape} and {style_shape}"
            )
        channels = x_shape[1] if channels_first else x_shape[-1]
        self.scale_dense = keras.layers.Dense(
            channels, kernel_initializer=self.kernel_initializer, name="scale"
        )
        self.bias_dense = keras.layers.Dense(
            channels, kernel_initializer=self.kernel_initializer, name="bias"
        )
        self.scale_dense.build(style_shape)
        self.bias_dense.build(style_shape)

    def call(self, inputs):
        x, style = inputs
        scale = 1.0 + self.scale_dense(style)
        bias = self.bias_dense(style)
        return adaptive_instance_normalization(x, scale, bias, self.epsilon, self.data_format)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {
            **super().get_config(),
            "epsilon": self.epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "data_format": self.data_format,
        }
