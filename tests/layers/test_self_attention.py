import keras
import numpy as np
import pytest

from keras_gen.layers import SelfAttention2D
from keras_gen.testing import run_layer_test


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _max_pool(x):
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def numpy_attention(layer, x):
    """Hand computation of SAGAN attention with the layer's 1x1 kernels and gamma."""

    def kernel(conv):
        return keras.ops.convert_to_numpy(conv.kernel)[0, 0]  # (in, out)

    b, h, w, c = x.shape
    query = x @ kernel(layer.query_conv)
    key = x @ kernel(layer.key_conv)
    value = x @ kernel(layer.value_conv)
    if layer.pool_keys_values:
        key, value = _max_pool(key), _max_pool(value)
    query = query.reshape(b, h * w, -1)
    key = key.reshape(b, key.shape[1] * key.shape[2], -1)
    value = value.reshape(b, value.shape[1] * value.shape[2], -1)
    attention = _softmax(query @ key.transpose(0, 2, 1))
    o = (attention @ value).reshape(b, h, w, -1) @ kernel(layer.output_conv)
    gamma = float(keras.ops.convert_to_numpy(layer.gamma))
    return x + gamma * o


def test_layer_contract():
    run_layer_test(
        SelfAttention2D,
        {"pool_keys_values": True, "value_channels_ratio": 2},
        (2, 4, 4, 16),
        (2, 4, 4, 16),
    )


def test_layer_contract_spectral_norm():
    run_layer_test(SelfAttention2D, {"use_spectral_norm": True}, (2, 4, 4, 8), (2, 4, 4, 8))


def test_gamma_zero_is_exact_identity():
    x = np.random.default_rng(1).standard_normal((2, 4, 4, 16)).astype("float32")
    y = keras.ops.convert_to_numpy(SelfAttention2D()(x))
    np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize("pool", [False, True])
def test_matches_numpy_with_gamma_one(pool):
    x = np.random.default_rng(2).standard_normal((2, 4, 6, 16)).astype("float32")
    layer = SelfAttention2D(pool_keys_values=pool, value_channels_ratio=2)
    layer(x)
    layer.gamma.assign(1.0)
    y = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(y, numpy_attention(layer, x), rtol=1e-4, atol=1e-5)
    assert not np.allclose(y, x)


def test_odd_size_with_pooling_is_a_clear_error():
    with pytest.raises(ValueError, match="pool_keys_values=False"):
        SelfAttention2D(pool_keys_values=True)(np.zeros((1, 5, 4, 8), "float32"))


def test_layer_contract_channels_first():
    run_layer_test(
        SelfAttention2D,
        {"pool_keys_values": True, "value_channels_ratio": 2, "data_format": "channels_first"},
        (2, 16, 4, 6),
        (2, 16, 4, 6),
    )


@pytest.mark.parametrize("pool, spectral_norm", [(False, False), (True, False), (False, True)])
def test_channels_first_matches_channels_last(pool, spectral_norm):
    """Same weights, the input transposed: the same numbers, transposed (height != width)."""
    x = np.random.default_rng(3).standard_normal((2, 4, 6, 16)).astype("float32")
    kwargs = dict(pool_keys_values=pool, value_channels_ratio=2, use_spectral_norm=spectral_norm)
    last = SelfAttention2D(data_format="channels_last", **kwargs)
    first = SelfAttention2D(data_format="channels_first", **kwargs)
    x_first = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    last(x)
    first(x_first)
    weights = [w + np.random.default_rng(4).standard_normal(w.shape).astype("float32")
               for w in last.get_weights()]
    last.set_weights(weights)
    first.set_weights(weights)
    for training in (False, True):
        expected = keras.ops.convert_to_numpy(last(x, training=training))
        got = keras.ops.convert_to_numpy(first(x_first, training=training))
        assert got.shape == (2, 16, 4, 6)
        np.testing.assert_allclose(np.moveaxis(got, 1, -1), expected, rtol=1e-4, atol=1e-4)
    assert not np.allclose(expected, x)


def test_a_config_without_data_format_loads_channels_last():
    config = SelfAttention2D(data_format="channels_last").get_config()
    assert config["data_format"] == "channels_last"
    del config["data_format"]  # as saved before the layer took it
    previous = keras.config.image_data_format()
    try:
        keras.config.set_image_data_format("channels_first")
        assert SelfAttention2D.from_config(config).data_format == "channels_last"
        assert SelfAttention2D().data_format == "channels_first"
    finally:
        keras.config.set_image_data_format(previous)


def test_channels_first_needs_known_channels_on_axis_1():
    with pytest.raises(ValueError, match=r"\(batch, channels, height, width\)"):
        SelfAttention2D(data_format="channels_first").build((None, None, 4, 4))
    with pytest.raises(ValueError, match="data_format"):
        SelfAttention2D(data_format="NCHW")
