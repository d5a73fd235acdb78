import keras
import numpy as np
import pytest

from keras_gen.layers import SpectralNormalization
from keras_gen.layers import DepthToSpace
from keras_gen.networks import dcgan_discriminator
from keras_gen.networks import dcgan_generator
from keras_gen.testing import perturbed_weights
from keras_gen.testing import run_model_saving_test

SHAPES = [(28, 28, 1), (32, 32, 3), (64, 64, 3)]


def _layers_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


# Every upsampling mode at 28x28x1 and every shape once; the 64x64x3
# "transpose" generator is built in test_generator_follows_the_paper_at_64x64.
# (Few distinct weight shapes keep JAX, which compiles one initializer per
# shape, fast.)
@pytest.mark.parametrize(
    "image_shape, upsampling",
    [
        ((28, 28, 1), "transpose"),
        ((28, 28, 1), "resize"),
        ((28, 28, 1), "subpixel"),
        ((32, 32, 3), "subpixel"),
        ((64, 64, 3), "resize"),
    ],
)
def test_generator_output(image_shape, upsampling):
    generator = dcgan_generator(image_shape, latent_dim=8, base_filters=4, upsampling=upsampling)
    z = np.random.default_rng(0).standard_normal((2, 8)).astype("float32")
    images = keras.ops.convert_to_numpy(generator(z, training=False))
    assert images.shape == (2,) + image_shape
    assert np.all(np.abs(images) <= 1.0) and images.std() > 0


@pytest.mark.parametrize(
    "image_shape, spectral_norm", [(shape, False) for shape in SHAPES] + [((28, 28, 1), True)]
)
def test_discriminator_logits(image_shape, spectral_norm):
    discriminator = dcgan_discriminator(image_shape, base_filters=4, spectral_norm=spectral_norm)
    x = np.random.default_rng(0).uniform(-1, 1, (3,) + image_shape).astype("float32")
    logits = keras.ops.convert_to_numpy(discriminator(x, training=False))
    assert logits.shape == (3, 1)
    # Logits, not probabilities: the last Dense has no activation.
    last = discriminator.layers[-1]
    assert getattr(last, "layer", last).activation is keras.activations.linear
    assert len(_layers_of(discriminator, SpectralNormalization)) == (
        (len(_layers_of(discriminator, keras.layers.LeakyReLU)) + 1) if spectral_norm else 0
    )


def test_generator_follows_the_paper_at_64x64():
    # The paper's 64x64 generator is base_filters=128 (4x4x1024 -> ... -> 64x64x3);
    # a 32x narrower copy keeps the test fast.
    generator = dcgan_generator((64, 64, 3), latent_dim=8, base_filters=4, upsampling="transpose")
    assert generator.get_layer("projection_reshape").output.shape == (None, 4, 4, 32)
    convs = _layers_of(generator, keras.layers.Conv2DTranspose)
    assert [c.filters for c in convs] == [16, 8, 4, 3]
    assert [c.kernel_size for c in convs] == [(4, 4)] * 4 and all(c.strides == (2, 2) for c in convs)
    assert len(_layers_of(generator, keras.layers.BatchNormalization)) == 4
    assert generator.layers[-1].activation is keras.activations.tanh
    kernel = keras.ops.convert_to_numpy(generator.get_layer("projection").kernel)
    assert kernel.std() == pytest.approx(0.02, rel=0.05) and abs(kernel.mean()) < 1e-3
    gamma = keras.ops.convert_to_numpy(generator.get_layer("projection_bn").gamma)
    assert abs(gamma.mean() - 1.0) < 0.015 and 0.01 < gamma.std() < 0.03


def test_discriminator_structure():
    discriminator = dcgan_discriminator((64, 64, 3), base_filters=4)
    convs = _layers_of(discriminator, keras.layers.Conv2D)
    assert [c.filters for c in convs] == [4, 8, 16, 32]
    assert [c.kernel_size for c in convs] == [(4, 4)] * 4
    assert all(c.strides == (2, 2) for c in convs)
    names = [layer.name for layer in discriminator.layers]
    # BatchNorm after every convolution but the first.
    assert "down_0_bn" not in names and all(f"down_{i}_bn" in names for i in (1, 2, 3))
    assert all(l.negative_slope == pytest.approx(0.2) for l in _layers_of(discriminator, keras.layers.LeakyReLU))
    with_sn = dcgan_discriminator((28, 28, 1), base_filters=4, spectral_norm=True)
    assert not _layers_of(with_sn, keras.layers.BatchNormalization)


def test_layer_normalized_discriminator_scores_each_sample_alone():
    """With LayerNorm (for per-sample gradient penalties) a sample's logit in training mode
    does not depend on the rest of the batch; with BatchNorm it does."""
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    changed = images.copy()
    changed[1:] = rng.uniform(-1, 1, (3, 28, 28, 1))
    for normalization, independent in (("layer", True), ("batch", False)):
        discriminator = dcgan_discriminator((28, 28, 1), base_filters=4, normalization=normalization)
        names = [layer.name for layer in discriminator.layers]
        assert ("down_1_ln" in names) == (normalization == "layer")
        first = keras.ops.convert_to_numpy(discriminator(images, training=True))[0]
        again = keras.ops.convert_to_numpy(discriminator(changed, training=True))[0]
        assert np.allclose(first, again, atol=1e-6) == independent, normalization
    plain = dcgan_discriminator((28, 28, 1), base_filters=4, normalization=None)
    assert not _layers_of(plain, keras.layers.BatchNormalization)
    assert not _layers_of(plain, keras.layers.GroupNormalization)
    with pytest.raises(ValueError, match="normalization"):
        dcgan_discriminator((28, 28, 1), normalization="instance")


