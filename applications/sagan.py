"""`keras_gen.applications.SAGAN`: the SAGAN generator, optionally pretrained."""

import keras

from keras_gen import networks
from keras_gen import presets
from keras_gen.models import GAN

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
                ema_decay=None, seed=None, name="sagan"):
    """A `keras_gen.models.GAN` with SAGAN networks and the hinge loss (untrained).

    Args:
        image_shape: `(side, side, channels)` with side 4 or 7 times a power
            of two (e.g. 28, 32, 64).
        latent_dim: latent size.
        base_filters: channels of the generator's last block and the
            discriminator's first block.
        attention_resolution: side at which both networks attend; default
            half the image side (14 for 28x28 digits).
        ema_decay: keep an exponential moving average of the generator.
        seed: seed of the latent noise.
        name: model name; the networks are `{name}_generator` and
            `{name}_discriminator`.

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
    generator = networks.sagan_generator(
        image_shape=image_shape, latent_dim=latent_dim, base_filters=base_filters,
        attention_resolution=attention_resolution, name=f"{name}_generator",
    )
    discriminator = networks.sagan_discriminator(
        image_shape=image_shape, base_filters=base_filters,
        attention_resolution=attention_resolution, name=f"{name}_discriminator",
    )
    return GAN(generator, discriminator, latent_dim=latent_dim, loss="hinge",
               ema_decay=ema_decay, seed=seed, name=name)


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
        A dict with `image_shape`, `latent_dim` and `base_filters`.

    Example:

    ```python
    keras_gen.applications.sagan.sagan_architecture(gan)["base_filters"]
    ```
    """
    return {
        "image_shape": tuple(gan.generator.outputs[0].shape[1:]),
        "latent_dim": gan.latent_dim,
        # The last generator block has `base_filters` channels.
        "base_filters": int(gan.generator.get_layer("output_norm").gamma.shape[0]),
    }


def SAGAN(weights=None, image_shape=None, latent_dim=None, base_filters=None,
          include_discriminator=False, name="sagan"):
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
    gan = presets.load_application(
        "SAGAN", weights, requested, SAGAN_MNIST_CONFIG,
        build=lambda **config: build_sagan(name=name, **config), architecture_of=sagan_architecture,
    )
    return gan if include_discriminator else presets.inference_generator(gan)
