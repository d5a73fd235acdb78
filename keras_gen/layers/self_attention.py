"""Self-attention over image positions (SAGAN)."""

import keras
from keras import ops

from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.spectral_normalization import SpectralNormalization


@keras.saving.register_keras_serializable(package="keras_gen")
class SelfAttention2D(keras.layers.Layer):
    """SAGAN self-attention block: `y = x + gamma * o`, with `gamma` learned from 0.

    With `x` of shape `(batch, H, W, C)`, three 1x1 convolutions give keys
    `f(x)` and queries `g(x)` with `C // key_channels_ratio` channels and
    values `h(x)` with `C // value_channels_ratio` channels. Every position
    `j` attends over all positions `i`: `beta[j, i] = softmax_i(f(x_i) . g(x_j))`,
    `o_j = v(sum_i beta[j, i] h(x_i))` where `v` is a 1x1 convolution back to
    `C` channels. `gamma` is a learned scalar initialised at 0, so the block
    starts as the identity.

    The paper uses `key_channels_ratio=8` and values with `C // 8` channels;
    the official implementation (and BigGAN) uses values with `C // 2`
    channels and max-pools keys and values by 2, which cuts the attention
    cost by 4: set `value_channels_ratio=2, pool_keys_values=True` for that.

    With `data_format="channels_first"` the input is `(batch, C, H, W)`; the
    positions are taken in the same (row-major) order and the 1x1 kernels
    have the same shapes, so the layer computes the same numbers, transposed,
    from the same weights.

    Args:
        key_channels_ratio: channel reduction for keys and queries (paper: 8).
        value_channels_ratio: channel reduction for values (paper: 8, official
            code: 2).
        pool_keys_values: 2x2 max-pool keys and values (official code: True);
            needs even height and width.
        use_spectral_norm: wrap the 1x1 convolutions in
            `keras_gen.layers.SpectralNormalization` (SAGAN does, in G and D).
        kernel_initializer: initializer of the 1x1 convolutions.
        data_format: `"channels_last"` or `"channels_first"`; None (default)
            follows `keras.config.image_data_format()`. A saved config
            without it (from before the argument existed) loads channels-last.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor with the input's shape.

    Example:

    ```python
    layer = keras_gen.layers.SelfAttention2D()
    y = layer(keras.random.normal((2, 16, 16, 64)))  # (2, 16, 16, 64)
    ```

    Reference:
        Zhang, Goodfellow, Metaxas & Odena, "Self-Attention Generative
        Adversarial Networks", ICML 2019 (section 3).
    """

    def __init__(
        self,
        key_channels_ratio=8,
        value_channels_ratio=8,
        pool_keys_values=False,
        use_spectral_norm=False,
        kernel_initializer="glorot_uniform",
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(key_channels_ratio) < 1 or int(value_channels_ratio) < 1:
            raise ValueError(
                "`key_channels_ratio` and `value_channels_ratio` must be positive "
                f"integers. Received: {key_channels_ratio}, {value_channels_ratio}"
            )
        self.key_channels_ratio = int(key_channels_ratio)
        self.value_channels_ratio = int(value_channels_ratio)
        self.pool_keys_values = bool(pool_keys_values)
        self.use_spectral_norm = bool(use_spectral_norm)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.data_format = resolve_data_format(data_format)

    @property
    def _channels_first(self):
        return self.data_format == "channels_first"

    def _conv(self, filters, name):
        conv = Conv2D(
            filters,
            1,
            use_bias=False,
            kernel_initializer=self.kernel_initializer,
            data_format=self.data_format,
            dtype=self.dtype_policy,
            name=name,
        )
        if self.use_spectral_norm:
            return SpectralNormalization(conv, dtype=self.dtype_policy, name=f"{name}_sn")
        return conv

    def _spatial_and_channels(self, shape):
        """`(height, width, channels)` of a 4-D shape in the layer's layout."""
        if self._channels_first:
            return shape[2], shape[3], shape[1]
        return shape[1], shape[2], shape[3]

    def _with_channels(self, shape, channels):
        """`shape` (4-D, in the layer's layout) with `channels` on the channel axis."""
        if self._channels_first:
            return (shape[0], channels) + tuple(shape[2:])
        return tuple(shape[:3]) + (channels,)

    def build(self, input_shape):
        if len(input_shape) != 4 or self._spatial_and_channels(input_shape)[2] is None:
            layout = ("(batch, channels, height, width)" if self._channels_first
                      else "(batch, height, width, channels)")
            raise ValueError(
                f"SelfAttention2D ({self.data_format}) expects images {layout} with known "
                f"channels. Received input shape {input_shape}"
            )
        height, width, channels = self._spatial_and_channels(input_shape)
        if self.pool_keys_values and (height is None or width is None or height % 2 or width % 2):
            raise ValueError(
                "pool_keys_values=True needs an even, known height and width. "
                f"Received input shape {input_shape}; use pool_keys_values=False."
            )
        key_channels = max(1, channels // self.key_channels_ratio)
        value_channels = max(1, channels // self.value_channels_ratio)
        self.query_conv = self._conv(key_channels, "query")  # g in the paper
        self.key_conv = self._conv(key_channels, "key")  # f
        self.value_conv = self._conv(value_channels, "value")  # h
        self.output_conv = self._conv(channels, "output")  # v
        for conv in (self.query_conv, self.key_conv, self.value_conv):
            conv.build(input_shape)
        self.output_conv.build(self._with_channels(input_shape, value_channels))
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def _positions(self, x, batch):
        """A map as `(batch, height * width, channels)`, positions in row-major order."""
        if self._channels_first:
            return ops.transpose(ops.reshape(x, (batch, x.shape[1], -1)), (0, 2, 1))
        return ops.reshape(x, (batch, -1, x.shape[-1]))

    def _map(self, x, batch, height, width):
        """`(batch, height * width, channels)` back to a map in the layer's layout."""
        if self._channels_first:
            return ops.reshape(ops.transpose(x, (0, 2, 1)), (batch, x.shape[-1], height, width))
        return ops.reshape(x, (batch, height, width, x.shape[-1]))

    def call(self, inputs, training=None):
        shape = ops.shape(inputs)
        spatial_axes = (2, 3) if self._channels_first else (1, 2)
        height, width = (inputs.shape[axis] for axis in spatial_axes)
        height = shape[spatial_axes[0]] if height is None else height
        width = shape[spatial_axes[1]] if width is None else width

        def conv(layer, x):
            if self.use_spectral_norm:
                return layer(x, training=training)
            return layer(x)

        query = conv(self.query_conv, inputs)
        key = conv(self.key_conv, inputs)
        value = conv(self.value_conv, inputs)
        if self.pool_keys_values:
            key = ops.max_pool(key, 2, 2, data_format=self.data_format)
            value = ops.max_pool(value, 2, 2, data_format=self.data_format)
        batch = shape[0]
        query = self._positions(query, batch)
        key = self._positions(key, batch)
        value = self._positions(value, batch)

        # The softmax runs in float32 even under mixed precision.
        scores = ops.matmul(
            ops.cast(query, "float32"), ops.transpose(ops.cast(key, "float32"), (0, 2, 1))
        )
        attention = ops.cast(ops.softmax(scores, axis=-1), value.dtype)
        attended = self._map(ops.matmul(attention, value), batch, height, width)
        output = conv(self.output_conv, attended)
        return inputs + ops.cast(self.gamma, inputs.dtype) * output

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "key_channels_ratio": self.key_channels_ratio,
            "value_channels_ratio": self.value_channels_ratio,
            "pool_keys_values": self.pool_keys_values,
            "use_spectral_norm": self.use_spectral_norm,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "data_format": self.data_format,
        }

    @classmethod
    def from_config(cls, config):
        # Configs saved before the layer took `data_format` are channels-last, whatever
        # `keras.config.image_data_format()` says now.
        return super().from_config({"data_format": "channels_last", **config})
