"""The multi-scale PatchGAN discriminator of pix2pixHD (Wang et al., 2018), used by SPADE and MUNIT.

`num_scales` PatchGANs with the same architecture and their own weights:
scale 0 scores the image itself, scale `k` the image average-pooled `k`
times (3x3 windows, stride 2, a one-pixel border that is not counted in the
average, as pix2pixHD), so the coarsest scale has the largest receptive
field relative to the image and the finest one judges detail. Each scale is
`keras_gen.networks.patchgan.patchgan_layers` (the PatchGAN of
`patchgan_discriminator`, layers prefixed `scale{k}_`).
"""

import keras
from keras import ops

from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import check_image_shape
from keras_gen.networks.blocks import positive_int
from keras_gen.networks.patchgan import min_input_size
from keras_gen.networks.patchgan import check_patchgan_arguments
from keras_gen.networks.patchgan import patchgan_inputs
from keras_gen.networks.patchgan import patchgan_layers


@keras.saving.register_keras_serializable(package="keras_gen")
class PaddedAveragePooling2D(keras.layers.Layer):
    """Average pooling over a zero border of `pool_size // 2` pixels that is not counted.

    Each output is the mean of the input pixels inside its window, ignoring
    the border (PyTorch's `AvgPool2d(padding=pool_size // 2,
    count_include_pad=False)`, what pix2pixHD downsamples with). With the
    defaults, a side `n` becomes `ceil(n / 2)`. Written with `keras.ops` so
    every backend gives the same numbers: `keras.layers.AveragePooling2D(
    padding="same")` pads asymmetrically and, on PyTorch, counts replicated
    border pixels.

    Args:
        pool_size: window side (3).
        strides: stride (2).
        data_format: `"channels_last"` or `"channels_first"` (maps `(batch,
            channels, h, w)`); None follows `keras.config.image_data_format()`.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `(batch, floor((h + 2 p - pool_size) / strides) + 1, ..., channels)`
        with `p = pool_size // 2`.

    Example:

    ```python
    layer = keras_gen.networks.multiscale_patchgan.PaddedAveragePooling2D()
    y = layer(keras.random.normal((2, 9, 8, 3)))  # (2, 5, 4, 3)
    ```

    Reference:
        Wang et al., "High-Resolution Image Synthesis and Semantic
        Manipulation with Conditional GANs", CVPR 2018
        (https://arxiv.org/abs/1711.11585).
    """

    def __init__(self, pool_size=3, strides=2, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = positive_int(pool_size, "pool_size")
        self.strides = positive_int(strides, "strides")
        self.data_format = resolve_data_format(data_format)

    @property
    def _spatial_axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def build(self, input_shape):
        if len(input_shape) != 4:
            layout = ("(batch, channels, height, width)" if self.data_format == "channels_first"
                      else "(batch, height, width, channels)")
            raise ValueError(
                f"PaddedAveragePooling2D expects {layout}; received shape {tuple(input_shape)}."
            )
        self.built = True

    def _pool(self, x):
        border = self.pool_size // 2
        pad_width = [(border, border) if axis in self._spatial_axes else (0, 0) for axis in range(4)]
        x = ops.pad(x, pad_width)
        return ops.average_pool(x, self.pool_size, self.strides, padding="valid",
                                data_format=self.data_format)

    def call(self, inputs):
        inputs = ops.cast(inputs, self.compute_dtype)
        one_channel = inputs[:1, :1] if self.data_format == "channels_first" else inputs[:1, :, :, :1]
        counts = self._pool(ops.ones_like(one_channel))
        return self._pool(inputs) / counts

    def compute_output_shape(self, input_shape):
        border = self.pool_size // 2

        def side(n):
            return None if n is None else (n + 2 * border - self.pool_size) // self.strides + 1

        return tuple(side(d) if axis in self._spatial_axes else d for axis, d in enumerate(input_shape))

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "data_format": self.data_format}


