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
"""

import math

import keras

from keras_gen.networks.blocks import batch_norm
from keras_gen.networks.blocks import check_image_shape
from keras_gen.networks.blocks import check_upsampling
from keras_gen.networks.blocks import is_power_of_two
from keras_gen.networks.blocks import normal_init
from keras_gen.networks.blocks import upsample_conv


def unet_generator(
    image_shape=(256, 256, 3),
    output_channels=3,
    base_filters=64,
    num_downsamples=None,
    dropout=0.5,
    upsampling="resize",
    name="unet_generator",
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
    height, width, _ = check_image_shape(image_shape)
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

    def filters_at(level):
        return base_filters * min(2**level, 8)

    inputs = keras.Input(shape=tuple(image_shape), name="input_image")
    x = inputs
    skips = []
    for level in range(num_downsamples):
        innermost = level == num_downsamples - 1
        use_norm = 0 < level and not innermost
        x = keras.layers.Conv2D(
            filters_at(level),
            4,
            strides=2,
            padding="same",
            use_bias=not use_norm,
            kernel_initializer=normal_init(),
            name=f"down{level}_conv",
        )(x)
        if use_norm:
            x = batch_norm(f"down{level}_bn")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"down{level}_lrelu")(x)
        skips.append(x)

    skips = skips[:-1]
    for index, skip in enumerate(reversed(skips)):
        level = len(skips) - 1 - index
        x = upsample_conv(x, filters_at(level), upsampling, f"up{level}_conv", use_bias=False)
        x = batch_norm(f"up{level}_bn")(x)
        if index < 3 and dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"up{level}_dropout")(x)
        x = keras.layers.ReLU(name=f"up{level}_relu")(x)
        x = keras.layers.Concatenate(name=f"up{level}_skip")([x, skip])

    # The output layer computes in float32 under a mixed policy (as the losses do).
    x = upsample_conv(x, output_channels, upsampling, "output_conv", dtype="float32")
    outputs = keras.layers.Activation("tanh", dtype="float32", name="output_tanh")(x)
    return keras.Model(inputs, outputs, name=name)
