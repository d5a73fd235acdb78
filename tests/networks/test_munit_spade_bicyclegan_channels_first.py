"""The MUNIT, SPADE, BicycleGAN and multi-scale PatchGAN networks channels-first: same weights, same numbers.

Each network is built in both layouts, given the same (perturbed, so that
no offset is zero) weights and compared on the same inputs, transposed. The
sizes avoid maps as wide as they have channels, which TensorFlow refuses
(see `keras_gen.networks.blocks.check_channels_first_offsets`), and have
heights that differ from widths, so that a swapped spatial axis shows.
"""

import keras
import numpy as np
import pytest

from keras_gen.networks import bicyclegan_encoder
from keras_gen.networks import bicyclegan_generator
from keras_gen.networks import multiscale_patchgan_discriminator
from keras_gen.networks import munit_content_encoder
from keras_gen.networks import munit_decoder
from keras_gen.networks import munit_domain_invariant_features
from keras_gen.networks import munit_style_encoder
from keras_gen.networks import spade_generator
from keras_gen.networks import spade_image_encoder
from keras_gen.networks.multiscale_patchgan import PaddedAveragePooling2D
from keras_gen.networks.spade import ResizeNearest
from keras_gen.testing import perturbed_weights


def _first_shape(shape):
    height, width, channels = shape
    return (channels, height, width)


def _to_first(array):
    array = np.asarray(array)
    return np.moveaxis(array, -1, 1) if array.ndim == 4 else array


def _to_last(array):
    array = keras.ops.convert_to_numpy(array)
    return np.moveaxis(array, 1, -1) if array.ndim == 4 else array


def _twins(build, shape_args, **kwargs):
    """`build` channels-last and channels-first (the `shape_args` transposed), with the same weights."""
    last = build(data_format="channels_last", **shape_args, **kwargs)
    first = build(data_format="channels_first", **{k: None if v is None else _first_shape(v)
                                                   for k, v in shape_args.items()}, **kwargs)
    weights = perturbed_weights(last, seed=3)
    last.set_weights(weights)
    first.set_weights(weights)
    return last, first


def _assert_same(last, first, inputs, trainings=(False, True), atol=1e-4):
    """Same outputs (every nested one, moved to channels-last) for channels-last `inputs`."""
    for training in trainings:
        expected = keras.tree.flatten(last(inputs, training=training))
        got = keras.tree.flatten(first(keras.tree.map_structure(_to_first, inputs), training=training))
        assert len(got) == len(expected)
        for a, b in zip(expected, got):
            np.testing.assert_allclose(_to_last(b), keras.ops.convert_to_numpy(a), atol=atol)


