"""The registry of model test cases: tiny configurations of every keras_gen model.

`tests/models/test_model_contract.py` runs `run_model_test` on every case
here, on every backend, so a new model gets the whole contract checked by
adding one `register_model_case` call. Networks are tiny (dense where the
model allows, a few filters otherwise) so every case runs in seconds.
"""

import dataclasses
from typing import Callable

import numpy as np

from keras_gen.testing.models import dense_decoder
from keras_gen.testing.models import dense_encoder
from keras_gen.testing.models import tiny_discriminator
from keras_gen.testing.models import tiny_generator
from keras_gen.testing.models import tiny_image_generator
from keras_gen.testing.models import tiny_patch_discriminator
from keras_gen.testing.models import tiny_spade_networks
from keras_gen.testing.models import tiny_munit_networks

MODEL_CASES = {}


@dataclasses.dataclass
class ModelCase:
    """A model class with a tiny configuration and data to train it on.

    Args:
        model_class: the `GenerativeModel` subclass.
        init_kwargs: zero-argument callable returning fresh constructor
            keyword arguments (new networks on every call).
        data: zero-argument callable returning `(x,)` or `(x, y)` NumPy
            arrays: four batches of `batch_size`.
        batch_size: the batch size of every fit.
        outputs_fn: optional `fn(model) -> array` compared after reloads.
        partial_phases: phases that need not move every weight they own in
            one step (see `run_model_test`).
    """

    model_class: type
    init_kwargs: Callable
    data: Callable
    batch_size: int = 8
    outputs_fn: Callable = None
    partial_phases: tuple = ()


def register_model_case(name, model_class, init_kwargs, data, **options):
    """Adds a case to `MODEL_CASES` (see `ModelCase`); returns it."""
    if name in MODEL_CASES:
        raise ValueError(f"A model case named {name!r} is already registered.")
    MODEL_CASES[name] = ModelCase(model_class, init_kwargs, data, **options)
    return MODEL_CASES[name]


def _normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _uniform_images(n, shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + shape).astype("float32")


def _labels(n, num_classes):
    return (np.arange(n) % num_classes).astype("int32")


