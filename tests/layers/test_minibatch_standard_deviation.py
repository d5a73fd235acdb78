import keras
import numpy as np
import pytest

from keras_gen.layers import MinibatchStandardDeviation
from keras_gen.testing import run_layer_test


def numpy_minibatch_std(x, group_size, num_features, epsilon=1e-8):
    batch, height, width, channels = x.shape
    group = min(group_size, batch)
    y = x.reshape(group, batch // group, height, width, num_features, channels // num_features)
    std = np.sqrt(np.mean((y - y.mean(axis=0)) ** 2, axis=0) + epsilon)
    stats = std.mean(axis=(1, 2, 4))  # (batch // group, num_features)
    # Sample b belongs to group b % (batch // group).
    per_sample = stats[np.arange(batch) % (batch // group)]
    maps = np.broadcast_to(per_sample[:, None, None, :], (batch, height, width, num_features))
    return np.concatenate([x, maps], axis=-1)


def test_layer_contract():
    run_layer_test(
        MinibatchStandardDeviation, {"group_size": 2}, (4, 4, 4, 6), (4, 4, 4, 7)
    )


@pytest.mark.parametrize("group_size,num_features,batch", [(4, 1, 8), (2, 2, 6), (4, 1, 3)])
def test_matches_numpy(group_size, num_features, batch):
    x = np.random.default_rng(2).standard_normal((batch, 3, 3, 4)).astype("float32")
    layer = MinibatchStandardDeviation(group_size=group_size, num_features=num_features)
    y = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(
        y, numpy_minibatch_std(x, group_size, num_features), rtol=1e-5, atol=1e-6
    )


def test_identical_samples_give_small_std():
    x = np.ones((4, 2, 2, 3), "float32")
    y = keras.ops.convert_to_numpy(MinibatchStandardDeviation()(x))
    np.testing.assert_allclose(y[..., -1], 1e-4, rtol=1e-3)


def test_indivisible_batch_is_a_clear_error():
    with pytest.raises(ValueError, match="divisible by the group size"):
        MinibatchStandardDeviation(group_size=4)(np.zeros((6, 2, 2, 3), "float32"))


def test_indivisible_channels_is_a_clear_error():
    with pytest.raises(ValueError, match="num_features"):
        MinibatchStandardDeviation(num_features=2)(np.zeros((4, 2, 2, 3), "float32"))


def test_channels_first_contract():
    run_layer_test(
        MinibatchStandardDeviation, {"group_size": 2, "data_format": "channels_first"},
        (4, 6, 3, 5), (4, 7, 3, 5),
    )


@pytest.mark.parametrize("group_size,num_features,batch", [(4, 1, 8), (2, 2, 6)])
def test_channels_first_matches_channels_last(group_size, num_features, batch):
    x = np.random.default_rng(3).standard_normal((batch, 3, 5, 4)).astype("float32")
    layer = MinibatchStandardDeviation(group_size, num_features, data_format="channels_first")
    y = keras.ops.convert_to_numpy(layer(np.moveaxis(x, -1, 1)))
    assert y.shape == (batch, 4 + num_features, 3, 5)
    np.testing.assert_allclose(
        np.moveaxis(y, 1, -1), numpy_minibatch_std(x, group_size, num_features), rtol=1e-5, atol=1e-6
    )


def test_channels_first_checks_the_channel_axis():
    with pytest.raises(ValueError, match="num_features"):
        MinibatchStandardDeviation(num_features=2, data_format="channels_first")(
            np.zeros((4, 3, 2, 2), "float32")
        )
