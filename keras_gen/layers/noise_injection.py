"""Per-pixel noise inputs with learned per-channel strength (StyleGAN)."""

import keras
from keras import ops

from keras_gen.distributed.seeds import ReplicaSeedGenerator
from keras_gen.layers.depth_to_space import resolve_data_format


@keras.saving.register_keras_serializable(package="keras_gen")
class NoiseInjection(keras.layers.Layer):
    """Adds single-channel Gaussian noise scaled by a learned per-channel weight.

    `y = x + weight[c] * noise[b, h, w]`, with `weight` initialised at 0 so
    the layer starts as the identity. The noise is one map per sample,
    broadcast over channels, as in StyleGAN.

    Noise sources, in order of precedence:

    - `noise` passed to `call` (shape `(batch, height, width, 1)`, or
      `(batch, 1, height, width)` channels-first), for deterministic
      generation;
    - `randomize_noise=False`: a fixed map stored in the layer (drawn once
      from `seed`, saved with the weights), StyleGAN's "constant noise";
    - otherwise fresh noise from a `keras.random.SeedGenerator` on every call,
      which also advances inside a jitted JAX step.

    The weights, the fixed map and the noise drawn from a seed are the same
    in both layouts (the map is stored and drawn `(1, height, width, 1)` and
    moved to the channel axis), so a channels-first twin of a layer adds
    the same noise, transposed.

    Args:
        randomize_noise: draw new noise on every call (default) or use the
            stored fixed map.
        seed: int seed for the noise generator / fixed map, or `None`.
        data_format: `"channels_last"` or `"channels_first"` (inputs
            `(batch, channels, height, width)`); None follows
            `keras.config.image_data_format()`.
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

    def __init__(self, randomize_noise=True, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.randomize_noise = bool(randomize_noise)
        self.seed = seed
        self.data_format = resolve_data_format(data_format)
        self.seed_generator = ReplicaSeedGenerator(seed)

    @property
    def _channels_first(self):
        return self.data_format == "channels_first"

    def _height_width_channels(self, input_shape):
        if len(input_shape) != 4:
            layout = ("(batch, channels, height, width)" if self._channels_first
                      else "(batch, height, width, channels)")
            raise ValueError(
                f"NoiseInjection expects {self.data_format} images {layout}."
                f" Received input shape {input_shape}"
            )
        if self._channels_first:
            return input_shape[2], input_shape[3], input_shape[1]
        return input_shape[1], input_shape[2], input_shape[3]

    def build(self, input_shape):
        height, width, channels = self._height_width_channels(input_shape)
        self.weight = self.add_weight(shape=(channels,), initializer="zeros", name="weight")
        self.fixed_noise = None
        if not self.randomize_noise:
            if height is None or width is None:
                raise ValueError(
                    "randomize_noise=False needs a known height and width to "
                    f"store the noise map. Received input shape {input_shape}"
                )
            self.fixed_noise = self.add_weight(
                shape=(1, height, width, 1),
                initializer=keras.initializers.RandomNormal(seed=self.seed),
                trainable=False,
                name="fixed_noise",
            )

    def _stored_or_fresh_noise(self, inputs):
        if self.fixed_noise is not None:
            noise = self.fixed_noise
        else:
            height, width, _ = self._height_width_channels(ops.shape(inputs))
            noise = keras.random.normal(
                (ops.shape(inputs)[0], height, width, 1),
                dtype=self.compute_dtype,
                seed=self.seed_generator,
            )
        # Stored and drawn channels-last in both layouts: the same numbers from the same seed.
        return ops.transpose(noise, (0, 3, 1, 2)) if self._channels_first else noise

    def call(self, inputs, noise=None):
        if noise is None:
            noise = self._stored_or_fresh_noise(inputs)
        noise = ops.cast(noise, inputs.dtype)
        weight = ops.cast(self.weight, inputs.dtype)
        if self._channels_first:
            weight = ops.reshape(weight, (-1, 1, 1))
        return inputs + weight * noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "randomize_noise": self.randomize_noise,
            "seed": self.seed,
            "data_format": self.data_format,
        }
