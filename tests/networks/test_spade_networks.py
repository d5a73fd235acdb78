"""The SPADE generator and image encoder (Park et al. 2019, appendix A).

The multi-scale discriminator SPADE uses is tested in test_multiscale_patchgan.py
(the input size of each scale included).
"""

import keras
import numpy as np
import pytest

from keras_gen.layers import SPADEResBlock
from keras_gen.layers import SpectralNormalization
from keras_gen.networks import spade_generator
from keras_gen.networks import spade_image_encoder
from keras_gen.networks.spade import _block_filters
from keras_gen.networks.spade import default_depth
from keras_gen.testing import run_model_saving_test


def _one_hot(shape, num_classes, seed=0):
    ids = np.random.default_rng(seed).integers(0, num_classes, shape)
    return np.eye(num_classes, dtype="float32")[ids]


def _latents(n, dim, seed=1):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")


def test_paper_widths_and_depth():
    # 256 x 256: a 4 x 4 grid and the paper's 1024, 1024, 1024, 512, 256, 128, 64.
    assert default_depth(256, 256) == 6
    assert _block_filters(64, 1024, 6) == [1024, 1024, 1024, 512, 256, 128, 64]
    assert default_depth(256, 512) == 6
    assert default_depth(28, 28) == 2 and default_depth(12, 12) == 1 and default_depth(8, 8) == 1


def test_generator_shapes_blocks_and_upsampling():
    generator = spade_generator((16, 16, 4), output_channels=3, latent_dim=4, base_filters=4,
                                hidden_filters=4, max_filters=8)
    assert [tuple(t.shape) for t in generator.inputs] == [(None, 16, 16, 4), (None, 4)]
    blocks = [layer for layer in generator.layers if isinstance(layer, SPADEResBlock)]
    assert [block.filters for block in blocks] == [8, 8, 4]  # 4 x 4 grid, 2 doublings, capped
    assert [block.output.shape[1] for block in blocks] == [4, 8, 16]
    assert tuple(generator.get_layer("latent_grid").output.shape) == (None, 4, 4, 8)
    assert isinstance(generator.get_layer("output_conv_sn"), SpectralNormalization)
    assert tuple(generator.output.shape) == (None, 16, 16, 3)
    assert generator.get_layer("output_conv_sn").layer.activation is keras.activations.tanh


def test_generator_follows_the_label_map_and_the_code():
    generator = spade_generator((8, 8, 3), output_channels=1, latent_dim=4, base_filters=4,
                                hidden_filters=4, num_upsamples=1, spectral_norm=False)
    maps, z = _one_hot((2, 8, 8), 3), _latents(2, 4)
    out = keras.ops.convert_to_numpy(generator([maps, z]))
    other_maps = keras.ops.convert_to_numpy(generator([_one_hot((2, 8, 8), 3, seed=5), z]))
    other_z = keras.ops.convert_to_numpy(generator([maps, _latents(2, 4, seed=7)]))
    assert not np.allclose(out, other_maps) and not np.allclose(out, other_z)


def test_generator_without_latent_input_starts_from_the_resized_map(tmp_path):
    generator = spade_generator((8, 8, 3), output_channels=1, latent_dim=None, base_filters=4,
                                hidden_filters=4, num_upsamples=1)
    assert len(generator.inputs) == 1
    assert tuple(generator.get_layer("label_grid").output.shape) == (None, 4, 4, 3)
    maps = _one_hot((2, 8, 8), 3)
    run_model_saving_test(generator, lambda m: m(maps, training=False), tmp_path)


def test_mixed_precision_output_is_float32():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        generator = spade_generator((8, 8, 3), output_channels=1, latent_dim=4, base_filters=4,
                                    hidden_filters=4, num_upsamples=0, spectral_norm=False)
        encoder = spade_image_encoder((8, 8, 1), latent_dim=4, base_filters=4, spectral_norm=False)
    finally:
        keras.config.set_dtype_policy(previous)
    assert generator.get_layer("block0").compute_dtype == "bfloat16"
    for output in [generator.output] + encoder.outputs:
        assert keras.backend.standardize_dtype(output.dtype) == "float32"


def test_encoder_shapes_and_widths():
    encoder = spade_image_encoder((16, 16, 1), latent_dim=8, base_filters=4)
    convs = [encoder.get_layer(f"conv{i}_sn").layer for i in range(2)]  # 16 -> 4: two halvings
    assert [conv.filters for conv in convs] == [4, 8]
    assert tuple(encoder.get_layer("flatten").output.shape) == (None, 4 * 4 * 8)
    assert [tuple(t.shape) for t in encoder.outputs] == [(None, 8), (None, 8)]
    paper = spade_image_encoder((256, 256, 3), latent_dim=256, base_filters=1, spectral_norm=False)
    assert [paper.get_layer(f"conv{i}").filters for i in range(6)] == [1, 2, 4, 8, 8, 8]


@pytest.mark.parametrize(
    "builder, kwargs, match",
    [
        (spade_generator, {"label_shape": (12, 12, 3), "num_upsamples": 3}, "divisible"),
        (spade_generator, {"label_shape": (8, 8)}, "label_shape"),
        (spade_generator, {"label_shape": (8, 8, 3), "latent_dim": 0}, "latent_dim"),
        (spade_generator, {"label_shape": (8, 8, 3), "num_upsamples": -1}, "num_upsamples"),
        (spade_image_encoder, {"image_shape": (8, 8, 1), "num_downsamples": 0}, "num_downsamples"),
    ],
)
def test_bad_arguments(builder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        builder(**kwargs)
