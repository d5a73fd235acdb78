"""U-Net, PatchGAN and ResNet generator: shapes, saving round trips, bad shapes."""

import keras
import numpy as np
import pytest

from keras_gen.networks.patchgan import patchgan_discriminator
from keras_gen.networks.patchgan import patchgan_receptive_field
from keras_gen.networks.resnet_generator import resnet_generator
from keras_gen.networks.unet import unet_generator
from keras_gen.testing import run_model_saving_test


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def _layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


# ---------------------------------------------------------------- U-Net


# Few distinct layer shapes on purpose: JAX compiles each random initializer
# once per kernel shape, which dominates the run time of these tests.
@pytest.mark.parametrize("size", [32, 64])
def test_unet_shapes(size):
    model = unet_generator((size, size, 1), output_channels=3, base_filters=4)
    out = keras.ops.convert_to_numpy(model(_images((2, size, size, 1))))
    assert out.shape == (2, size, size, 3)
    assert np.all(np.abs(out) <= 1.0)
    # Down to a 1x1 bottleneck: log2(size) stride-2 convolutions.
    assert model.get_layer(f"down{int(np.log2(size)) - 1}_lrelu").output.shape[1:3] == (1, 1)


@pytest.mark.parametrize("upsampling", ["subpixel", "transpose"])
def test_unet_upsampling_modes(upsampling):
    model = unet_generator((32, 32, 1), output_channels=3, base_filters=4,
                           num_downsamples=2, upsampling=upsampling)
    assert model(_images((2, 32, 32, 1))).shape == (2, 32, 32, 3)
    layer_type = "DepthToSpace" if upsampling == "subpixel" else "Conv2DTranspose"
    assert _layer_types(model).count(layer_type) == 2


def test_unet_structure_follows_the_paper():
    model = unet_generator((32, 32, 1), base_filters=4)
    # Encoder C4-C8-C16-C32-C32 (filters capped at 8x), no BN on first or innermost.
    filters = [model.get_layer(f"down{i}_conv").filters for i in range(5)]
    assert filters == [4, 8, 16, 32, 32]
    names = {layer.name for layer in model.layers}
    assert "down0_bn" not in names and "down4_bn" not in names
    assert {"down1_bn", "down2_bn", "down3_bn"} <= names
    # Dropout in the three innermost decoder blocks only.
    dropouts = sorted(n for n in names if n.endswith("_dropout"))
    assert dropouts == ["up1_dropout", "up2_dropout", "up3_dropout"]
    # Skip concatenation doubles the channels: decoder block + encoder block.
    assert model.get_layer("up0_skip").output.shape[-1] == 8
    assert model.get_layer("up3_skip").output.shape[-1] == 64


def test_unet_dropout_only_in_training():
    model = unet_generator((32, 32, 1), base_filters=4)
    x = _images((2, 32, 32, 1))
    a = keras.ops.convert_to_numpy(model(x, training=False))
    b = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_array_equal(a, b)
    c = keras.ops.convert_to_numpy(model(x, training=True))
    d = keras.ops.convert_to_numpy(model(x, training=True))
    assert not np.allclose(c, d)


def test_unet_num_downsamples():
    model = unet_generator((64, 64, 1), base_filters=4, num_downsamples=3)
    assert model.get_layer("down2_lrelu").output.shape[1:] == (8, 8, 16)
    assert model(_images((1, 64, 64, 1))).shape == (1, 64, 64, 3)


def test_unet_saving(tmp_path):
    model = unet_generator((32, 32, 1), base_filters=4)
    x = _images((2, 32, 32, 1))
    run_model_saving_test(model, lambda m: m(x, training=False), tmp_path)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_shape": (48, 48, 3)}, "powers of two"),
        ({"image_shape": (16, 16, 3)}, "at least 32"),
        ({"image_shape": (32, 32)}, "height, width, channels"),
        ({"image_shape": (None, 32, 3)}, "height, width, channels"),
        ({"image_shape": (32, 32, 3), "num_downsamples": 6}, "from 1 to 5"),
        ({"image_shape": (32, 32, 3), "upsampling": "deconv"}, "upsampling"),
    ],
)
def test_unet_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        unet_generator(**kwargs)


# ---------------------------------------------------------------- PatchGAN


def test_patchgan_receptive_field():
    assert patchgan_receptive_field(3) == 70
    assert [patchgan_receptive_field(n) for n in (1, 2, 4, 5, 6)] == [16, 34, 142, 286, 574]
    for n in range(1, 7):
        assert patchgan_receptive_field(n) == 9 * 2**n - 2
    with pytest.raises(ValueError, match="num_layers"):
        patchgan_receptive_field(0)


