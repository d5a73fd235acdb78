import keras
import numpy as np
import pytest

from keras_gen.losses import OrthogonalRegularizer
from keras_gen.losses import orthogonal_regularization


def _value(x):
    return float(keras.ops.convert_to_numpy(x))


@pytest.mark.parametrize("off_diagonal", [True, False])
def test_zero_for_orthogonal_matrix(off_diagonal):
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 4)))
    assert _value(orthogonal_regularization(q.astype("float32"), 1.0, off_diagonal)) < 1e-10


def test_off_diagonal_ignores_column_norms():
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((5, 3)))
    scaled = (q * [1.0, 3.0, 0.5]).astype("float32")
    assert _value(orthogonal_regularization(scaled, 1.0)) < 1e-9
    # (9 - 1)^2 + (0.25 - 1)^2 on the diagonal for the plain variant.
    np.testing.assert_allclose(
        _value(orthogonal_regularization(scaled, 1.0, off_diagonal=False)), 64 + 0.5625, rtol=1e-5
    )


def test_hand_computation():
    w = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    # W^T W = [[10, 14], [14, 20]]
    np.testing.assert_allclose(_value(orthogonal_regularization(w, 0.5)), 0.5 * 2 * 14**2)
    np.testing.assert_allclose(
        _value(orthogonal_regularization(w, 0.5, off_diagonal=False)),
        0.5 * (9**2 + 2 * 14**2 + 19**2),
    )


def test_conv_kernel_is_reshaped_to_out_channels():
    kernel = np.random.default_rng(2).standard_normal((3, 3, 2, 4)).astype("float32")
    matrix = kernel.reshape(-1, 4)
    gram = matrix.T @ matrix
    expected = 1e-4 * np.sum((gram * (1 - np.eye(4))) ** 2)
    np.testing.assert_allclose(_value(orthogonal_regularization(kernel)), expected, rtol=1e-5)


def test_regularizer_config_round_trip_and_use_in_a_layer():
    regularizer = OrthogonalRegularizer(beta=0.1, off_diagonal=False)
    config = keras.regularizers.serialize(regularizer)
    clone = keras.regularizers.deserialize(config)
    assert isinstance(clone, OrthogonalRegularizer)
    assert clone.get_config() == {"beta": 0.1, "off_diagonal": False}

    layer = keras.layers.Dense(3, kernel_regularizer=regularizer)
    layer(np.zeros((1, 5), "float32"))
    expected = _value(orthogonal_regularization(layer.kernel, 0.1, False))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(_value(layer.losses[0]), expected, rtol=1e-6)
    assert expected > 0


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="rank >= 2"):
        orthogonal_regularization(np.ones((3,), "float32"))
    with pytest.raises(ValueError, match="beta"):
        OrthogonalRegularizer(beta=-1.0)
