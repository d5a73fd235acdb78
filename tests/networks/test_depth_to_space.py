import keras
import numpy as np
import pytest

from keras_gen.layers import DepthToSpace
from keras_gen.testing import run_layer_test


def _depth_to_space_by_hand(x, b):
    n, h, w, channels = x.shape
    c = channels // (b * b)
    out = np.zeros((n, h * b, w * b, c), x.dtype)
    for row in range(h):
        for col in range(w):
            for i in range(b):
                for j in range(b):
                    out[:, row * b + i, col * b + j, :] = x[:, row, col, (i * b + j) * c : (i * b + j + 1) * c]
    return out


def test_layer_contract():
    run_layer_test(DepthToSpace, {"block_size": 2}, (2, 3, 4, 8), (2, 6, 8, 2))


@pytest.mark.parametrize("block_size, channels", [(2, 4), (2, 12), (3, 18)])
def test_matches_hand_rearrangement(block_size, channels):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, channels)).astype("float32")
    out = keras.ops.convert_to_numpy(DepthToSpace(block_size)(x))
    np.testing.assert_array_equal(out, _depth_to_space_by_hand(x, block_size))


@pytest.mark.parametrize("block_size, channels", [(2, 12), (3, 18)])
def test_channels_first_is_the_same_rearrangement_transposed(block_size, channels):
    x = np.random.default_rng(1).standard_normal((2, 3, 5, channels)).astype("float32")
    layer = DepthToSpace(block_size, data_format="channels_first")
    out = keras.ops.convert_to_numpy(layer(x.transpose(0, 3, 1, 2)))
    np.testing.assert_array_equal(out.transpose(0, 2, 3, 1), _depth_to_space_by_hand(x, block_size))
    assert layer.compute_output_shape((None, channels, 3, 5)) == (
        None, channels // block_size**2, 3 * block_size, 5 * block_size)
    assert DepthToSpace.from_config(layer.get_config()).data_format == "channels_first"


def test_channels_first_layer_contract():
    run_layer_test(DepthToSpace, {"block_size": 2, "data_format": "channels_first"}, (2, 8, 3, 4), (2, 2, 6, 8))


def test_matches_tensorflow_depth_to_space():
    tf = pytest.importorskip("tensorflow")
    x = np.arange(2 * 3 * 3 * 12, dtype="float32").reshape(2, 3, 3, 12)
    out = keras.ops.convert_to_numpy(DepthToSpace(2)(x))
    np.testing.assert_array_equal(out, tf.nn.depth_to_space(x, 2).numpy())


def test_unknown_spatial_size():
    inputs = keras.Input((None, None, 8))
    model = keras.Model(inputs, DepthToSpace(2)(inputs))
    assert tuple(model.output.shape) == (None, None, None, 2)
    assert tuple(model(np.zeros((1, 3, 5, 8), "float32")).shape) == (1, 6, 10, 2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="block_size"):
        DepthToSpace(1)
    with pytest.raises(ValueError, match="multiple"):
        DepthToSpace(2)(np.zeros((1, 2, 2, 6), "float32"))
    with pytest.raises(ValueError, match="data_format"):
        DepthToSpace(2, data_format="NCHW")
