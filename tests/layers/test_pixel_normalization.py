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
