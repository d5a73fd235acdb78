"""Minibatch standard deviation feature maps (ProGAN / StyleGAN discriminators)."""

import keras
from keras import ops

from keras_gen.layers.depth_to_space import resolve_data_format


@keras.saving.register_keras_serializable(package="keras_gen")
class MinibatchStandardDeviation(keras.layers.Layer):
    """Appends the average standard deviation over sample groups as extra channels.

    The batch is split into groups of `G = min(group_size, batch)` samples
    (sample `i` belongs to group `i % (batch // G)`, as in the official code).
    Channels are split into `num_features` slices. For each group and slice
    the standard deviation over the group is averaged over positions and
    channels, and the result is appended as a constant feature map to every
    sample of the group. It lets the discriminator see how varied a batch
    is, which discourages mode collapse.

    Args:
        group_size: samples per group (paper: 4). The batch must be divisible
            by `min(group_size, batch)`.
        num_features: number of appended feature maps (ProGAN/StyleGAN: 1);
            the channel count must be divisible by it.
        epsilon: added to the variance before the square root (paper: 1e-8).
        data_format: `"channels_last"` or `"channels_first"` (inputs
            `(batch, channels, height, width)`, the maps appended on axis 1);
            None follows `keras.config.image_data_format()`. The statistics
            are the same in both layouts.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor of shape `(batch, height, width, channels + num_features)`
        (`(batch, channels + num_features, height, width)` channels-first).

    Example:

    ```python
    layer = keras_gen.layers.MinibatchStandardDeviation(group_size=4)
    y = layer(keras.random.normal((8, 4, 4, 32)))  # (8, 4, 4, 33)
    ```

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality,
        Stability, and Variation", ICLR 2018 (section 3).
    """

    def __init__(self, group_size=4, num_features=1, epsilon=1e-8, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if int(group_size) < 1 or int(num_features) < 1:
            raise ValueError(
                "`group_size` and `num_features` must be positive integers. "
                f"Received: group_size={group_size}, num_features={num_features}"
            )
        self.group_size = int(group_size)
        self.num_features = int(num_features)
        self.epsilon = float(epsilon)
        self.data_format = resolve_data_format(data_format)

    @property
    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def build(self, input_shape):
        if len(input_shape) != 4:
            layout = ("(batch, channels, height, width)" if self._channel_axis == 1
                      else "(batch, height, width, channels)")
            raise ValueError(
                f"MinibatchStandardDeviation expects {self.data_format} images {layout}. "
                f"Received input shape {input_shape}"
            )
        channels = input_shape[self._channel_axis]
        if channels is not None and channels % self.num_features:
            raise ValueError(
                f"The channel count ({channels}) must be divisible by "
                f"num_features ({self.num_features}); pick a num_features "
                "that divides it."
            )

    def call(self, inputs):
        batch = inputs.shape[0]
        if batch is None:
            batch = ops.shape(inputs)[0]
            group = ops.minimum(self.group_size, batch)
        else:
            group = min(self.group_size, batch)
            if batch % group:
                raise ValueError(
                    f"MinibatchStandardDeviation needs the batch size ({batch}) "
                    f"to be divisible by the group size ({group}). Use a batch "
                    "size that is a multiple of group_size (e.g. "
                    "`drop_remainder=True` in the input pipeline) or change "
                    "group_size."
                )
        stats = ops.cast(self._group_statistics(ops.cast(inputs, "float32"), group), inputs.dtype)
        if self._channel_axis == 1:
            maps = ops.reshape(stats, (-1, self.num_features, 1, 1)) * ops.ones_like(inputs[:, :1])
        else:
            maps = ops.reshape(stats, (-1, 1, 1, self.num_features)) * ops.ones_like(inputs[..., :1])
        return ops.concatenate([inputs, maps], axis=self._channel_axis)

    def _group_statistics(self, x, group):
        """`(batch, num_features)`: each sample's group's standard deviation, averaged per slice."""
        n = self.num_features
        # (group, batch // group, ...) with the channels split into n slices; group members are strided.
        if self._channel_axis == 1:
            channels, height, width = x.shape[1], x.shape[2], x.shape[3]
            y = ops.reshape(x, (group, -1, n, channels // n, height, width))
            averaged_axes = (2, 3, 4)
        else:
            height, width, channels = x.shape[1], x.shape[2], x.shape[3]
            y = ops.reshape(x, (group, -1, height, width, n, channels // n))
            averaged_axes = (1, 2, 4)
        y = y - ops.mean(y, axis=0, keepdims=True)
        y = ops.sqrt(ops.mean(ops.square(y), axis=0) + self.epsilon)
        y = ops.mean(y, axis=averaged_axes)  # (batch // group, n)
        return ops.tile(y, (group, 1))  # sample b gets the stats of group b % M

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        channels = shape[self._channel_axis]
        shape[self._channel_axis] = None if channels is None else channels + self.num_features
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "group_size": self.group_size,
            "num_features": self.num_features,
            "epsilon": self.epsilon,
            "data_format": self.data_format,
        }
