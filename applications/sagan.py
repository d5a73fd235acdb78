"""`keras_gen.applications.SAGAN`: the SAGAN generator, optionally pretrained."""

import keras

from keras_gen import networks
from keras_gen import presets
from keras_gen.applications.dcgan import copy_in_data_format
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.models import GAN
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.sagan import attention_sides

# The architecture the shipped `sagan_mnist` weights were trained with.
SAGAN_MNIST_CONFIG = {
    "image_shape": (28, 28, 1),
    "latent_dim": 64,
    "base_filters": 16,
}

presets.register_preset(
    "sagan_mnist", GAN,
    "SAGAN (self-attention, spectral norm, hinge loss, TTUR) trained on the 4,000 embedded MNIST digits",
    application="SAGAN",
)


def build_sagan(image_shape=(28, 28, 1), latent_dim=128, base_filters=16, attention_resolution=None,
                ema_decay=None, seed=None, name="sagan", data_format=None, loss="hinge",
                **gan_options):
    """A `keras_gen.models.GAN` with SAGAN networks and the hinge loss (untrained).

    Args:
        image_shape: `(side, side, channels)` with side 4 or 7 times a power
            of two (e.g. 28, 32, 64), in either `data_format`.
        latent_dim: latent size.
        base_filters: channels of the generator's last block and the
            discriminator's first block.
        attention_resolution: side at which both networks attend; default
            half the image side (14 for 28x28 digits).
        ema_decay: keep an exponential moving average of the generator.
        seed: seed of the latent noise.
        name: model name; the networks are `{name}_generator` and
            `{name}_discriminator`.
        data_format: layout of the networks' images (None:
            `keras.config.image_data_format()`); channels-first networks
            take and make `(batch, channels, height, width)` images, with
            the same weights.
        loss: the adversarial objective (SAGAN: `"hinge"`).
        **gan_options: further `keras_gen.models.GAN` arguments
            (`gradient_penalty=`, `augmentation=`, ...).

    Returns:
        An uncompiled `keras_gen.models.GAN` with `loss="hinge"`; compile it
        with `sagan_optimizers()` for the paper's two-timescale Adam.

    Example:

    >>> gan = keras_gen.applications.sagan.build_sagan(latent_dim=32, base_filters=8)
    >>> gan.compile(**keras_gen.applications.sagan.sagan_optimizers())

    Reference:
        Zhang, Goodfellow, Metaxas & Odena, "Self-Attention Generative
        Adversarial Networks", ICML 2019.
    """
    if attention_resolution is None:
        attention_resolution = int(image_shape[0]) // 2
    data_format = resolve_data_format(data_format)
    if data_format == "channels_first":
        height, width, channels = image_shape
        image_shape = (channels, height, width)
    generator = networks.sagan_generator(
        image_shape=image_shape, latent_dim=latent_dim, base_filters=base_filters,
        attention_resolution=attention_resolution, name=f"{name}_generator",
        data_format=data_format,
    )
    discriminator = networks.sagan_discriminator(
        image_shape=image_shape, base_filters=base_filters,
        attention_resolution=attention_resolution, name=f"{name}_discriminator",
        data_format=data_format,
    )
    return GAN(generator, discriminator, latent_dim=latent_dim, loss=loss,
               ema_decay=ema_decay, seed=seed, name=name, **gan_options)


def sagan_optimizers(generator_learning_rate=1e-4, discriminator_learning_rate=4e-4):
    """The two-timescale Adam of SAGAN, as keyword arguments of `GAN.compile`.

    SAGAN trains the discriminator four times faster than the generator
    (two-timescale update rule, TTUR), one update each per step, with
    Adam(beta_1=0, beta_2=0.9).

    Args:
        generator_learning_rate: SAGAN: 1e-4.
        discriminator_learning_rate: SAGAN: 4e-4.

    Returns:
        `{"generator_optimizer": Adam, "discriminator_optimizer": Adam}`.

    Example:

    >>> gan.compile(**keras_gen.applications.sagan.sagan_optimizers())

    References:
        Zhang et al., "Self-Attention Generative Adversarial Networks", ICML
        2019; Heusel et al., "GANs Trained by a Two Time-Scale Update Rule
        Converge to a Local Nash Equilibrium", NeurIPS 2017.
    """
    return {
        "generator_optimizer": keras.optimizers.Adam(generator_learning_rate, beta_1=0.0, beta_2=0.9),
        "discriminator_optimizer": keras.optimizers.Adam(
            discriminator_learning_rate, beta_1=0.0, beta_2=0.9
        ),
    }


