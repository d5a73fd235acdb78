"""`keras_gen.applications.DCGAN`: the DCGAN generator, optionally pretrained."""

import os

from keras_gen import networks
from keras_gen import presets
from keras_gen.models import GAN

# The architecture the shipped `dcgan_mnist` weights were trained with.
DCGAN_MNIST_CONFIG = {
    "image_shape": (28, 28, 1),
    "latent_dim": 100,
    "base_filters": 32,
    "upsampling": "subpixel",
}


def build_dcgan(image_shape=(28, 28, 1), latent_dim=100, base_filters=32, upsampling="subpixel",
                spectral_norm=False, seed=None, name="dcgan"):
    """A `keras_gen.models.GAN` with DCGAN generator and discriminator (untrained)."""
    generator = networks.dcgan_generator(
        image_shape=image_shape, latent_dim=latent_dim, base_filters=base_filters,
        upsampling=upsampling, name=f"{name}_generator",
    )
    discriminator = networks.dcgan_discriminator(
        image_shape=image_shape, base_filters=base_filters, spectral_norm=spectral_norm,
        name=f"{name}_discriminator",
    )
    return GAN(generator, discriminator, latent_dim=latent_dim, seed=seed, name=name)


def DCGAN(weights=None, image_shape=None, latent_dim=None, base_filters=None, upsampling=None,
          include_discriminator=False, name="dcgan"):
    """Instantiates the DCGAN generator (Radford et al. 2016), optionally pretrained.

    Follows `keras.applications`: `weights=None` gives a randomly initialised
    network of the requested shape; `weights="dcgan_mnist"` loads the shipped
    preset (trained by `recipes/dcgan_mnist.py` on the embedded MNIST digits,
    offline); a folder path loads a preset written by
    `keras_gen.presets.save_to_preset`, and a `.weights.h5` path loads weights
    into the architecture given by the other arguments. Weights of presets
    are verified by sha256 before loading.

    Args:
        weights: None, `"dcgan_mnist"`, a preset folder or a `.weights.h5` file.
        image_shape: output image shape; default (28, 28, 1).
        latent_dim: latent size; default 100.
        base_filters: width of the networks; default 32.
        upsampling: `"subpixel"` (default; fast on every backend),
            `"resize"` or `"transpose"`.
        include_discriminator: return the whole `keras_gen.models.GAN`
            (generator and discriminator), e.g. to fine-tune with `fit()`,
            instead of the generator alone.
        name: model name.

    Returns:
        A `keras.Model` generator mapping `(batch, latent_dim)` to images in
        [-1, 1], or the `GAN` when `include_discriminator=True`.

    Raises:
        ValueError: an unknown preset, corrupted weights, or arguments that
            contradict the preset's architecture.

    Example:

    >>> generator = keras_gen.applications.DCGAN(weights="dcgan_mnist")
    >>> gan = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
    >>> digits = gan.generate(16, seed=0)
    """
    requested = {
        "image_shape": image_shape,
        "latent_dim": latent_dim,
        "base_filters": base_filters,
        "upsampling": upsampling,
    }
    if weights is not None and not str(weights).endswith(".h5"):
        preset_dir = presets.resolve_preset(weights)
        gan = presets.from_preset(preset_dir)
        actual = {
            "image_shape": tuple(gan.generator.outputs[0].shape[1:]),
            "latent_dim": gan.latent_dim,
        }
        presets.check_preset_arguments(weights, requested, actual)
        if include_discriminator:
            return gan
        # Presets trained with a generator EMA ship the average as the generator.
        return gan.ema_model if gan.ema_model is not None else gan.generator

    config = dict(DCGAN_MNIST_CONFIG)
    config.update({k: v for k, v in requested.items() if v is not None})
    gan = build_dcgan(name=name, **config)
    if weights is not None:
        if not os.path.isfile(weights):
            raise ValueError(f"Weights file {weights!r} does not exist.")
        gan.load_weights(weights)
    return gan if include_discriminator else gan.generator
