"""keras_gen.networks.blocks: the one home of what the network builders share."""

import ast
import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.networks import blocks

NETWORKS_DIR = os.path.dirname(keras_gen.networks.__file__)


def test_no_network_imports_a_private_name_of_another():
    offenders = []
    for filename in sorted(os.listdir(NETWORKS_DIR)):
        if not filename.endswith(".py"):
            continue
        with open(os.path.join(NETWORKS_DIR, filename)) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("keras_gen.networks"):
                offenders += [f"{filename}: {node.module}.{a.name}" for a in node.names
                              if a.name.startswith("_")]
    assert not offenders, offenders


@pytest.mark.parametrize(
    "upsampling, suffix, expected",
    [
        ("transpose", True, ["up_conv_transpose"]),
        ("resize", True, ["up_resize", "up_conv"]),
        ("subpixel", True, ["up_conv", "up_depth_to_space"]),
        ("transpose", False, ["up"]),
        ("resize", False, ["up_resize", "up"]),
        ("subpixel", False, ["up", "up_depth_to_space"]),
    ],
)
def test_upsample_conv_doubles_the_side_with_the_documented_layer_names(upsampling, suffix, expected):
    inputs = keras.Input((4, 4, 8))
    outputs = blocks.upsample_conv(inputs, 5, upsampling, "up", suffix_conv_name=suffix)
    model = keras.Model(inputs, outputs)
    assert [layer.name for layer in model.layers[1:]] == expected
    assert model.output_shape == (None, 8, 8, 5)


def test_upsample_conv_rejects_unknown_modes():
    with pytest.raises(ValueError, match="upsampling"):
        blocks.upsample_conv(keras.Input((4, 4, 8)), 5, "deconv", "up")


def test_initializers_are_fresh_and_normalizations_follow_the_reference_code():
    first, second = blocks.normal_init(), blocks.normal_init()
    assert first is not second and first.get_config()["stddev"] == 0.02
    a = keras.ops.convert_to_numpy(first((64, 64)))
    b = keras.ops.convert_to_numpy(second((64, 64)))
    assert not np.array_equal(a, b)
    np.testing.assert_allclose(a.std(), 0.02, rtol=0.05)
    bn = blocks.batch_norm("bn")
    assert (bn.momentum, bn.epsilon, bn.name) == (0.9, 1e-5, "bn")
    assert bn.gamma_initializer.get_config()["mean"] == 1.0
    instance = blocks.instance_norm("norm")
    assert instance.groups == -1 and instance.epsilon == 1e-5


def test_image_geometry_and_its_errors():
    assert blocks.image_geometry((28, 28, 1)) == (28, 1, 7, 2)
    assert blocks.image_geometry([64, 64, 3]) == (64, 3, 4, 4)
    with pytest.raises(ValueError, match="Unsupported image side 30"):
        blocks.image_geometry((30, 30, 1))
    with pytest.raises(ValueError, match="square"):
        blocks.image_geometry((28, 32, 1))
    with pytest.raises(ValueError, match=r"\(height, width, channels\)"):
        blocks.image_geometry("28x28")
    assert blocks.check_image_shape((32, 16, 3)) == (32, 16, 3)
    with pytest.raises(ValueError, match="target_shape"):
        blocks.check_image_shape((32.0, 32, 3), "target_shape")


def test_spectral_norm_wrapping_and_layer_factory():
    dense = keras.layers.Dense(3, name="logits")
    assert blocks.with_spectral_norm(dense, False) is dense
    wrapped = blocks.with_spectral_norm(dense)
    assert isinstance(wrapped, keras_gen.layers.SpectralNormalization) and wrapped.name == "logits_sn"
    layers = blocks.LayerFactory("orthogonal", spectral_norm=False)
    conv = layers.conv(4, 3, "conv")
    assert isinstance(conv, keras.layers.Conv2D) and conv.padding == "same"
    assert layers.dense(2, "d", use_bias=False).use_bias is False


def test_positive_int():
    assert blocks.positive_int(3.0, "latent_dim") == 3
    for bad in (0, -1, 2.5, True, None):
        with pytest.raises(ValueError, match="latent_dim"):
            blocks.positive_int(bad, "latent_dim")
