"""DCGAN generator and discriminator builders (Radford et al., 2016).

Both return functional `keras.Model`s. The discriminator outputs logits (no
sigmoid): every adversarial loss in `keras_gen.losses` works on logits.

Architecture, for an image of side `s = s0 * 2**k` with `s0` in {4, 7}:

- Generator: `Dense` projection of the latent vector to an `s0 x s0` map with
  `base_filters * 2**(k-1)` channels, BatchNorm + ReLU, then `k - 1`
  upsampling blocks (each doubles the side and halves the filters) with
  BatchNorm + ReLU, then a last upsampling layer to the image channels with
  `tanh`. For 64x64 and `base_filters=128` this is the paper's
  4x4x1024 -> 8x8x512 -> 16x16x256 -> 32x32x128 -> 64x64x3.
- Discriminator: `k` stride-2 4x4 convolutions (`base_filters`, x2, x4, ...)
  with LeakyReLU(0.2), BatchNorm on all but the first (none with spectral
  normalization), then flatten + `Dense(1)`.

Weights are initialized from N(0, 0.02) as in the paper; BatchNorm scales
from N(1, 0.02) (the PyTorch DCGAN reference), momentum 0.9 and epsilon 1e-5.
"""

import keras

from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.networks.blocks import batch_norm
from keras_gen.networks.blocks import channel_axis
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import check_upsampling
from keras_gen.networks.blocks import image_geometry
from keras_gen.networks.blocks import normal_init
from keras_gen.networks.blocks import upsample_conv
from keras_gen.networks.blocks import with_spectral_norm


def dcgan_generator(
    image_shape=(28, 28, 1),
    latent_dim=100,
    base_filters=64,
    upsampling="subpixel",
    name="dcgan_generator",
    data_format=None,
):
    """Builds the DCGAN generator: latent vector -> image in [-1, 1].

    Args:
        image_shape: `(side, side, channels)`; the side must be 7 or 4 times a
            power of two (e.g. 28, 32, 64), with 1 or 3 channels typically.
        latent_dim: size of the latent vector (100 in the paper).
        base_filters: filters of the last hidden block; earlier blocks double
            it (the paper's 64x64 model is `base_filters=128`).
        upsampling: `"subpixel"` (default: 3x3 conv to 4x the filters +
            `DepthToSpace(2)`, Shi et al. 2016), `"transpose"` (stride-2 4x4
            `Conv2DTranspose`, as in the paper) or `"resize"`
            (nearest-neighbour x2 + 3x3 conv). Training images per
            CPU-second of a 28x28 DCGAN (32 filters, batch 64, one CPU
            thread), subpixel / transpose / resize: JAX 872 / 510 / 709 and
            TensorFlow 1,069 / 1,034 / 713 (`benchmarks/results_dcgan.md`;
            by the wall clock JAX 687 / 229 / 328, TensorFlow 464 / 476 /
            304: a tie), torch 960 / 1,033 / 752
            (`benchmarks/results_dcgan_torch_upsampling.md`, with
            `keras_gen.layers.Conv2DTranspose`). Sub-pixel is the default on
            every backend: the fastest on JAX and TensorFlow and within 8%
            of transpose on torch, while transposed convolutions train
            1.7x slower on JAX (3x by the wall clock), and a saved model
            keeps its upsampling on whichever backend loads it. On torch
            alone, pass `"transpose"` for the last 8%.
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (images
            `(batch, channels, side, side)`; `image_shape` then reads
            `(channels, side, side)`); None follows
            `keras.config.image_data_format()`. The weights are the same in
            both layouts, and so are the images up to the transposition.

    Returns:
        A functional `keras.Model` mapping `(batch, latent_dim)` to
        `(batch, side, side, channels)` float images in [-1, 1] (tanh);
        `(batch, channels, side, side)` channels-first.

    Example:

    >>> generator = keras_gen.networks.dcgan_generator((32, 32, 3), latent_dim=64)
    >>> generator(np.zeros((2, 64), "float32")).shape
    (2, 32, 32, 3)

    Reference:
        Radford, Metz and Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016.
    """
    data_format = resolve_data_format(data_format)
    side, channels, base_side, doublings = image_geometry(channels_last_shape(image_shape, data_format))
    axis = channel_axis(data_format)
    check_upsampling(upsampling)
    if int(latent_dim) < 1 or int(base_filters) < 1:
        raise ValueError(
            "`latent_dim` and `base_filters` must be positive integers; received "
            f"latent_dim={latent_dim!r}, base_filters={base_filters!r}."
        )

    filters = base_filters * 2 ** (doublings - 1)
    latent = keras.Input((int(latent_dim),), name="latent")
    x = keras.layers.Dense(
        base_side * base_side * filters,
        use_bias=False,
        kernel_initializer=normal_init(),
        name="projection",
    )(latent)
    x = keras.layers.Reshape((base_side, base_side, filters), name="projection_reshape")(x)
    if data_format == "channels_first":
        # The projection's units stay in channels-last order: the same weights in both layouts.
        x = keras.layers.Permute((3, 1, 2), name="projection_channels_first")(x)
    x = batch_norm("projection_bn", axis)(x)
    x = keras.layers.ReLU(name="projection_relu")(x)
    for block in range(1, doublings):
        filters //= 2
        x = upsample_conv(x, filters, upsampling, f"up_{block}", use_bias=False, suffix_conv_name=True,
                          data_format=data_format)
        x = batch_norm(f"up_{block}_bn", axis)(x)
        x = keras.layers.ReLU(name=f"up_{block}_relu")(x)
    # The output layer computes in float32 under a mixed policy, as the image-to-image generators'
    # do: bfloat16 pre-activations would round the images to about 1/250 (half a grey level).
    x = upsample_conv(x, channels, upsampling, "output", suffix_conv_name=True, data_format=data_format,
                      dtype="float32")
    images = keras.layers.Activation("tanh", dtype="float32", name="output_tanh")(x)
    return check_channels_first_offsets(keras.Model(latent, images, name=name))


