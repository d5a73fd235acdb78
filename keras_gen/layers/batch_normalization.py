"""BatchNormalization: Keras's layer, with one fused kernel per call on the torch backend."""

import keras
from keras import ops

_FUSED_DTYPES = ("float32", "float16", "bfloat16")


@keras.saving.register_keras_serializable(package="keras_gen")
class BatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` with the same arguments, weights, config and numbers.

    On the TensorFlow and JAX backends it is Keras's layer. On the torch
    backend, Keras composes batch normalization from a dozen element-wise
    operations, each one a Python dispatch and a pass over the data; this
    layer calls torch's fused batch-norm kernel instead (one pass forward,
    one backward), for inputs of rank 2 or 4 normalized over their channel
    axis, without a mask, renormalization or synchronized statistics (other
    calls use Keras's code, so `keras_gen.distributed.sync_batch_norm`
    works as with Keras's layer). It keeps Keras's conventions: statistics in
    float32 under a mixed policy, the biased batch variance both for
    normalizing and for the moving variance, and `moving = momentum *
    moving + (1 - momentum) * batch`. Outputs and moving statistics match
    Keras's layer to float32 rounding (tested on every backend).

    Measured on the 28x28 DCGAN of `benchmarks/dcgan_throughput.py` (torch
    backend, one CPU thread, interleaved runs, `benchmarks/layer_speed.py`):
    a training step 1.03-1.04x as fast as with `keras.layers.BatchNormalization`.
    keras_gen's network builders use it (`keras_gen.networks.blocks.batch_norm`).

    Example:

    ```python
    x = keras_gen.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(x)
    ```
    """

    def call(self, inputs, training=None, mask=None):
        if self._fusable(inputs, mask):
            return self._torch_fused_call(inputs, training)
        return super().call(inputs, training=training, mask=mask)

    def _fusable(self, inputs, mask):
        if keras.backend.backend() != "torch" or mask is not None or self.renorm or self.synchronized:
            return False
        if "_moments" in vars(self):
            # `keras_gen.distributed.sync_batch_norm` replaced this layer's
            # moments with global-batch ones; only Keras's code path calls them.
            return False
        if getattr(inputs, "device", None) is None or inputs.device.type == "meta":
            return False  # symbolic shape inference
        rank = len(inputs.shape)
        if rank not in (2, 4) or keras.backend.standardize_dtype(inputs.dtype) not in _FUSED_DTYPES:
            return False
        axis = self.axis % rank
        return axis == rank - 1 or axis == 1

    def _torch_fused_call(self, inputs, training):
        import torch

        x = ops.cast(inputs, "float32")  # as Keras: statistics in float32
        move = len(x.shape) == 4 and self.axis % 4 == 3
        if move:
            x = x.movedim(-1, 1)  # a view; torch's kernels read channels-last strides
        gamma = ops.cast(self.gamma, "float32") if self.scale else None
        beta = ops.cast(self.beta, "float32") if self.center else None
        if training and self.trainable:
            y, mean, inverse_std = torch.native_batch_norm(
                x, gamma, beta, None, None, True, 0.0, self.epsilon)
            with torch.no_grad():
                variance = inverse_std.pow(-2) - self.epsilon  # the biased batch variance
                momentum = self.momentum
                self.moving_mean.assign(self.moving_mean.value * momentum + mean * (1.0 - momentum))
                self.moving_variance.assign(
                    self.moving_variance.value * momentum + variance * (1.0 - momentum))
        else:
            y = torch.nn.functional.batch_norm(
                x, self.moving_mean.value, self.moving_variance.value, gamma, beta, False, 0.0,
                self.epsilon)
        if move:
            y = y.movedim(1, -1)
        return ops.cast(y, self.compute_dtype)
