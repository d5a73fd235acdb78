"""StyleGAN mapping network, synthesis network and discriminator builders (Karras et al., 2019).

Simplifications with respect to the paper, chosen for small images and
portability: equalized learning rate is used in the mapping network only
(`EqualizedDense`, which carries its `lr_multiplier`); convolutions use He
initialization; upsampling is nearest-neighbour resize + 3x3 convolution
without the binomial blur; no progressive growing. Image sides are
`s0 * 2**k` with `s0` in {4, 7} (the learned constant is `s0 x s0`).

The synthesis network and the discriminator are channels-last by default;
with `data_format="channels_first"` their images are `(channels, height,
width)` and their weights the same (the mapping network has no maps).
"""

import keras

from keras_gen.layers.adaptive_instance_normalization import AdaptiveInstanceNormalization
from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.equalized_dense import EqualizedDense
from keras_gen.layers.learned_constant import LearnedConstant
from keras_gen.layers.minibatch_standard_deviation import MinibatchStandardDeviation
from keras_gen.layers.noise_injection import NoiseInjection
from keras_gen.layers.pixel_normalization import PixelNormalization
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import image_geometry


def _filters(base_filters, max_filters, doublings):
    # Channels at each level (side s0 * 2**level): halving as the side doubles.
    return [
        min(base_filters * 2 ** (doublings - level), max_filters) for level in range(doublings + 1)
    ]


def stylegan_num_styles(image_shape, data_format=None):
    """Number of style vectors the synthesis network takes: two per resolution.

    Args:
        image_shape: `(side, side, channels)`, or `(channels, side, side)`
            channels-first.
        data_format: `"channels_last"` or `"channels_first"`, the layout of
            `image_shape`; None follows `keras.config.image_data_format()`.

    Returns:
        `2 * (k + 1)` for side `s0 * 2**k` (8 for 32x32, 6 for 28x28).

    Example:

    ```python
    keras_gen.networks.stylegan_num_styles((32, 32, 1))  # 8
    ```
    """
    return 2 * (image_geometry(channels_last_shape(image_shape, data_format))[3] + 1)


