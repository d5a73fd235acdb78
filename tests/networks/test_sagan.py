import keras
import numpy as np
import pytest

from keras_gen.layers import SpectralNormalization
from keras_gen.layers import ConditionalBatchNormalization
from keras_gen.layers import SelfAttention2D
from keras_gen.networks import sagan_discriminator
from keras_gen.networks import sagan_generator
from keras_gen.networks.blocks import closest_resolution
from keras_gen.networks.blocks import image_geometry
from keras_gen.testing import run_model_saving_test

LATENT = 8


def _predict(model, inputs):
    return model.predict(inputs, verbose=0, batch_size=4)


def _z(n=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, LATENT)).astype("float32")


def _sn_wrapped_kernels(model):
    wrapped, plain = 0, 0
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, SpectralNormalization):
            wrapped += 1
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            plain += 1
    return wrapped, plain


@pytest.fixture(scope="module")
def conditional_pair():
    return (
        sagan_generator((8, 8, 1), LATENT, base_filters=4, attention_resolution=8, num_classes=3),
        sagan_discriminator((8, 8, 1), base_filters=4, attention_resolution=4, num_classes=3),
    )


def test_unconditional_shapes_and_structure():
    generator = sagan_generator((8, 8, 1), LATENT, base_filters=4, attention_resolution=8)
    discriminator = sagan_discriminator((8, 8, 1), base_filters=4, attention_resolution=None)
    images = _predict(generator, _z())
    assert images.shape == (4, 8, 8, 1)
    assert np.all(np.abs(images) <= 1.0)
    assert _predict(discriminator, images).shape == (4, 1)
    # Self-attention at the requested side, spectral norm on every conv/dense.
    assert isinstance(generator.get_layer("attention"), SelfAttention2D)
    assert generator.get_layer("attention").output.shape[1] == 8
    assert not any(isinstance(layer, SelfAttention2D) for layer in discriminator.layers)
    for model in (generator, discriminator):
        wrapped, plain = _sn_wrapped_kernels(model)
        assert wrapped > 0 and wrapped == plain  # each plain layer is inside a wrapper


def test_geometry_and_closest_attention_resolution():
    assert image_geometry((28, 28, 1)) == (28, 1, 7, 2)
    assert image_geometry((32, 32, 3)) == (32, 3, 4, 3)
    # 28x28: generator sides 14 and 28, 14 is closest to 16; ties go to the smaller.
    assert closest_resolution(16, [14, 28]) == 0
    assert closest_resolution(12, [8, 16]) == 0
    assert closest_resolution(None, [8, 16]) is None


def test_conditional_generator_uses_labels(conditional_pair):
    generator, _ = conditional_pair
    assert [tuple(i.shape) for i in generator.inputs] == [(None, LATENT), (None,)]
    norms = [l for l in generator.layers if isinstance(l, ConditionalBatchNormalization)]
    assert len(norms) == 2  # two per residual block
    z = np.repeat(_z(1), 4, axis=0)
    labels = np.array([0, 1, 2, 0], "int32")

    def difference(images, i, j):
        # Relative: before training, N(0, 0.02) kernels (spectral normalization
        # only rescales them in training calls) give tiny inference outputs.
        return np.abs(images[i] - images[j]).max() / np.abs(images).max()

    # At initialisation every class has gain 1 and bias 0: labels have no effect yet.
    images = _predict(generator, [z, labels])
    assert difference(images, 0, 1) < 1e-4
    norms[0].bias.assign(np.array([[0.0] * 8, [1.0] * 8, [-1.0] * 8], "float32"))
    images = _predict(generator, [z, labels])
    assert difference(images, 0, 3) < 1e-4
    assert difference(images, 0, 1) > 1e-2


def test_projection_discriminator(conditional_pair):
    _, discriminator = conditional_pair
    images = np.random.default_rng(1).uniform(-1, 1, (4, 8, 8, 1)).astype("float32")
    same_images = np.repeat(images[:1], 4, axis=0)
    logits = _predict(discriminator, [same_images, np.array([0, 1, 2, 0], "int32")])
    assert logits.shape == (4, 1)
    np.testing.assert_allclose(logits[0], logits[3], rtol=1e-5)
    assert not np.allclose(logits[0], logits[1])
    # Labels shaped (batch, 1) are accepted as well (a direct call: TF's
    # predict function would retrace on the changed rank).
    column = discriminator([same_images, np.array([[0], [1], [2], [0]], "int32")])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(column), logits, rtol=1e-5, atol=1e-5)
    # Without the class embedding, logit = psi(phi(x)) does not depend on y.
    embedding = discriminator.get_layer("class_embedding_sn").layer.kernel
    saved = keras.ops.convert_to_numpy(embedding)
    embedding.assign(np.zeros_like(saved))
    logits = _predict(discriminator, [same_images, np.array([0, 1, 2, 0], "int32")])
    np.testing.assert_allclose(logits, np.repeat(logits[:1], 4, axis=0), rtol=1e-5, atol=1e-6)
    embedding.assign(saved)


def test_training_call_updates_spectral_norm_state(conditional_pair):
    _, discriminator = conditional_pair
    layer = discriminator.get_layer("logits_sn")
    before = keras.ops.convert_to_numpy(layer.vector_u)
    images = np.random.default_rng(2).uniform(-1, 1, (4, 8, 8, 1)).astype("float32")
    discriminator([images, np.arange(4) % 3], training=True)
    assert not np.allclose(before, keras.ops.convert_to_numpy(layer.vector_u))


def test_saving_round_trip(conditional_pair, tmp_path):
    generator, discriminator = conditional_pair
    z, labels = _z(), np.array([0, 1, 2, 1], "int32")
    (tmp_path / "g").mkdir()
    (tmp_path / "d").mkdir()
    run_model_saving_test(generator, lambda m: m([z, labels]), tmp_path / "g")
    images = keras.ops.convert_to_numpy(generator([z, labels]))
    run_model_saving_test(discriminator, lambda m: m([images, labels]), tmp_path / "d")


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"image_shape": (30, 30, 1)}, "Unsupported image side"),
        ({"image_shape": (32, 16, 1)}, "square"),
        ({"num_classes": 0}, "num_classes"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sagan_generator(**kwargs)
    with pytest.raises(ValueError, match=match):
        sagan_discriminator(**kwargs)
