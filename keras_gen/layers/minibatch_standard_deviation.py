"""Minibatch standard deviation feature maps (ProGAN / StyleGAN discriminators)."""

import keras
from keras import ops


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
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor of shape `(batch, height, width, channels + num_features)`.

    Example:

    ```python
    layer = keras_gen.layers.MinibatchStandardDeviation(group_size=4)
    y = layer(keras.random.normal((8, 4, 4, 32)))  # (8, 4, 4, 33)
    ```

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality,
        Stability, and Variation", ICLR 2018 (section 3).
    """

    def __init__(self, group_size=4, num_features=1, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        if int(group_size) < 1 or int(num_features) < 1:
            raise ValueError(
                "`group_size` and `num_features` must be positive integers. "
                f"Received: group_size={group_size}, num_features={num_features}"
            )
        self.group_size = int(group_size)
        self.num_features = int(num_features)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                "MinibatchStandardDeviation expects images (batch, height, "
                f"width, channels). Received input shape {input_shape}"
            )
        channels = input_shape[-1]
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
        height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3]
        n = self.num_features
        x = ops.cast(inputs, "float32")
        # (group, batch // group, H, W, n, C // n); group members are strided.
        y = ops.reshape(x, (group, -1, height, width, n, channels // n))
        y = y - ops.mean(y, axis=0, keepdims=True)
        y = ops.sqrt(ops.mean(ops.square(y), axis=0) + self.epsilon)
        y = ops.mean(y, axis=(1, 2, 4))  # (batch // group, n)
        y = ops.tile(y, (group, 1))  # sample b gets the stats of group b % M
        y = ops.cast(y, inputs.dtype)
        y = ops.reshape(y, (-1, 1, 1, n)) * ops.ones_like(inputs[..., :1])
        return ops.concatenate([inputs, y], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        channels = None if channels is None else channels + self.num_features
        return tuple(input_shape[:-1]) + (channels,)

    def get_config(self):
        return {
            **super().get_config(),
            "group_size": self.group_size,
            "num_features": self.num_features,
            "epsilon": self.epsilon,
        }
