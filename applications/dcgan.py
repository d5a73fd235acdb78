"""`keras_gen.applications.DCGAN`: the DCGAN generator, optionally pretrained."""

import keras

from keras_gen import networks
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen import presets
from keras_gen.models import GAN
from keras_gen.networks.blocks import image_geometry

# The architecture the shipped `dcgan_mnist` weights were trained with.
DCGAN_MNIST_CONFIG = {
    "image_shape": (28, 28, 1),
    "latent_dim": 100,
    "base_filters": 64,
    "discriminator_filters": 128,
    "upsampling": "subpixel",
}

# The `GAN` options it was trained with: an R1 penalty (Mescheder et al. 2018) of weight 1.
DCGAN_MNIST_TRAINING = {"gradient_penalty": "r1", "penalty_weight": 1.0}

presets.register_preset(
    "dcgan_mnist", GAN,
    "DCGAN (sub-pixel upsampling, generator EMA) trained on the 4,000 embedded MNIST digits",
    application="DCGAN",
)


def build_dcgan(image_shape=(28, 28, 1), latent_dim=100, base_filters=32, upsampling="subpixel",
                spectral_norm=False, seed=None, name="dcgan", discriminator_normalization="batch",
                data_format=None, discriminator_filters=None, **gan_options):
    """A `keras_gen.models.GAN` with DCGAN generator and discriminator (untrained).

    `image_shape` is `(height, width, channels)` in either `data_format`
    (None: `keras.config.image_data_format()`); channels-first networks
    take and make `(batch, channels, height, width)` images.
    `base_filters` is the generator's width, and the discriminator's unless
    `discriminator_filters` is given (`dcgan_discriminator`'s `base_filters`).
    `discriminator_normalization` is `keras_gen.networks.dcgan_discriminator`'s
    `normalization`; other keyword arguments (`loss=`, `gradient_penalty=`,
    `augmentation=`, ...) go to `keras_gen.models.GAN`.
    """
    data_format = resolve_data_format(data_format)
    if data_format == "channels_first":
        height, width, channels = image_shape
        image_shape = (channels, height, width)
    generator = networks.dcgan_generator(
        image_shape=image_shape, latent_dim=latent_dim, base_filters=base_filters,
        upsampling=upsampling, name=f"{name}_generator", data_format=data_format,
    )
    discriminator = networks.dcgan_discriminator(
        image_shape=image_shape, base_filters=discriminator_filters or base_filters,
        spectral_norm=spectral_norm, normalization=discriminator_normalization, name=f"{name}_discriminator",
        data_format=data_format,
    )
    return GAN(generator, discriminator, latent_dim=latent_dim, seed=seed, name=name, **gan_options)


