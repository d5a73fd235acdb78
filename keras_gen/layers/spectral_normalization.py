"""Spectral normalization as a reparameterization, W / sigma(W), on every backend."""

import keras
from keras import ops


def _l2_normalize(x, epsilon=1e-12):
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x)), epsilon))


@keras.saving.register_keras_serializable(package="keras_gen")
class SpectralNormalization(keras.layers.Wrapper):
    """Divides a layer's kernel by its largest singular value on every call.

    The wrapped layer computes with `W / sigma(W)`, where `sigma` is estimated
    by power iteration (one step per training call, the vector `u` carried
    between calls as a non-trainable weight). The stored kernel is never
    overwritten: gradients flow through `sigma` to `W`, as in the paper.

    This differs from `keras.layers.SpectralNormalization`, which assigns
    `W / sigma` back into the kernel during training: the gradient then skips
    `sigma`, and under PyTorch a discriminator called twice in one loss (on
    real and on fake images) fails with an in-place modification error. The
    keras_gen networks use this layer.

    Args:
        layer: a `keras.layers.Layer` with a `kernel` (Dense, Conv) or
            `embeddings` (Embedding) weight; output channels last.
        power_iterations: power-iteration steps per training call (paper: 1).
        **kwargs: base layer arguments (e.g. `name`).

    Example:

    ```python
    layer = keras_gen.layers.SpectralNormalization(keras.layers.Dense(64))
    y = layer(keras.random.normal((8, 32)), training=True)
    ```

    Reference:
        Miyato, Kataoka, Koyama & Yoshida, "Spectral Normalization for
        Generative Adversarial Networks", ICLR 2018 (algorithm 1).
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if int(power_iterations) != power_iterations or power_iterations < 1:
            raise ValueError(
                f"`power_iterations` must be a positive integer (paper: 1); "
                f"received {power_iterations!r}."
            )
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"SpectralNormalization wraps layers with a `kernel` or `embeddings` "
                f"weight (Dense, Conv, Embedding); {type(self.layer).__name__} has neither."
            )
        self._kernel_index = next(
            i for i, v in enumerate(self.layer.trainable_variables) if v is kernel
        )
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            initializer=keras.initializers.TruncatedNormal(stddev=1.0),
            trainable=False,
            name="vector_u",
        )
        self.built = True

    def _kernel(self):
        return self.layer.trainable_variables[self._kernel_index]

    def normalized_kernel(self, training=False):
        """`W / sigma(W)`; with `training=True`, also advances the power iteration."""
        kernel = self._kernel()
        weights = ops.reshape(kernel.value, (-1, kernel.shape[-1]))
        u = ops.cast(self.vector_u.value, weights.dtype)
        w = ops.stop_gradient(weights)
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(w)))
            u = _l2_normalize(ops.matmul(v, w))
        u = ops.stop_gradient(u)
        v = ops.stop_gradient(v)
        sigma = ops.sum(ops.matmul(v, weights) * u)
        if training:
            self.vector_u.assign(ops.cast(u, self.vector_u.dtype))
        return kernel.value / sigma

    def call(self, inputs, training=False):
        values = [v.value for v in self.layer.trainable_variables]
        values[self._kernel_index] = self.normalized_kernel(training=bool(training))
        outputs, _ = self.layer.stateless_call(
            values, [v.value for v in self.layer.non_trainable_variables], inputs
        )
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # keras.layers.Wrapper.from_config pops "layer" from the dict it is given.
        return super().from_config(dict(config), custom_objects=custom_objects)
