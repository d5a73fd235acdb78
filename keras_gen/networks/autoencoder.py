"""Convolutional encoder/decoder builders for the autoencoder family, and a latent discriminator.

Used by `keras_gen.models.AutoEncoder`, `VAE`, `ConditionalVAE` and
`AdversarialAutoencoder`. Images are channels-last with a height and width
divisible by 4 (e.g. 28x28x1 digits or 32x32x3 colour images), channels-last
by default; with `data_format="channels_first"` the images are
`(channels, height, width)` and the weights the same.

Architecture (`b = base_filters`):

- Encoder: two stride-2 4x4 convolutions (`b`, `2b` filters, LeakyReLU 0.2),
  flatten, then linear heads: `mean` and `log_var` (`variational=True`) or a
  single `latent` code.
- Decoder: `Dense` to an `(h/4, w/4, 2b)` map (ReLU), two blocks of
  nearest-neighbour x2 resize + 3x3 convolution (`2b`, `b`, ReLU), and a 3x3
  convolution to the image channels: raw logits (`output="logits"`, for
  Bernoulli likelihoods) or `tanh` images in [-1, 1].

Resize + convolution upsamples without the checkerboard artifacts of strided
transposed convolutions (Odena et al., 2016) and is much faster than
`Conv2DTranspose` under XLA on CPU (JAX backend).

Conditional networks (`num_classes` set) take a one-hot label as a second
input: the encoder appends it to the image as `num_classes` constant
channels, the decoder concatenates it to the latent vector.
"""

import keras

from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.networks.blocks import channel_axis
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import parse_image_shape
from keras_gen.networks.blocks import positive_int

DECODER_OUTPUTS = ("logits", "tanh")


def _parse_image_shape(image_shape):
    height, width, channels = parse_image_shape(image_shape)
    if height < 4 or width < 4 or height % 4 or width % 4 or channels < 1:
        raise ValueError(
            f"Autoencoder networks need a height and width divisible by 4 and at least "
            f"one channel, e.g. (28, 28, 1) or (32, 32, 3); received {image_shape!r}. "
            "Resize or pad your images."
        )
    return height, width, channels


def _check_num_classes(num_classes):
    if num_classes is None:
        return None
    if int(num_classes) != num_classes or num_classes < 2:
        raise ValueError(
            f"`num_classes` must be None or an integer >= 2; received {num_classes!r}."
        )
    return int(num_classes)


def conv_encoder(
    image_shape=(28, 28, 1),
    latent_dim=16,
    variational=True,
    num_classes=None,
    base_filters=32,
    name="conv_encoder",
    data_format=None,
):
    """Builds a convolutional encoder: image (and label) -> latent code.

    Args:
        image_shape: `(height, width, channels)`, height and width divisible
            by 4, e.g. `(28, 28, 1)` or `(32, 32, 3)`.
        latent_dim: size of the latent code.
        variational: True outputs `[mean, log_var]` (the diagonal Gaussian
            posterior of a `keras_gen.models.VAE`); False outputs one code
            `(batch, latent_dim)` (for `AutoEncoder` and
            `AdversarialAutoencoder`).
        num_classes: None, or the number of classes of a conditional model;
            the encoder then takes `[image, one_hot_label]`.
        base_filters: filters of the first convolution (the second has
            twice as many).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts (`Flatten` flattens in channels-last
            order).

    Returns:
        A functional `keras.Model`. Its inputs are the image `(batch,) +
        image_shape` (in [-1, 1]) and, when conditional, the one-hot label
        `(batch, num_classes)`. Its outputs are `[mean, log_var]`, each
        `(batch, latent_dim)`, or the code `(batch, latent_dim)`.

    Example:

    >>> encoder = keras_gen.networks.conv_encoder((28, 28, 1), latent_dim=16)
    >>> mean, log_var = encoder(np.zeros((2, 28, 28, 1), "float32"))
    >>> mean.shape
    (2, 16)
    """
    data_format = resolve_data_format(data_format)
    first = data_format == "channels_first"
    height, width, channels = _parse_image_shape(channels_last_shape(image_shape, data_format))
    latent_dim = positive_int(latent_dim, "latent_dim")
    base_filters = positive_int(base_filters, "base_filters")
    num_classes = _check_num_classes(num_classes)

    image = keras.Input(
        (channels, height, width) if first else (height, width, channels), name="image")
    inputs = [image]
    x = image
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label")
        inputs.append(label)
        label_maps = keras.layers.RepeatVector(height * width, name="label_repeat")(label)
        label_maps = keras.layers.Reshape((height, width, num_classes), name="label_maps")(
            label_maps
        )
        if first:
            label_maps = keras.layers.Permute((3, 1, 2), name="label_maps_channels_first")(label_maps)
        x = keras.layers.Concatenate(axis=channel_axis(data_format), name="image_and_label")(
            [x, label_maps])
    for index, filters in enumerate((base_filters, 2 * base_filters)):
        x = Conv2D(filters, 4, strides=2, padding="same", name=f"conv_{index}",
                   data_format=data_format)(x)
        x = keras.layers.LeakyReLU(0.2, name=f"conv_{index}_act")(x)
    x = keras.layers.Flatten(name="flatten", data_format=data_format)(x)
    if variational:
        mean = keras.layers.Dense(latent_dim, dtype="float32", name="mean")(x)
        log_var = keras.layers.Dense(latent_dim, dtype="float32", name="log_var")(x)
        outputs = [mean, log_var]
    else:
        outputs = keras.layers.Dense(latent_dim, dtype="float32", name="latent")(x)
    return check_channels_first_offsets(
        keras.Model(inputs if num_classes is not None else image, outputs, name=name))


