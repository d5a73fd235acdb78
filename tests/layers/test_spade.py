"""keras_gen.layers.SPADE and SPADEResBlock (Park et al. 2019)."""

import keras
import numpy as np
import pytest

from keras_gen.layers import SPADE
from keras_gen.layers import SPADEResBlock
from keras_gen.layers import SpectralNormalization
from keras_gen.layers.spade import resize_nearest
from keras_gen.testing import run_layer_test


# One channel count (4) for images, label maps and hidden layers wherever
# possible: JAX compiles each random initializer once per kernel shape.
def _label_map(shape, num_classes, seed=0):
    labels = np.random.default_rng(seed).integers(0, num_classes, shape)
    return np.eye(num_classes, dtype="float32")[labels]


def _x(shape, seed=1):
    return (np.random.default_rng(seed).standard_normal(shape) * 2 + 0.5).astype("float32")


# ------------------------------------------------------------------ SPADE


@pytest.mark.parametrize(
    "init_kwargs, label_side, call_kwargs, policy",
    [
        ({"hidden_filters": 4, "num_classes": 4}, 16, {"training": True}, "mixed_bfloat16"),
        ({"hidden_filters": 4, "norm": "instance"}, 4, {}, "mixed_float16"),
    ],
)
def test_spade_layer_contract(init_kwargs, label_side, call_kwargs, policy):
    run_layer_test(
        SPADE,
        init_kwargs,
        (2, 8, 8, 4),
        (2, 8, 8, 4),
        extra_inputs=[_label_map((2, label_side, label_side), 4)],
        call_kwargs=call_kwargs,
        mixed_policy=policy,
    )


@pytest.mark.parametrize("norm, training", [("batch", True), ("batch", False), ("instance", None)])
def test_one_class_constant_map_is_plain_normalization_with_an_affine_map(norm, training):
    # With zero head kernels, gamma and beta are the heads' biases everywhere:
    # the output must be norm(x) * (1 + gamma0) + beta0.
    x = _x((2, 8, 8, 4))
    label_map = np.ones((2, 4, 4, 1), "float32")
    gamma0 = np.array([0.5, -0.25, 2.0, 0.0], "float32")
    beta0 = np.array([0.1, -1.0, 3.0, 0.0], "float32")
    layer = SPADE(hidden_filters=4, norm=norm, num_classes=1)
    layer([x, label_map])
    for conv, bias in ((layer.gamma_conv, gamma0), (layer.beta_conv, beta0)):
        conv.kernel.assign(np.zeros(conv.kernel.shape, "float32"))
        conv.bias.assign(bias)
    if norm == "batch":
        mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
        if not training:  # distinct moving statistics make inference a real check
            mean = np.array([1.0, -2.0, 0.5, 0.0], "float32")
            var = np.array([0.5, 2.0, 4.0, 1.0], "float32")
            layer.batch_norm.moving_mean.assign(mean)
            layer.batch_norm.moving_variance.assign(var)
    else:
        mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * (1 + gamma0) + beta0
    y = keras.ops.convert_to_numpy(layer([x, label_map], training=training))
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    if norm == "batch":
        # ... and equal to Keras batch norm with gamma = 1 + gamma0, beta = beta0.
        bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        bn(x)
        bn.gamma.assign(1 + gamma0)
        bn.beta.assign(beta0)
        bn.moving_mean.assign(keras.ops.convert_to_numpy(layer.batch_norm.moving_mean))
        bn.moving_variance.assign(keras.ops.convert_to_numpy(layer.batch_norm.moving_variance))
        if training:  # compare with the statistics before this call's update
            for variable, value in (
                (bn.moving_mean, 0.0),
                (bn.moving_variance, 1.0),
                (layer.batch_norm.moving_mean, 0.0),
                (layer.batch_norm.moving_variance, 1.0),
            ):
                variable.assign(np.full(4, value, "float32"))
            y = keras.ops.convert_to_numpy(layer([x, label_map], training=True))
        expected_bn = keras.ops.convert_to_numpy(bn(x, training=training))
        np.testing.assert_allclose(y, expected_bn, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(layer.batch_norm.moving_mean),
            keras.ops.convert_to_numpy(bn.moving_mean),
            rtol=1e-5,
            atol=1e-6,
        )


def test_modulation_is_local_to_the_label_map():
    # Two 3x3 convolutions: changing the label of one pixel may change the
    # output only within two pixels of it.
    x = _x((2, 8, 8, 4))
    labels = _label_map((2, 8, 8), 4)
    changed = labels.copy()
    changed[0, 0, 0] = np.roll(changed[0, 0, 0], 1)
    layer = SPADE(hidden_filters=4, norm="instance")
    diff = np.abs(
        keras.ops.convert_to_numpy(layer([x, changed]))
        - keras.ops.convert_to_numpy(layer([x, labels]))
    ).max(axis=-1)[0]
    rows, cols = np.nonzero(diff > 0)
    assert rows.size > 0
    assert rows.max() <= 2 and cols.max() <= 2


