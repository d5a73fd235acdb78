"""The pix2pix U-Net generator (Isola et al., 2017).

Encoder: `num_downsamples` blocks of 4x4 stride-2 convolution, BatchNorm (not
on the first block, nor on the innermost one, as in the authors' code: a 1x1
bottleneck normalised over a batch of one would be constant) and
LeakyReLU(0.2); filters `base_filters * 2**i` capped at `8 * base_filters`
(C64-C128-C256-C512-C512-...). Decoder: mirror blocks that double the size,
BatchNorm, Dropout(0.5) on the three innermost ones, ReLU, then concatenate
the encoder output of the same size (the skip connection); a last upsampling
to `output_channels` with tanh. For 256x256 this is the paper's
C64-C128-C256-C512-C512-C512-C512-C512 /
CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128 (channel counts after
concatenation).

The blocks (`unet_down_block`, `unet_up_block`, `unet_output_block`) are
shared with `keras_gen.networks.bicyclegan_generator`, which adds its latent
code to every encoder block.
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
from keras_gen.networks.blocks import is_power_of_two
from keras_gen.networks.blocks import normal_init
from keras_gen.networks.blocks import upsample_conv


def unet_filters(base_filters, level):
    """Filters of the U-Net blocks at `level`: `base_filters * 2**level`, capped at `8 * base_filters`."""
    return base_filters * min(2**level, 8)


def unet_down_block(x, filters, level, norm=None, norm_name="norm", use_bias=True, z_map=None,
                    data_format=None):
    """One U-Net encoder block: 4x4 stride-2 convolution, optional normalization, LeakyReLU(0.2).

    Shared by `unet_generator` and `keras_gen.networks.bicyclegan_generator`;
    the layer names (`down{level}_conv`, `down{level}_{norm_name}`,
    `down{level}_lrelu`, and with `z_map` `down{level}_tile_z` and
    `down{level}_add_z`) are part of both builders' weights files.

    Args:
        x: the block's input, a `(batch, h, w, c)` Keras tensor.
        filters: filters of the convolution.
        level: the block's depth (0 for the first), used in the layer names.
        norm: a normalization layer factory taking the layer name (e.g.
            `keras_gen.networks.blocks.batch_norm`), or None for none.
        norm_name: suffix of the normalization layer's name.
        use_bias: whether the convolution has a bias.
        z_map: optional latent code reshaped to `(batch, 1, 1, latent_dim)`
            (channels-first: `(batch, latent_dim, 1, 1)`); it is tiled to
            `(h, w)` and concatenated to `x` on channels before the
            convolution (BicycleGAN's `add_all`).
        data_format: layout of `x` (None: `keras.config.image_data_format()`);
            `norm` is then called with the channel axis as well as the name.

    Returns:
        The block's output, `(batch, h / 2, w / 2, filters)`.
    """
    data_format = resolve_data_format(data_format)
    axis = channel_axis(data_format)
    if z_map is not None:
        height_axis = 2 if data_format == "channels_first" else 1
        side = (int(x.shape[height_axis]), int(x.shape[height_axis + 1]))
        tiled = keras.layers.UpSampling2D(side, name=f"down{level}_tile_z", data_format=data_format)(
            z_map)
        x = keras.layers.Concatenate(axis=axis, name=f"down{level}_add_z")([x, tiled])
    x = Conv2D(
        filters,
        4,
        strides=2,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=normal_init(),
        name=f"down{level}_conv",
        data_format=data_format,
    )(x)
    if norm is not None:
        x = norm(f"down{level}_{norm_name}", axis)(x)
    return keras.layers.LeakyReLU(0.2, name=f"down{level}_lrelu")(x)


def unet_up_block(x, skip, filters, level, upsampling, norm=None, norm_name="norm", use_bias=True,
                  dropout=0.0, data_format=None):
    """One U-Net decoder block: upsampling convolution, normalization, dropout, ReLU, skip concatenation.

    Layer names: `up{level}_conv`, `up{level}_{norm_name}`,
    `up{level}_dropout` (only when `dropout > 0`), `up{level}_relu`,
    `up{level}_skip`.

    Args:
        x: the block's input, `(batch, h, w, c)`.
        skip: the encoder features of size `(2 h, 2 w)` concatenated after
            the ReLU.
        filters: filters of the upsampling convolution.
        level: the block's depth, used in the layer names.
        upsampling: `"resize"`, `"subpixel"` or `"transpose"` (see
            `keras_gen.networks.blocks.upsample_conv`).
        norm: a normalization layer factory taking the layer name, or None.
        norm_name: suffix of the normalization layer's name.
        use_bias: whether the convolution has a bias.
        dropout: dropout rate (0: no dropout layer).
        data_format: layout of `x` and `skip` (None:
            `keras.config.image_data_format()`).

    Returns:
        `(batch, 2 h, 2 w, filters + skip channels)`.
    """
    data_format = resolve_data_format(data_format)
    axis = channel_axis(data_format)
    x = upsample_conv(x, filters, upsampling, f"up{level}_conv", use_bias=use_bias,
                      data_format=data_format)
    if norm is not None:
        x = norm(f"up{level}_{norm_name}", axis)(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name=f"up{level}_dropout")(x)
    x = keras.layers.ReLU(name=f"up{level}_relu")(x)
    return keras.layers.Concatenate(axis=axis, name=f"up{level}_skip")([x, skip])


def unet_output_block(x, output_channels, upsampling, data_format=None):
    """The U-Net's last block: upsampling convolution to `output_channels`, then tanh.

    The layers are `output_conv` and `output_tanh`; both compute in float32
    under a mixed policy (as the losses do).
    """
    x = upsample_conv(x, output_channels, upsampling, "output_conv", dtype="float32",
                      data_format=data_format)
    return keras.layers.Activation("tanh", dtype="float32", name="output_tanh")(x)


def unet_generator(
    image_shape=(256, 256, 3),
    output_channels=3,
    base_filters=64,
    num_downsamples=None,
    dropout=0.5,
    upsampling="resize",
    name="unet_generator",
    data_format=None,
):
    """Builds the pix2pix U-Net generator: an encoder-decoder with skip connections.

    See the module docstring for the layer list. Convolution kernels are drawn
    from N(0, 0.02) and BatchNorm scales from N(1, 0.02). Dropout is the
    standard Keras layer, active only with `training=True`; the paper also
    kept dropout and batch statistics at test time, which is
    `generator(x, training=True)`.

    Args:
        image_shape: `(height, width, channels)` of the input; height and
            width are powers of two from 32 (256 in the paper).
        output_channels: channels of the output image.
        base_filters: filters of the first encoder block (64 in the paper).
        num_downsamples: encoder depth; default `log2(min(height, width))`,
            i.e. down to a 1x1 bottleneck for square images (8 for 256x256).
        dropout: dropout rate of the three innermost decoder blocks (0.5 in
            the paper; 0 disables it).
        upsampling: `"resize"` (default: nearest-neighbour resize + 3x3
            convolution, fast on every backend), `"subpixel"` or
            `"transpose"` (4x4 stride-2 transposed convolution as in the
            paper; about 8x slower to train under XLA on CPU).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` is `(channels, height, width)` and so are the
            outputs); None follows `keras.config.image_data_format()`. The
            weights are the same in both layouts.

    Returns:
        A functional `keras.Model` mapping `(batch, *image_shape)` in [-1, 1]
        to `(batch, height, width, output_channels)` in [-1, 1] (tanh).

    Example:

    >>> generator = keras_gen.networks.unet_generator(image_shape=(64, 64, 1))
    >>> generator(np.zeros((2, 64, 64, 1))).shape
    (2, 64, 64, 3)

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017 (https://arxiv.org/abs/1611.07004);
        Ronneberger et al., "U-Net", MICCAI 2015.
    """
    data_format = resolve_data_format(data_format)
    height, width, _ = channels_last_shape(check_image_shape(image_shape), data_format)
    check_upsampling(upsampling)
    if not (is_power_of_two(height) and is_power_of_two(width)) or min(height, width) < 32:
        raise ValueError(
            "unet_generator needs a height and width that are powers of two, at "
            f"least 32 (e.g. 32, 64, 128, 256); received image_shape={image_shape!r}. "
            "Resize or crop your images."
        )
    max_downsamples = int(math.log2(min(height, width)))
    if num_downsamples is None:
        num_downsamples = max_downsamples
    if (
        not isinstance(num_downsamples, int)
        or isinstance(num_downsamples, bool)
        or not 1 <= num_downsamples <= max_downsamples
    ):
        raise ValueError(
            f"`num_downsamples` must be an int from 1 to {max_downsamples} for "
            f"image_shape={image_shape!r} (each halves the size); received "
            f"{num_downsamples!r}."
        )
    if not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be in [0, 1); received {dropout!r}.")

    inputs = keras.Input(shape=tuple(image_shape), name="input_image")
    x = inputs
    skips = []
    for level in range(num_downsamples):
        innermost = level == num_downsamples - 1
        use_norm = 0 < level and not innermost
        x = unet_down_block(
            x, unet_filters(base_filters, level), level,
            norm=batch_norm if use_norm else None, norm_name="bn", use_bias=not use_norm,
            data_format=data_format,
        )
        skips.append(x)

    skips = skips[:-1]
    for index, skip in enumerate(reversed(skips)):
        level = len(skips) - 1 - index
        x = unet_up_block(
            x, skip, unet_filters(base_filters, level), level, upsampling,
            norm=batch_norm, norm_name="bn", use_bias=False,
            dropout=dropout if index < 3 else 0.0, data_format=data_format,
        )

    outputs = unet_output_block(x, output_channels, upsampling, data_format)
    return check_channels_first_offsets(keras.Model(inputs, outputs, name=name))