def _uniform(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def _one_hot(shape, num_classes, seed):
    ids = np.random.default_rng(seed).integers(0, num_classes, shape)
    return np.eye(num_classes, dtype="float32")[ids]


# ------------------------------------------------------------------ MUNIT
def test_munit_content_encoder():
    last, first = _twins(munit_content_encoder, {"input_shape": (12, 16, 3)}, base_filters=5,
                         num_downsamples=1, num_res_blocks=2)
    assert first.input_shape == (None, 3, 12, 16) and first.output_shape == (None, 10, 6, 8)
    _assert_same(last, first, _uniform((2, 12, 16, 3), 0))


def test_munit_style_encoder():
    last, first = _twins(munit_style_encoder, {"input_shape": (12, 16, 3)}, style_dim=4,
                         base_filters=5, num_downsamples=2)
    assert first.output_shape == (None, 4)
    _assert_same(last, first, _uniform((2, 12, 16, 3), 1))


def test_munit_decoder():
    last, first = _twins(munit_decoder, {"content_shape": (6, 8, 12)}, style_dim=4,
                         output_channels=3, num_res_blocks=2, num_upsamples=1, mlp_units=7)
    assert first.output_shape == (None, 3, 12, 16)
    content = np.random.default_rng(2).standard_normal((2, 6, 8, 12)).astype("float32")
    _assert_same(last, first, [content, np.random.default_rng(3).standard_normal((2, 4))
                               .astype("float32")])


def test_munit_domain_invariant_features_follow_the_feature_network():
    def features(data_format, shape):
        inputs = keras.Input(shape)
        x = keras.layers.Conv2D(5, 3, name="conv", data_format=data_format)(inputs)
        return keras.Model(inputs, x)

    last = munit_domain_invariant_features(features("channels_last", (12, 16, 3)))
    first = munit_domain_invariant_features(features("channels_first", (3, 12, 16)))
    first.set_weights(perturbed_weights(last, seed=4))
    last.set_weights(first.get_weights())
    assert first.get_layer("feature0_norm").axis == 1
    _assert_same(last, first, _uniform((2, 12, 16, 3), 4), trainings=(False,))


# ------------------------------------------------------------------ SPADE
@pytest.mark.parametrize("latent_dim, norm", [(6, "batch"), (6, "instance"), (None, "batch")])
def test_spade_generator(latent_dim, norm):
    last, first = _twins(spade_generator, {"label_shape": (12, 16, 4)}, output_channels=2,
                         latent_dim=latent_dim, base_filters=3, num_upsamples=1, hidden_filters=5,
                         norm=norm)
    assert first.inputs[0].shape[1:] == (4, 12, 16) and first.output_shape == (None, 2, 12, 16)
    labels = _one_hot((2, 12, 16), 4, 5)
    latent = np.random.default_rng(6).standard_normal((2, 6)).astype("float32")
    _assert_same(last, first, labels if latent_dim is None else [labels, latent])


def test_spade_image_encoder():
    last, first = _twins(spade_image_encoder, {"image_shape": (12, 16, 2)}, latent_dim=5,
                         base_filters=3, num_downsamples=2)
    _assert_same(last, first, _uniform((2, 12, 16, 2), 7))


def test_resize_nearest_layer():
    layer = ResizeNearest(3, 4, data_format="channels_first")
    labels = _one_hot((2, 6, 10), 3, 8)
    out = keras.ops.convert_to_numpy(layer(_to_first(labels)))
    assert layer.compute_output_shape((None, 3, 6, 10)) == (None, 3, 3, 4)
    np.testing.assert_array_equal(
        _to_last(out), keras.ops.convert_to_numpy(ResizeNearest(3, 4, "channels_last")(labels)))
    assert ResizeNearest.from_config(layer.get_config()).data_format == "channels_first"


# ------------------------------------------------------------- BicycleGAN
@pytest.mark.parametrize("upsampling", ["resize", "transpose"])
def test_bicyclegan_generator(upsampling):
    last, first = _twins(bicyclegan_generator, {"input_shape": (16, 32, 1)}, latent_dim=3,
                         output_channels=2, base_filters=3, num_downsamples=3, upsampling=upsampling)
    assert first.output_shape == (None, 2, 16, 32)
    codes = np.random.default_rng(9).standard_normal((2, 3)).astype("float32")
    _assert_same(last, first, [_uniform((2, 16, 32, 1), 8), codes])


@pytest.mark.parametrize("norm", ["instance", "batch", None])
def test_bicyclegan_encoder(norm):
    last, first = _twins(bicyclegan_encoder, {"input_shape": (16, 32, 1)}, latent_dim=3,
                         base_filters=5, num_blocks=2, norm=norm)
    _assert_same(last, first, _uniform((2, 16, 32, 1), 10))


# ------------------------------------------------------- multi-scale PatchGAN
@pytest.mark.parametrize("conditional, return_features, spectral_norm",
                         [(False, True, False), (True, True, True), (True, False, False)])
def test_multiscale_patchgan(conditional, return_features, spectral_norm):
    shapes = {"input_shape": (24, 40, 1), "target_shape": (24, 40, 4) if conditional else None}
    last, first = _twins(multiscale_patchgan_discriminator, shapes, num_scales=2, base_filters=3,
                         num_layers=2, spectral_norm=spectral_norm, return_features=return_features)
    assert tuple(first.outputs[-1].shape) == (None, 1, 1, 3)  # the coarsest scale's logits
    images = _uniform((2, 24, 40, 1), 11)
    _assert_same(last, first, [images, _uniform((2, 24, 40, 4), 12)] if conditional else images)


def test_padded_average_pooling():
    images = _uniform((2, 9, 8, 3), 13)
    layer = PaddedAveragePooling2D(data_format="channels_first")
    out = keras.ops.convert_to_numpy(layer(_to_first(images)))
    assert layer.compute_output_shape((None, 3, 9, 8)) == (None, 3, 5, 4)
    np.testing.assert_allclose(
        _to_last(out), keras.ops.convert_to_numpy(PaddedAveragePooling2D(data_format="channels_last")(
            images)), atol=1e-6)
    assert PaddedAveragePooling2D.from_config(layer.get_config()).data_format == "channels_first"


# ----------------------------------------------------------------- layout
def test_networks_follow_the_image_data_format():
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        assert munit_content_encoder((3, 12, 16), base_filters=5, num_downsamples=1,
                                     num_res_blocks=1).output_shape == (None, 10, 6, 8)
        assert munit_style_encoder((3, 12, 16), base_filters=5, num_downsamples=1).output_shape == (
            None, 8)
        assert munit_decoder((12, 6, 8), num_upsamples=1, num_res_blocks=1, mlp_units=7,
                             output_channels=3).output_shape == (None, 3, 12, 16)
        assert spade_generator((4, 12, 16), output_channels=2, latent_dim=None, base_filters=3,
                               num_upsamples=1, hidden_filters=5).output_shape == (None, 2, 12, 16)
        assert [tuple(o.shape) for o in spade_image_encoder((2, 12, 16), latent_dim=5, base_filters=3,
                                                            num_downsamples=2).outputs] == [
            (None, 5), (None, 5)]
        assert bicyclegan_generator((1, 16, 32), latent_dim=3, base_filters=3,
                                    num_downsamples=3).output_shape == (None, 1, 16, 32)
        assert bicyclegan_encoder((1, 16, 32), latent_dim=3, base_filters=5,
                                  num_blocks=2).output_shape == [(None, 3), (None, 3)]
        discriminator = multiscale_patchgan_discriminator(
            (1, 24, 40), num_scales=2, base_filters=3, num_layers=2, return_features=False)
        assert [tuple(o.shape) for o in discriminator.outputs] == [(None, 1, 4, 8), (None, 1, 1, 3)]
    finally:
        keras.config.set_image_data_format(previous)


def test_channels_first_shapes_are_checked_in_their_layout():
    with pytest.raises(ValueError, match="multiples of 2"):
        munit_content_encoder((3, 12, 15), num_downsamples=1, data_format="channels_first")
    with pytest.raises(ValueError, match="divisible by 2"):
        munit_decoder((5, 8, 8), num_upsamples=1, data_format="channels_first")
    with pytest.raises(ValueError, match="divisible"):
        spade_generator((4, 12, 18), num_upsamples=2, data_format="channels_first")
    with pytest.raises(ValueError, match="multiples of 16"):
        bicyclegan_generator((1, 16, 24), num_downsamples=4, data_format="channels_first")
    with pytest.raises(ValueError, match="coarsest scale"):
        multiscale_patchgan_discriminator((1, 24, 40), num_scales=3, num_layers=2,
                                          data_format="channels_first")


def test_tensorflow_refuses_maps_as_wide_as_their_channels():
    # The SPADE blocks' own convolutions: 16 pixels wide grid maps of 16 filters.
    def build():
        return spade_generator((3, 32, 32), output_channels=1, latent_dim=None, base_filters=8,
                               num_upsamples=1, hidden_filters=4, data_format="channels_first")

    if keras.backend.backend() == "tensorflow":
        with pytest.raises(ValueError, match="channels_last"):
            build()
    else:
        assert build().output_shape == (None, 1, 32, 32)
