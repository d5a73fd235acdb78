"""`LearnedConstant`: a learned input tensor repeated over the batch (StyleGAN's synthesis input)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class LearnedConstant(keras.layers.Layer):
    """A learned tensor (StyleGAN's 4x4x512 input), repeated over the batch of its input.

    Initialised from N(0, 1), as in StyleGAN2.

    Args:
        shape: shape of the constant without the batch axis.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor `(batch,) + shape`, batch taken from the input.

    Example:

    ```python
    const = keras_gen.layers.LearnedConstant((4, 4, 64))
    x = const(keras.random.normal((2, 8, 128)))  # (2, 4, 4, 64)
    ```
    """

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.shape = tuple(int(d) for d in shape)

    def build(self, input_shape):
        # StyleGAN2's N(0, 1) rather than StyleGAN's ones: an instance-normalized
        # constant of ones is spatially flat until the noise weights grow.
        self.constant = self.add_weight(
            shape=self.shape,
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="constant",
        )

    def call(self, inputs):
        batch = ops.shape(inputs)[0]
        return ops.broadcast_to(ops.cast(self.constant, self.compute_dtype), (batch,) + self.shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.shape

    def get_config(self):
        return {**super().get_config(), "shape": self.shape}