def conv_decoder(
    image_shape=(28, 28, 1),
    latent_dim=16,
    num_classes=None,
    output="logits",
    base_filters=32,
    name="conv_decoder",
    data_format=None,
):
    """Builds a convolutional decoder: latent code (and label) -> image.

    Args:
        image_shape: `(height, width, channels)` of the output, height and
            width divisible by 4.
        latent_dim: size of the latent input.
        num_classes: None, or the number of classes of a conditional model;
            the decoder then takes `[latent, one_hot_label]`.
        output: `"logits"` (no activation: per-pixel Bernoulli logits, for
            `likelihood="bernoulli"` / `reconstruction="bce"`) or `"tanh"`
            (images in [-1, 1], for Gaussian / squared / absolute error).
        base_filters: filters of the last hidden convolution (the one before
            has twice as many).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts (the projection's units stay in
            channels-last order).

    Returns:
        A functional `keras.Model` mapping `(batch, latent_dim)` (and
        `(batch, num_classes)`) to `(batch,) + image_shape`.

    Example:

    >>> decoder = keras_gen.networks.conv_decoder((28, 28, 1), latent_dim=16)
    >>> decoder(np.zeros((2, 16), "float32")).shape
    (2, 28, 28, 1)
    """
    data_format = resolve_data_format(data_format)
    height, width, channels = _parse_image_shape(channels_last_shape(image_shape, data_format))
    latent_dim = positive_int(latent_dim, "latent_dim")
    base_filters = positive_int(base_filters, "base_filters")
    num_classes = _check_num_classes(num_classes)
    if output not in DECODER_OUTPUTS:
        raise ValueError(f"`output` must be one of {DECODER_OUTPUTS}; received {output!r}.")

    latent = keras.Input((latent_dim,), name="latent")
    inputs = [latent]
    x = latent
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label")
        inputs.append(label)
        x = keras.layers.Concatenate(name="latent_and_label")([latent, label])
    x = keras.layers.Dense(
        (height // 4) * (width // 4) * 2 * base_filters, activation="relu", name="project"
    )(x)
    x = keras.layers.Reshape((height // 4, width // 4, 2 * base_filters), name="reshape")(x)
    if data_format == "channels_first":
        x = keras.layers.Permute((3, 1, 2), name="reshape_channels_first")(x)
    for index, filters in enumerate((2 * base_filters, base_filters)):
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"resize_{index}",
                                      data_format=data_format)(x)
        x = Conv2D(
            filters, 3, padding="same", activation="relu", name=f"conv_{index}",
            data_format=data_format,
        )(x)
    activation = "tanh" if output == "tanh" else None
    outputs = Conv2D(
        channels, 3, padding="same", activation=activation, dtype="float32", name=output,
        data_format=data_format,
    )(x)
    return check_channels_first_offsets(
        keras.Model(inputs if num_classes is not None else latent, outputs, name=name))


def mlp_latent_discriminator(
    latent_dim=8, hidden_units=(1000, 1000), name="latent_discriminator"
):
    """Builds the MLP discriminator of an adversarial autoencoder: code -> logit.

    It tells codes drawn from the prior (real) from codes produced by the
    encoder (fake). The defaults are those of Makhzani et al. (2016) on MNIST:
    two hidden layers of 1000 ReLU units.

    Args:
        latent_dim: size of the latent code.
        hidden_units: units of each hidden `Dense` layer.
        name: model name.

    Returns:
        A functional `keras.Model` mapping `(batch, latent_dim)` to
        `(batch, 1)` logits.

    Example:

    >>> discriminator = keras_gen.networks.mlp_latent_discriminator(latent_dim=2)
    >>> discriminator(np.zeros((5, 2), "float32")).shape
    (5, 1)

    Reference:
        Makhzani et al., "Adversarial Autoencoders", ICLR workshop 2016.
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    units = tuple(hidden_units)
    if not units or any(int(u) != u or u < 1 for u in units):
        raise ValueError(
            "`hidden_units` must be a non-empty sequence of positive integers, "
            f"e.g. (1000, 1000); received {hidden_units!r}."
        )
    latent = keras.Input((latent_dim,), name="latent")
    x = latent
    for index, width in enumerate(units):
        x = keras.layers.Dense(int(width), activation="relu", name=f"hidden_{index}")(x)
    logits = keras.layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(latent, logits, name=name)
