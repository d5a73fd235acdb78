"""keras_gen.layers.AdaINResBlock: MUNIT's decoder residual block."""

import keras
import numpy as np
import pytest

from keras_gen.layers import AdaINResBlock
from keras_gen.testing import run_layer_test


def _x(shape=(2, 8, 8, 4), seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 2 + 0.5).astype("float32")


def _instance_norm(x, epsilon=1e-5):
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon)


@pytest.mark.parametrize(
    "init_kwargs, policy", [({}, "mixed_bfloat16"), ({"padding": "zero"}, "mixed_float16")]
)
def test_layer_contract(init_kwargs, policy):
    params = np.random.default_rng(1).standard_normal((2, 16)).astype("float32")
    run_layer_test(
        AdaINResBlock,
        init_kwargs,
        (2, 8, 8, 4),
        (2, 8, 8, 4),
        extra_inputs=[params],
        mixed_policy=policy,
    )


def test_num_style_params():
    assert AdaINResBlock.num_style_params(4) == 16
    assert AdaINResBlock.num_style_params(256) == 1024


@pytest.mark.parametrize("padding", ["reflect", "zero"])
def test_block_applies_the_style_params_in_order(padding):
    # With identity convolutions (centre tap = I) the block is
    #   y = x + s2 * IN(relu(s1 * IN(x) + b1)) + b2
    # whatever the padding.
    x = _x()
    rng = np.random.default_rng(2)
    s1, b1, s2, b2 = (rng.standard_normal((2, 4)).astype("float32") for _ in range(4))
    params = np.concatenate([s1, b1, s2, b2], axis=-1)
    block = AdaINResBlock(padding=padding)
    block([x, params])
    identity = np.zeros((3, 3, 4, 4), "float32")
    identity[1, 1] = np.eye(4)
    block.conv_0.kernel.assign(identity)
    block.conv_1.kernel.assign(identity)
    assert block.conv_0.bias is None and block.conv_1.bias is None
    h = np.maximum(_instance_norm(x) * s1[:, None, None] + b1[:, None, None], 0)
    expected = x + _instance_norm(h) * s2[:, None, None] + b2[:, None, None]
    y = keras.ops.convert_to_numpy(block([x, params]))
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_reflect_padding_differs_from_zero_padding_at_the_border():
    x = _x()
    params = np.random.default_rng(3).standard_normal((2, 16)).astype("float32")
    reflect, zero = AdaINResBlock(padding="reflect"), AdaINResBlock(padding="zero")
    reflect([x, params])
    zero([x, params])
    for source, target in ((reflect.conv_0, zero.conv_0), (reflect.conv_1, zero.conv_1)):
        target.kernel.assign(source.kernel)
    # Same weights: the two differ only because of the border.
    a = keras.ops.convert_to_numpy(reflect([x, params]))
    b = keras.ops.convert_to_numpy(zero([x, params]))
    assert not np.allclose(a, b)


@pytest.mark.parametrize(
    "shapes, match",
    [
        ([(2, 8, 8, 4), (2, 12)], r"num_style_params\(4\) = 16"),
        ([(2, 8, 8, 4), (2, 4, 4)], "style_params of shape"),
        ([(2, 8, 4), (2, 16)], "style_params of shape"),
        ([(2, 8, 8, 4)], r"layer\(\[x, style_params\]\)"),
    ],
)
def test_bad_inputs_are_clear_errors(shapes, match):
    arrays = [np.zeros(shape, "float32") for shape in shapes]
    with pytest.raises(ValueError, match=match):
        AdaINResBlock()(arrays if len(arrays) > 1 else arrays[0])


def test_bad_padding():
    with pytest.raises(ValueError, match="padding"):
        AdaINResBlock(padding="same")


@pytest.mark.parametrize("padding", ["reflect", "zero"])
def test_channels_first_has_the_same_weights_and_numbers(padding):
    # 6x10 maps of 4 channels: TensorFlow misplaces offsets only on maps as wide as their channels.
    x = _x((1, 6, 10, 4))  # batch 1: the AdaIN bias must still go on the channel axis on TF
    params = np.random.default_rng(4).standard_normal((1, 16)).astype("float32")
    last = AdaINResBlock(padding=padding, data_format="channels_last")
    first = AdaINResBlock(padding=padding, data_format="channels_first")
    expected = keras.ops.convert_to_numpy(last([x, params]))
    first([np.moveaxis(x, -1, 1), params])
    first.set_weights(last.get_weights())
    out = keras.ops.convert_to_numpy(first([np.moveaxis(x, -1, 1), params]))
    assert out.shape == (1, 4, 6, 10)
    np.testing.assert_allclose(np.moveaxis(out, 1, -1), expected, rtol=1e-4, atol=1e-4)


def test_channels_first_layer_contract():
    params = np.random.default_rng(5).standard_normal((2, 16)).astype("float32")
    run_layer_test(AdaINResBlock, {"data_format": "channels_first"}, (2, 4, 6, 10), (2, 4, 6, 10),
                   extra_inputs=[params])
    config = AdaINResBlock(data_format="channels_first").get_config()
    assert AdaINResBlock.from_config(config).data_format == "channels_first"
    del config["data_format"]
    assert AdaINResBlock.from_config(config).data_format == "channels_last"


def test_channels_first_checks_the_channel_axis():
    with pytest.raises(ValueError, match=r"num_style_params\(4\) = 16"):
        AdaINResBlock(data_format="channels_first")(
            [np.zeros((1, 4, 6, 10), "float32"), np.zeros((1, 40), "float32")])
