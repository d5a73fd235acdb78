"""SAGAN generator and discriminator builders (Zhang et al., 2019).

Both are functional `keras.Model`s built from residual blocks (SNGAN/SAGAN
style), with spectral normalization on every convolution and dense
layer of both networks, and a `SelfAttention2D` block at one
resolution. The discriminator outputs logits (SAGAN trains with the hinge
loss). With `num_classes`, the generator uses class-conditional batch
normalization and the discriminator a projection head (Miyato & Koyama 2018).

Image sides are `s0 * 2**k` with `s0` in {4, 7} and `k >= 1` (e.g. 28, 32, 64).
The residual blocks are those of `keras_gen.networks.blocks`, shared with
`keras_gen.networks.biggan`.
"""

import keras
from keras import ops

from keras_gen.layers.conditional_batch_normalization import ConditionalBatchNormalization
from keras_gen.layers.self_attention import SelfAttention2D
from keras_gen.networks.blocks import LayerFactory
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


def sagan_generator(
    image_shape=(32, 32, 1),
    latent_dim=128,
    base_filters=64,
    attention_resolution=16,
    num_classes=None,
    spectral_norm=True,
    kernel_initializer=None,
    name="sagan_generator",
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
    side, channels, base, doublings = image_geometry(image_shape)
    _check_num_classes(num_classes)
    layers = LayerFactory(kernel_initializer or normal_init(), spectral_norm)
    filters = [base_filters * min(2 ** (doublings - level), 8) for level in range(doublings + 1)]
    sides = [base * 2**level for level in range(doublings + 1)]
    attention_level = closest_resolution(attention_resolution, sides[1:])

    z = keras.Input((latent_dim,), name="z")
    inputs = z
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [z, labels]

    def normalize(x, norm_name):
        if num_classes is None:
            return keras.layers.BatchNormalization(name=norm_name)(x)
        return ConditionalBatchNormalization(num_classes, name=norm_name)([x, labels])

    x = layers.dense(base * base * filters[0], "dense")(z)
    x = keras.layers.Reshape((base, base, filters[0]), name="dense_reshape")(x)
    for level in range(1, doublings + 1):
        x = residual_up_block(x, filters[level], normalize, layers, f"block{level}")
        if attention_level == level - 1:
            x = SelfAttention2D(use_spectral_norm=spectral_norm, name="attention")(x)
    x = keras.layers.BatchNormalization(name="output_norm")(x)
    x = keras.layers.ReLU(name="output_relu")(x)
    x = layers.conv(channels, 3, "output_conv")(x)
    outputs = keras.layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs, outputs, name=name)


def sagan_discriminator(
    image_shape=(32, 32, 1),
    base_filters=64,
    attention_resolution=16,
    num_classes=None,
    spectral_norm=True,
    kernel_initializer=None,
    name="sagan_discriminator",
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
    side, channels, base, doublings = image_geometry(image_shape)
    _check_num_classes(num_classes)
    layers = LayerFactory(kernel_initializer or normal_init(), spectral_norm)
    sides = [side // 2 ** (level + 1) for level in range(doublings)]
    attention_level = closest_resolution(attention_resolution, sides)

    images = keras.Input(image_shape, name="images")
    inputs = images
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [images, labels]

    x = images
    for level in range(doublings):
        filters = base_filters * min(2**level, 8)
        x = residual_down_block(x, filters, layers, f"block{level + 1}", preactivation=level > 0)
        if attention_level == level:
            x = SelfAttention2D(use_spectral_norm=spectral_norm, name="attention")(x)
    x = residual_down_block(x, x.shape[-1], layers, f"block{doublings + 1}", downsample=False)
    x = keras.layers.ReLU(name="features_relu")(x)
    features = ops.sum(x, axis=(1, 2))  # global sum pooling, phi(x)
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
    return keras.Model(inputs, logits, name=name)