def sagan_architecture(gan):
    """The `SAGAN` arguments a loaded SAGAN was built with.

    Args:
        gan: a `keras_gen.models.GAN` with SAGAN networks.

    Returns:
        A dict with `image_shape` (channels-last, whatever the networks'
        layout), `latent_dim`, `base_filters` and `attention_resolution`
        (one that puts both networks' attention where it is: the side of
        their attention maps when they agree; None without attention).

    Example:

    ```python
    keras_gen.applications.sagan.sagan_architecture(gan)["base_filters"]
    ```
    """
    data_format = networks.network_data_format(gan.generator)
    image_shape = channels_last_shape(tuple(gan.generator.outputs[0].shape[1:]), data_format)
    return {
        "image_shape": image_shape,
        "latent_dim": gan.latent_dim,
        # The last generator block has `base_filters` channels.
        "base_filters": int(gan.generator.get_layer("output_norm").gamma.shape[0]),
        "attention_resolution": _attention_resolution(gan, image_shape, data_format),
    }


def _attention_side(network, data_format):
    for layer in network.layers:
        if layer.name == "attention":
            return int(layer.output.shape[2 if data_format == "channels_first" else 1])
    return None


def _attention_resolution(gan, image_shape, data_format):
    """An `attention_resolution` with which `build_sagan` attends where `gan`'s networks do.

    The networks round it to their own sides (`keras_gen.networks.sagan.attention_sides`),
    so e.g. 4 for 16x16 images attends at 8 in the generator and 4 in the discriminator.
    """
    found = (_attention_side(gan.generator, data_format),
             _attention_side(gan.discriminator, data_format))
    if None in found:
        return None
    candidates = (*found, *range(1, 2 * image_shape[0] + 1))
    return next((resolution for resolution in candidates
                 if attention_sides(image_shape, resolution) == found), None)


def with_data_format(gan, data_format):
    """A copy of a SAGAN `gan` whose networks use `data_format`, with the same weights and options.

    `gan` itself when its networks already use `data_format`.

    The networks compute the same numbers in both layouts, so the copy's
    images are the original's, transposed.

    Example:

    ```python
    gan = keras_gen.applications.SAGAN(weights="sagan_mnist", include_discriminator=True)
    channels_first = keras_gen.applications.sagan.with_data_format(gan, "channels_first")
    ```
    """
    return copy_in_data_format(gan, data_format, build_sagan, sagan_architecture(gan))


def SAGAN(weights=None, image_shape=None, latent_dim=None, base_filters=None,
          include_discriminator=False, name="sagan", data_format=None):
    """Instantiates the SAGAN generator (Zhang et al. 2019), optionally pretrained.

    Self-attention GAN: residual generator and discriminator with spectral
    normalization in both, one self-attention block in each, trained with
    the hinge loss and two-timescale Adam (see `build_sagan` and
    `sagan_optimizers`). Follows `keras.applications`: `weights=None` gives
    a randomly initialised network of the requested shape;
    `weights="sagan_mnist"` loads the shipped preset (trained by
    `recipes/sagan_mnist.py` on the embedded MNIST digits, offline); a
    folder path loads a preset written by `keras_gen.presets.write_preset`,
    and a `.weights.h5` path loads weights into the architecture given by
    the other arguments. Weights of presets are verified by sha256 before
    loading.

    Args:
        weights: None, `"sagan_mnist"`, a preset folder or a `.weights.h5` file.
        image_shape: output image shape; default (28, 28, 1). Sides must be
            4 or 7 times a power of two (28, 32, 64, ...).
        latent_dim: latent size; default 64 (SAGAN used 128; 64 halves the
            preset's largest layer and is plenty for digits).
        base_filters: width of the networks; default 16.
        include_discriminator: return the whole `keras_gen.models.GAN`
            (generator and discriminator), e.g. to fine-tune with `fit()`,
            instead of the generator alone.
        name: model name.
        data_format: layout of the networks' images, `"channels_last"` or
            `"channels_first"` (None: `keras.config.image_data_format()`);
            `image_shape` is `(height, width, channels)` either way. Any
            preset or weights file loads in either layout (the weights are
            the same; channels-first images are the channels-last ones
            transposed).

    Returns:
        A `keras.Model` generator mapping `(batch, latent_dim)` to images in
        [-1, 1], or the `GAN` when `include_discriminator=True`. Presets
        trained with a generator EMA return the average as the generator.

    Raises:
        ValueError: an unknown preset, corrupted weights, or arguments that
            contradict the preset's architecture.

    Example:

    >>> generator = keras_gen.applications.SAGAN(weights="sagan_mnist")
    >>> gan = keras_gen.applications.SAGAN(weights="sagan_mnist", include_discriminator=True)
    >>> digits = gan.generate(16, seed=0)

    Reference:
        Zhang, Goodfellow, Metaxas & Odena, "Self-Attention Generative
        Adversarial Networks", ICML 2019.
    """
    requested = {
        "image_shape": image_shape,
        "latent_dim": latent_dim,
        "base_filters": base_filters,
    }
    data_format = resolve_data_format(data_format)
    gan = presets.load_application(
        "SAGAN", weights, requested, SAGAN_MNIST_CONFIG,
        build=lambda **config: build_sagan(name=name, data_format=data_format, **config),
        architecture_of=sagan_architecture,
    )
    gan = with_data_format(gan, data_format)  # presets are saved channels-last
    return gan if include_discriminator else presets.inference_generator(gan)
