import keras
import numpy as np
import pytest

from keras_gen.layers import ConditionalBatchNormalization
from keras_gen.testing import run_layer_test


def test_layer_contract_labels():
    labels = np.array([0, 2], "int32")
    run_layer_test(
        ConditionalBatchNormalization,
        {"num_classes": 3},
        (2, 4, 4, 3),
        (2, 4, 4, 3),
        extra_inputs=[labels],
    )


def test_layer_contract_projection():
    condition = np.random.default_rng(1).standard_normal((2, 6)).astype("float32")
    run_layer_test(
        ConditionalBatchNormalization,
        {"num_classes": None, "projection_initializer": "orthogonal"},
        (2, 4, 4, 3),
        (2, 4, 4, 3),
        extra_inputs=[condition],
    )


@pytest.mark.parametrize("training", [True, False])
def test_one_class_equals_batch_normalization(training):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((6, 3, 3, 4)) * 2 + 1).astype("float32")
    labels = np.zeros((6,), "int32")
    gain = np.array([[0.5, 2.0, -1.0, 1.5]], "float32")
    bias = np.array([[0.1, -0.3, 0.0, 2.0]], "float32")

    cbn = ConditionalBatchNormalization(num_classes=1, momentum=0.9)
    cbn([x, labels])
    cbn.gain.assign(gain)
    cbn.bias.assign(bias)
    bn = keras.layers.BatchNormalization(momentum=0.9)
    bn(x)
    bn.gamma.assign(gain[0])
    bn.beta.assign(bias[0])
    # Distinct non-default moving statistics so inference mode is a real check.
    stats = [rng.standard_normal(4).astype("float32"), rng.uniform(0.5, 2, 4).astype("float32")]
    cbn.batch_norm.moving_mean.assign(stats[0])
    cbn.batch_norm.moving_variance.assign(stats[1])
    bn.moving_mean.assign(stats[0])
    bn.moving_variance.assign(stats[1])

    y = keras.ops.convert_to_numpy(cbn([x, labels], training=training))
    expected = keras.ops.convert_to_numpy(bn(x, training=training))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    for ours, theirs in [
        (cbn.batch_norm.moving_mean, bn.moving_mean),
        (cbn.batch_norm.moving_variance, bn.moving_variance),
    ]:
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(ours), keras.ops.convert_to_numpy(theirs), rtol=1e-5
        )
    moved = not np.allclose(keras.ops.convert_to_numpy(cbn.batch_norm.moving_mean), stats[0])
    assert moved == training


def test_classes_select_their_gain_and_bias():
    x = np.random.default_rng(3).standard_normal((4, 2, 2, 2)).astype("float32")
    labels = np.array([[0], [1], [1], [0]], "int32")
    cbn = ConditionalBatchNormalization(num_classes=2)
    cbn([x, labels])
    # Initialisation: gain 1 and bias 0 for every class.
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(cbn.gain), np.ones((2, 2)))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(cbn.bias), np.zeros((2, 2)))
    cbn.gain.assign(np.array([[1.0, 1.0], [2.0, 3.0]], "float32"))
    cbn.bias.assign(np.array([[0.0, 0.0], [5.0, -5.0]], "float32"))
    y = keras.ops.convert_to_numpy(cbn([x, labels], training=True))
    x_hat = (x - x.mean(axis=(0, 1, 2))) / np.sqrt(x.var(axis=(0, 1, 2)) + 1e-3)
    np.testing.assert_allclose(y[[0, 3]], x_hat[[0, 3]], rtol=1e-4, atol=1e-5)
    expected = x_hat[[1, 2]] * [2.0, 3.0] + [5.0, -5.0]
    np.testing.assert_allclose(y[[1, 2]], expected, rtol=1e-4, atol=1e-5)


def test_projection_mode():
    x = np.random.default_rng(4).standard_normal((3, 2, 2, 2)).astype("float32")
    condition = np.random.default_rng(5).standard_normal((3, 4)).astype("float32")
    cbn = ConditionalBatchNormalization(num_classes=None)
    y0 = keras.ops.convert_to_numpy(cbn([x, condition], training=True))
    x_hat = (x - x.mean(axis=(0, 1, 2))) / np.sqrt(x.var(axis=(0, 1, 2)) + 1e-3)
    np.testing.assert_allclose(y0, x_hat, rtol=1e-4, atol=1e-5)  # zero init: plain BN
    w_gain = np.random.default_rng(6).standard_normal((4, 2)).astype("float32")
    w_bias = np.random.default_rng(7).standard_normal((4, 2)).astype("float32")
    cbn.gain.assign(w_gain)
    cbn.bias.assign(w_bias)
    y = keras.ops.convert_to_numpy(cbn([x, condition], training=True))
    expected = x_hat * (1 + condition @ w_gain)[:, None, None] + (condition @ w_bias)[:, None, None]
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_bad_condition_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="pass num_classes"):
        ConditionalBatchNormalization()(
            [np.zeros((2, 2, 2, 2), "float32"), np.zeros((2,), "float32")]
        )


@pytest.mark.parametrize("num_classes", [3, None])
def test_layer_contract_channels_first(num_classes):
    rng = np.random.default_rng(8)
    condition = (np.array([0, 2], "int32") if num_classes else
                 rng.standard_normal((2, 6)).astype("float32"))
    run_layer_test(
        ConditionalBatchNormalization,
        {"num_classes": num_classes, "axis": 1, "projection_initializer": "orthogonal"},
        (2, 3, 4, 5),
        (2, 3, 4, 5),
        extra_inputs=[condition],
    )


@pytest.mark.parametrize("num_classes", [3, None])
def test_channel_axis_1_is_channels_last_transposed(num_classes):
    """Same weights and statistics per channel on axis 1: the channels-last numbers, transposed."""
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((4, 3, 5, 2)) * 2 + 1).astype("float32")
    x_first = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    condition = (np.array([0, 2, 1, 2], "int32") if num_classes else
                 rng.standard_normal((4, 6)).astype("float32"))
    last = ConditionalBatchNormalization(num_classes, momentum=0.5)
    first = ConditionalBatchNormalization(num_classes, momentum=0.5, axis=1)
    last([x, condition])
    first([x_first, condition])
    weights = [w + rng.standard_normal(w.shape).astype("float32") ** 2 for w in last.get_weights()]
    last.set_weights(weights)
    first.set_weights(weights)
    for training in (True, False):
        expected = keras.ops.convert_to_numpy(last([x, condition], training=training))
        got = keras.ops.convert_to_numpy(first([x_first, condition], training=training))
        np.testing.assert_allclose(np.moveaxis(got, 1, -1), expected, rtol=1e-5, atol=1e-5)
    # The moving statistics moved the same way, per channel.
    for ours, theirs in zip(first.get_weights(), last.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert first.get_config()["axis"] == 1


def test_a_config_without_axis_normalizes_the_last_axis():
    config = ConditionalBatchNormalization(3).get_config()
    del config["axis"]  # as saved before the layer took it
    assert ConditionalBatchNormalization.from_config(config).axis == -1


@pytest.mark.parametrize("axis, match", [(0, "not a channel axis"), (4, "not a channel axis"),
                                         (1.0, "must be an int")])
def test_bad_axis_is_a_clear_error(axis, match):
    with pytest.raises(ValueError, match=match):
        ConditionalBatchNormalization(2, axis=axis)(
            [np.zeros((2, 2, 2, 2), "float32"), np.zeros((2,), "int32")]
        )
