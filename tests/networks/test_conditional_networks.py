"""Conditional DCGAN and MLP builders: inputs/outputs per conditioning, the
projection and concat formulas by hand, spectral norm coverage, saving."""

import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.networks import conditional_dcgan_discriminator
from keras_gen.networks import conditional_dcgan_generator
from keras_gen.networks import conditional_mlp_discriminator
from keras_gen.networks import conditional_mlp_generator

LABELS = np.array([0, 1, 2, 1], "int32")


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def points(n=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 2)).astype("float32")


def image_batch(n=4, side=8, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, side, side, 1)).astype("float32")


@pytest.mark.parametrize("side", [8])
def test_dcgan_generator_shapes_and_label_dependence(side):
    generator = conditional_dcgan_generator((side, side, 1), 6, 3, embedding_dim=4, base_filters=4)
    assert [tuple(i.shape) for i in generator.inputs] == [(None, 6), (None,)]
    z = np.random.default_rng(0).standard_normal((4, 6)).astype("float32")
    images = numpy(generator([z, LABELS], training=False))
    assert images.shape == (4, side, side, 1) and np.all(np.abs(images) <= 1)
    other = numpy(generator([z, np.array([2, 1, 0, 1], "int32")], training=False))
    assert not np.allclose(images[0], other[0]) and np.allclose(images[1], other[1])


@pytest.mark.parametrize("conditioning", ["concat", "projection", "auxiliary"])
def test_dcgan_discriminator_inputs_and_outputs(conditioning):
    discriminator = conditional_dcgan_discriminator((8, 8, 1), 3, conditioning, base_filters=4)
    x = image_batch()
    if conditioning == "auxiliary":
        assert len(discriminator.inputs) == 1
        logits, class_logits = discriminator(x, training=False)
        assert numpy(logits).shape == (4, 1) and numpy(class_logits).shape == (4, 3)
        return
    assert len(discriminator.inputs) == 2
    logits = numpy(discriminator([x, LABELS], training=False))
    assert logits.shape == (4, 1)
    swapped = numpy(discriminator([x, np.array([2, 1, 0, 1], "int32")], training=False))
    assert not np.isclose(logits[0, 0], swapped[0, 0]) and np.isclose(logits[1, 0], swapped[1, 0])


def test_projection_is_linear_logit_plus_embedding_inner_product():
    discriminator = conditional_mlp_discriminator(2, 3, "projection", hidden_units=(5, 5))
    features = keras.Model(discriminator.inputs[0], discriminator.get_layer("hidden_1_act").output)
    x = points()
    phi = numpy(features(x))
    psi = discriminator.get_layer("logits")
    v = numpy(discriminator.get_layer("projection_embedding").kernel)
    projection = np.sum(v[LABELS] * phi, axis=1, keepdims=True)
    expected = phi @ numpy(psi.kernel) + numpy(psi.bias) + projection
    np.testing.assert_allclose(numpy(discriminator([x, LABELS])), expected, rtol=1e-5, atol=1e-6)


def test_concat_appends_the_one_hot_label():
    discriminator = conditional_mlp_discriminator(2, 3, "concat", hidden_units=(5,))
    body = discriminator.get_layer("conditional_mlp_discriminator_body")
    assert tuple(body.inputs[0].shape) == (None, 5)
    x = points()
    joined = np.concatenate([x, np.eye(3, dtype="float32")[LABELS]], axis=1)
    np.testing.assert_allclose(numpy(discriminator([x, LABELS])), numpy(body(joined)), rtol=1e-6)

    images = conditional_dcgan_discriminator((8, 8, 1), 3, "concat", base_filters=4)
    body = images.get_layer("conditional_dcgan_discriminator_body")
    x = image_batch()
    maps = np.broadcast_to(np.eye(3, dtype="float32")[LABELS][:, None, None, :], (4, 8, 8, 3))
    np.testing.assert_allclose(
        numpy(images([x, LABELS], training=False)),
        numpy(body(np.concatenate([x, maps], axis=-1), training=False)),
        rtol=1e-5, atol=1e-6,
    )


