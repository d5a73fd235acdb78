import math

import keras
import numpy as np
import pytest

from keras_gen.layers import EqualizedDense
from keras_gen.testing import run_layer_test


def test_layer_contract():
    run_layer_test(EqualizedDense, {"units": 3, "lr_multiplier": 0.01}, (2, 5), (2, 3))


def test_runtime_scale_is_he_constant_times_lr_multiplier():
    layer = EqualizedDense(3, lr_multiplier=0.01, gain=2.0)
    x = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
    layer(x)
    assert layer.scale == pytest.approx(2.0 * 0.01 / math.sqrt(4))
    layer.bias.assign(np.array([1.0, 2.0, 3.0], "float32"))
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    assert 50 < kernel.std() < 200  # stored as N(0, 1 / lr_multiplier)
    expected = x @ (kernel * 2.0 * 0.01 / 2.0) + 0.01 * np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, rtol=1e-5, atol=1e-6)


def test_effective_weights_have_he_variance_whatever_the_multiplier():
    # Equalized learning rate: the product kernel * scale is N(0, gain^2 / fan_in)
    # for every lr_multiplier, so only the step size in weight space changes.
    x = np.zeros((1, 256), "float32")
    for lr_multiplier in (1.0, 0.01):
        layer = EqualizedDense(512, lr_multiplier=lr_multiplier)
        layer(x)
        effective = keras.ops.convert_to_numpy(layer.kernel) * layer.scale
        np.testing.assert_allclose(effective.std(), math.sqrt(2.0 / 256), rtol=0.02)


def test_rejects_a_non_positive_multiplier():
    with pytest.raises(ValueError, match="lr_multiplier"):
        EqualizedDense(3, lr_multiplier=0.0)


def test_registered_name_is_unchanged_and_old_configs_load():
    assert keras.saving.get_registered_name(EqualizedDense) == "keras_gen>EqualizedDense"
    # A layer config as written by keras_gen before the layer moved to keras_gen.layers.
    old = {
        "module": "keras_gen.networks.stylegan",
        "class_name": "EqualizedDense",
        "registered_name": "keras_gen>EqualizedDense",
        "config": {"name": "dense0", "units": 3, "lr_multiplier": 0.01, "gain": 1.5,
                   "trainable": True, "dtype": "float32"},
    }
    layer = keras.saving.deserialize_keras_object(old)
    assert isinstance(layer, EqualizedDense)
    assert (layer.units, layer.lr_multiplier, layer.gain) == (3, 0.01, 1.5)
