"""Per-pixel noise inputs with learned per-channel strength (StyleGAN)."""

import keras
from keras import ops

from keras_gen.distributed.seeds import ReplicaSeedGenerator


@keras.saving.register_keras_serializable(package="keras_gen")
class NoiseInjection(keras.layers.Layer):
    """Adds single-channel Gaussian noise scaled by a learned per-channel weight.

    `y = x + weight[c] * noise[b, h, w]`, with `weight` initialised at 0 so
    the layer starts as the identity. The noise is one map per sample,
    broadcast over channels, as in StyleGAN.

    Noise sources, in order of precedence:

    - `noise` passed to `call` (shape `(batch, height, width, 1)`), for
      deterministic generation;
    - `randomize_noise=False`: a fixed map stored in the layer (drawn once
      from `seed`, saved with the weights), StyleGAN's "constant noise";
    - otherwise fresh noise from a `keras.random.SeedGenerator` on every call,
      which also advances inside a jitted JAX step.

    Args:
        randomize_noise: draw new noise on every call (default) or use the
            stored fixed map.
        seed: int seed for the noise generator / fixed map, or `None`.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor with the input's shape.

    Example:

    ```python
    layer = keras_gen.layers.NoiseInjection(seed=1)
    y = layer(keras.random.normal((2, 8, 8, 16)))
    y_fixed = layer(keras.random.normal((2, 8, 8, 16)),
                    noise=keras.ops.zeros((2, 8, 8, 1)))
    ```

    Reference:
        Karras et al., "A Style-Based Generator Architecture for Generative
        Adversarial Networks", CVPR 2019 (section 3.2).
    """

    def __init__(self, randomize_noise=True, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.randomize_noise = bool(randomize_noise)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                "NoiseInjection expects images (batch, height, width, channels)."
                f" Received input shape {input_shape}"
            )
        self.weight = self.add_weight(
            shape=(input_shape[-1],), initializer="zeros", name="weight"
        )
        self.fixed_noise = None
        if not self.randomize_noise:
            if input_shape[1] is None or input_shape[2] is None:
                raise ValueError(
                    "randomize_noise=False needs a known height and width to "
                    f"store the noise map. Received input shape {input_shape}"
                )
            self.fixed_noise = self.add_weight(
                shape=(1, input_shape[1], input_shape[2], 1),
                initializer=keras.initializers.RandomNormal(seed=self.seed),
                trainable=False,
                name="fixed_noise",
            )

    def call(self, inputs, noise=None):
        if noise is None:
            if self.fixed_noise is not None:
                noise = self.fixed_noise
            else:
                shape = ops.shape(inputs)
                noise = keras.random.normal(
                    (shape[0], shape[1], shape[2], 1),
                    dtype=self.compute_dtype,
                    seed=self.seed_generator,
                )
        noise = ops.cast(noise, inputs.dtype)
        return inputs + ops.cast(self.weight, inputs.dtype) * noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "randomize_noise": self.randomize_noise,
            "seed": self.seed,
        }
