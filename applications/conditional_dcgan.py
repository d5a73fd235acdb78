"""`keras_gen.applications.ConditionalDCGAN`: a class-conditional DCGAN, optionally pretrained."""

from keras_gen import presets
from keras_gen.applications.dcgan import copy_in_data_format
from keras_gen.applications.dcgan import dcgan_architecture
from keras_gen.layers.depth_to_space import resolve_data_format
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
                            conditioning="projection", name="conditional_dcgan", data_format=None,
                            **gan_options):
    """A `keras_gen.models.ConditionalGAN` with conditional DCGAN networks (untrained).

    The generator concatenates a learned label embedding to `z` and upsamples
    with sub-pixel convolutions; the discriminator is conditioned as
    `conditioning` says (`"projection"`, `"concat"` or `"auxiliary"`).
    `image_shape` is `(height, width, channels)` in either `data_format`
    (None: `keras.config.image_data_format()`); channels-first networks take
    and make `(batch, channels, height, width)` images. Other keyword
    arguments (`ema_decay=`, `seed=`, `loss=`, ...) go to `ConditionalGAN`.
    """
    data_format = resolve_data_format(data_format)
    if data_format == "channels_first":
        height, width, channels = image_shape
        image_shape = (channels, height, width)
    generator = conditional_dcgan_generator(
        image_shape=image_shape, latent_dim=latent_dim, num_classes=num_classes,
        base_filters=base_filters, upsampling="subpixel", name=f"{name}_generator",
        data_format=data_format,
    )
    discriminator = conditional_dcgan_discriminator(
        image_shape=image_shape, num_classes=num_classes, conditioning=conditioning,
        base_filters=base_filters, name=f"{name}_discriminator", data_format=data_format,
    )
    return ConditionalGAN(
        generator, discriminator, num_classes=num_classes, latent_dim=latent_dim,
        conditioning=conditioning, name=name, **gan_options,
    )


def ConditionalDCGAN(weights=None, image_shape=None, latent_dim=None, num_classes=None,
                     base_filters=None, conditioning=None, name="conditional_dcgan", data_format=None):
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
        data_format: layout of the networks' images, `"channels_last"` or
            `"channels_first"` (None: `keras.config.image_data_format()`);
            `image_shape` is `(height, width, channels)` either way. Any
            preset or weights file loads in either layout (the weights are
            the same; channels-first images are the channels-last ones
            transposed).

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
    data_format = resolve_data_format(data_format)
    model = presets.load_application(
        "ConditionalDCGAN", weights, requested, CGAN_MNIST_CONFIG,
        build=lambda **config: build_conditional_dcgan(name=name, data_format=data_format, **config),
        architecture_of=conditional_dcgan_architecture,
    )
    # Presets are saved channels-last.
    return copy_in_data_format(model, data_format, build_conditional_dcgan,
                               conditional_dcgan_architecture(model))


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
