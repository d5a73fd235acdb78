"""Fully connected generator and discriminator for low-dimensional (2-D toy) data.

Used with `keras_gen.datasets.toy` (ring and grid of Gaussians). The
discriminator outputs logits.
"""

import keras

from keras_gen.networks.blocks import with_spectral_norm


def _check_units(hidden_units):
    units = tuple(int(u) for u in hidden_units)
    if not units or min(units) < 1:
        raise ValueError(
            "`hidden_units` must be a non-empty sequence of positive integers, "
            f"e.g. (128, 128, 128); received {hidden_units!r}."
        )
    return units


def mlp_generator(
    latent_dim=2,
    output_dim=2,
    hidden_units=(128, 128, 128),
    activation="relu",
    name="mlp_generator",
):
    """Builds an MLP generator: latent vector -> point in `output_dim` dimensions.

    Args:
        latent_dim: size of the latent input.
        output_dim: size of the output (2 for the toy datasets).
        hidden_units: units of each hidden `Dense` layer.
        activation: activation of the hidden layers (any Keras activation).
        name: model name.

    Returns:
        A functional `keras.Model` mapping `(batch, latent_dim)` to
        `(batch, output_dim)`, with a linear output layer.

    Example:

    >>> generator = keras_gen.networks.mlp_generator(latent_dim=2)
    >>> generator(np.zeros((5, 2), "float32")).shape
    (5, 2)
    """
    units = _check_units(hidden_units)
    latent = keras.Input((int(latent_dim),), name="latent")
    x = latent
    for index, width in enumerate(units):
        x = keras.layers.Dense(width, activation=activation, name=f"hidden_{index}")(x)
    outputs = keras.layers.Dense(int(output_dim), dtype="float32", name="output")(x)
    return keras.Model(latent, outputs, name=name)


def mlp_discriminator(
    input_dim=2,
    hidden_units=(128, 128, 128),
    activation="leaky_relu",
    spectral_norm=False,
    name="mlp_discriminator",
):
    """Builds an MLP discriminator: point -> one real/fake logit.

    Args:
        input_dim: size of the input points.
        hidden_units: units of each hidden `Dense` layer.
        activation: activation of the hidden layers; `"leaky_relu"` uses a
            negative slope of 0.2.
        spectral_norm: wrap every `Dense` in `keras_gen.layers.SpectralNormalization`.
        name: model name.

    Returns:
        A functional `keras.Model` mapping `(batch, input_dim)` to `(batch, 1)`
        logits.

    Example:

    >>> discriminator = keras_gen.networks.mlp_discriminator(input_dim=2)
    >>> discriminator(np.zeros((5, 2), "float32")).shape
    (5, 1)

    Reference:
        Miyato et al., "Spectral Normalization for Generative Adversarial
        Networks", ICLR 2018 (for `spectral_norm=True`).
    """
    units = _check_units(hidden_units)

    def wrap(layer):
        return with_spectral_norm(layer, spectral_norm)

    points = keras.Input((int(input_dim),), name="points")
    x = points
    for index, width in enumerate(units):
        x = wrap(keras.layers.Dense(width, name=f"hidden_{index}"))(x)
        x = keras.layers.Activation(activation, name=f"hidden_{index}_act")(x)
    logits = wrap(keras.layers.Dense(1, dtype="float32", name="logits"))(x)
    return keras.Model(points, logits, name=name)
