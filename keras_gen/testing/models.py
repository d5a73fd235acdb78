"""Tiny networks for fast tests of the training machinery."""

import keras


def tiny_generator(latent_dim=4, output_shape=(2,), units=16, batch_norm=False, name="generator"):
    """A small MLP generator `(batch, latent_dim) -> (batch,) + output_shape`."""
    inputs = keras.Input((latent_dim,))
    x = keras.layers.Dense(units, activation="relu")(inputs)
    if batch_norm:
        x = keras.layers.BatchNormalization()(x)
    size = 1
    for dim in output_shape:
        size *= dim
    x = keras.layers.Dense(size)(x)
    outputs = keras.layers.Reshape(output_shape)(x)
    return keras.Model(inputs, outputs, name=name)


def tiny_discriminator(input_shape=(2,), units=16, batch_norm=False, name="discriminator"):
    """A small MLP discriminator returning logits `(batch, 1)`."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    x = keras.layers.Dense(units)(x)
    if batch_norm:
        x = keras.layers.BatchNormalization()(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    outputs = keras.layers.Dense(1)(x)
    return keras.Model(inputs, outputs, name=name)
