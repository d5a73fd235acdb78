"""`LearnedConstant`: a learned input tensor repeated over the batch (StyleGAN's synthesis input)."""

import keras
from keras import ops

from keras_gen.layers.depth_to_space import resolve_data_format


@keras.saving.register_keras_serializable(package="keras_gen")
class LearnedConstant(keras.layers.Layer):
    """A learned tensor (StyleGAN's 4x4x512 input), repeated over the batch of its input.

    Initialised from N(0, 1), as in StyleGAN2.

    Args:
        shape: shape of the constant without the batch axis; a 3-D shape is
            an image map in `data_format`'s layout (`(height, width,
            channels)` or `(channels, height, width)`).
        data_format: `"channels_last"` or `"channels_first"`, the layout of
            a 3-D `shape` (other shapes are not maps and ignore it); None
            follows `keras.config.image_data_format()`. The weight is stored
            `(height, width, channels)` in both layouts, so it is the same.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor `(batch,) + shape`, batch taken from the input.

    Example:

    ```python
    const = keras_gen.layers.LearnedConstant((4, 4, 64))
    x = const(keras.random.normal((2, 8, 128)))  # (2, 4, 4, 64)
    const = keras_gen.layers.LearnedConstant((64, 4, 4), data_format="channels_first")
    x = const(keras.random.normal((2, 8, 128)))  # (2, 64, 4, 4)
    ```
    """

    def __init__(self, shape, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.shape = tuple(int(d) for d in shape)
        self.data_format = resolve_data_format(data_format)

    @property
    def _channels_first_map(self):
        return self.data_format == "channels_first" and len(self.shape) == 3

    def build(self, input_shape):
        stored_shape = self.shape
        if self._channels_first_map:
            channels, height, width = self.shape
            stored_shape = (height, width, channels)
        # StyleGAN2's N(0, 1) rather than StyleGAN's ones: an instance-normalized
        # constant of ones is spatially flat until the noise weights grow.
        self.constant = self.add_weight(
            shape=stored_shape,
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="constant",
        )

    def call(self, inputs):
        batch = ops.shape(inputs)[0]
        constant = ops.cast(self.constant, self.compute_dtype)
        if self._channels_first_map:
            constant = ops.transpose(constant, (2, 0, 1))
        return ops.broadcast_to(constant, (batch,) + self.shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.shape

    def get_config(self):
        return {**super().get_config(), "shape": self.shape, "data_format": self.data_format}