def dcgan_discriminator(
    image_shape=(28, 28, 1),
    base_filters=64,
    spectral_norm=False,
    normalization="batch",
    name="dcgan_discriminator",
    data_format=None,
):
    """Builds the DCGAN discriminator: image -> one real/fake logit.

    Args:
        image_shape: `(side, side, channels)`; the side must be 7 or 4 times a
            power of two (e.g. 28, 32, 64).
        base_filters: filters of the first convolution; each later one doubles.
        spectral_norm: wrap every convolution and the output `Dense` in
            `keras_gen.layers.SpectralNormalization` (Miyato et al., 2018) and drop
            BatchNorm.
        normalization: normalization after every convolution but the first:
            `"batch"` (default; the paper's), `"layer"` (per sample, over
            all of its features, with a scale and offset per channel, as
            WGAN-GP's critic and per-sample penalties need: Gulrajani et al.
            2017, sec. 4) or `None`. Ignored with `spectral_norm` (none).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (`image_shape`
            then reads `(channels, side, side)`); None follows
            `keras.config.image_data_format()`. The weights are the same in
            both layouts (the features are flattened in channels-last
            order), and so are the logits.

    Returns:
        A functional `keras.Model` mapping `(batch, side, side, channels)`
        images in [-1, 1] to `(batch, 1)` logits.

    Example:

    >>> discriminator = keras_gen.networks.dcgan_discriminator((28, 28, 1))
    >>> discriminator(np.zeros((2, 28, 28, 1), "float32")).shape
    (2, 1)

    Reference:
        Radford, Metz and Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016.
    """
    data_format = resolve_data_format(data_format)
    side, channels, _, doublings = image_geometry(channels_last_shape(image_shape, data_format))
    axis = channel_axis(data_format)
    if int(base_filters) < 1:
        raise ValueError(f"`base_filters` must be a positive integer; received {base_filters!r}.")
    if normalization not in ("batch", "layer", None):
        raise ValueError(
            f"`normalization` must be 'batch', 'layer' or None; received {normalization!r}."
        )
    if spectral_norm:
        normalization = None

    def wrap(layer):
        return with_spectral_norm(layer, spectral_norm)

    images = keras.Input((channels, side, side) if data_format == "channels_first"
                         else (side, side, channels), name="images")
    x = images
    filters = base_filters
    for block in range(doublings):
        norm = normalization if block > 0 else None
        x = wrap(
            Conv2D(
                filters,
                4,
                strides=2,
                padding="same",
                use_bias=norm is None,
                kernel_initializer=normal_init(),
                data_format=data_format,
                name=f"down_{block}_conv",
            )
        )(x)
        if norm == "batch":
            x = batch_norm(f"down_{block}_bn", axis)(x)
        elif norm == "layer":
            # Layer norm as the WGAN-GP reference code's critic has it: statistics over all of
            # a sample's features, a scale and offset per channel.
            x = keras.layers.GroupNormalization(groups=1, axis=axis, epsilon=1e-5,
                                                name=f"down_{block}_ln")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"down_{block}_lrelu")(x)
        filters *= 2
    x = keras.layers.Flatten(data_format=data_format, name="flatten")(x)
    logits = wrap(
        keras.layers.Dense(1, kernel_initializer=normal_init(), dtype="float32", name="logits")
    )(x)
    return check_channels_first_offsets(keras.Model(images, logits, name=name))
