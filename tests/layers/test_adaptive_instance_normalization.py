import keras
import numpy as np
import pytest

from keras_gen.layers import AdaptiveInstanceNormalization
from keras_gen.layers import adaptive_instance_normalization
from keras_gen.layers import instance_normalize
from keras_gen.testing import run_layer_test


def test_layer_contract():
    style = np.random.default_rng(1).standard_normal((2, 5)).astype("float32")
    run_layer_test(
        AdaptiveInstanceNormalization, {}, (2, 4, 4, 3), (2, 4, 4, 3), extra_inputs=[style]
    )


def test_core_function_imposes_scale_and_bias():
    x = np.random.default_rng(2).standard_normal((2, 6, 6, 3)).astype("float32") * 3 + 1
    scale = np.array([[0.5, 2.0, 1.0], [3.0, 0.1, 1.5]], "float32")
    bias = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, -1.0]], "float32")
    y = keras.ops.convert_to_numpy(adaptive_instance_normalization(x, scale, bias))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), bias, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2)), scale, rtol=1e-4)
    x_hat = (x - x.mean(axis=(1, 2), keepdims=True)) / np.sqrt(
        x.var(axis=(1, 2), keepdims=True) + 1e-8
    )
    expected = x_hat * scale[:, None, None] + bias[:, None, None]
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_layer_maps_style_to_scale_and_bias():
    layer = AdaptiveInstanceNormalization()
    x = np.random.default_rng(3).standard_normal((2, 5, 5, 2)).astype("float32")
    style = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    layer([x, style])
    # Identity-like affine: scale = 1 + style @ I, bias = style @ (2 I).
    layer.scale_dense.kernel.assign(np.eye(2, dtype="float32"))
    layer.bias_dense.kernel.assign(2 * np.eye(2, dtype="float32"))
    y = keras.ops.convert_to_numpy(layer([x, style]))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 2 * style, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1 + style, rtol=1e-4)


def test_initial_scale_is_around_one():
    layer = AdaptiveInstanceNormalization()
    x = np.random.default_rng(4).standard_normal((8, 4, 4, 16)).astype("float32")
    style = np.random.default_rng(5).standard_normal((8, 32)).astype("float32")
    y = keras.ops.convert_to_numpy(layer([x, style]))
    assert 0.5 < np.median(np.abs(y.std(axis=(1, 2)))) < 1.7


def test_wrong_inputs_are_a_clear_error():
    with pytest.raises(ValueError, match=r"layer\(\[x, style\]\)"):
        AdaptiveInstanceNormalization()(np.zeros((2, 4, 4, 3), "float32"))


def test_channels_first_contract():
    style = np.random.default_rng(1).standard_normal((2, 5)).astype("float32")
    run_layer_test(
        AdaptiveInstanceNormalization, {"data_format": "channels_first"}, (2, 3, 4, 6), (2, 3, 4, 6),
        extra_inputs=[style],
    )


def test_channels_first_normalizes_over_the_last_two_axes():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 5, 4, 3)).astype("float32") * 3 + 1
    scale = rng.uniform(0.5, 2, (2, 3)).astype("float32")
    bias = rng.standard_normal((2, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(adaptive_instance_normalization(x, scale, bias))
    y = adaptive_instance_normalization(np.moveaxis(x, -1, 1), scale, bias, data_format="channels_first")
    np.testing.assert_allclose(np.moveaxis(keras.ops.convert_to_numpy(y), 1, -1), expected, atol=1e-5)
    normalized = instance_normalize(np.moveaxis(x, -1, 1), data_format="channels_first")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(normalized).std(axis=(2, 3)), 1.0, rtol=1e-4)


def test_channels_first_layer_has_the_same_weights():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 5, 4, 3)).astype("float32")
    style = rng.standard_normal((2, 6)).astype("float32")
    last = AdaptiveInstanceNormalization(data_format="channels_last")
    first = AdaptiveInstanceNormalization(data_format="channels_first")
    last([x, style])
    first([np.moveaxis(x, -1, 1), style])
    weights = [w + 0.1 for w in last.get_weights()]  # non-zero biases
    last.set_weights(weights)
    first.set_weights(weights)
    made_last = keras.ops.convert_to_numpy(last([x, style]))
    made_first = keras.ops.convert_to_numpy(first([np.moveaxis(x, -1, 1), style]))
    np.testing.assert_allclose(np.moveaxis(made_first, 1, -1), made_last, atol=1e-5)


def test_channels_first_bias_goes_on_the_channels_of_a_map_as_wide_as_its_channels():
    # Batch 1, 4 channels, 4 wide: `keras.ops.add(x, bias)` on TensorFlow
    # reads a (1, 4, 1, 1) second operand as a bias on the width.
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 3, 4, 4)).astype("float32")  # channels-last (1, h=3, w=4, c=4)
    scale = rng.uniform(0.5, 2, (1, 4)).astype("float32")
    bias = rng.standard_normal((1, 4)).astype("float32")
    expected = keras.ops.convert_to_numpy(adaptive_instance_normalization(x, scale, bias))
    y = adaptive_instance_normalization(np.moveaxis(x, -1, 1), scale, bias, data_format="channels_first")
    np.testing.assert_allclose(np.moveaxis(keras.ops.convert_to_numpy(y), 1, -1), expected, atol=1e-5)