def stylegan_mapping_network(
    latent_dim=128,
    style_dim=128,
    num_layers=8,
    lr_multiplier=0.01,
    name="stylegan_mapping",
):
    """Builds StyleGAN's mapping network `f: z -> w`.

    `PixelNormalization` of `z`, then `num_layers` equalized-learning-rate
    dense layers with LeakyReLU(0.2) and learning-rate multiplier 0.01.
    Broadcast `w` to `(batch, num_styles, style_dim)` for the synthesis
    network, or mix two `w`s along the style axis (style mixing).

    Args:
        latent_dim: size of `z` (paper: 512).
        style_dim: size of `w` (paper: 512).
        num_layers: dense layers (paper: 8; 4 is plenty for small images).
        lr_multiplier: learning-rate multiplier of the dense layers (paper: 0.01).
        name: model name.

    Returns:
        A functional `keras.Model` mapping `(batch, latent_dim)` to
        `(batch, style_dim)`.

    Example:

    ```python
    mapping = keras_gen.networks.stylegan_mapping_network(128, 128, num_layers=4)
    w = mapping(keras.random.normal((4, 128)))
    ```

    Reference:
        Karras, Laine & Aila, "A Style-Based Generator Architecture for
        Generative Adversarial Networks", CVPR 2019 (section 2).
    """
    if int(num_layers) < 1:
        raise ValueError(f"`num_layers` must be >= 1; received {num_layers!r}.")
    z = keras.Input((latent_dim,), name="z")
    x = PixelNormalization(name="normalize_latent")(z)
    for i in range(num_layers):
        x = EqualizedDense(style_dim, lr_multiplier=lr_multiplier, name=f"dense{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"lrelu{i}")(x)
    return keras.Model(z, x, name=name)


def stylegan_synthesis_network(
    style_dim=128,
    image_shape=(32, 32, 1),
    base_filters=32,
    max_filters=256,
    randomize_noise=True,
    output_activation="tanh",
    name="stylegan_synthesis",
    data_format=None,
):
    """Builds StyleGAN's synthesis network `g: w_1..w_n -> image`.

    A learned `s0 x s0` constant; at each resolution two 3x3 convolutions
    (the first preceded by a 2x nearest-neighbour upsampling, except at
    `s0`, where the constant takes the first convolution's place), each
    followed by `NoiseInjection`, LeakyReLU(0.2) and
    `AdaptiveInstanceNormalization` with its own style vector; a 1x1
    "toRGB" convolution and `output_activation`.

    The input is `(batch, num_styles, style_dim)` with
    `num_styles = keras_gen.networks.stylegan_num_styles(image_shape)`, two
    per resolution, coarse to fine (8 for 32x32): style `2 * level` and
    `2 * level + 1` modulate resolution `s0 * 2**level`. Feeding the same
    `w` everywhere is the plain generator; taking the first styles from one
    `w` and the rest from another is style mixing.

    Args:
        style_dim: size of each style vector.
        image_shape: `(side, side, channels)`, side `4 * 2**k` or `7 * 2**k`.
        base_filters: channels at the highest resolution (doubling towards
            the constant, up to `max_filters`).
        max_filters: channel cap (paper: 512).
        randomize_noise: fresh noise on every call (True, the paper's
            default) or a fixed noise map per layer, stored in the weights
            (deterministic generation).
        output_activation: `"tanh"` (images in [-1, 1]) or `"linear"`
            (paper).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts (the learned constant and the fixed
            noise maps are stored channels-last), and so are the images up
            to the transposition (given the same noise).

    Returns:
        A functional `keras.Model` from styles to images `(batch,) + image_shape`.

    Example:

    ```python
    synthesis = keras_gen.networks.stylegan_synthesis_network(128, (32, 32, 1))
    num_styles = keras_gen.networks.stylegan_num_styles((32, 32, 1))  # 8
    w = keras.random.normal((4, 128))
    images = synthesis(keras.ops.repeat(w[:, None], num_styles, axis=1))
    ```

    Reference:
        Karras, Laine & Aila, "A Style-Based Generator Architecture for
        Generative Adversarial Networks", CVPR 2019.
    """
    data_format = resolve_data_format(data_format)
    side, channels, base, doublings = image_geometry(channels_last_shape(image_shape, data_format))
    if output_activation not in ("tanh", "linear"):
        raise ValueError(
            f"`output_activation` must be 'tanh' or 'linear'; received {output_activation!r}."
        )
    filters = _filters(base_filters, max_filters, doublings)
    num_styles = 2 * (doublings + 1)
    styles = keras.Input((num_styles, style_dim), name="styles")

    def modulate(x, index):
        x = NoiseInjection(randomize_noise=randomize_noise, data_format=data_format,
                           name=f"noise{index}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"lrelu{index}")(x)
        return AdaptiveInstanceNormalization(data_format=data_format, name=f"adain{index}")(
            [x, styles[:, index]])

    def conv(x, level, index):
        return Conv2D(
            filters[level], 3, padding="same", kernel_initializer="he_normal", name=f"conv{index}",
            data_format=data_format,
        )(x)

    constant_shape = (
        (filters[0], base, base) if data_format == "channels_first" else (base, base, filters[0])
    )
    x = LearnedConstant(constant_shape, data_format=data_format, name="constant")(styles)
    x = modulate(x, 0)
    x = modulate(conv(x, 0, 1), 1)
    for level in range(1, doublings + 1):
        x = keras.layers.UpSampling2D(data_format=data_format, name=f"up{level}")(x)
        x = modulate(conv(x, level, 2 * level), 2 * level)
        x = modulate(conv(x, level, 2 * level + 1), 2 * level + 1)
    x = Conv2D(channels, 1, data_format=data_format, name="to_rgb")(x)
    outputs = keras.layers.Activation(output_activation, dtype="float32", name="images")(x)
    return check_channels_first_offsets(keras.Model(styles, outputs, name=name))


def stylegan_discriminator(
    image_shape=(32, 32, 1),
    base_filters=32,
    max_filters=256,
    mbstd_group_size=4,
    mbstd_num_features=1,
    name="stylegan_discriminator",
    data_format=None,
):
    """Builds the StyleGAN (ProGAN) discriminator, logits out.

    A 1x1 "fromRGB" convolution, then per resolution two 3x3 convolutions
    with LeakyReLU(0.2) and 2x2 average pooling, down to `s0 x s0`; there
    `MinibatchStandardDeviation`, a 3x3 convolution, and two dense layers
    (the last giving the logit). Channels mirror the synthesis network.

    Args:
        image_shape: `(side, side, channels)`, side `4 * 2**k` or `7 * 2**k`.
        base_filters: channels at the highest resolution.
        max_filters: channel cap (paper: 512).
        mbstd_group_size: group size of the minibatch standard deviation
            (paper: 4); the batch must be divisible by `min(group, batch)`.
        mbstd_num_features: appended feature maps (paper: 1).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts (`Flatten` flattens in channels-last
            order).

    Returns:
        A functional `keras.Model` from images to logits `(batch, 1)`.

    Example:

    ```python
    discriminator = keras_gen.networks.stylegan_discriminator((32, 32, 1))
    logits = discriminator(keras.random.normal((4, 32, 32, 1)))
    ```

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality,
        Stability, and Variation", ICLR 2018; Karras, Laine & Aila, CVPR 2019.
    """
    data_format = resolve_data_format(data_format)
    side, channels, base, doublings = image_geometry(channels_last_shape(image_shape, data_format))
    filters = _filters(base_filters, max_filters, doublings)

    def conv(x, units, kernel_size, layer_name):
        x = Conv2D(
            units, kernel_size, padding="same", kernel_initializer="he_normal", name=layer_name,
            data_format=data_format,
        )(x)
        return keras.layers.LeakyReLU(0.2, name=f"{layer_name}_lrelu")(x)

    image_size = (channels, side, side) if data_format == "channels_first" else (side, side, channels)
    images = keras.Input(image_size, name="images")
    x = conv(images, filters[doublings], 1, "from_rgb")
    for level in range(doublings, 0, -1):
        x = conv(x, filters[level], 3, f"block{level}_conv1")
        x = conv(x, filters[level - 1], 3, f"block{level}_conv2")
        x = keras.layers.AveragePooling2D(2, data_format=data_format, name=f"block{level}_pool")(x)
    x = MinibatchStandardDeviation(
        mbstd_group_size, mbstd_num_features, data_format=data_format, name="minibatch_std"
    )(x)
    x = conv(x, filters[0], 3, "final_conv")
    x = keras.layers.Flatten(data_format=data_format, name="flatten")(x)
    x = keras.layers.Dense(filters[0], kernel_initializer="he_normal", name="final_dense")(x)
    x = keras.layers.LeakyReLU(0.2, name="final_dense_lrelu")(x)
    logits = keras.layers.Dense(1, dtype="float32", name="logits")(x)
    return check_channels_first_offsets(keras.Model(images, logits, name=name))