def multiscale_input_sides(side, num_scales):
    """The side that each scale of the discriminator sees: `ceil(side / 2**k)` for scale `k`.

    Args:
        side: the image height or width.
        num_scales: number of scales.

    Returns:
        A list of `num_scales` ints, finest first.

    Example:

    >>> keras_gen.networks.multiscale_input_sides(256, 3)
    [256, 128, 64]
    """
    sides = [int(side)]
    for _ in range(num_scales - 1):
        sides.append((sides[-1] + 1) // 2)
    return sides


def multiscale_patchgan_discriminator(
    input_shape=(256, 256, 3),
    target_shape=None,
    num_scales=3,
    base_filters=64,
    num_layers=3,
    norm="instance",
    spectral_norm=False,
    return_features=True,
    name="multiscale_patchgan_discriminator",
    data_format=None,
):
    """Builds pix2pixHD's multi-scale PatchGAN discriminator.

    Scale `k` (0 = the image itself) is a PatchGAN (the layers of
    `keras_gen.networks.patchgan_discriminator`, named `scale{k}_conv0`,
    ..., `scale{k}_patch_logits`) on the image average-pooled `k` times by
    `PaddedAveragePooling2D` (3x3, stride 2, layers `downsample{k}`), so it
    sees `ceil(H / 2**k) x ceil(W / 2**k)` pixels
    (`keras_gen.networks.multiscale_input_sides`). Its logit map has side
    `floor(s / 2**num_layers) - 2` for an input side `s`.

    Output structure (a nested Python list; `model(x)` returns the same):

    - `return_features=True`: `[scale_0, ..., scale_{num_scales-1}]`, each
      `scale_k = [feature_0, ..., feature_{num_layers}, logits]`: the
      LeakyReLU output of each of the `num_layers + 1` hidden convolutions
      (the features of pix2pixHD's feature-matching loss), then the logits
      `(batch, h_k, w_k, 1)`; `num_layers + 2` tensors per scale.
    - `return_features=False`: `[logits_0, ..., logits_{num_scales-1}]`.

    Logits are float32 under a mixed policy; features are in the compute
    dtype.

    Args:
        input_shape: `(height, width, channels)` of the image to score.
        target_shape: `None`, or the shape of a second input concatenated
            with the image on channels before anything else (the conditional
            discriminators of pix2pixHD and SPADE: `[label_map, image]`).
        num_scales: number of discriminators (pix2pixHD and MUNIT: 3;
            SPADE: 2).
        base_filters: filters of each scale's first convolution (64).
        num_layers: stride-2 convolutions per scale (3).
        norm: `"instance"` (pix2pixHD, SPADE), `"batch"` or `None` (MUNIT).
        spectral_norm: wrap every convolution in
            `keras_gen.layers.SpectralNormalization` (SPADE: True).
        return_features: also return every intermediate feature map.
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then the
            shapes, features and logits `(batch, 1, h_k, w_k)` are
            channels-first); None follows `keras.config.image_data_format()`.
            The weights are the same in both layouts.

    Returns:
        A functional `keras.Model` with the outputs described above.

    Example:

    >>> discriminator = keras_gen.networks.multiscale_patchgan_discriminator(
    ...     (64, 64, 3), num_scales=2, base_filters=8, num_layers=2)
    >>> outputs = discriminator(np.zeros((1, 64, 64, 3)))
    >>> [len(scale) for scale in outputs], outputs[1][-1].shape
    ([4, 4], (1, 6, 6, 1))

    Reference:
        Wang et al., "High-Resolution Image Synthesis and Semantic
        Manipulation with Conditional GANs", CVPR 2018, section 3.2
        (https://arxiv.org/abs/1711.11585); Park et al., "Semantic Image
        Synthesis with Spatially-Adaptive Normalization", CVPR 2019;
        Huang et al., "Multimodal Unsupervised Image-to-Image Translation",
        ECCV 2018.
    """
    data_format = resolve_data_format(data_format)
    height, width, _ = channels_last_shape(check_image_shape(input_shape, "input_shape"), data_format)
    num_scales = positive_int(num_scales, "num_scales")
    check_patchgan_arguments(num_layers, norm)
    min_size = min_input_size(num_layers)
    coarsest = (
        multiscale_input_sides(height, num_scales)[-1],
        multiscale_input_sides(width, num_scales)[-1],
    )
    if min(coarsest) < min_size:
        raise ValueError(
            f"With num_scales={num_scales} the coarsest scale sees "
            f"{coarsest[0]}x{coarsest[1]} pixels of input_shape={tuple(input_shape)!r}, "
            f"but a PatchGAN with num_layers={num_layers} needs at least "
            f"{min_size}x{min_size}. Use fewer scales, fewer layers or larger images."
        )

    inputs, x = patchgan_inputs(input_shape, target_shape, data_format)
    outputs = []
    for scale in range(num_scales):
        if scale > 0:
            x = PaddedAveragePooling2D(name=f"downsample{scale}", data_format=data_format)(x)
        scale_outputs = patchgan_layers(
            x, base_filters, num_layers, norm, prefix=f"scale{scale}_", spectral_norm=spectral_norm,
            data_format=data_format,
        )
        outputs.append(scale_outputs if return_features else scale_outputs[-1])
    return check_channels_first_offsets(keras.Model(inputs, outputs, name=name))