@pytest.mark.parametrize("source, target", [(4, 8), (8, 4), (6, 4), (5, 7)])
def test_resize_nearest_takes_the_nearest_pixel_with_half_pixel_centres(source, target):
    labels = _label_map((2, source, source + 1), 4)
    y = keras.ops.convert_to_numpy(resize_nearest(labels, target, target + 2))
    rows = np.floor((np.arange(target) + 0.5) * source / target).astype(int)
    cols = np.floor((np.arange(target + 2) + 0.5) * (source + 1) / (target + 2)).astype(int)
    np.testing.assert_array_equal(y, labels[:, rows][:, :, cols])
    assert set(np.unique(y)) <= {0.0, 1.0}


@pytest.mark.parametrize(
    "inputs, kwargs, match",
    [
        ([(2, 4, 4, 3), (2, 4, 4, 2)], {"num_classes": 3}, "num_classes=3 but the label map has 2"),
        ([(2, 4, 4, 3), (2, 4, 4)], {}, "one_hot"),
        ([(2, 4, 3), (2, 4, 4, 2)], {}, "ranks 3 and 4"),
        ([(2, 4, 4, 3)], {}, r"layer\(\[x, label_map\]\)"),
    ],
)
def test_spade_bad_inputs_are_clear_errors(inputs, kwargs, match):
    arrays = [np.zeros(shape, "float32") for shape in inputs]
    with pytest.raises(ValueError, match=match):
        SPADE(hidden_filters=2, **kwargs)(arrays if len(arrays) > 1 else arrays[0])


@pytest.mark.parametrize(
    "kwargs, match", [({"norm": "group"}, "norm"), ({"num_classes": 0}, "num_classes")]
)
def test_spade_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SPADE(**kwargs)


# ---------------------------------------------------------- SPADEResBlock


@pytest.mark.parametrize(
    "init_kwargs, channels, call_kwargs, policy",
    [
        ({"filters": 2, "hidden_filters": 4}, 4, {}, "mixed_bfloat16"),
        ({"filters": 4, "hidden_filters": 4, "spectral_norm": False, "norm": "instance"}, 4,
         {"training": True}, "mixed_float16"),
    ],
)
def test_res_block_layer_contract(init_kwargs, channels, call_kwargs, policy):
    run_layer_test(
        SPADEResBlock,
        init_kwargs,
        (2, 8, 8, channels),
        (2, 8, 8, init_kwargs["filters"]),
        extra_inputs=[_label_map((2, 16, 16), 4)],
        call_kwargs=call_kwargs,
        mixed_policy=policy,
    )


@pytest.mark.parametrize("filters", [4, 2])
def test_res_block_is_residual_with_a_learned_shortcut_only_when_channels_change(filters):
    x = _x((2, 8, 8, 4))
    labels = _label_map((2, 16, 16), 4)
    block = SPADEResBlock(filters, hidden_filters=4, spectral_norm=False)
    block([x, labels])
    assert block.learned_shortcut == (filters != 4)
    # A zero last convolution leaves the shortcut alone.
    block.conv_1.kernel.assign(np.zeros(block.conv_1.kernel.shape, "float32"))
    block.conv_1.bias.assign(np.zeros(filters, "float32"))
    y = keras.ops.convert_to_numpy(block([x, labels]))
    if filters == 4:
        np.testing.assert_allclose(y, x, rtol=1e-6, atol=1e-6)
    else:
        assert not block.conv_shortcut.use_bias
        assert block.conv_shortcut.kernel.shape == (1, 1, 4, 2)
        shortcut = block.conv_shortcut(block.spade_shortcut([x, labels]))
        np.testing.assert_allclose(y, keras.ops.convert_to_numpy(shortcut), rtol=1e-5, atol=1e-5)


def test_res_block_spectral_norm_wraps_the_main_convolutions():
    x = _x((2, 8, 8, 4))
    labels = _label_map((2, 16, 16), 4)
    block = SPADEResBlock(2, hidden_filters=4)
    block([x, labels])
    wrapped = [block.conv_0, block.conv_1, block.conv_shortcut]
    assert all(isinstance(conv, SpectralNormalization) for conv in wrapped)
    assert not isinstance(block.spade_0.gamma_conv, SpectralNormalization)
    u = keras.ops.convert_to_numpy(block.conv_0.vector_u).copy()
    block([x, labels], training=False)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(block.conv_0.vector_u), u)
    block([x, labels], training=True)  # the power iteration advances in training
    assert not np.array_equal(keras.ops.convert_to_numpy(block.conv_0.vector_u), u)


