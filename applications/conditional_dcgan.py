"""`keras_gen.applications.ConditionalDCGAN`: a class-conditional DCGAN, optionally pretrained."""

from keras_gen import presets
from keras_gen.applications.dcgan import dcgan_architecture
from keras_gen.models.gan.conditional_gan import ConditionalGAN
from keras_gen.networks.conditional import conditional_dcgan_discriminator
from keras_gen.networks.conditional import conditional_dcgan_generator

# The architecture the shipped `cgan_mnist` weights were trained with.
CGAN_MNIST_CONFIG = {
    "image_shape": (28, 28, 1),
    "latent_dim": 100,
    "num_classes": 10,
    "base_filters": 32,
    "conditioning": "projection",
}

presets.register_preset(
    "cgan_mnist", ConditionalGAN,
    "class-conditional DCGAN (projection discriminator) trained on the 4,000 embedded MNIST digits",
    application="ConditionalDCGAN",
)


def build_conditional_dcgan(image_shape=(28, 28, 1), latent_dim=100, num_classes=10, base_filters=32,
                            conditioning="projection", ema_decay=None, seed=None,
                            name="conditional_dcgan"):
    """A `keras_gen.models.ConditionalGAN` with conditional DCGAN networks (untrained).

    The generator concatenates a learned label embedding to `z` and upsamples
    with sub-pixel convolutions; the discriminator is conditioned as
    `conditioning` says (`"projection"`, `"concat"` or `"auxiliary"`).
    """
    generator = conditional_dcgan_generator(
        image_shape=image_shape, latent_dim=latent_dim, num_classes=num_classes,
        base_filters=base_filters, upsampling="subpixel", name=f"{name}_generator",
    )
    discriminator = conditional_dcgan_discriminator(
        image_shape=image_shape, num_classes=num_classes, conditioning=conditioning,
        base_filters=base_filters, name=f"{name}_discriminator",
    )
    return ConditionalGAN(
        generator, discriminator, num_classes=num_classes, latent_dim=latent_dim,
        conditioning=conditioning, ema_decay=ema_decay, seed=seed, name=name,
    )


def ConditionalDCGAN(weights=None, image_shape=None, latent_dim=None, num_classes=None,
                     base_filters=None, conditioning=None, name="conditional_dcgan"):
    """Instantiates a class-conditional DCGAN, optionally pretrained.

    `weights=None` gives a randomly initialised `keras_gen.models.ConditionalGAN`
    of the requested shape; `weights="cgan_mnist"` loads the shipped preset
    (trained by `recipes/cgan_mnist.py` on the embedded MNIST digits,
    offline, sha256-verified); a folder path loads a preset written by
    `keras_gen.presets.write_preset`, and a `.weights.h5` path loads
    weights into the architecture given by the other arguments.

    Args:
        weights: None, `"cgan_mnist"`, a preset folder or a `.weights.h5` file.
        image_shape: image shape; default (28, 28, 1).
        latent_dim: latent size; default 100.
        num_classes: number of classes; default 10.
        base_filters: width of the networks; default 32.
        conditioning: discriminator conditioning, `"projection"` (default,
            Miyato & Koyama 2018), `"concat"` (Mirza & Osindero 2014) or
            `"auxiliary"` (ACGAN, Odena et al. 2017).
        name: model name.

    Returns:
        A `keras_gen.models.ConditionalGAN`; `generate(labels=...)` draws
        digits of the requested classes.

    Raises:
        ValueError: an unknown preset, corrupted weights, or arguments that
            contradict the preset's architecture.

    Example:

    >>> cgan = keras_gen.applications.ConditionalDCGAN(weights="cgan_mnist")
    >>> sevens = cgan.generate(labels=[7] * 16, seed=0)
    """
    requested = {
        "image_shape": image_shape, "latent_dim": latent_dim, "num_classes": num_classes,
        "base_filters": base_filters, "conditioning": conditioning,
    }
    return presets.load_application(
        "ConditionalDCGAN", weights, requested, CGAN_MNIST_CONFIG,
        build=lambda **config: build_conditional_dcgan(name=name, **config),
        architecture_of=conditional_dcgan_architecture,
    )


def conditional_dcgan_architecture(model):
    """The `ConditionalDCGAN` arguments a loaded `ConditionalGAN` was built with.

    Args:
        model: a `keras_gen.models.ConditionalGAN` with conditional DCGAN networks.

    Returns:
        A dict with `image_shape`, `latent_dim`, `num_classes`, `base_filters`
        and `conditioning`.

    Example:

    ```python
    keras_gen.applications.conditional_dcgan.conditional_dcgan_architecture(cgan)
    ```
    """
    architecture = dcgan_architecture(model.generator, model.discriminator)
    return {
        "image_shape": architecture["image_shape"],
        "base_filters": architecture["base_filters"],
        "latent_dim": model.latent_dim,
        "num_classes": model.num_classes,
        "conditioning": model.conditioning,
    }
