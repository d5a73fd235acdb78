import keras
import numpy as np

from keras_gen.layers import LearnedConstant
from keras_gen.testing import run_layer_test


def test_layer_contract_and_batch_broadcast():
    out = run_layer_test(LearnedConstant, {"shape": (2, 2, 3)}, (4, 5, 6), (4, 2, 2, 3))
    np.testing.assert_array_equal(out[0], out[3])


def test_output_is_the_stored_constant_for_any_input():
    layer = LearnedConstant((3, 3, 2))
    first = keras.ops.convert_to_numpy(layer(np.zeros((2, 7), "float32")))
    constant = keras.ops.convert_to_numpy(layer.constant)
    np.testing.assert_array_equal(first, np.broadcast_to(constant, (2, 3, 3, 2)))
    later = keras.ops.convert_to_numpy(layer(np.ones((5, 7), "float32")))
    np.testing.assert_array_equal(later, np.broadcast_to(constant, (5, 3, 3, 2)))
    assert 0.5 < constant.std() < 2.0  # N(0, 1) initialization, as in StyleGAN2


def test_registered_name_is_unchanged_and_old_configs_load():
    assert keras.saving.get_registered_name(LearnedConstant) == "keras_gen>LearnedConstant"
    old = {
        "module": "keras_gen.networks.stylegan",
        "class_name": "LearnedConstant",
        "registered_name": "keras_gen>LearnedConstant",
        "config": {"name": "constant", "shape": [4, 4, 8], "trainable": True, "dtype": "float32"},
    }
    layer = keras.saving.deserialize_keras_object(old)
    assert isinstance(layer, LearnedConstant) and layer.shape == (4, 4, 8)


def test_channels_first_stores_the_channels_last_constant():
    out = run_layer_test(
        LearnedConstant, {"shape": (3, 2, 5), "data_format": "channels_first"}, (4, 6), (4, 3, 2, 5)
    )
    np.testing.assert_array_equal(out[0], out[3])
    last, first = LearnedConstant((2, 5, 3)), LearnedConstant((3, 2, 5), data_format="channels_first")
    inputs = np.zeros((2, 6), "float32")
    made_last = keras.ops.convert_to_numpy(last(inputs))
    first(inputs)
    assert tuple(first.constant.shape) == (2, 5, 3)  # the same weight in both layouts
    first.set_weights(last.get_weights())
    made_first = keras.ops.convert_to_numpy(first(inputs))
    np.testing.assert_array_equal(np.moveaxis(made_first, 1, -1), made_last)


def test_shapes_that_are_not_maps_ignore_the_data_format():
    layer = LearnedConstant((3, 4), data_format="channels_first")
    out = keras.ops.convert_to_numpy(layer(np.zeros((2, 1), "float32")))
    np.testing.assert_array_equal(out[1], keras.ops.convert_to_numpy(layer.constant))