def test_patchgan_receptive_field_matches_the_network():
    # Perturbing one input pixel may change only the logits whose field holds it:
    # with no normalization the network is local, so the changed region of the
    # logit map, mapped back to pixels, must be within the analytic field.
    model = patchgan_discriminator((64, 64, 3), base_filters=4, num_layers=2, norm=None)
    x = _images((1, 64, 64, 3))
    x2 = x.copy()
    x2[0, 0, 0, 0] += 1.0
    diff = np.abs(keras.ops.convert_to_numpy(model(x2) - model(x)))[0, :, :, 0] > 0
    rows = np.nonzero(diff.any(axis=1))[0]
    # Output position i sees input rows [4 i - 1 - 2 * 4 ... ] with padding; the
    # corner pixel reaches exactly the logits whose field (34 wide, stride 4,
    # padded by 1 + 2 + 4 + 4 = 11) covers row 0: i * 4 - 11 <= 0 <= i * 4 - 11 + 33.
    expected = [i for i in range(diff.shape[0]) if i * 4 - 11 <= 0 <= i * 4 - 11 + 33]
    assert rows.tolist() == expected


@pytest.mark.parametrize("size, num_layers, out", [(32, 3, 2), (64, 3, 6), (64, 2, 14)])
@pytest.mark.parametrize("norm", ["batch", "instance", None])
def test_patchgan_shapes(size, num_layers, out, norm):
    model = patchgan_discriminator((size, size, 3), base_filters=4,
                                   num_layers=num_layers, norm=norm)
    logits = model(_images((2, size, size, 3)))
    assert tuple(logits.shape) == (2, out, out, 1)


def test_patchgan_conditional():
    model = patchgan_discriminator((32, 32, 1), target_shape=(32, 32, 3), base_filters=4)
    assert len(model.inputs) == 2
    assert model.get_layer("conv0").kernel.shape == (4, 4, 4, 4)
    logits = model([_images((2, 32, 32, 1)), _images((2, 32, 32, 3), 1)])
    assert tuple(logits.shape) == (2, 2, 2, 1)


def test_patchgan_saving(tmp_path):
    model = patchgan_discriminator((32, 32, 1), target_shape=(32, 32, 3),
                                   base_filters=4, norm="instance")
    x, y = _images((2, 32, 32, 1)), _images((2, 32, 32, 3), 1)
    run_model_saving_test(model, lambda m: m([x, y], training=False), tmp_path)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_shape": (16, 16, 3)}, "at least 24x24"),
        ({"input_shape": (32, 32, 3), "target_shape": (16, 16, 3)}, "same height"),
        ({"input_shape": (32, 32, 3), "norm": "layer"}, "norm"),
        ({"input_shape": (32, 32, 3), "num_layers": 0}, "num_layers"),
        ({"input_shape": 32}, "height, width, channels"),
    ],
)
def test_patchgan_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        patchgan_discriminator(**kwargs)


# ---------------------------------------------------------------- ResNet generator


@pytest.mark.parametrize("size", [32, 64])
def test_resnet_generator_shapes(size):
    model = resnet_generator((size, size, 3), base_filters=4, num_blocks=2)
    out = keras.ops.convert_to_numpy(model(_images((2, size, size, 3))))
    assert out.shape == (2, size, size, 3)
    assert np.all(np.abs(out) <= 1.0)
    assert model.get_layer("res1_add").output.shape[1:] == (size // 4, size // 4, 16)


def test_resnet_generator_default_blocks_and_layers():
    small = resnet_generator((32, 32, 3), base_filters=4)
    assert sum(n.name.endswith("_add") for n in small.layers) == 6
    assert "ReflectionPadding2D" in _layer_types(small)
    assert "GroupNormalization" in _layer_types(small)
    assert small.get_layer("stem_norm").groups == 4  # one group per channel
    large = resnet_generator((256, 256, 3), base_filters=4, upsampling="transpose")
    assert sum(n.name.endswith("_add") for n in large.layers) == 9
    assert large.get_layer("up0_conv").kernel.shape[:2] == (3, 3)


def test_resnet_generator_saving(tmp_path):
    model = resnet_generator((32, 32, 3), base_filters=4, num_blocks=1, upsampling="transpose")
    x = _images((2, 32, 32, 3))
    run_model_saving_test(model, lambda m: m(x, training=False), tmp_path)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_shape": (30, 30, 3)}, "multiples of 4"),
        ({"image_shape": (4, 4, 3)}, "at least 8"),
        ({"image_shape": (32, 32, 3), "num_blocks": -1}, "num_blocks"),
        ({"image_shape": (32, 32, 3), "upsampling": "bilinear"}, "upsampling"),
    ],
)
def test_resnet_generator_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        resnet_generator(**kwargs)


# ---------------------------------------------------------------- training


def test_unet_learns():
    from keras_gen.testing import assert_weights_changed
    from keras_gen.testing import snapshot_weights

    model = unet_generator((32, 32, 1), base_filters=4)
    x, y = _images((4, 32, 32, 1)), _images((4, 32, 32, 3), 1)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mae")
    before = snapshot_weights(model.trainable_variables)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    # Every weight gets a gradient: no layer is cut off from the loss.
    assert_weights_changed(before, model.trainable_variables)
