"""The MUNIT networks: content encoder, style encoder and AdaIN decoder (shapes, layers, style, saving)."""

import keras
import numpy as np
import pytest

from keras_gen.layers import AdaINResBlock
from keras_gen.layers import ChannelLayerNormalization
from keras_gen.networks import munit_content_encoder
from keras_gen.networks import munit_decoder
from keras_gen.networks import munit_domain_invariant_features
from keras_gen.networks import munit_style_encoder
from keras_gen.testing import run_model_saving_test


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _layers_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def test_paper_defaults_give_the_paper_shapes():
    content = munit_content_encoder((256, 256, 3))
    assert tuple(content.output.shape) == (None, 64, 64, 256)  # c7s1-64, d128, d256, R256 x 4
    assert [layer.filters for layer in _layers_of(content, keras.layers.Conv2D)] == [64, 128, 256] + [256] * 8
    style = munit_style_encoder((256, 256, 3))
    assert tuple(style.output.shape) == (None, 8)
    # c7s1-64, d128, d256, d256, d256 (4x4, stride 2), then the 8-d code.
    convs = _layers_of(style, keras.layers.Conv2D)
    assert [c.filters for c in convs] == [64, 128, 256, 256, 256]
    assert [c.kernel_size for c in convs] == [(7, 7)] + [(4, 4)] * 4
    decoder = munit_decoder((64, 64, 256))
    assert tuple(decoder.output.shape) == (None, 256, 256, 3)
    # u128, u64: 5x5 convolutions after a nearest-neighbour 2x upsampling; c7s1-3.
    convs = [c for c in _layers_of(decoder, keras.layers.Conv2D)]
    assert [(c.filters, c.kernel_size) for c in convs] == [(128, (5, 5)), (64, (5, 5)), (3, (7, 7))]
    dense = _layers_of(decoder, keras.layers.Dense)
    assert [d.units for d in dense] == [256, 256, 4 * AdaINResBlock.num_style_params(256)]
    assert len(_layers_of(decoder, AdaINResBlock)) == 4


def test_content_encoder_normalizes_every_convolution_and_has_no_bias():
    encoder = munit_content_encoder((16, 16, 3), base_filters=4, num_downsamples=2, num_res_blocks=1)
    assert tuple(encoder(_images((2, 16, 16, 3))).shape) == (2, 4, 4, 16)
    convs = _layers_of(encoder, keras.layers.Conv2D)
    norms = _layers_of(encoder, keras.layers.GroupNormalization)
    assert len(convs) == len(norms) == 5
    assert not any(c.use_bias for c in convs)
    assert all(n.groups in (-1, n.input.shape[-1]) and not n.center and not n.scale for n in norms)
    # Instance normalization: each channel's statistics over the image are removed, so a
    # per-image brightness and contrast change of the input leaves the code unchanged.
    x = _images((2, 16, 16, 3))
    np.testing.assert_allclose(_numpy(encoder(3.0 * x + 0.5)), _numpy(encoder(x)), atol=2e-3)


def test_style_encoder_has_no_normalization_and_sees_the_statistics():
    encoder = munit_style_encoder((16, 16, 3), style_dim=3, base_filters=4, num_downsamples=2)
    assert not _layers_of(encoder, keras.layers.GroupNormalization)
    x = _images((2, 16, 16, 3))
    codes = _numpy(encoder(x))
    assert codes.shape == (2, 3)
    assert not np.allclose(_numpy(encoder(0.5 * x + 0.3)), codes, atol=1e-3)


