"""keras_gen.layers.BatchNormalization: Keras's layer in every respect but speed on torch."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.layers import BatchNormalization
from keras_gen.testing import assert_trains_like_keras
from keras_gen.testing import run_layer_test

SHAPES = {(8, 6): -1, (4, 5, 3, 6): -1, (4, 6, 5, 3): 1}  # input shape: channel axis


@pytest.mark.parametrize("shape, axis", SHAPES.items())
def test_layer_contract(shape, axis):
    run_layer_test(BatchNormalization, {"axis": axis, "momentum": 0.9}, shape, shape)


def _twins(shape, axis, **kwargs):
    """Keras's layer and this one, built with the same random weights and statistics."""
    rng = np.random.default_rng(0)
    keras_bn = keras.layers.BatchNormalization(axis=axis, **kwargs)
    ours = BatchNormalization(axis=axis, **kwargs)
    for layer in (keras_bn, ours):
        layer.build(shape)
    channels = shape[axis]
    values = [rng.uniform(0.5, 1.5, channels), rng.normal(0, 0.2, channels),
              rng.normal(0, 0.3, channels), rng.uniform(0.5, 2.0, channels)]
    by_name = dict(zip(["gamma", "beta", "moving_mean", "moving_variance"], values))
    for layer in (keras_bn, ours):
        for variable in layer.weights:
            variable.assign(by_name[variable.name].astype("float32"))
    return keras_bn, ours


def _numpy(layer):
    return {v.name: keras.ops.convert_to_numpy(v) for v in layer.weights}


@pytest.mark.parametrize("shape, axis", SHAPES.items())
@pytest.mark.parametrize("scale_center", [True, False])
def test_matches_keras_in_training_and_inference(shape, axis, scale_center):
    keras_bn, ours = _twins(shape, axis, momentum=0.9, epsilon=1e-3,
                            scale=scale_center, center=scale_center)
    x = np.random.default_rng(1).normal(0.4, 2.0, shape).astype("float32")
    for training in (True, False, True):
        expected = keras.ops.convert_to_numpy(keras_bn(x, training=training))
        got = keras.ops.convert_to_numpy(ours(x, training=training))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-6)
        for name, value in _numpy(keras_bn).items():
            np.testing.assert_allclose(_numpy(ours)[name], value, rtol=1e-5, atol=1e-7, err_msg=name)
    # The moving statistics moved: a training call updates them, as Keras's does.
    assert not np.allclose(_numpy(ours)["moving_mean"], np.random.default_rng(0).normal(0, 0.3, 1))


def test_training_matches_keras():
    def build(ours):
        inputs = keras.Input((4, 4, 3))
        h = keras.layers.Conv2D(5, 3, padding="same")(inputs)
        h = (BatchNormalization if ours else keras.layers.BatchNormalization)(momentum=0.8)(h)
        h = keras.layers.ReLU()(h)
        return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(h)))

    x = np.random.default_rng(2).normal(size=(8, 4, 4, 3)).astype("float32")
    y = np.random.default_rng(3).normal(size=(8, 1)).astype("float32")
    assert_trains_like_keras(build, x, y)


def test_under_a_mixed_policy_statistics_are_float32_and_outputs_the_compute_dtype():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        keras_bn, ours = _twins((6, 3, 3, 4), -1, momentum=0.9)
    finally:
        keras.config.set_dtype_policy(previous)
    x = np.random.default_rng(4).normal(size=(6, 3, 3, 4)).astype("float32")
    expected, got = keras_bn(x, training=True), ours(x, training=True)
    assert keras.backend.standardize_dtype(got.dtype) == "bfloat16"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.cast(got, "float32")),
                               keras.ops.convert_to_numpy(keras.ops.cast(expected, "float32")),
                               atol=2e-2)
    assert all(keras.backend.standardize_dtype(v.dtype) == "float32" for v in ours.weights)
    np.testing.assert_allclose(_numpy(ours)["moving_variance"], _numpy(keras_bn)["moving_variance"],
                               rtol=1e-5)


def test_a_symbolic_call_leaves_the_statistics_alone():
    layer = BatchNormalization()
    layer.build((None, 3))
    before = _numpy(layer)
    layer(keras.Input((3,)), training=True)
    for name, value in _numpy(layer).items():
        np.testing.assert_array_equal(value, before[name])


def test_the_network_builders_use_it():
    generator = keras_gen.networks.dcgan_generator((28, 28, 1), latent_dim=8, base_filters=4)
    norms = [layer for layer in generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(isinstance(layer, BatchNormalization) for layer in norms)


@pytest.mark.parametrize("shape, axis", SHAPES.items())
def test_on_torch_one_fused_kernel_runs(shape, axis, monkeypatch):
    if keras.backend.backend() != "torch":
        pytest.skip("the fused kernel is the torch backend's; elsewhere the layer is Keras's")
    import torch

    calls = []
    fused = torch.native_batch_norm
    monkeypatch.setattr(torch, "native_batch_norm", lambda *args: calls.append(args[0].shape) or fused(*args))
    layer = BatchNormalization(axis=axis)
    x = np.random.default_rng(5).normal(size=shape).astype("float32")
    layer(x, training=True)
    assert len(calls) == 1 and calls[0][1] == shape[axis]  # channels on axis 1, as torch wants
