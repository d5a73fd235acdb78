"""Differentiable augmentation for data-efficient GAN training (DiffAugment)."""

import keras
from keras import ops

from keras_gen.distributed.seeds import ReplicaSeedGenerator
from keras_gen.layers.depth_to_space import resolve_data_format

_POLICIES = ("color", "translation", "cutout")


@keras.saving.register_keras_serializable(package="keras_gen")
class DiffAugment(keras.layers.Layer):
    """Random, differentiable augmentations applied to real and fake images alike.

    Every operation is built from `keras.ops` and `keras.random`, so gradients
    flow back to the input on every backend, and the randomness comes from a
    `keras.random.SeedGenerator`, so each call (also inside a jitted step)
    draws new parameters, independently per sample. The GAN applies the
    layer to both the real and the generated batch, in the discriminator and
    the generator updates.

    Policies (comma-separated, applied in this order):

    - `color`: brightness `x + U(-0.5, 0.5)`, saturation (scale the deviation
      from the channel mean by `U(0, 2)`), contrast (scale the deviation from
      the image mean by `U(0.5, 1.5)`). Assumes images in [-1, 1].
    - `translation`: integer shift by up to `translation_ratio` of the size in
      each direction (paper: 1/8), zero padding.
    - `cutout`: zero a square of `cutout_ratio` of the size (paper: 1/2) at a
      random position (it may be cropped by the border).

    With `training=False` the layer is the identity; called on its own it
    defaults to `training=True`.

    Args:
        policy: comma-separated subset of `"color,translation,cutout"`
            (paper default for unconditional models: all three).
        translation_ratio: maximal shift as a fraction of the image size.
        cutout_ratio: side of the cut-out square as a fraction of the size.
        seed: int seed for the SeedGenerator, or `None`.
        data_format: `"channels_last"` (images `(batch, height, width,
            channels)`) or `"channels_first"` (`(batch, channels, height,
            width)`); None follows `keras.config.image_data_format()`. The
            same seed draws the same augmentation in both layouts
            (channels-first images are augmented channels-last, between two
            transposes). A `GAN` given a policy string picks the layout of
            its discriminator.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        Images with the input's shape.

    Example:

    ```python
    augment = keras_gen.layers.DiffAugment("color,translation,cutout", seed=0)
    images = augment(keras.random.uniform((8, 32, 32, 3), -1, 1))
    ```

    Reference:
        Zhao, Liu, Lin, Zhu & Han, "Differentiable Augmentation for
        Data-Efficient GAN Training", NeurIPS 2020.
    """

    def __init__(
        self,
        policy="color,translation,cutout",
        translation_ratio=0.125,
        cutout_ratio=0.5,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.data_format = resolve_data_format(data_format)
        names = [name.strip() for name in policy.split(",") if name.strip()]
        unknown = [name for name in names if name not in _POLICIES]
        if unknown:
            raise ValueError(
                f"Unknown DiffAugment policy {unknown}; use a comma-separated "
                f"subset of {','.join(_POLICIES)}. Received: policy={policy!r}"
            )
        ratios = {"translation_ratio": translation_ratio, "cutout_ratio": cutout_ratio}
        for name, ratio in ratios.items():
            if not 0.0 <= ratio <= 1.0:
                raise ValueError(f"`{name}` must be in [0, 1]. Received: {ratio}")
        self.policy = ",".join(names)
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 4 or None in tuple(input_shape[1:]):
            layout = ("(batch, channels, height, width)" if self.data_format == "channels_first"
                      else "(batch, height, width, channels)")
            raise ValueError(
                f"DiffAugment expects images {layout} with known height, width and channels "
                f"(data_format={self.data_format!r}). Received {input_shape}"
            )

    def _uniform(self, batch, dtype, low=0.0, high=1.0):
        return keras.random.uniform(
            (batch, 1, 1, 1), low, high, dtype=dtype, seed=self.seed_generator
        )

    def _randint(self, batch, low, high):
        return keras.random.randint(
            (batch,), low, high, dtype="int32", seed=self.seed_generator
        )

    def _color(self, x, batch):
        x = x + self._uniform(batch, x.dtype, -0.5, 0.5)
        mean = ops.mean(x, axis=3, keepdims=True)
        x = (x - mean) * self._uniform(batch, x.dtype, 0.0, 2.0) + mean
        mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
        return (x - mean) * self._uniform(batch, x.dtype, 0.5, 1.5) + mean

    @staticmethod
    def _shift_matrices(size, shift, dtype):
        # (batch, size, size) with m[b, i, j] = 1 where j == i + shift[b]:
        # output row i reads input row i + shift, zero where that is outside.
        rows = ops.arange(size, dtype="int32")[None, :, None]
        cols = ops.arange(size, dtype="int32")[None, None, :]
        return ops.cast(ops.equal(cols, rows + shift[:, None, None]), dtype)

    def _translation(self, x, batch):
        height, width = x.shape[1], x.shape[2]
        shift_h = int(height * self.translation_ratio + 0.5)
        shift_w = int(width * self.translation_ratio + 0.5)
        rows = self._shift_matrices(height, self._randint(batch, -shift_h, shift_h + 1), x.dtype)
        cols = self._shift_matrices(width, self._randint(batch, -shift_w, shift_w + 1), x.dtype)
        x = ops.einsum("bij,bjwc->biwc", rows, x)
        return ops.einsum("bkw,bhwc->bhkc", cols, x)

    def _cutout(self, x, batch):
        height, width = x.shape[1], x.shape[2]
        size_h = int(height * self.cutout_ratio + 0.5)
        size_w = int(width * self.cutout_ratio + 0.5)
        # Centre positions as in the reference code, so squares can hang over the border.
        top = self._randint(batch, 0, height + (1 - size_h % 2)) - size_h // 2
        left = self._randint(batch, 0, width + (1 - size_w % 2)) - size_w // 2
        rows = ops.arange(height, dtype="int32")[None, :]
        cols = ops.arange(width, dtype="int32")[None, :]
        inside_h = ops.logical_and(rows >= top[:, None], rows < top[:, None] + size_h)
        inside_w = ops.logical_and(cols >= left[:, None], cols < left[:, None] + size_w)
        inside = ops.logical_and(inside_h[:, :, None], inside_w[:, None, :])
        mask = 1.0 - ops.cast(inside, x.dtype)
        return x * mask[..., None]

    def call(self, inputs, training=True):
        if not training:
            return inputs
        batch = ops.shape(inputs)[0]
        channels_first = self.data_format == "channels_first"
        x = ops.transpose(inputs, (0, 2, 3, 1)) if channels_first else inputs
        for name in self.policy.split(","):
            if name:
                x = getattr(self, f"_{name}")(x, batch)
        return ops.transpose(x, (0, 3, 1, 2)) if channels_first else x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "policy": self.policy,
            "translation_ratio": self.translation_ratio,
            "cutout_ratio": self.cutout_ratio,
            "seed": self.seed,
            "data_format": self.data_format,
        }
