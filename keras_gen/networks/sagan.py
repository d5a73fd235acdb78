"""SAGAN generator and discriminator builders (Zhang et al., 2019).

Both are functional `keras.Model`s built from residual blocks (SNGAN/SAGAN
style), with spectral normalization on every convolution and dense
layer of both networks, and a `SelfAttention2D` block at one
resolution. The discriminator outputs logits (SAGAN trains with the hinge
loss). With `num_classes`, the generator uses class-conditional batch
normalization and the discriminator a projection head (Miyato & Koyama 2018).

Image sides are `s0 * 2**k` with `s0` in {4, 7} and `k >= 1` (e.g. 28, 32, 64).
Images are channels-last by default; with `data_format="channels_first"`
they are `(channels, height, width)` and the weights the same.
The residual blocks are those of `keras_gen.networks.blocks`, shared with
`keras_gen.networks.biggan`.
"""

import keras
from keras import ops

from keras_gen.layers.batch_normalization import BatchNormalization
from keras_gen.layers.conditional_batch_normalization import ConditionalBatchNormalization
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.self_attention import SelfAttention2D
from keras_gen.networks.blocks import LayerFactory
from keras_gen.networks.blocks import channel_axis
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import closest_resolution
from keras_gen.networks.blocks import image_geometry
from keras_gen.networks.blocks import normal_init
from keras_gen.networks.blocks import residual_down_block
from keras_gen.networks.blocks import residual_up_block


def _check_num_classes(num_classes):
    if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
        raise ValueError(
            "`num_classes` must be a positive int for a class-conditional network, "
            f"or None; received {num_classes!r}."
        )


def generator_sides(base, doublings):
    """The sides of the generator's blocks' outputs, where it may attend (SAGAN and BigGAN)."""
    return [base * 2**level for level in range(1, doublings + 1)]


