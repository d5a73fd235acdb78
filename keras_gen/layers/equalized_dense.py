"""`EqualizedDense`: a dense layer with equalized learning rate (ProGAN / StyleGAN)."""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class EqualizedDense(keras.layers.Layer):
    """Dense layer with equalized learning rate and a learning-rate multiplier.

    Weights are stored as N(0, 1/lr_multiplier) and scaled at run time by
    `gain * lr_multiplier / sqrt(fan_in)`; the bias is scaled by
    `lr_multiplier`. The effective learning rate of this layer is thus
    `lr_multiplier` times the optimizer's (StyleGAN: 0.01 in the mapping
    network), independent of the fan-in.

    Args:
        units: output size.
        lr_multiplier: learning-rate multiplier (StyleGAN mapping: 0.01).
        gain: He gain (StyleGAN: sqrt(2) before a leaky ReLU).
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor `(..., units)`.

    Example:

    ```python
    layer = keras_gen.layers.EqualizedDense(64, lr_multiplier=0.01)
    y = layer(keras.random.normal((2, 32)))
    ```

    Reference:
        Karras et al., "Progressive Growing of GANs", ICLR 2018 (section 4.1);
        Karras et al., CVPR 2019 (appendix C).
    """

    def __init__(self, units, lr_multiplier=1.0, gain=math.sqrt(2.0), **kwargs):
        super().__init__(**kwargs)
        if lr_multiplier <= 0:
            raise ValueError(f"`lr_multiplier` must be > 0. Received: {lr_multiplier}")
        self.units = int(units)
        self.lr_multiplier = float(lr_multiplier)
        self.gain = float(gain)

    def build(self, input_shape):
        fan_in = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier),
            name="kernel",
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.scale = self.gain * self.lr_multiplier / math.sqrt(fan_in)

    def call(self, inputs):
        kernel = ops.cast(self.kernel, inputs.dtype) * self.scale
        bias = ops.cast(self.bias, inputs.dtype) * self.lr_multiplier
        return ops.matmul(inputs, kernel) + bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "lr_multiplier": self.lr_multiplier,
            "gain": self.gain,
        }