def test_auxiliary_class_head_reads_the_shared_features():
    discriminator = conditional_mlp_discriminator(2, 4, "auxiliary", hidden_units=(6,))
    features = keras.Model(discriminator.inputs[0], discriminator.get_layer("hidden_0_act").output)
    head = discriminator.get_layer("class_logits")
    x = points()
    _, class_logits = discriminator(x)
    expected = numpy(features(x)) @ numpy(head.kernel) + numpy(head.bias)
    np.testing.assert_allclose(numpy(class_logits), expected, rtol=1e-5, atol=1e-6)


def _counts(model):
    wrapped, plain = 0, 0
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras_gen.layers.SpectralNormalization):
            wrapped += 1
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            plain += 1
    return wrapped, plain


@pytest.mark.parametrize("conditioning", ["concat", "projection", "auxiliary"])
def test_spectral_norm_wraps_every_layer_including_the_heads(conditioning):
    for model in (
        conditional_dcgan_discriminator(
            (8, 8, 1), 3, conditioning, base_filters=4, spectral_norm=True
        ),
        conditional_mlp_discriminator(2, 3, conditioning, hidden_units=(4,), spectral_norm=True),
    ):
        wrapped, plain = _counts(model)
        # conv/dense layers + logits (+ projection V or class head)
        assert wrapped > 0 and wrapped == plain, (wrapped, plain)
        layers = model._flatten_layers()
        assert not any(isinstance(l, keras.layers.BatchNormalization) for l in layers)


def test_mlp_generator_and_clone_for_ema():
    generator = conditional_mlp_generator(3, 2, 4, embedding_dim=2, hidden_units=(8,))
    z = points(4) @ np.ones((2, 3), "float32")
    out = numpy(generator([z, LABELS]))
    assert out.shape == (4, 2)
    clone = keras.models.clone_model(generator)
    clone.set_weights(generator.get_weights())
    np.testing.assert_allclose(numpy(clone([z, LABELS])), out, rtol=1e-6)


@pytest.mark.parametrize("conditioning", ["concat", "projection", "auxiliary"])
def test_keras_file_round_trip(conditioning, tmp_path):
    generator = conditional_dcgan_generator((8, 8, 1), 4, 3, embedding_dim=2, base_filters=4)
    discriminator = conditional_dcgan_discriminator(
        (8, 8, 1), 3, conditioning, base_filters=4, spectral_norm=True
    )
    z = np.random.default_rng(0).standard_normal((4, 4)).astype("float32")
    x = image_batch()
    d_inputs = x if conditioning == "auxiliary" else [x, LABELS]
    for model, inputs in ((generator, [z, LABELS]), (discriminator, d_inputs)):
        expected = keras.tree.map_structure(numpy, model(inputs, training=False))
        path = os.path.join(str(tmp_path), f"{model.name}.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path)
        keras.tree.map_structure(
            lambda a, b: np.testing.assert_allclose(numpy(a), b, rtol=1e-5, atol=1e-6),
            reloaded(inputs, training=False), expected,
        )


def test_bad_arguments_name_the_fix():
    with pytest.raises(ValueError, match="'projection'"):
        conditional_dcgan_discriminator((8, 8, 1), 3, "acgan")
    with pytest.raises(ValueError, match="num_classes"):
        conditional_mlp_generator(2, 2, num_classes=1)
    with pytest.raises(ValueError, match="num_classes"):
        conditional_mlp_discriminator(2, num_classes=2.5)
    with pytest.raises(ValueError, match="embedding_dim"):
        conditional_dcgan_generator((8, 8, 1), 4, 3, embedding_dim=0)
    with pytest.raises(ValueError, match="Unsupported image side"):
        conditional_dcgan_generator((10, 10, 1), 4, 3)


def test_exported():
    for name in (
        "conditional_dcgan_generator", "conditional_dcgan_discriminator",
        "conditional_mlp_generator", "conditional_mlp_discriminator",
    ):
        assert callable(getattr(keras_gen.networks, name))
