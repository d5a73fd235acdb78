"""BigGAN generator builder and the truncation trick (Brock et al., 2019).

The discriminator of BigGAN is the SAGAN residual discriminator with a
projection head: use `keras_gen.networks.sagan_discriminator(...,
num_classes=..., kernel_initializer="orthogonal")`. Both take
`data_format="channels_first"`, with the same weights as channels-last.
"""

import keras
import numpy as np
from keras import ops

from keras_gen.layers.batch_normalization import BatchNormalization
from keras_gen.layers.conditional_batch_normalization import ConditionalBatchNormalization
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.self_attention import SelfAttention2D
from keras_gen.losses.regularizers import OrthogonalRegularizer
from keras_gen.networks.blocks import LayerFactory
from keras_gen.networks.blocks import channel_axis
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import closest_resolution
from keras_gen.networks.blocks import image_geometry
from keras_gen.networks.blocks import residual_up_block
from keras_gen.networks.sagan import dense_to_map
from keras_gen.networks.sagan import generator_sides


def biggan_generator(
    image_shape=(32, 32, 3),
    latent_dim=120,
    num_classes=10,
    shared_embedding_dim=128,
    hierarchical=True,
    base_filters=64,
    attention_resolution=16,
    spectral_norm=True,
    orthogonal_regularization=None,
    name="biggan_generator",
    data_format=None,
):
    """Builds the BigGAN generator: shared class embedding, hierarchical latents.

    For side `s0 * 2**k` the network has `k` residual up-blocks (as in
    `keras_gen.networks.sagan_generator`). A shared `Embedding` maps the
    label to a `shared_embedding_dim` vector. With `hierarchical=True`, `z`
    is split into `k + 1` equal chunks: the first feeds the initial `Dense`,
    and chunk `i` concatenated with the shared embedding conditions both
    `ConditionalBatchNormalization` layers (linear-projection mode) of block
    `i`. With `hierarchical=False`, all of `z` feeds the `Dense` and the
    batch norms see only the shared embedding. Every kernel uses orthogonal
    initialization; spectral normalization is on every convolution and
    dense layer (the projections inside the conditional batch norms are not
    spectrally normalized here).

    Paper defaults at 128x128: `latent_dim=120` (6 chunks of 20),
    `shared_embedding_dim=128`, attention at 64x64, orthogonal
    regularization with `beta=1e-4` on G, batch norm epsilon 1e-5.

    Args:
        image_shape: `(side, side, channels)`, side `4 * 2**k` or `7 * 2**k`.
        latent_dim: size of `z`; with `hierarchical=True` it must be divisible
            by the number of blocks plus one.
        num_classes: number of classes (BigGAN is class-conditional).
        shared_embedding_dim: size of the shared class embedding.
        hierarchical: split `z` across the blocks.
        base_filters: channels of the last block.
        attention_resolution: side at which to attend, or `None`.
        spectral_norm: spectral normalization in G (BigGAN: True).
        orthogonal_regularization: `beta` of an `OrthogonalRegularizer` on
            every kernel (BigGAN: 1e-4), or `None`; the penalties appear in
            `model.losses`.
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts.

    Returns:
        A functional `keras.Model` with inputs `[z, labels]` (`z` of shape
        `(batch, latent_dim)`, integer labels `(batch,)`) and images in
        [-1, 1] of shape `(batch,) + image_shape`.

    Example:

    ```python
    generator = keras_gen.networks.biggan_generator(
        image_shape=(32, 32, 3), latent_dim=120, num_classes=10)
    z = keras_gen.networks.truncated_normal_latents(4, 120, truncation=0.5, seed=0)
    images = generator([keras.ops.convert_to_tensor(z), keras.ops.arange(4)])
    ```

    Reference:
        Brock, Donahue & Simonyan, "Large Scale GAN Training for High Fidelity
        Natural Image Synthesis", ICLR 2019.
    """
    data_format = resolve_data_format(data_format)
    side, channels, base, doublings = image_geometry(channels_last_shape(image_shape, data_format))
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(
            f"BigGAN is class-conditional: `num_classes` must be a positive int; "
            f"received {num_classes!r}."
        )
    num_chunks = doublings + 1 if hierarchical else 1
    if latent_dim % num_chunks:
        raise ValueError(
            f"With hierarchical latents, `latent_dim` ({latent_dim}) must be "
            f"divisible by the number of blocks plus one ({num_chunks}) for "
            f"image side {side}; use e.g. latent_dim={num_chunks * 20}."
        )
    regularizer = None
    if orthogonal_regularization:
        regularizer = OrthogonalRegularizer(orthogonal_regularization)
    layers = LayerFactory("orthogonal", spectral_norm, regularizer, data_format=data_format)
    axis = channel_axis(data_format)
    filters = [base_filters * min(2 ** (doublings - level), 8) for level in range(doublings + 1)]
    attention_level = closest_resolution(attention_resolution, generator_sides(base, doublings))

    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    shared = keras.layers.Embedding(
        num_classes,
        shared_embedding_dim,
        embeddings_initializer="orthogonal",
        name="shared_embedding",
    )(ops.reshape(labels, (-1,)))
    chunk = latent_dim // num_chunks
    chunks = [z[:, i * chunk : (i + 1) * chunk] for i in range(num_chunks)]

    x = layers.dense(base * base * filters[0], "dense")(chunks[0])
    x = dense_to_map(x, base, filters[0], data_format, "dense_reshape")
    for level in range(1, doublings + 1):
        if hierarchical:
            condition = keras.layers.Concatenate(name=f"block{level}_condition")(
                [chunks[level], shared]
            )
        else:
            condition = shared

        def normalize(h, norm_name, condition=condition):
            return ConditionalBatchNormalization(
                None,
                momentum=0.9,
                epsilon=1e-5,
                projection_initializer="orthogonal",
                axis=axis,
                name=norm_name,
            )([h, condition])

        x = residual_up_block(x, filters[level], normalize, layers, f"block{level}")
        if attention_level == level - 1:
            x = SelfAttention2D(
                value_channels_ratio=2, use_spectral_norm=spectral_norm, data_format=data_format,
                name="attention",
            )(x)
    x = BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-5, name="output_norm")(x)
    x = keras.layers.ReLU(name="output_relu")(x)
    x = layers.conv(channels, 3, "output_conv")(x)
    outputs = keras.layers.Activation("tanh", dtype="float32", name="images")(x)
    return check_channels_first_offsets(keras.Model([z, labels], outputs, name=name))


def truncated_normal_latents(num_samples, latent_dim, truncation=None, seed=None):
    """Samples latents from N(0, I), resampling entries whose magnitude exceeds `truncation`.

    The truncation trick trades variety for fidelity: the smaller the
    threshold, the closer samples are to the mode. `truncation=None` gives
    plain N(0, I) samples.

    Args:
        num_samples: number of latent vectors.
        latent_dim: size of each vector.
        truncation: positive threshold, or `None` for no truncation.
        seed: int seed or a `numpy.random.Generator`, for reproducibility.

    Returns:
        A float32 NumPy array of shape `(num_samples, latent_dim)`.

    Example:

    ```python
    z = keras_gen.networks.truncated_normal_latents(16, 120, truncation=0.5, seed=0)
    ```

    Reference:
        Brock, Donahue & Simonyan, "Large Scale GAN Training for High Fidelity
        Natural Image Synthesis", ICLR 2019 (section 3.1).
    """
    if truncation is not None and not truncation > 0:
        raise ValueError(
            f"`truncation` must be a positive threshold, or None for no truncation; "
            f"received {truncation!r}."
        )
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((num_samples, latent_dim))
    if truncation is not None:
        outside = np.abs(z) > truncation
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(z) > truncation
    return z.astype("float32")
