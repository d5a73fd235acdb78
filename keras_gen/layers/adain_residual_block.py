"""The residual block with adaptive instance normalization of the MUNIT decoder."""

import keras
from keras import ops

from keras_gen.layers.adaptive_instance_normalization import adaptive_instance_normalization
from keras_gen.layers.adaptive_instance_normalization import instance_normalize
from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format

PADDINGS = ("reflect", "zero")


@keras.saving.register_keras_serializable(package="keras_gen")
class AdaINResBlock(keras.layers.Layer):
    """Residual block whose two instance normalizations take their scale and bias from a style.

    Called as `block([x, style_params])`, with `x` `(batch, H, W, C)`
    (channels-first: `(batch, C, H, W)`) and `style_params` `(batch, 4 * C)`:

        h = relu(AdaIN(conv3x3(x), scale_1, bias_1))
        y = x + AdaIN(conv3x3(h), scale_2, bias_2)

    where `AdaIN(z, s, b) = s * (z - mean(z)) / std(z) + b`, statistics per
    sample and channel over `H, W` (`keras_gen.layers.adaptive_instance_normalization`),
    and `style_params` is the concatenation `[scale_1, bias_1, scale_2,
    bias_2]`, `C` values each. The scale is used as given (MUNIT's
    `AdaIN(z, gamma, beta) = gamma * normalized(z) + beta`), not as `1 + scale`.

    The block holds only its two convolutions. In MUNIT one MLP maps the
    style code to the AdaIN parameters of every block of the decoder; the
    block takes its slice of that output instead of owning a Dense head, so
    the decoder keeps the paper's single MLP and the block stays a plain
    residual block. Size the MLP with `AdaINResBlock.num_style_params(C)`
    per block. The convolutions have no bias: the instance normalization
    after each removes it.

    Args:
        padding: `"reflect"` (reflection padding, as the image-to-image
            ResNet generators) or `"zero"` ("same" zero padding).
        epsilon: added to the variance (1e-5, PyTorch's instance norm).
        kernel_initializer: initializer of the convolution kernels.
        data_format: `"channels_last"` or `"channels_first"` (the layout of
            `x`); None follows `keras.config.image_data_format()`. The
            weights and `style_params` are the same in both layouts.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor with the shape of `x`, in the compute dtype.

    Example:

    ```python
    block = keras_gen.layers.AdaINResBlock()
    n = keras_gen.layers.AdaINResBlock.num_style_params(16)  # 64
    style_params = keras.layers.Dense(n)(keras.random.normal((2, 8)))
    y = block([keras.random.normal((2, 8, 8, 16)), style_params])
    ```

    Reference:
        Huang, Liu, Belongie & Kautz, "Multimodal Unsupervised
        Image-to-Image Translation", ECCV 2018 (the decoder of the implementation details,
        https://arxiv.org/abs/1804.04732); Huang & Belongie, "Arbitrary
        Style Transfer in Real-time with Adaptive Instance Normalization",
        ICCV 2017.
    """

    def __init__(self, padding="reflect", epsilon=1e-5, kernel_initializer="glorot_uniform",
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        if padding not in PADDINGS:
            raise ValueError(f"`padding` must be one of {PADDINGS}; received {padding!r}.")
        self.padding = padding
        self.epsilon = float(epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.data_format = resolve_data_format(data_format)

    @property
    def _channels_first(self):
        return self.data_format == "channels_first"

    @staticmethod
    def num_style_params(channels):
        """Width of `style_params` for a block on `channels` channels: `4 * channels`."""
        return 4 * int(channels)

    def build(self, input_shape):
        if (
            not isinstance(input_shape, (list, tuple))
            or len(input_shape) != 2
            or not all(isinstance(s, (list, tuple)) for s in input_shape)
        ):
            raise ValueError(
                "AdaINResBlock is called as layer([x, style_params]). "
                f"Received input shape {input_shape}."
            )
        x_shape, params_shape = (tuple(s) for s in input_shape)
        if len(x_shape) != 4 or len(params_shape) != 2:
            layout = ("(batch, channels, height, width)" if self._channels_first
                      else "(batch, height, width, channels)")
            raise ValueError(
                f"AdaINResBlock expects x of shape {layout} and "
                f"style_params of shape (batch, 4 * channels); received {x_shape} and "
                f"{params_shape}."
            )
        channels = x_shape[1] if self._channels_first else x_shape[-1]
        expected = self.num_style_params(channels)
        if params_shape[-1] != expected:
            raise ValueError(
                f"AdaINResBlock on {channels} channels needs style_params of width "
                f"AdaINResBlock.num_style_params({channels}) = {expected} "
                "([scale_1, bias_1, scale_2, bias_2], one value per channel each); "
                f"received width {params_shape[-1]}. Size the style MLP's output "
                "accordingly."
            )
        padding = "valid" if self.padding == "reflect" else "same"
        self.conv_0 = self._conv(channels, padding, "conv_0")
        self.conv_1 = self._conv(channels, padding, "conv_1")
        padded = x_shape
        if self.padding == "reflect":
            padded = tuple(d + 2 if axis in self._spatial_axes and d is not None else d
                           for axis, d in enumerate(x_shape))
        self.conv_0.build(padded)
        self.conv_1.build(padded)
        self.built = True

    def _conv(self, channels, padding, name):
        return Conv2D(
            channels,
            3,
            padding=padding,
            use_bias=False,
            kernel_initializer=keras.initializers.get(
                keras.initializers.serialize(self.kernel_initializer)
            ),
            dtype=self.dtype_policy,
            data_format=self.data_format,
            name=name,
        )

    @property
    def _spatial_axes(self):
        return (2, 3) if self._channels_first else (1, 2)

    def _conv_padded(self, conv, x):
        if self.padding == "reflect":
            pad_width = [(1, 1) if axis in self._spatial_axes else (0, 0) for axis in range(4)]
            x = ops.pad(x, pad_width, mode="reflect")
        return conv(x)

    def _adain(self, x, scale, bias):
        if not self._channels_first:
            return adaptive_instance_normalization(x, scale, bias, self.epsilon)
        normalized = instance_normalize(x, self.epsilon, self.data_format)
        # The (batch, C, 1, 1) bias first: Keras's TensorFlow `add` reads a bias-like
        # second operand (batch 1) as channels-last when the map is as wide as it has channels.
        return bias[:, :, None, None] + normalized * scale[:, :, None, None]

    def call(self, inputs):
        x, style_params = inputs
        x = ops.cast(x, self.compute_dtype)
        style_params = ops.cast(style_params, self.compute_dtype)
        scale_0, bias_0, scale_1, bias_1 = ops.split(style_params, 4, axis=-1)
        h = self._conv_padded(self.conv_0, x)
        h = ops.relu(self._adain(h, scale_0, bias_0))
        h = self._conv_padded(self.conv_1, h)
        h = self._adain(h, scale_1, bias_1)
        return x + h

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {
            **super().get_config(),
            "padding": self.padding,
            "epsilon": self.epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "data_format": self.data_format,
        }
