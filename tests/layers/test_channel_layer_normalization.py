"""keras_gen.layers.ChannelLayerNormalization: MUNIT's layer norm with a per-channel affine map."""

import keras
import numpy as np
import pytest

from keras_gen.layers import ChannelLayerNormalization
from keras_gen.testing import run_layer_test


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_layer_contract(policy):
    run_layer_test(
        ChannelLayerNormalization, {"epsilon": 1e-3}, (2, 8, 8, 4), (2, 8, 8, 4), mixed_policy=policy
    )


def test_normalizes_each_sample_over_height_width_and_channels():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 5, 6, 4)) * 3 + 1).astype("float32")
    gamma = rng.standard_normal(4).astype("float32")
    beta = rng.standard_normal(4).astype("float32")
    layer = ChannelLayerNormalization()
    layer(x)
    assert layer.gamma.shape == (4,) and layer.beta.shape == (4,)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    var = x.var(axis=(1, 2, 3), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * gamma + beta
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(x)), expected, rtol=1e-4, atol=1e-4
    )
    # Keras's LayerNormalization over the same axes learns one weight per element.
    keras_layer_norm = keras.layers.LayerNormalization(axis=[1, 2, 3])
    keras_layer_norm.build(x.shape)
    assert keras_layer_norm.gamma.shape == (5, 6, 4)


def test_initial_output_has_zero_mean_and_unit_variance_per_sample():
    x = np.random.default_rng(1).uniform(-3, 5, (2, 4, 4, 4)).astype("float32")
    y = keras.ops.convert_to_numpy(ChannelLayerNormalization()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2, 3)), 1, rtol=1e-3)


def test_config_has_no_group_count_and_refuses_one():
    config = ChannelLayerNormalization().get_config()
    assert "groups" not in config and "axis" not in config
    with pytest.raises(ValueError, match="GroupNormalization"):
        ChannelLayerNormalization(groups=2)


def test_wrong_rank_is_a_clear_error():
    with pytest.raises(ValueError, match="keras.layers.LayerNormalization"):
        ChannelLayerNormalization()(np.zeros((2, 4), "float32"))


def test_channels_first_has_the_same_weights_and_numbers():
    x = np.random.default_rng(2).standard_normal((2, 5, 6, 4)).astype("float32") * 2 + 1
    last = ChannelLayerNormalization(data_format="channels_last")
    first = ChannelLayerNormalization(data_format="channels_first")
    last(x)
    first(np.moveaxis(x, -1, 1))
    weights = [np.random.default_rng(3).standard_normal(4).astype("float32") for _ in range(2)]
    last.set_weights(weights)
    first.set_weights(weights)
    out = keras.ops.convert_to_numpy(first(np.moveaxis(x, -1, 1)))
    np.testing.assert_allclose(np.moveaxis(out, 1, -1), keras.ops.convert_to_numpy(last(x)),
                               rtol=1e-5, atol=1e-5)
    assert first.axis == 1 and first.gamma.shape == (4,)
    assert ChannelLayerNormalization.from_config(first.get_config()).data_format == "channels_first"


def test_channels_first_layer_contract():
    run_layer_test(ChannelLayerNormalization, {"data_format": "channels_first"}, (2, 4, 6, 5),
                   (2, 4, 6, 5))


def test_a_config_without_data_format_loads_as_channels_last():
    config = ChannelLayerNormalization().get_config()
    del config["data_format"]
    assert ChannelLayerNormalization.from_config(config).data_format == "channels_last"