def test_decoder_slices_one_mlp_per_block_and_the_style_changes_the_image():
    decoder = munit_decoder((4, 4, 8), style_dim=2, output_channels=3, num_res_blocks=2,
                            num_upsamples=2, mlp_units=16, mlp_layers=3)
    per_block = AdaINResBlock.num_style_params(8)
    assert [d.units for d in _layers_of(decoder, keras.layers.Dense)] == [16, 16, 2 * per_block]
    assert len(_layers_of(decoder, ChannelLayerNormalization)) == 2
    content = _images((2, 4, 4, 8))
    style_1, style_2 = _images((2, 2), 1), _images((2, 2), 2)
    out_1 = _numpy(decoder([content, style_1]))
    assert out_1.shape == (2, 16, 16, 3)
    assert np.all(np.abs(out_1) <= 1.0)
    assert np.mean(np.abs(out_1 - _numpy(decoder([content, style_2])))) > 1e-3
    # Block i takes columns [i * P, (i + 1) * P) of the one MLP's output.
    params = _numpy(decoder.get_layer("adain_params")(
        decoder.get_layer("mlp1")(decoder.get_layer("mlp0")(style_1))))
    expected = decoder.get_layer("res0")([content, params[:, :per_block]])
    expected = _numpy(decoder.get_layer("res1")([expected, params[:, per_block:]]))
    blocks = keras.Model(decoder.inputs, decoder.get_layer("res1").output)
    np.testing.assert_allclose(_numpy(blocks([content, style_1])), expected, rtol=1e-5, atol=1e-5)


def test_mixed_precision_outputs_are_float32():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        style = munit_style_encoder((8, 8, 3), style_dim=2, base_filters=2, num_downsamples=1)
        decoder = munit_decoder((4, 4, 4), style_dim=2, num_res_blocks=1, num_upsamples=1,
                                mlp_units=4)
    finally:
        keras.config.set_dtype_policy(previous)
    assert keras.backend.standardize_dtype(style(_images((1, 8, 8, 3))).dtype) == "float32"
    image = decoder([_images((1, 4, 4, 4)), _images((1, 2))])
    assert keras.backend.standardize_dtype(image.dtype) == "float32"


def test_decoder_saves_and_reloads(tmp_path):
    decoder = munit_decoder((4, 4, 4), style_dim=2, output_channels=1, num_res_blocks=2,
                            num_upsamples=1, mlp_units=4)
    content, style = _images((2, 4, 4, 4)), _images((2, 2), 1)
    run_model_saving_test(decoder, lambda m: m([content, style]), tmp_path)


@pytest.mark.parametrize(
    "builder, kwargs, match",
    [
        (munit_content_encoder, {"input_shape": (12, 12, 3), "num_downsamples": 3}, "multiples of 8"),
        (munit_content_encoder, {"input_shape": (4, 4, 3), "num_downsamples": 2}, "at least 8x8"),
        (munit_content_encoder, {"input_shape": (32, 32)}, "height, width, channels"),
        (munit_content_encoder, {"input_shape": (8, 8, 1), "base_filters": 0}, "base_filters"),
        (munit_style_encoder, {"input_shape": (8, 8, 3), "num_downsamples": 4}, "at least 16x16"),
        (munit_style_encoder, {"input_shape": (8, 8, 3), "style_dim": 0}, "style_dim"),
        (munit_decoder, {"content_shape": (4, 4, 6), "num_upsamples": 2}, "divisible by 4"),
        (munit_decoder, {"content_shape": (4, 4, 8), "num_res_blocks": 0}, "num_res_blocks"),
        (munit_decoder, {"content_shape": (1, 1, 8), "num_upsamples": 1}, "at least 2x2"),
    ],
)
def test_bad_arguments(builder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        builder(**kwargs)


def test_domain_invariant_features_are_instance_normalized_and_frozen():
    net = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(4, 3),
                            keras.layers.Conv2D(2, 3, strides=2)])
    features = munit_domain_invariant_features(net)
    assert not features.trainable_weights
    (f,) = [_numpy(t) for t in keras.tree.flatten(features(_images((2, 12, 12, 3))))]
    np.testing.assert_allclose(f.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(f.std(axis=(1, 2)), 1.0, atol=1e-2)
    dense = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="feature maps"):
        munit_domain_invariant_features(dense)