def DCGAN(weights=None, image_shape=None, latent_dim=None, base_filters=None, upsampling=None,
          include_discriminator=False, name="dcgan", data_format=None, discriminator_filters=None):
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
        base_filters: width of the generator; default 64 (the preset's).
        upsampling: `"subpixel"` (default; fast on every backend),
            `"resize"` or `"transpose"` (on torch 8% faster; see
            `keras_gen.networks.dcgan_generator`).
        include_discriminator: return the whole `keras_gen.models.GAN`
            (generator and discriminator), e.g. to fine-tune with `fit()`,
            instead of the generator alone.
        name: model name.
        discriminator_filters: width of the discriminator (the filters of
            its first convolution); default: the preset's 128, or twice
            `base_filters` when that is given (the preset's ratio).
        data_format: layout of the networks' images, `"channels_last"` or
            `"channels_first"` (None: `keras.config.image_data_format()`);
            `image_shape` is `(height, width, channels)` either way. Any
            preset or weights file loads in either layout (the weights are
            the same; channels-first images are the channels-last ones
            transposed). It is not faster on the CPU: on the torch backend
            a channels-first step ran at 0.91-0.94x of channels-last
            (`benchmarks/results_dcgan_channels_first.md`).

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
    if discriminator_filters is None and base_filters is not None:
        discriminator_filters = 2 * base_filters
    requested = {
        "image_shape": image_shape,
        "latent_dim": latent_dim,
        "base_filters": base_filters,
        "discriminator_filters": discriminator_filters,
        "upsampling": upsampling,
    }
    data_format = resolve_data_format(data_format)
    gan = presets.load_application(
        "DCGAN", weights, requested, DCGAN_MNIST_CONFIG,
        build=lambda **config: build_dcgan(name=name, data_format=data_format, **config),
        architecture_of=_gan_architecture,
    )
    gan = with_data_format(gan, data_format)  # presets are saved channels-last
    return gan if include_discriminator else presets.inference_generator(gan)


def with_data_format(gan, data_format):
    """A copy of a DCGAN `gan` whose networks use `data_format`, with the same weights.

    `gan` itself when its networks already use `data_format`.

    The networks compute the same numbers in both layouts (see
    `keras_gen.networks.dcgan_generator`), so the copy's images are the
    original's, transposed.

    Example:

    ```python
    gan = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
    nchw = keras_gen.applications.dcgan.with_data_format(gan, "channels_first")
    ```
    """
    return copy_in_data_format(gan, data_format, build_dcgan, _gan_architecture(gan))


def copy_in_data_format(model, data_format, build, architecture):
    """A copy of a GAN built by `build(data_format=, **architecture, **options)`, with `model`'s weights.

    `options` are `model`'s training options from its config (loss,
    penalties, EMA, seed, ...), so the copy trains as `model` does. Returns
    `model` itself when its discriminator already uses `data_format`.
    """
    if networks.network_data_format(model.discriminator) == data_format:
        return model
    options = {key: value for key, value in model.get_config().items()
               if key not in _NOT_GAN_OPTIONS and key not in architecture}
    copy = build(data_format=data_format, **architecture, **options)
    copy.generator.set_weights(model.generator.get_weights())
    copy.discriminator.set_weights(model.discriminator.get_weights())
    if copy.ema_model is not None:
        copy.ema_model.set_weights(model.ema_model.get_weights())
    return copy


# `GAN.get_config()` entries that are not `GAN(...)` training options.
_NOT_GAN_OPTIONS = ("generator", "discriminator", "latent_dim", "dtype", "trainable")


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


def _first_conv(discriminator):
    first_conv = find_layer(discriminator, "down_0_conv")
    return getattr(first_conv, "layer", first_conv)  # inside SpectralNormalization


def dcgan_architecture(generator, discriminator):
    """The DCGAN builder arguments that made `generator` and `discriminator`.

    Args:
        generator: a (possibly nested) `keras_gen.networks.dcgan_generator`.
        discriminator: a (possibly nested) `keras_gen.networks.dcgan_discriminator`.

    Returns:
        A dict with `image_shape`, `base_filters` (the generator's width),
        `discriminator_filters` and `upsampling`.

    Example:

    ```python
    keras_gen.applications.dcgan.dcgan_architecture(gan.generator, gan.discriminator)
    ```
    """
    first_conv = _first_conv(discriminator)
    kinds = _layer_types(generator)
    upsampling = ("subpixel" if "DepthToSpace" in kinds
                  else "transpose" if "Conv2DTranspose" in kinds else "resize")
    image_shape = tuple(generator.outputs[0].shape[1:])
    if first_conv.data_format == "channels_first":
        channels, height, width = image_shape
        image_shape = (height, width, channels)
    _, _, start_side, doublings = image_geometry(image_shape)
    projection_units = find_layer(generator, "projection").units
    return {
        "image_shape": image_shape,
        "base_filters": projection_units // (start_side**2 * 2 ** (doublings - 1)),
        "discriminator_filters": int(first_conv.filters),
        "upsampling": upsampling,
    }


def _gan_architecture(gan):
    return {**dcgan_architecture(gan.generator, gan.discriminator), "latent_dim": gan.latent_dim}
