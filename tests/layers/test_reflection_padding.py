"""ReflectionPadding2D: hand-checked values, shapes, saving, bad padding."""

import keras
import numpy as np
import pytest

from keras_gen.layers.reflection_padding import ReflectionPadding2D
from keras_gen.testing import run_layer_test


def test_reflection_values_by_hand():
    x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    out = keras.ops.convert_to_numpy(ReflectionPadding2D(1)(x))[0, :, :, 0]
    expected = np.array(
        [
            [4, 3, 4, 5, 4],
            [1, 0, 1, 2, 1],
            [4, 3, 4, 5, 4],
            [7, 6, 7, 8, 7],
            [4, 3, 4, 5, 4],
        ],
        dtype="float32",
    )
    np.testing.assert_array_equal(out, expected)


def test_asymmetric_padding_and_saving():
    out = run_layer_test(
        ReflectionPadding2D,
        {"padding": ((1, 2), (0, 3))},
        input_shape=(2, 5, 6, 3),
        expected_output_shape=(2, 8, 9, 3),
    )
    assert out.shape == (2, 8, 9, 3)


def test_channels_first():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype("float32")
    out = keras.ops.convert_to_numpy(ReflectionPadding2D(2, data_format="channels_first")(x))
    assert out.shape == (1, 2, 8, 8)
    np.testing.assert_array_equal(out[:, :, 0, 2:6], x[:, :, 2, :])


@pytest.mark.parametrize(
    "kwargs, shape, match",
    [
        ({"padding": 3}, (1, 3, 3, 1), "larger input"),
        ({"padding": -1}, (1, 5, 5, 1), "non-negative"),
        ({"padding": (1, 2, 3)}, (1, 5, 5, 1), "padding"),
        ({"data_format": "nhwc"}, (1, 5, 5, 1), "data_format"),
    ],
)
def test_bad_padding(kwargs, shape, match):
    with pytest.raises(ValueError, match=match):
        ReflectionPadding2D(**kwargs)(np.zeros(shape, "float32"))
