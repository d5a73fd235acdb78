"""BicycleGAN's generator (U-Net with z at every level) and ResNet encoder: shapes, structure, errors, saving."""

import keras
import numpy as np
import pytest

from keras_gen.networks import bicyclegan_encoder
from keras_gen.networks import bicyclegan_generator
from keras_gen.testing import run_model_saving_test

# Few distinct layer shapes on purpose: JAX compiles each random initializer
# once per kernel shape, which dominates the run time of these tests.
SHAPE = (8, 8, 1)


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def _codes(n, latent_dim, seed=0):
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _generator(**kwargs):
    return bicyclegan_generator(SHAPE, **{"latent_dim": 2, "base_filters": 2, **kwargs})


# ------------------------------------------------------------ generator


def test_generator_adds_the_code_at_every_encoder_level():
    model = _generator(output_channels=2, norm=None)
    assert [tuple(i.shape) for i in model.inputs] == [(None, 8, 8, 1), (None, 2)]
    x = np.repeat(_images((1,) + SHAPE), 2, axis=0)
    z = _codes(2, 2)
    out = _numpy(model([x, z]))
    assert out.shape == (2, 8, 8, 2)
    assert np.all(np.abs(out) <= 1.0)
    assert not np.allclose(out[0], out[1])  # same image, other codes
    # Default depth: log2(8) = 3 levels down to a 1x1 bottleneck, each fed the tiled code.
    previous = 1  # the image's channels
    for level in range(3):
        concatenated = model.get_layer(f"down{level}_add_z").output.shape
        assert concatenated[1:] == (8 // 2**level, 8 // 2**level, previous + 2)
        previous = model.get_layer(f"down{level}_conv").filters
    assert model.get_layer("down2_lrelu").output.shape[1:3] == (1, 1)
    # The skips carry the features without the code.
    assert model.get_layer("up0_skip").output.shape[-1] == 2 * 2
    # With the code cut from every level but the innermost, it still changes the output.
    for level in range(2):
        layer = model.get_layer(f"down{level}_conv")
        kernel, bias = layer.get_weights()
        kernel[:, :, -2:, :] = 0.0
        layer.set_weights([kernel, bias])
    out = _numpy(model([x, z]))
    assert not np.allclose(out[0], out[1])


def test_generator_depth_norm_and_upsampling():
    model = bicyclegan_generator((12, 12, 1), latent_dim=2, base_filters=2, num_downsamples=2,
                                 norm="batch", upsampling="transpose")
    assert model([_images((2, 12, 12, 1)), _codes(2, 2)]).shape == (2, 12, 12, 1)
    names = {layer.name for layer in model.layers}
    # Normalization on the encoder blocks but the first and the innermost; on every decoder block.
    assert "down0_norm" not in names and "down1_norm" not in names and "up0_norm" in names
    assert sum(isinstance(layer, keras.layers.Conv2DTranspose) for layer in model.layers) == 2
    deeper = _generator(norm="instance")
    assert {"down1_norm", "up0_norm", "up1_norm"} <= {layer.name for layer in deeper.layers}
    assert "down2_norm" not in {layer.name for layer in deeper.layers}


def test_generator_output_is_float32_under_mixed_precision():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = _generator()
    finally:
        keras.config.set_dtype_policy(previous)
    assert keras.backend.standardize_dtype(model.outputs[0].dtype) == "float32"
    assert model.get_layer("down0_conv").compute_dtype == "bfloat16"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_shape": (24, 24, 1)}, "num_downsamples"),
        ({"input_shape": (24, 24, 1), "num_downsamples": 4}, "multiples of 16"),
        ({"input_shape": (8, 8, 1), "num_downsamples": 0}, "num_downsamples"),
        ({"input_shape": (8, 8)}, "height, width, channels"),
        ({"input_shape": (8, 8, 1), "latent_dim": 0}, "latent_dim"),
        ({"input_shape": (8, 8, 1), "norm": "layer"}, "norm"),
        ({"input_shape": (8, 8, 1), "upsampling": "deconv"}, "upsampling"),
        ({"input_shape": (8, 8, 1), "dropout": 1.0}, "dropout"),
    ],
)
def test_generator_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bicyclegan_generator(**kwargs)


# -------------------------------------------------------------- encoder


def test_encoder_returns_mean_and_log_variance():
    model = bicyclegan_encoder(SHAPE, latent_dim=2, base_filters=2)
    mean, log_var = model(_images((3,) + SHAPE))
    assert tuple(mean.shape) == (3, 2) and tuple(log_var.shape) == (3, 2)
    assert [layer.name for layer in model.layers[-2:]] == ["mean", "log_var"]
    assert not np.allclose(_numpy(mean), _numpy(log_var))
    # One block by default below 64 pixels: 8 -> 4 (first convolution) -> 2.
    assert model.get_layer("block1_add").output.shape[1:3] == (2, 2)
    assert "block2_add" not in {layer.name for layer in model.layers}


def test_encoder_structure_follows_the_reference():
    # Four blocks (the reference's resnet_256 at 256x256), filters nf -> 2nf -> 3nf -> 4nf -> 4nf.
    model = bicyclegan_encoder((32, 32, 1), latent_dim=2, base_filters=1, num_blocks=4)
    assert [model.get_layer(f"block{k}_conv2").filters for k in range(1, 5)] == [2, 3, 4, 4]
    assert model.get_layer("block4_add").output.shape[1:3] == (1, 1)
    # Residual: the shortcut is average pooling then a 1x1 convolution.
    assert model.get_layer("block1_shortcut_conv").kernel.shape[:2] == (1, 1)
    # By default the blocks stop at an 8x8 map: 2 blocks for 64x64 (4 for 256x256).
    default = bicyclegan_encoder((64, 64, 1), latent_dim=2, base_filters=1)
    names = {layer.name for layer in default.layers}
    assert "block2_add" in names and "block3_add" not in names
    assert default.get_layer("block2_add").output.shape[1:3] == (8, 8)


def test_encoder_blocks_have_a_shortcut():
    model = bicyclegan_encoder(SHAPE, latent_dim=2, base_filters=2, norm=None)
    x = _images((2,) + SHAPE)
    before = _numpy(model(x)[0])
    # With the residual branch's last convolution zeroed, the shortcut still carries the image.
    layer = model.get_layer("block1_conv2")
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    after = _numpy(model(x)[0])
    assert not np.allclose(before, after, rtol=0, atol=0)
    assert not np.allclose(after[0], after[1], rtol=0, atol=0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_shape": (8, 8, 1), "num_blocks": 3}, "multiples of 16"),
        ({"input_shape": (12, 12, 1), "num_blocks": 2}, "multiples of 8"),
        ({"input_shape": (8, 8, 1), "latent_dim": -1}, "latent_dim"),
        ({"input_shape": (8, 8, 1), "norm": "group"}, "norm"),
    ],
)
def test_encoder_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bicyclegan_encoder(**kwargs)


def test_saving_round_trips(tmp_path):
    generator = _generator()
    x, z = _images((2,) + SHAPE), _codes(2, 2)
    run_model_saving_test(generator, lambda m: m([x, z], training=False), tmp_path)
    encoder = bicyclegan_encoder(SHAPE, latent_dim=2, base_filters=2)
    run_model_saving_test(encoder, lambda m: m(x, training=False)[0], tmp_path)
