"""BicycleGAN's networks (Zhu et al., 2017): a U-Net generator fed a latent code at every level, and a ResNet encoder.

Generator (the reference code's `G_Unet_add_all`, `where_add="all"`): the
pix2pix U-Net (`keras_gen.networks.unet_generator`, built from the same
`keras_gen.networks.unet` blocks) whose every encoder
block sees the latent code `z`, tiled over the block's input and
concatenated to it on channels, so that the code reaches every scale. The
skip connections carry the encoder features without `z`. Encoder blocks are
4x4 stride-2 convolutions with filters `base_filters * 2**level` capped at
`8 * base_filters`, normalization on all but the first and the innermost,
LeakyReLU(0.2); decoder blocks double the size, normalize, ReLU and
concatenate the skip; the output is tanh. The reference code applies the
inner blocks' LeakyReLU to the tiled code as well (it activates after the
concatenation); here the code enters each convolution as drawn.

Encoder (the reference code's `E_ResNet`): a 4x4 stride-2 convolution, then
residual blocks `conv3x3(lrelu(norm(conv3x3(lrelu(norm(x)))))) -> avg-pool 2`
plus a shortcut `avg-pool 2 -> conv1x1`, filters `base_filters * min(4, k)`
into block `k` and `base_filters * min(4, k + 1)` out of it, a LeakyReLU,
global average pooling and two linear heads: the mean and the
log-variance of the Gaussian `q(z | B)`.

Both builders take `data_format`: with `"channels_first"` the images are
`(channels, height, width)` and the weights the same as channels-last.
"""

import math

import keras

from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.networks.blocks import batch_norm
from keras_gen.networks.blocks import channel_axis
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import check_image_shape
from keras_gen.networks.blocks import check_upsampling
from keras_gen.networks.blocks import instance_norm
from keras_gen.networks.blocks import is_power_of_two
from keras_gen.networks.blocks import normal_init
from keras_gen.networks.blocks import positive_int
from keras_gen.networks.unet import unet_down_block
from keras_gen.networks.unet import unet_filters
from keras_gen.networks.unet import unet_output_block
from keras_gen.networks.unet import unet_up_block

NORMS = ("instance", "batch", None)


def _check_norm(norm):
    if norm not in NORMS:
        raise ValueError(f"`norm` must be one of {NORMS}; received {norm!r}.")
    return {"instance": instance_norm, "batch": batch_norm, None: None}[norm]