@pytest.mark.parametrize("upsampling, normalization", [
    ("transpose", "batch"), ("subpixel", "layer"), ("resize", None)])
def test_channels_first_networks_compute_the_same_with_the_same_weights(upsampling, normalization):
    """The torch backend runs channels-first convolutions without transposes; the weights and
    the numbers are those of the channels-last networks."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, 8)).astype("float32")
    images = rng.uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
    networks = {}
    for data_format in ("channels_last", "channels_first"):
        shape = (1, 28, 28) if data_format == "channels_first" else (28, 28, 1)
        networks[data_format] = (
            dcgan_generator(shape, latent_dim=8, base_filters=4, upsampling=upsampling,
                            data_format=data_format),
            dcgan_discriminator(shape, base_filters=4, normalization=normalization,
                                data_format=data_format),
        )
    (g_last, d_last), (g_first, d_first) = networks["channels_last"], networks["channels_first"]
    for seed, (last, first) in enumerate(((g_last, g_first), (d_last, d_first))):
        weights = perturbed_weights(last, seed=3 + seed)
        last.set_weights(weights)
        first.set_weights(weights)
    assert g_first.output_shape == (None, 1, 28, 28) and d_first.input_shape == (None, 1, 28, 28)
    for training in (False, True):  # True: BatchNorm with batch statistics
        made_last = keras.ops.convert_to_numpy(g_last(z, training=training))
        made_first = keras.ops.convert_to_numpy(g_first(z, training=training))
        np.testing.assert_allclose(made_first.transpose(0, 2, 3, 1), made_last, atol=1e-5)
        logits_last = keras.ops.convert_to_numpy(d_last(images, training=training))
        logits_first = keras.ops.convert_to_numpy(d_first(images.transpose(0, 3, 1, 2), training=training))
        np.testing.assert_allclose(logits_first, logits_last, atol=1e-4)


def test_networks_follow_the_image_data_format():
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        generator = dcgan_generator((3, 32, 32), latent_dim=4, base_filters=2, upsampling="subpixel")
        assert generator.output_shape == (None, 3, 32, 32)
        assert dcgan_discriminator((3, 32, 32), base_filters=2).input_shape == (None, 3, 32, 32)
    finally:
        keras.config.set_image_data_format(previous)


@pytest.mark.parametrize(
    "bad_shape", [(30, 30, 1), (28, 32, 1), (4, 4, 1), (48, 48, 3), (28, 28), "28x28"]
)
def test_bad_image_shapes(bad_shape):
    with pytest.raises(ValueError, match="image"):
        dcgan_generator(bad_shape)
    with pytest.raises(ValueError, match="image"):
        dcgan_discriminator(bad_shape)


def test_bad_upsampling():
    with pytest.raises(ValueError, match="upsampling"):
        dcgan_generator(upsampling="deconv")


@pytest.mark.parametrize("upsampling", ["transpose", "subpixel"])
def test_generator_saving_round_trip(upsampling, tmp_path):
    generator = dcgan_generator((28, 28, 1), latent_dim=8, base_filters=4, upsampling=upsampling)
    z = np.random.default_rng(1).standard_normal((2, 8)).astype("float32")
    reloaded = run_model_saving_test(generator, lambda m: m(z, training=False), tmp_path)
    if upsampling == "subpixel":
        assert _layers_of(reloaded, DepthToSpace)


def test_spectral_norm_discriminator_saving_round_trip(tmp_path):
    discriminator = dcgan_discriminator((28, 28, 1), base_filters=4, spectral_norm=True)
    x = np.random.default_rng(2).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    run_model_saving_test(discriminator, lambda m: m(x, training=False), tmp_path)


@pytest.mark.parametrize("upsampling", ["subpixel", "transpose", "resize"])
def test_mixed_policy_computes_hidden_layers_low_and_the_output_layer_in_float32(upsampling):
    # bfloat16 pre-activations would round the images to about half a grey level; the
    # main job's FID measured 17.2 (float32) against 19.0 (mixed_bfloat16) before the fix.
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        generator = dcgan_generator((28, 28, 1), latent_dim=8, base_filters=4, upsampling=upsampling)
    finally:
        keras.config.set_dtype_policy(previous)
    convs = [layer for layer in generator.layers if "conv" in layer.name]
    assert [c.compute_dtype for c in convs[:-1]] == ["bfloat16"] * (len(convs) - 1)
    assert convs[-1].compute_dtype == "float32"
    assert generator.get_layer("output_tanh").input.dtype == "float32"  # the pre-activations
    images = generator(np.random.default_rng(0).standard_normal((2, 8)).astype("float32"))
    assert keras.backend.standardize_dtype(images.dtype) == "float32"
