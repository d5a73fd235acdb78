import keras
import numpy as np
import pytest

from keras_gen.layers import PixelNormalization
from keras_gen.testing import run_layer_test


def test_layer_contract():
    run_layer_test(PixelNormalization, {"epsilon": 1e-6}, (2, 4, 4, 8), (2, 4, 4, 8))


def test_matches_numpy():
    x = np.random.default_rng(1).standard_normal((2, 3, 3, 5)).astype("float32")
    expected = x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-8)
    y = keras.ops.convert_to_numpy(PixelNormalization()(x))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.mean(y**2, axis=-1), 1.0, rtol=1e-5)


def test_works_on_vectors():
    x = np.array([[3.0, 4.0]], "float32")
    y = keras.ops.convert_to_numpy(PixelNormalization(epsilon=0.0)(x))
    np.testing.assert_allclose(y, x / np.sqrt(12.5), rtol=1e-6)


def test_rejects_negative_epsilon():
    with pytest.raises(ValueError, match="epsilon"):
        PixelNormalization(epsilon=-1.0)


def test_channels_first_normalizes_axis_1():
    run_layer_test(PixelNormalization, {"axis": 1}, (2, 8, 4, 5), (2, 8, 4, 5))
    x = np.random.default_rng(2).standard_normal((2, 5, 3, 4)).astype("float32")
    y = keras.ops.convert_to_numpy(PixelNormalization(axis=1)(x))
    last = keras.ops.convert_to_numpy(PixelNormalization()(np.moveaxis(x, 1, -1)))
    np.testing.assert_allclose(np.moveaxis(y, 1, -1), last, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.mean(y**2, axis=1), 1.0, rtol=1e-5)


def test_old_configs_normalize_the_last_axis():
    layer = PixelNormalization.from_config({"name": "normalize_latent", "epsilon": 1e-8})
    assert layer.axis == -1


@pytest.mark.parametrize("axis", [0, 4, -5])
def test_rejects_an_axis_that_is_not_a_feature_axis(axis):
    with pytest.raises(ValueError, match="feature axis"):
        PixelNormalization(axis=axis)(np.zeros((2, 3, 3, 4), "float32"))
    with pytest.raises(ValueError, match="axis"):
        PixelNormalization(axis=1.5)
