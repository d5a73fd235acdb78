"""Tiny networks for fast tests of the training machinery."""

import keras
import numpy as np


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


def tiny_image_generator(image_shape=(8, 8, 1), output_channels=1, filters=4, name="generator"):
    """An image-to-image map: Conv 3x3 -> ReLU -> Conv 3x3 -> tanh, same spatial size."""
    inputs = keras.Input(image_shape)
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(inputs)
    # The output convolution computes in float32 under a mixed policy, as the library's
    # image generators' do (and torch's CPU float16 convolution cannot train one filter).
    outputs = keras.layers.Conv2D(output_channels, 3, padding="same", activation="tanh",
                                  dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def tiny_patch_discriminator(image_shape=(8, 8, 1), filters=4, name="discriminator"):
    """A PatchGAN-style critic: strided Conv -> LeakyReLU -> Conv to a `(batch, h/2, w/2, 1)` logit map."""
    inputs = keras.Input(image_shape)
    x = keras.layers.Conv2D(filters, 3, strides=2, padding="same")(inputs)
    x = keras.layers.LeakyReLU(0.2)(x)
    outputs = keras.layers.Conv2D(1, 3, padding="same", dtype="float32")(x)  # float32 logits
    return keras.Model(inputs, outputs, name=name)


def tiny_feature_extractor(image_shape=(8, 8, 1), num_features=5, num_classes=3):
    """A dense stand-in for a metrics feature extractor: `{"features", "probabilities"}`."""
    inputs = keras.Input(image_shape)
    flat = keras.layers.Flatten()(inputs)
    outputs = {
        "features": keras.layers.Dense(num_features)(flat),
        "probabilities": keras.layers.Dense(num_classes, activation="softmax")(flat),
    }
    return keras.Model(inputs, outputs)


def dense_encoder(image_shape=(4, 4, 1), latent_dim=2, variational=True, num_classes=None):
    """Flatten -> [mean, log_var] (or one code) through linear heads."""
    image = keras.Input(image_shape, name="image")
    inputs = [image]
    x = keras.layers.Flatten()(image)
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label")
        inputs.append(label)
        x = keras.layers.Concatenate()([x, label])
    if variational:
        outputs = [
            keras.layers.Dense(latent_dim, name="mean")(x),
            keras.layers.Dense(latent_dim, name="log_var")(x),
        ]
    else:
        outputs = keras.layers.Dense(latent_dim, name="latent")(x)
    return keras.Model(inputs if num_classes else image, outputs, name="encoder")


def dense_decoder(image_shape=(4, 4, 1), latent_dim=2, num_classes=None, activation=None):
    """Linear map from the code to the image (logits, or `activation`)."""
    latent = keras.Input((latent_dim,), name="latent")
    inputs = [latent]
    x = latent
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label")
        inputs.append(label)
        x = keras.layers.Concatenate()([latent, label])
    x = keras.layers.Dense(int(np.prod(image_shape)), activation=activation, name="pixels")(x)
    outputs = keras.layers.Reshape(image_shape)(x)
    return keras.Model(inputs if num_classes else latent, outputs, name="decoder")


def patterns(n=64, image_shape=(4, 4, 1), seed=0):
    """Images in [-1, 1] from two prototypes plus noise, and their labels."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(image_shape))
    prototypes = np.stack([np.linspace(-1, 1, size), np.linspace(1, -1, size)])
    labels = np.arange(n) % 2
    x = prototypes[labels] + 0.2 * rng.standard_normal((n, size))
    return np.clip(x, -1, 1).reshape((n,) + image_shape).astype("float32"), labels


# --------------------------------------------------------------------- MUNIT
def tiny_munit_networks(shape_a=(8, 8, 1), shape_b=(8, 8, 3), filters=4, style_dim=2):
    """MUNIT's eight networks at their smallest, as the keyword arguments of `keras_gen.models.MUNIT`.

    Per domain: a content encoder (one stride-2 convolution), a style
    encoder (global average pooling and a dense layer), a decoder (the
    content plus a dense map of the style, 2x upsampling, one convolution
    with tanh) and `tiny_patch_discriminator`. MUNIT traces its eight
    networks about twenty times per training step; the library's full
    builders (`keras_gen.networks.munit_*`) have their own network tests and
    train in MUNIT's model tests.
    """
    layers = keras.layers
    nets = {}
    for domain, shape in (("a", shape_a), ("b", shape_b)):
        image = keras.Input(shape)
        content = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(image)
        nets[f"content_encoder_{domain}"] = keras.Model(image, content, name=f"content_encoder_{domain}")
        image = keras.Input(shape)
        style = layers.Dense(style_dim, dtype="float32")(layers.GlobalAveragePooling2D()(image))
        nets[f"style_encoder_{domain}"] = keras.Model(image, style, name=f"style_encoder_{domain}")
        content, style = keras.Input(tuple(content.shape[1:])), keras.Input((style_dim,))
        shift = layers.Reshape((1, 1, filters))(layers.Dense(filters)(style))
        x = layers.UpSampling2D(2)(layers.Add()([content, shift]))
        image = layers.Conv2D(shape[-1], 3, padding="same", activation="tanh", dtype="float32")(x)
        nets[f"decoder_{domain}"] = keras.Model([content, style], image, name=f"decoder_{domain}")
        nets[f"discriminator_{domain}"] = tiny_patch_discriminator(
            shape, name=f"discriminator_{domain}"
        )
    return nets


# --------------------------------------------------------------------- SPADE
def tiny_spade_networks(label_shape=(8, 8, 3), image_channels=1, filters=4, latent_dim=4,
                        encoder=False, feature_network=False):
    """SPADE's networks at their smallest, as keyword arguments of `keras_gen.models.SPADE`.

    The library's builders with one SPADE residual block (no upsampling), a
    one-scale, one-layer multi-scale discriminator, optionally a one-conv
    image encoder and a one-conv feature network for the perceptual loss.
    Without spectral normalization (a third of the ops of a compiled step; it
    has its own layer tests and is on in the networks' and learning tests).
    """
    from keras_gen import networks

    image_shape = tuple(label_shape[:2]) + (image_channels,)
    nets = {
        "generator": networks.spade_generator(
            label_shape, output_channels=image_channels, latent_dim=latent_dim,
            base_filters=filters, num_upsamples=0, hidden_filters=filters, spectral_norm=False,
        ),
        "discriminator": networks.multiscale_patchgan_discriminator(
            label_shape, target_shape=image_shape, num_scales=1, base_filters=filters,
            num_layers=1,
        ),
    }
    if encoder:
        nets["encoder"] = networks.spade_image_encoder(
            image_shape, latent_dim=latent_dim, base_filters=filters, num_downsamples=1,
            spectral_norm=False,
        )
    if feature_network:
        images = keras.Input(image_shape)
        features = keras.layers.Conv2D(filters, 3, strides=2, activation="relu")(images)
        nets["feature_network"] = keras.Model(images, features, name="feature_network")
    return nets