def _register_builtin_cases():
    from keras_gen import models
    from keras_gen import networks

    points = lambda: (_normal((32, 2)),)  # noqa: E731

    def gan(**options):
        return lambda: dict(generator=tiny_generator(4), discriminator=tiny_discriminator(),
                            seed=0, **options)

    register_model_case("gan", models.GAN, gan(), points,
                        outputs_fn=lambda m: m.generate(4, seed=0))
    register_model_case(
        "gan_lazy_r1_ema", models.GAN,
        gan(loss="least_squares", gradient_penalty="r1", penalty_interval=2, discriminator_steps=2,
            ema_decay=0.9),
        points, outputs_fn=lambda m: m.generate(4, seed=0),
        partial_phases=("discriminator_penalty",),
    )
    register_model_case("wgan_gp_clip", models.GAN,
                        gan(loss="wasserstein", gradient_penalty="wgan_gp", weight_clip=0.5),
                        points,
                        # The critic's output bias cancels in E[D(fake)] - E[D(real)].
                        partial_phases=("discriminator",))

    classes = 3

    def cgan(conditioning):
        return lambda: dict(
            generator=networks.conditional_mlp_generator(2, 2, classes, hidden_units=(8,)),
            discriminator=networks.conditional_mlp_discriminator(
                2, classes, conditioning, hidden_units=(8,)),
            num_classes=classes, conditioning=conditioning, seed=0,
        )

    labelled_points = lambda: (_normal((32, 2)), _labels(32, classes))  # noqa: E731
    for conditioning in ("projection", "concat", "auxiliary"):
        register_model_case(f"cgan_{conditioning}", models.ConditionalGAN, cgan(conditioning),
                            labelled_points,
                            outputs_fn=lambda m: m.generate(labels=[0, 1, 2], seed=0))

    style_shape = (8, 8, 1)

    def stylegan():
        return dict(
            mapping=networks.stylegan_mapping_network(8, 8, num_layers=2),
            synthesis=networks.stylegan_synthesis_network(
                8, style_shape, base_filters=4, max_filters=8, randomize_noise=False),
            discriminator=networks.stylegan_discriminator(style_shape, base_filters=4,
                                                          max_filters=8),
            penalty_interval=2, seed=0,
        )

    register_model_case("stylegan", models.StyleGAN, stylegan,
                        lambda: (_uniform_images(32, style_shape),),
                        outputs_fn=lambda m: m.generate(4, seed=0, truncation=0.7),
                        partial_phases=("discriminator_penalty",))

    image_shape = (4, 4, 1)  # the dense networks' default
    images = lambda: (_uniform_images(32, image_shape),)  # noqa: E731

    register_model_case(
        "autoencoder", models.AutoEncoder,
        lambda: dict(encoder=dense_encoder(variational=False),
                     decoder=dense_decoder(activation="tanh"), seed=0),
        images, outputs_fn=lambda m: m.reconstruct(_uniform_images(4, image_shape, 1)),
    )
    register_model_case(
        "vae_gaussian_warmup", models.VAE,
        lambda: dict(encoder=dense_encoder(), decoder=dense_decoder(activation="tanh"),
                     likelihood="gaussian", kl_warmup_steps=4, seed=0),
        images, outputs_fn=lambda m: m.generate(4, seed=0),
    )
    register_model_case(
        "conditional_vae", models.ConditionalVAE,
        lambda: dict(encoder=dense_encoder(num_classes=2), decoder=dense_decoder(num_classes=2),
                     seed=0),
        lambda: (_uniform_images(32, image_shape), _labels(32, 2)),
        outputs_fn=lambda m: m.generate(4, labels=[0, 1, 1, 0], seed=0),
    )
    register_model_case(
        "adversarial_autoencoder", models.AdversarialAutoencoder,
        lambda: dict(encoder=dense_encoder(variational=False),
                     decoder=dense_decoder(activation="tanh"),
                     latent_discriminator=networks.mlp_latent_discriminator(2, (8,)),
                     prior="mixture", seed=0),
        images, outputs_fn=lambda m: m.generate(4, seed=0),
    )

    # The translation models' contract is their phases and objectives: two
    # convolutions per network keep the compiled steps small. Their full
    # networks (U-Net, ResNet, PatchGAN) have their own network tests, and
    # train in the models' learning tests, presets and guide.
    translation_shape = (8, 8, 1)
    paired = lambda: (_uniform_images(32, translation_shape),  # noqa: E731
                      _uniform_images(32, translation_shape, 1))
    register_model_case(
        "pix2pix", models.Pix2Pix,
        lambda: dict(
            generator=tiny_image_generator(translation_shape),
            discriminator=tiny_patch_discriminator(translation_shape[:2] + (2,)),
            seed=0,
        ),
        paired, outputs_fn=lambda m: m.translate(_uniform_images(4, translation_shape, 2)),
    )
    register_model_case(
        "cyclegan", models.CycleGAN,
        lambda: dict(
            generator_ab=tiny_image_generator(translation_shape, name="generator_ab"),
            generator_ba=tiny_image_generator(translation_shape, name="generator_ba"),
            discriminator_a=tiny_patch_discriminator(translation_shape, name="discriminator_a"),
            discriminator_b=tiny_patch_discriminator(translation_shape, name="discriminator_b"),
            pool_size=4, seed=0,
        ),
        paired, outputs_fn=lambda m: m.translate_ab(_uniform_images(4, translation_shape, 2)),
    )
    # BicycleGAN: the library's generator at its smallest (one U-Net level, codes of
    # size 2), a linear Gaussian encoder (the ResNet encoder's many small weights make
    # each compiled step slower; it has its own network tests), two tiny PatchGANs.
    register_model_case(
        "bicyclegan", models.BicycleGAN,
        lambda: dict(
            generator=networks.bicyclegan_generator(
                translation_shape, latent_dim=2, base_filters=4, num_downsamples=1),
            encoder=dense_encoder(translation_shape, latent_dim=2),
            discriminator_encoded=tiny_patch_discriminator(
                translation_shape, name="discriminator_encoded"),
            discriminator_random=tiny_patch_discriminator(
                translation_shape, name="discriminator_random"),
            seed=0,
        ),
        paired,
        outputs_fn=lambda m: m.translate(_uniform_images(4, translation_shape, 2),
                                         z=np.array([0.5, -1.0], "float32")),
    )
    # MUNIT: eight networks of one or two layers each (it calls them ~20 times per step).
    munit_shape_b = (8, 8, 3)
    register_model_case(
        "munit", models.MUNIT,
        lambda: dict(**tiny_munit_networks(translation_shape, munit_shape_b), seed=0),
        lambda: (_uniform_images(32, translation_shape), _uniform_images(32, munit_shape_b, 1)),
        outputs_fn=lambda m: m.translate(_uniform_images(4, translation_shape, 2), "a2b", seed=0),
    )
    # SPADE: one SPADE residual block, a one-scale discriminator; one-hot label maps
    # (integer class-id maps are the other accepted form, tested in test_spade.py).
    spade_labels = (8, 8, 3)
    spade_maps = lambda seed=0: np.eye(3, dtype="float32")[  # noqa: E731
        np.random.default_rng(seed).integers(0, 3, (32,) + spade_labels[:2])]
    register_model_case(
        "spade", models.SPADE,
        lambda: dict(**tiny_spade_networks(spade_labels, feature_network=True), seed=0),
        lambda: (spade_maps(), _uniform_images(32, translation_shape, 1)),
        outputs_fn=lambda m: m.synthesize(spade_maps(2)[:4], seed=0),
        # While every logit is inside the hinge's margin, the output bias's gradient cancels.
        partial_phases=("discriminator",),
    )


_register_builtin_cases()
