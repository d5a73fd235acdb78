"""`keras_gen.applications.DCGAN`: the DCGAN generator, optionally pretrained."""

import keras

from keras_gen import networks
from keras_gen import presets
from keras_gen.models import GAN

# The architecture the shipped `dcgan_mnist` weights were trained with.
DCGAN_MNIST_CONFIG = {
    "image_shape": (28, 28, 1),
    "latent_dim": 100,
    "base_filters": 64,
    "upsampling": "subpixel",
}

presets.register_preset(
    "dcgan_mnist", GAN,
    "DCGAN (sub-pixel upsampling, generator EMA) trained on the 4,000 embedded MNIST digits",
    application="DCGAN",
)


def build_dcgan(image_shape=(28, 28, 1), latent_dim=100, base_filters=32, upsampling="subpixel",
                spectral_norm=False, seed=None, name="dcgan", discriminator_normalization="batch",
                **gan_options):
    """A `keras_gen.models.GAN` with DCGAN generator and discriminator (untrained).

    `discriminator_normalization` is `keras_gen.networks.dcgan_discriminator`'s
    `normalization`; other keyword arguments (`loss=`, `gradient_penalty=`,
    `augmentation=`, ...) go to `keras_gen.models.GAN`.
    """
    generator = networks.dcgan_generator(
        image_shape=image_shape, latent_dim=latent_dim, base_filters=base_filters,
        upsampling=upsampling, name=f"{name}_generator",
    )
    discriminator = networks.dcgan_discriminator(
        image_shape=image_shape, base_filters=base_filters, spectral_norm=spectral_norm,
        normalization=discriminator_normalization, name=f"{name}_discriminator",
    )
    return GAN(generator, discriminator, latent_dim=latent_dim, seed=seed, name=name, **gan_options)


def DCGAN(weights=None, image_shape=None, latent_dim=None, base_filters=None, upsampling=None,
          include_discriminator=False, name="dcgan"):
    """Instantiates the DCGAN generator (Radford et al. 2016), optionally pretrained.

    Follows `keras.applications`: `weights=None` gives a randomly initialised
    network of the requested shape; `weights="dcgan_mnist"` loads the shipped
    preset (trained by `recipes/dcgan_mnist.py` on the embedded MNIST digits,
    offline); a folder path loads a preset written by
    `keras_gen.presets.write_preset`, and a `.weights.h5` path loads weights
    into the architecture given by the other arguments. Weights of presets
    are verified by sha256 before loading. Every kind of `weights` returns
    the same kind of object (see Returns).

    Args:
        weights: None, `"dcgan_mnist"`, a preset folder or a `.weights.h5` file.
        image_shape: output image shape; default (28, 28, 1).
        latent_dim: latent size; default 100.
        base_filters: width of the networks; default 64 (the preset's).
        upsampling: `"subpixel"` (default; fast on every backend),
            `"resize"` or `"transpose"`.
        include_discriminator: return the whole `keras_gen.models.GAN`
            (generator and discriminator), e.g. to fine-tune with `fit()`,
            instead of the generator alone.
        name: model name.

    Returns:
        A `keras.Model` generator mapping `(batch, latent_dim)` to images in
        [-1, 1] (the moving average of the generator when the weights hold
        one), or the `GAN` when `include_discriminator=True`.

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
    gan = presets.load_application(
        "DCGAN", weights, requested, DCGAN_MNIST_CONFIG,
        build=lambda **config: build_dcgan(name=name, **config), architecture_of=_gan_architecture,
    )
    return gan if include_discriminator else presets.inference_generator(gan)


def find_layer(model, prefix):
    """The first layer of `model` (searching nested models) whose name starts with `prefix`."""
    for layer in model.layers:
        if layer.name.startswith(prefix):
            return layer
        if isinstance(layer, keras.Model):
            found = find_layer(layer, prefix)
            if found is not None:
                return found
    return None


def _layer_types(model):
    types = set()
    for layer in model.layers:
        types.add(type(layer).__name__)
        if isinstance(layer, keras.Model):
            types |= _layer_types(layer)
    return types


def dcgan_architecture(generator, discriminator):
    """The DCGAN builder arguments that made `generator` and `discriminator`.

    Args:
        generator: a (possibly nested) `keras_gen.networks.dcgan_generator`.
        discriminator: a (possibly nested) `keras_gen.networks.dcgan_discriminator`.

    Returns:
        A dict with `image_shape`, `base_filters` and `upsampling`.

    Example:

    ```python
    keras_gen.applications.dcgan.dcgan_architecture(gan.generator, gan.discriminator)
    ```
    """
    first_conv = find_layer(discriminator, "down_0_conv")
    first_conv = getattr(first_conv, "layer", first_conv)  # inside SpectralNormalization
    kinds = _layer_types(generator)
    upsampling = ("subpixel" if "DepthToSpace" in kinds
                  else "transpose" if "Conv2DTranspose" in kinds else "resize")
    return {
        "image_shape": tuple(generator.outputs[0].shape[1:]),
        "base_filters": int(first_conv.filters),
        "upsampling": upsampling,
    }


def _gan_architecture(gan):
    return {**dcgan_architecture(gan.generator, gan.discriminator), "latent_dim": gan.latent_dim}
