"""The multi-scale PatchGAN discriminator (pix2pixHD): scales, outputs, features, saving."""

import keras
import numpy as np
import pytest

from keras_gen.layers import SpectralNormalization
from keras_gen.networks import multiscale_input_sides
from keras_gen.networks import multiscale_patchgan_discriminator
from keras_gen.networks.multiscale_patchgan import PaddedAveragePooling2D
from keras_gen.testing import run_layer_test
from keras_gen.testing import run_model_saving_test


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def _numpy_pool(x):
    """3x3 average with stride 2 over a one-pixel border that is not counted."""
    _, height, width, _ = x.shape
    out = np.zeros((x.shape[0], (height + 1) // 2, (width + 1) // 2, x.shape[-1]), x.dtype)
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            rows = slice(max(2 * i - 1, 0), min(2 * i + 2, height))
            cols = slice(max(2 * j - 1, 0), min(2 * j + 2, width))
            out[:, i, j] = x[:, rows, cols].mean(axis=(1, 2))
    return out


def _flatten(outputs):
    return np.concatenate(
        [np.ravel(keras.ops.convert_to_numpy(t)) for t in keras.tree.flatten(outputs)]
    )


# ------------------------------------------------------------- pooling layer


@pytest.mark.parametrize("shape", [(2, 8, 8, 3), (1, 7, 5, 2)])
def test_pooling_averages_only_real_pixels(shape):
    x = _images(shape)
    y = keras.ops.convert_to_numpy(PaddedAveragePooling2D()(x))
    np.testing.assert_allclose(y, _numpy_pool(x), rtol=1e-5, atol=1e-6)


def test_pooling_layer_contract():
    run_layer_test(PaddedAveragePooling2D, {}, (2, 7, 8, 3), (2, 4, 4, 3))


def test_input_sides():
    assert multiscale_input_sides(256, 3) == [256, 128, 64]
    assert multiscale_input_sides(30, 3) == [30, 15, 8]


# --------------------------------------------------------------- structure


def test_scale_k_sees_the_image_pooled_k_times():
    num_scales, num_layers = 3, 1
    model = multiscale_patchgan_discriminator(
        (32, 24, 3), num_scales=num_scales, base_filters=4, num_layers=num_layers
    )
    x = _images((2, 32, 24, 3))
    outputs = model(x)
    assert len(outputs) == num_scales
    heights = multiscale_input_sides(32, num_scales)
    widths = multiscale_input_sides(24, num_scales)
    assert heights[-1] == 32 // 2 ** (num_scales - 1)
    pooled = x
    for k, (height, width) in enumerate(zip(heights, widths)):
        first_conv = model.get_layer(f"scale{k}_conv0")
        assert tuple(first_conv.input.shape) == (None, height + 2, width + 2, 3)  # padded by 1
        if k > 0:
            pooled = _numpy_pool(pooled)
            probe = keras.Model(model.input, model.get_layer(f"downsample{k}").output)
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(probe(x)), pooled, rtol=1e-5, atol=1e-6
            )
        # [feature_0, ..., feature_{num_layers}, logits]
        scale = outputs[k]
        assert len(scale) == num_layers + 2
        assert [tuple(f.shape) for f in scale[:-1]] == [
            (2, height // 2, width // 2, 4),
            (2, height // 2 - 1, width // 2 - 1, 8),
        ]
        side = (height // 2**num_layers - 2, width // 2**num_layers - 2)
        assert tuple(scale[-1].shape) == (2,) + side + (1,)


def test_logits_only_and_conditional_input():
    model = multiscale_patchgan_discriminator(
        (16, 16, 3), target_shape=(16, 16, 2), num_scales=2, base_filters=4, num_layers=1,
        norm=None, return_features=False,
    )
    assert len(model.inputs) == 2
    assert model.get_layer("scale0_conv0").kernel.shape == (4, 4, 5, 4)
    outputs = model([_images((2, 16, 16, 3)), _images((2, 16, 16, 2), 1)])
    assert [tuple(o.shape) for o in outputs] == [(2, 6, 6, 1), (2, 2, 2, 1)]


def test_scales_have_their_own_weights_and_patchgan_layer_names():
    model = multiscale_patchgan_discriminator((16, 16, 3), num_scales=2, base_filters=4,
                                              num_layers=1, norm="instance")
    names = {layer.name for layer in model.layers}
    for k in range(2):
        assert {f"scale{k}_conv0", f"scale{k}_conv1", f"scale{k}_conv1_norm",
                f"scale{k}_patch_logits"} <= names
    assert "scale0_conv0_norm" not in names  # no normalization on the first layer
    assert model.get_layer("scale0_conv0").kernel is not model.get_layer("scale1_conv0").kernel


def test_spectral_norm_and_saving(tmp_path):
    model = multiscale_patchgan_discriminator(
        (16, 16, 3), target_shape=(16, 16, 2), num_scales=2, base_filters=4, num_layers=1,
        spectral_norm=True,
    )
    wrapped = [layer for layer in model.layers if isinstance(layer, SpectralNormalization)]
    assert len(wrapped) == 2 * 3
    assert model.get_layer("scale1_patch_logits_sn").dtype_policy.name == "float32"
    x, y = _images((2, 16, 16, 3)), _images((2, 16, 16, 2), 1)
    run_model_saving_test(model, lambda m: _flatten(m([x, y], training=False)), tmp_path)


def test_mixed_precision_logits_are_float32():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = multiscale_patchgan_discriminator((16, 16, 3), num_scales=2, base_filters=4,
                                                  num_layers=1)
    finally:
        keras.config.set_dtype_policy(previous)
    outputs = model(_images((2, 16, 16, 3)))
    for scale in outputs:
        assert keras.backend.standardize_dtype(scale[-1].dtype) == "float32"
        assert keras.backend.standardize_dtype(scale[0].dtype) == "bfloat16"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_shape": (32, 32, 3), "num_scales": 3, "num_layers": 2}, "coarsest scale sees 8x8"),
        ({"input_shape": (32, 32, 3), "num_scales": 0}, "num_scales"),
        ({"input_shape": (32, 32, 3), "norm": "layer"}, "norm"),
        ({"input_shape": (32, 32, 3), "num_layers": 0}, "num_layers"),
        ({"input_shape": (32, 32, 3), "num_layers": 1, "target_shape": (16, 16, 3)},
         "same height"),
        ({"input_shape": (32, 32)}, "height, width, channels"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        multiscale_patchgan_discriminator(**kwargs)