def test_res_block_checks_the_label_map():
    with pytest.raises(ValueError, match="num_classes=3 but the label map has 2"):
        SPADEResBlock(4, hidden_filters=2, num_classes=3)(
            [np.zeros((1, 4, 4, 4), "float32"), np.zeros((1, 4, 4, 2), "float32")]
        )
    with pytest.raises(ValueError, match="filters"):
        SPADEResBlock(0)


# ------------------------------------------------------- channels first
def _first(array):
    return np.moveaxis(array, -1, 1)


def _channels_first_twins(layer_cls, x, labels, call_kwargs, **kwargs):
    """The layer channels-last and channels-first with the same (perturbed) weights."""
    last = layer_cls(data_format="channels_last", **kwargs)
    first = layer_cls(data_format="channels_first", **kwargs)
    last([x, labels])
    first([_first(x), _first(labels)])
    rng = np.random.default_rng(7)
    weights = [w + 0.1 * rng.standard_normal(w.shape).astype("float32") if "variance" not in v.path
               else w for v, w in zip(last.weights, last.get_weights())]
    last.set_weights(weights)
    first.set_weights(weights)
    expected = keras.ops.convert_to_numpy(last([x, labels], **call_kwargs))
    out = keras.ops.convert_to_numpy(first([_first(x), _first(labels)], **call_kwargs))
    return expected, out


# 6x10 maps with 4 channels and 3 hidden filters: widths differ from channel counts (TensorFlow).
@pytest.mark.parametrize("norm, training", [("batch", True), ("batch", False), ("instance", None)])
def test_spade_channels_first_has_the_same_weights_and_numbers(norm, training):
    x, labels = _x((2, 6, 10, 4)), _label_map((2, 12, 20), 5)
    expected, out = _channels_first_twins(SPADE, x, labels, {"training": training},
                                          hidden_filters=3, norm=norm, num_classes=5)
    assert out.shape == (2, 4, 6, 10)
    np.testing.assert_allclose(np.moveaxis(out, 1, -1), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("filters", [4, 3])
def test_res_block_channels_first_has_the_same_weights_and_numbers(filters):
    x, labels = _x((2, 6, 10, 4)), _label_map((2, 6, 10), 5)
    expected, out = _channels_first_twins(SPADEResBlock, x, labels, {"training": True},
                                          filters=filters, hidden_filters=3)
    assert out.shape == (2, filters, 6, 10)
    np.testing.assert_allclose(np.moveaxis(out, 1, -1), expected, rtol=1e-4, atol=1e-4)


def test_channels_first_layer_contracts():
    labels = _first(_label_map((2, 12, 20), 5))
    run_layer_test(SPADE, {"hidden_filters": 3, "data_format": "channels_first"}, (2, 4, 6, 10),
                   (2, 4, 6, 10), extra_inputs=[labels], call_kwargs={"training": True})
    run_layer_test(SPADEResBlock, {"filters": 3, "hidden_filters": 3, "data_format": "channels_first"},
                   (2, 4, 6, 10), (2, 3, 6, 10), extra_inputs=[labels])
    for layer in (SPADE(data_format="channels_first"), SPADEResBlock(2, data_format="channels_first")):
        config = layer.get_config()
        assert type(layer).from_config(config).data_format == "channels_first"
        del config["data_format"]
        assert type(layer).from_config(config).data_format == "channels_last"


def test_resize_nearest_channels_first():
    labels = _label_map((2, 5, 7), 3)
    expected = keras.ops.convert_to_numpy(resize_nearest(labels, 3, 4, "channels_last"))
    out = keras.ops.convert_to_numpy(resize_nearest(_first(labels), 3, 4, "channels_first"))
    np.testing.assert_array_equal(np.moveaxis(out, 1, -1), expected)


def test_channels_first_checks_the_classes_on_axis_one():
    with pytest.raises(ValueError, match="num_classes=3 but the label map has 5"):
        SPADE(num_classes=3, data_format="channels_first")(
            [np.zeros((1, 4, 6, 10), "float32"), np.zeros((1, 5, 6, 10), "float32")])


def test_tensorflow_refuses_channels_first_maps_as_wide_as_their_channels():
    x, labels = np.zeros((1, 4, 6, 4), "float32"), np.zeros((1, 5, 6, 4), "float32")
    layer = SPADE(hidden_filters=3, data_format="channels_first")
    if keras.backend.backend() == "tensorflow":
        with pytest.raises(ValueError, match="channels_last"):
            layer([x, labels])
    else:
        assert keras.ops.convert_to_numpy(layer([x, labels])).shape == (1, 4, 6, 4)