def _check_halvings(value, name, input_shape, extra=0):
    """`value` as an int >= 1 such that `2**(value + extra)` divides the height and width.

    `input_shape` is channels-last; `extra` counts the halvings the network
    makes besides the `value` ones.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be an int >= 1; received {value!r}.")
    height, width = input_shape[:2]
    step = 2 ** (value + extra)
    if height % step or width % step:
        raise ValueError(
            f"With `{name}`={value} the network halves the image {value + extra} times, so "
            f"its height and width must be multiples of {step}; received "
            f"input_shape={tuple(input_shape)!r}. Use a smaller `{name}` or resize the "
            "images (e.g. to sides that are powers of two)."
        )
    return value


def bicyclegan_generator(
    input_shape=(256, 256, 3),
    latent_dim=8,
    output_channels=None,
    base_filters=64,
    num_downsamples=None,
    norm="instance",
    upsampling="resize",
    dropout=0.0,
    name="bicyclegan_generator",
    data_format=None,
):
    """Builds BicycleGAN's generator: a U-Net with the latent code added at every encoder level.

    See the module docstring for the layers. The code `z` is reshaped to
    `(1, 1, latent_dim)`, tiled to each encoder block's input size
    (`down{level}_tile_z`) and concatenated to that input
    (`down{level}_add_z`). Kernels are drawn from N(0, 0.02). The output
    convolution and tanh compute in float32 under a mixed policy.

    Args:
        input_shape: `(height, width, channels)` of the input image A (256x256
            in the paper).
        latent_dim: size of the latent code (8 in the paper).
        output_channels: channels of the output image B (None: as the input).
        base_filters: filters of the first encoder block (64 in the paper).
        num_downsamples: encoder depth; default `log2(min(height, width))`
            (down to a 1x1 bottleneck, 8 for 256x256, which needs sides that
            are powers of two); any depth whose `2**num_downsamples` divides
            the height and width.
        norm: `"instance"` (the reference code's default), `"batch"` or None.
        upsampling: `"resize"` (default: nearest-neighbour resize + 3x3
            convolution, fast on every backend), `"subpixel"` or
            `"transpose"` (4x4 stride-2 transposed convolution, the reference
            code's `upsample="basic"`).
        dropout: dropout rate of the three innermost decoder blocks (0: the
            reference code trains without dropout).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `input_shape` and the images are `(channels, height, width)`, and
            the code is tiled to `(latent_dim, h, w)`); None follows
            `keras.config.image_data_format()`. The weights are the same in
            both layouts.

    Returns:
        A functional `keras.Model` taking `[image, z]`, image
        `(batch, height, width, channels)` in [-1, 1] and z
        `(batch, latent_dim)`, and returning `(batch, height, width,
        output_channels)` in [-1, 1] (tanh).

    Example:

    >>> generator = keras_gen.networks.bicyclegan_generator((32, 32, 1), latent_dim=8,
    ...                                                      base_filters=8)
    >>> generator([np.zeros((2, 32, 32, 1)), np.zeros((2, 8))]).shape
    (2, 32, 32, 1)

    Reference:
        Zhu et al., "Toward Multimodal Image-to-Image Translation", NeurIPS
        2017 (https://arxiv.org/abs/1711.11586), Sec. 3.5 and appendix.
    """
    data_format = resolve_data_format(data_format)
    first = data_format == "channels_first"
    input_shape = check_image_shape(input_shape, "input_shape")
    height, width, channels = channels_last_shape(input_shape, data_format)
    latent_dim = positive_int(latent_dim, "latent_dim")
    output_channels = channels if output_channels is None else positive_int(output_channels, "output_channels")
    base_filters = positive_int(base_filters, "base_filters")
    make_norm = _check_norm(norm)
    check_upsampling(upsampling)
    if not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be in [0, 1); received {dropout!r}.")
    if num_downsamples is None and not (is_power_of_two(height) and is_power_of_two(width)):
        raise ValueError(
            f"input_shape={tuple(input_shape)!r}: pass `num_downsamples` such that "
            "2**num_downsamples divides the height and width, or resize the images to "
            "sides that are powers of two (the default goes down to a 1x1 bottleneck)."
        )
    if num_downsamples is None:
        num_downsamples = int(math.log2(min(height, width)))
    num_downsamples = _check_halvings(
        num_downsamples, "num_downsamples", (height, width, channels))

    image = keras.Input(shape=input_shape, name="input_image")
    z = keras.Input(shape=(latent_dim,), name="latent_code")
    z_map = keras.layers.Reshape((latent_dim, 1, 1) if first else (1, 1, latent_dim),
                                 name="latent_map")(z)
    x = image
    skips = []
    for level in range(num_downsamples):
        innermost = level == num_downsamples - 1
        use_norm = make_norm is not None and 0 < level and not innermost
        x = unet_down_block(
            x, unet_filters(base_filters, level), level,
            norm=make_norm if use_norm else None, use_bias=not (use_norm and norm == "batch"),
            z_map=z_map, data_format=data_format,
        )
        skips.append(x)

    skips = skips[:-1]
    for index, skip in enumerate(reversed(skips)):
        level = len(skips) - 1 - index
        x = unet_up_block(
            x, skip, unet_filters(base_filters, level), level, upsampling,
            norm=make_norm, use_bias=norm != "batch", dropout=dropout if index < 3 else 0.0,
            data_format=data_format,
        )

    outputs = unet_output_block(x, output_channels, upsampling, data_format)
    return check_channels_first_offsets(keras.Model([image, z], outputs, name=name))


def bicyclegan_encoder(
    input_shape=(256, 256, 3),
    latent_dim=8,
    base_filters=64,
    num_blocks=None,
    norm="instance",
    name="bicyclegan_encoder",
    data_format=None,
):
    """Builds BicycleGAN's ResNet encoder: an image B to the Gaussian `q(z | B)`.

    See the module docstring for the layers. Kernels are drawn from
    N(0, 0.02); the two heads (`mean`, `log_var`) compute in float32 under
    a mixed policy.

    Args:
        input_shape: `(height, width, channels)` of the images B.
        latent_dim: size of the latent code (8 in the paper).
        base_filters: filters of the first convolution (64 in the paper).
        num_blocks: residual blocks, each halving the size; default
            `max(1, floor(log2(min(height, width))) - 4)`, which leaves an 8x8
            map before the global pooling as the reference code (4 blocks
            for 256x256, its `resnet_256`; 3 for 128x128). The height and
            width must be multiples of `2**(num_blocks + 1)`.
        norm: `"instance"` (the reference code's default), `"batch"` or None.
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `input_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts.

    Returns:
        A functional `keras.Model` mapping `(batch, height, width, channels)`
        to `[mean, log_var]`, each `(batch, latent_dim)` float32.

    Example:

    >>> encoder = keras_gen.networks.bicyclegan_encoder((32, 32, 1), latent_dim=8,
    ...                                                  base_filters=8)
    >>> mean, log_var = encoder(np.zeros((2, 32, 32, 1)))
    >>> mean.shape, log_var.shape
    ((2, 8), (2, 8))

    Reference:
        Zhu et al., "Toward Multimodal Image-to-Image Translation", NeurIPS
        2017 (https://arxiv.org/abs/1711.11586), Sec. 3.5 and appendix.
    """
    data_format = resolve_data_format(data_format)
    input_shape = check_image_shape(input_shape, "input_shape")
    height, width, channels = channels_last_shape(input_shape, data_format)
    latent_dim = positive_int(latent_dim, "latent_dim")
    base_filters = positive_int(base_filters, "base_filters")
    make_norm = _check_norm(norm)
    if num_blocks is None:
        num_blocks = max(1, int(math.log2(min(height, width))) - 4)
    # The first convolution halves the size once more than the blocks.
    num_blocks = _check_halvings(num_blocks, "num_blocks", (height, width, channels), extra=1)
    axis = channel_axis(data_format)

    def conv(filters, kernel_size, name, strides=1):
        return Conv2D(
            filters, kernel_size, strides=strides, padding="same",
            kernel_initializer=normal_init(), name=name, data_format=data_format,
        )

    def pool(name):
        return keras.layers.AveragePooling2D(2, name=name, data_format=data_format)

    image = keras.Input(shape=input_shape, name="input_image")
    x = conv(base_filters, 4, "stem_conv", strides=2)(image)
    for block in range(1, num_blocks + 1):
        filters_in = base_filters * min(4, block)
        filters_out = base_filters * min(4, block + 1)
        prefix = f"block{block}"
        h = x
        if make_norm is not None:
            h = make_norm(f"{prefix}_norm1", axis)(h)
        h = keras.layers.LeakyReLU(0.2, name=f"{prefix}_lrelu1")(h)
        h = conv(filters_in, 3, f"{prefix}_conv1")(h)
        if make_norm is not None:
            h = make_norm(f"{prefix}_norm2", axis)(h)
        h = keras.layers.LeakyReLU(0.2, name=f"{prefix}_lrelu2")(h)
        h = conv(filters_out, 3, f"{prefix}_conv2")(h)
        h = pool(f"{prefix}_pool")(h)
        shortcut = pool(f"{prefix}_shortcut_pool")(x)
        shortcut = conv(filters_out, 1, f"{prefix}_shortcut_conv")(shortcut)
        x = keras.layers.Add(name=f"{prefix}_add")([h, shortcut])
    x = keras.layers.LeakyReLU(0.2, name="output_lrelu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool", data_format=data_format)(x)
    mean = keras.layers.Dense(
        latent_dim, kernel_initializer=normal_init(), dtype="float32", name="mean"
    )(x)
    log_var = keras.layers.Dense(
        latent_dim, kernel_initializer=normal_init(), dtype="float32", name="log_var"
    )(x)
    return check_channels_first_offsets(keras.Model(image, [mean, log_var], name=name))