def discriminator_sides(side, doublings):
    """The sides of the discriminator's downsampling blocks' outputs, where it may attend."""
    return [side // 2 ** (level + 1) for level in range(doublings)]


def attention_sides(image_shape, attention_resolution):
    """The sides at which `sagan_generator` and `sagan_discriminator` attend.

    Each network attends at its own side closest to `attention_resolution`
    (the generator's blocks end at `2 * s0 ... side`, the discriminator's at
    `side / 2 ... s0`), so the two can differ.

    Args:
        image_shape: `(side, side, channels)`.
        attention_resolution: as given to the builders, or None.

    Returns:
        `(generator_side, discriminator_side)`, or `(None, None)`.

    Example:

    ```python
    keras_gen.networks.sagan.attention_sides((16, 16, 1), 4)  # (8, 4)
    ```
    """
    if attention_resolution is None:
        return None, None
    side, _, base, doublings = image_geometry(image_shape)
    in_generator = generator_sides(base, doublings)
    in_discriminator = discriminator_sides(side, doublings)
    return (in_generator[closest_resolution(attention_resolution, in_generator)],
            in_discriminator[closest_resolution(attention_resolution, in_discriminator)])


def image_input_shape(side, channels, data_format):
    """The shape of a square image in `data_format`."""
    return (channels, side, side) if data_format == "channels_first" else (side, side, channels)


def dense_to_map(x, side, channels, data_format, name):
    """Reshapes the units of a dense projection to a `side x side` map with `channels`.

    The units are read in channels-last order in both layouts (a
    `Permute` follows for channels-first), so the weights are the same.
    """
    x = keras.layers.Reshape((side, side, channels), name=name)(x)
    if data_format == "channels_first":
        x = keras.layers.Permute((3, 1, 2), name=f"{name}_channels_first")(x)
    return x


def sagan_generator(
    image_shape=(32, 32, 1),
    latent_dim=128,
    base_filters=64,
    attention_resolution=16,
    num_classes=None,
    spectral_norm=True,
    kernel_initializer=None,
    name="sagan_generator",
    data_format=None,
):
    """Builds the SAGAN generator: residual up-blocks, self-attention, tanh images.

    Layout for side `s0 * 2**k`: spectrally normalized `Dense` to an
    `s0 x s0` map with `base_filters * min(2**k, 8)` channels; `k` residual
    up-blocks (channels halving towards `base_filters`); `SelfAttention2D`
    after the block whose side is closest to `attention_resolution`; batch
    norm, ReLU, 3x3 convolution to the image channels and `tanh`.

    Args:
        image_shape: `(side, side, channels)`, e.g. `(32, 32, 1)` or `(28, 28, 1)`.
        latent_dim: size of the latent vector (SAGAN: 128).
        base_filters: channels of the last block (SAGAN at 128x128: 64).
        attention_resolution: side at which to attend (SAGAN: 32 of 128; the
            closest available side is used), or `None` for no attention.
        num_classes: `None` (unconditional, input `z`) or the number of
            classes: inputs `[z, labels]` with integer labels of shape
            `(batch,)`, and `ConditionalBatchNormalization` in every block.
        spectral_norm: spectral normalization on every layer (SAGAN: True,
            in G as well as D).
        kernel_initializer: defaults to N(0, 0.02) (compare_gan/SAGAN).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts.

    Returns:
        A functional `keras.Model` mapping `z` (or `[z, labels]`) to images
        in [-1, 1] of shape `(batch,) + image_shape`.

    Example:

    ```python
    generator = keras_gen.networks.sagan_generator(
        image_shape=(32, 32, 3), latent_dim=128, num_classes=10)
    images = generator([keras.random.normal((4, 128)), keras.ops.arange(4)])
    ```

    Reference:
        Zhang, Goodfellow, Metaxas & Odena, "Self-Attention Generative
        Adversarial Networks", ICML 2019; Miyato et al., "Spectral
        Normalization for Generative Adversarial Networks", ICLR 2018.
    """
    data_format = resolve_data_format(data_format)
    side, channels, base, doublings = image_geometry(channels_last_shape(image_shape, data_format))
    _check_num_classes(num_classes)
    layers = LayerFactory(kernel_initializer or normal_init(), spectral_norm, data_format=data_format)
    axis = channel_axis(data_format)
    filters = [base_filters * min(2 ** (doublings - level), 8) for level in range(doublings + 1)]
    attention_level = closest_resolution(attention_resolution, generator_sides(base, doublings))

    z = keras.Input((latent_dim,), name="z")
    inputs = z
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [z, labels]

    def normalize(x, norm_name):
        if num_classes is None:
            return BatchNormalization(axis=axis, name=norm_name)(x)
        return ConditionalBatchNormalization(num_classes, axis=axis, name=norm_name)([x, labels])

    x = layers.dense(base * base * filters[0], "dense")(z)
    x = dense_to_map(x, base, filters[0], data_format, "dense_reshape")
    for level in range(1, doublings + 1):
        x = residual_up_block(x, filters[level], normalize, layers, f"block{level}")
        if attention_level == level - 1:
            x = SelfAttention2D(use_spectral_norm=spectral_norm, data_format=data_format,
                                name="attention")(x)
    x = BatchNormalization(axis=axis, name="output_norm")(x)
    x = keras.layers.ReLU(name="output_relu")(x)
    x = layers.conv(channels, 3, "output_conv")(x)
    outputs = keras.layers.Activation("tanh", dtype="float32", name="images")(x)
    return check_channels_first_offsets(keras.Model(inputs, outputs, name=name))


def sagan_discriminator(
    image_shape=(32, 32, 1),
    base_filters=64,
    attention_resolution=16,
    num_classes=None,
    spectral_norm=True,
    kernel_initializer=None,
    name="sagan_discriminator",
    data_format=None,
):
    """Builds the SAGAN discriminator: residual down-blocks, self-attention, logits.

    Layout for side `s0 * 2**k`: `k` residual down-blocks (channels
    `base_filters * min(2**level, 8)`), `SelfAttention2D` after the block
    whose output side is closest to `attention_resolution`, one more
    residual block without downsampling, ReLU, global sum pooling `phi(x)`
    and a linear layer `psi`. With `num_classes`, the projection head adds
    `<embed(y), phi(x)>` (Miyato & Koyama 2018). The same network serves as
    BigGAN's discriminator (`kernel_initializer="orthogonal"`).

    Args:
        image_shape: `(side, side, channels)`.
        base_filters: channels of the first block.
        attention_resolution: side at which to attend, or `None`.
        num_classes: `None` (input: images) or the number of classes (inputs
            `[images, labels]`, integer labels of shape `(batch,)`).
        spectral_norm: spectral normalization on every layer (SAGAN: True).
        kernel_initializer: defaults to N(0, 0.02).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts.

    Returns:
        A functional `keras.Model` giving logits of shape `(batch, 1)`.

    Example:

    ```python
    discriminator = keras_gen.networks.sagan_discriminator(
        image_shape=(32, 32, 3), num_classes=10)
    logits = discriminator([keras.random.normal((4, 32, 32, 3)), keras.ops.arange(4)])
    ```

    Reference:
        Zhang et al., "Self-Attention Generative Adversarial Networks", ICML
        2019; Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    """
    data_format = resolve_data_format(data_format)
    side, channels, base, doublings = image_geometry(channels_last_shape(image_shape, data_format))
    _check_num_classes(num_classes)
    layers = LayerFactory(kernel_initializer or normal_init(), spectral_norm, data_format=data_format)
    attention_level = closest_resolution(attention_resolution, discriminator_sides(side, doublings))

    images = keras.Input(image_input_shape(side, channels, data_format), name="images")
    inputs = images
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [images, labels]

    x = images
    for level in range(doublings):
        filters = base_filters * min(2**level, 8)
        x = residual_down_block(x, filters, layers, f"block{level + 1}", preactivation=level > 0)
        if attention_level == level:
            x = SelfAttention2D(use_spectral_norm=spectral_norm, data_format=data_format,
                                name="attention")(x)
    last_filters = x.shape[channel_axis(data_format)]
    x = residual_down_block(x, last_filters, layers, f"block{doublings + 1}", downsample=False)
    x = keras.layers.ReLU(name="features_relu")(x)
    spatial_axes = (2, 3) if data_format == "channels_first" else (1, 2)
    features = ops.sum(x, axis=spatial_axes)  # global sum pooling, phi(x)
    logits = layers.dense(1, "logits")(features)
    if num_classes is not None:
        # embed(y) as one_hot(y) @ E: keras' SpectralNormalization would cast an
        # Embedding's output to the integer dtype of the labels.
        one_hot = ops.one_hot(ops.reshape(labels, (-1,)), num_classes)
        embedded = layers.dense(features.shape[-1], "class_embedding", use_bias=False)(one_hot)
        projection = keras.layers.Dot(axes=1, name="projection")([embedded, features])
        logits = keras.layers.Add(name="projection_logits")([logits, projection])
    # float32 logits under mixed precision, for the losses.
    logits = keras.layers.Activation("linear", dtype="float32", name="output_logits")(logits)
    return check_channels_first_offsets(keras.Model(inputs, logits, name=name))
