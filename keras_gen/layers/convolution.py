"""Conv2D and Conv2DTranspose: Keras's layers, without layout copies on the torch backend."""

import keras
from keras import ops


def _torch_fast_path(layer, inputs):
    """Whether `layer` can hand torch a permuted view of channels-last `inputs`."""
    return (keras.backend.backend() == "torch" and layer.data_format == "channels_last"
            and len(inputs.shape) == 4 and layer.quantization_mode is None
            and getattr(layer, "lora_enabled", False) is False)


def _torch_bias_and_activation(layer, outputs):
    """Keras's bias add and activation on torch's NCHW-shaped `outputs`; returns NHWC."""
    if layer.use_bias:
        outputs = outputs + ops.convert_to_tensor(layer.bias).reshape(1, -1, 1, 1)
    outputs = outputs.permute(0, 2, 3, 1)  # a contiguous NHWC tensor: torch wrote channels-last
    if layer.activation is not None:
        return layer.activation(outputs)
    return outputs


def same_padding(size, kernel_size, stride, dilation):
    """Keras's (TensorFlow's) `"same"` padding of one axis: `(before, after)`."""
    output = -(-size // stride)
    total = max((output - 1) * stride + (kernel_size - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


@keras.saving.register_keras_serializable(package="keras_gen")
class Conv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` with the same arguments, weights, config and outputs.

    On the TensorFlow and JAX backends it is Keras's layer. On the torch
    backend with channels-last inputs, Keras copies every input to NCHW and
    then back to channels-last memory before calling torch's convolution;
    this layer hands torch the permuted view instead (torch's channels-last
    kernels read it as it is), pads only when Keras's `"same"` padding is
    asymmetric, and adds the bias to torch's output before the one
    permutation back. Grouped, strided and dilated convolutions take the
    same path; quantized and LoRA-enabled layers use Keras's code. Outputs
    and gradients match Keras's layer to float32 rounding (tested on every
    backend).

    Measured on the 28x28 DCGAN of `benchmarks/dcgan_throughput.py` (torch
    backend, one CPU thread, interleaved runs, `benchmarks/layer_speed.py`):
    a training step 1.05-1.08x as fast as with `keras.layers.Conv2D`; with
    `keras_gen.layers.BatchNormalization` too, 1.11-1.12x as fast as
    Keras's layers and 0.95x a plain PyTorch loop. keras_gen's network builders
    use it.

    Example:

    ```python
    x = keras_gen.layers.Conv2D(64, 4, strides=2, padding="same")(x)
    ```
    """

    def call(self, inputs):
        if not _torch_fast_path(self, inputs):
            return super().call(inputs)
        import torch.nn.functional as F

        x = ops.convert_to_tensor(inputs).permute(0, 3, 1, 2)
        kernel = ops.convert_to_tensor(self.kernel).permute(3, 2, 0, 1)  # (out, in / groups, h, w)
        padding = 0
        if self.padding == "same":
            pads = [same_padding(x.shape[2 + axis], self.kernel_size[axis], self.strides[axis],
                                 self.dilation_rate[axis]) for axis in range(2)]
            if all(before == after for before, after in pads):
                padding = [before for before, _ in pads]
            else:
                (top, bottom), (left, right) = pads
                x = F.pad(x, (left, right, top, bottom))
        outputs = F.conv2d(x, kernel, stride=self.strides, padding=padding,
                           dilation=self.dilation_rate, groups=self.groups)
        return _torch_bias_and_activation(self, outputs)


@keras.saving.register_keras_serializable(package="keras_gen")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose` with the same arguments, weights, config and outputs.

    On the TensorFlow and JAX backends it is Keras's layer. On the torch
    backend, Keras computes the full transposed convolution and then crops
    it to Keras's output window (with a copy of a channels-last input to
    NCHW first); this layer passes the crop to torch as `padding=` and
    `output_padding=`, so torch computes only the window Keras keeps, from
    the permuted view of the input. Crops torch cannot express that way use
    Keras's code, as do quantized layers. Outputs and gradients match
    Keras's layer to float32 rounding (tested on every backend). With it,
    stride-2 transposed upsampling is the torch backend's fastest for the
    28x28 DCGAN (`benchmarks/README.md`). keras_gen's network builders use it.

    Example:

    ```python
    x = keras_gen.layers.Conv2DTranspose(64, 4, strides=2, padding="same")(x)
    ```
    """

    def call(self, inputs):
        padding = self._torch_padding(inputs) if _torch_fast_path(self, inputs) else None
        if padding is None:
            return super().call(inputs)
        import torch.nn.functional as F

        x = ops.convert_to_tensor(inputs).permute(0, 3, 1, 2)
        kernel = ops.convert_to_tensor(self.kernel).permute(3, 2, 0, 1)  # (in, out, h, w)
        outputs = F.conv_transpose2d(x, kernel, stride=self.strides, padding=padding[0],
                                     output_padding=padding[1], dilation=self.dilation_rate)
        return _torch_bias_and_activation(self, outputs)

    def _torch_padding(self, inputs):
        """`(padding, output_padding)` giving Keras's output window, or None if torch cannot."""
        from keras.src.backend.common.backend_utils import (
            compute_conv_transpose_output_crops_for_torch,
        )

        crops = compute_conv_transpose_output_crops_for_torch(
            input_shape=inputs.shape, kernel_shape=self.kernel.shape, strides=self.strides,
            padding=self.padding, output_padding=self.output_padding,
            dilation_rate=self.dilation_rate)
        # torch crops `padding` on both sides and then adds `output_padding` on
        # the right, which must stay below the stride or the dilation.
        extra = [before - after for before, after in crops]
        limits = [max(s, d) for s, d in zip(self.strides, self.dilation_rate)]
        if any(after < 0 or not 0 <= e < limit for (_, after), e, limit in zip(crops, extra, limits)):
            return None
        return [before for before, _ in crops], extra
