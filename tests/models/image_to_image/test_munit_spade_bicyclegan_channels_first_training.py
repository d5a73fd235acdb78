"""MUNIT, SPADE and BicycleGAN train the same with channels-first networks as with channels-last ones.

Same initial weights, seeds and data (images transposed; SPADE's integer
label maps are the same in both layouts, its one-hot maps transposed): one
training step logs the same losses and leaves networks that compute the same
functions. The sizes avoid maps as wide as they have channels (refused on
TensorFlow) and have heights that differ from widths.
"""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.networks import bicyclegan_encoder
from keras_gen.networks import bicyclegan_generator
from keras_gen.networks import multiscale_patchgan_discriminator
from keras_gen.networks import munit_content_encoder
from keras_gen.networks import munit_decoder
from keras_gen.networks import munit_style_encoder
from keras_gen.networks import patchgan_discriminator
from keras_gen.networks import spade_generator
from keras_gen.networks import spade_image_encoder
from keras_gen.testing.layouts import assert_same_step
from keras_gen.testing.layouts import step_in_both_layouts
from keras_gen.testing.layouts import to_channels_first
from keras_gen.testing.layouts import to_channels_last


def _first_shape(shape):
    height, width, channels = shape
    return (channels, height, width)


def _images(shape, n, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + shape).astype("float32")


# ------------------------------------------------------------------ MUNIT
SHAPE_A, SHAPE_B = (12, 16, 1), (12, 16, 2)


def _munit(channels_first, shape_b=SHAPE_B, **kwargs):
    data_format = "channels_first" if channels_first else "channels_last"
    layout = _first_shape if channels_first else tuple
    networks = {}
    for domain, shape in (("a", SHAPE_A), ("b", shape_b)):
        content = munit_content_encoder(layout(shape), base_filters=3, num_downsamples=1,
                                        num_res_blocks=1, data_format=data_format,
                                        name=f"content_encoder_{domain}")
        networks[f"content_encoder_{domain}"] = content
        networks[f"style_encoder_{domain}"] = munit_style_encoder(
            layout(shape), style_dim=2, base_filters=3, num_downsamples=2, data_format=data_format,
            name=f"style_encoder_{domain}")
        networks[f"decoder_{domain}"] = munit_decoder(
            content.output.shape[1:], style_dim=2, output_channels=shape[-1], num_res_blocks=1,
            num_upsamples=1, mlp_units=5, mlp_layers=2, data_format=data_format,
            name=f"decoder_{domain}")
        networks[f"discriminator_{domain}"] = multiscale_patchgan_discriminator(
            layout(shape), num_scales=2, base_filters=3, num_layers=1, norm=None,
            return_features=False, data_format=data_format, name=f"discriminator_{domain}")
    return keras_gen.models.MUNIT(**networks, seed=0, **kwargs)


def test_munit():
    data = (_images(SHAPE_A, 2, 0), _images(SHAPE_B, 2, 1))
    assert_same_step(*step_in_both_layouts(lambda first: _munit(first, cycle_weight=1.0), data))


def test_munit_perceptual_term_repeats_grey_images_on_the_channel_axis():
    def features(channels_first):
        shape = (3, 12, 16) if channels_first else (12, 16, 3)
        inputs = keras.Input(shape)
        x = keras.layers.Conv2D(4, 3, data_format="channels_first" if channels_first else
                                "channels_last", name="conv")(inputs)
        return keras.Model(inputs, x)

    # Grey images in both domains, repeated to RGB for the 3-channel feature network.
    losses, weights = {}, None
    for channels_first in (False, True):
        keras.utils.set_random_seed(0)
        model = _munit(channels_first, shape_b=SHAPE_A, perceptual_weight=1.0,
                       perceptual_network=features(channels_first))
        weights = weights or model.perceptual_network.get_weights()
        model.perceptual_network.set_weights(weights)
        a, b = _images(SHAPE_A, 2, 2), _images(SHAPE_A, 2, 3)
        a, b = (to_channels_first(a), to_channels_first(b)) if channels_first else (a, b)
        losses[channels_first] = keras.ops.convert_to_numpy(model._perceptual_loss(a, b))
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-5)


# ------------------------------------------------------------------ SPADE
LABELS, IMAGES, NUM_CLASSES = (12, 16, 3), (12, 16, 1), 3


def _spade(channels_first, encoder=True):
    data_format = "channels_first" if channels_first else "channels_last"
    layout = _first_shape if channels_first else tuple
    generator = spade_generator(layout(LABELS), output_channels=1, latent_dim=4, base_filters=3,
                                num_upsamples=1, hidden_filters=5, data_format=data_format)
    discriminator = multiscale_patchgan_discriminator(
        layout(LABELS), target_shape=layout(IMAGES), num_scales=2, base_filters=3, num_layers=1,
        spectral_norm=True, data_format=data_format)
    image_encoder = spade_image_encoder(layout(IMAGES), latent_dim=4, base_filters=3,
                                        num_downsamples=2, data_format=data_format) if encoder else None
    return keras_gen.models.SPADE(generator, discriminator, encoder=image_encoder, seed=0)


def _label_ids(n, seed):
    return np.random.default_rng(seed).integers(0, NUM_CLASSES, (n,) + LABELS[:2]).astype("int32")


@pytest.mark.parametrize("one_hot", [False, True])
def test_spade(one_hot):
    ids = _label_ids(2, 4)
    maps = np.eye(NUM_CLASSES, dtype="float32")[ids] if one_hot else ids  # one-hot maps are transposed
    assert_same_step(*step_in_both_layouts(_spade, (maps, _images(IMAGES, 2, 5))))


def test_spade_channels_first_takes_integer_maps_and_one_hot_maps_on_axis_one():
    last, first = _spade(False, encoder=False), _spade(True, encoder=False)
    assert first.data_format == "channels_first" and first.num_classes == NUM_CLASSES
    first.generator.set_weights(last.generator.get_weights())
    ids = _label_ids(3, 6)
    expected = last.synthesize(ids, seed=0)
    for maps in (ids, to_channels_first(np.eye(NUM_CLASSES, dtype="float32")[ids]), ids[0]):
        made = first.synthesize(maps, seed=0)
        assert made.shape[1:] == (1, 12, 16)
        np.testing.assert_allclose(to_channels_last(made), expected[:len(made)], atol=1e-5)
    first.validate_batch_spec((None, 3, 12, 16), "float32")
    with pytest.raises(ValueError, match=r"\(batch, 3, 12, 16\)"):
        first.validate_batch_spec((None, 12, 16, 3), "float32")
    with pytest.raises(ValueError, match=r"not one-hot"):
        first.synthesize(np.ones((1, 3, 12, 16), "float32"))


# ------------------------------------------------------------- BicycleGAN
INPUTS, TARGETS = (16, 32, 1), (16, 32, 2)


def _bicyclegan(channels_first):
    data_format = "channels_first" if channels_first else "channels_last"
    layout = _first_shape if channels_first else tuple
    generator = bicyclegan_generator(layout(INPUTS), latent_dim=3, output_channels=2, base_filters=3,
                                     num_downsamples=3, data_format=data_format)
    encoder = bicyclegan_encoder(layout(TARGETS), latent_dim=3, base_filters=5, num_blocks=2,
                                 data_format=data_format)
    d_encoded = patchgan_discriminator(layout(TARGETS), base_filters=3, num_layers=2,
                                       norm="instance", data_format=data_format,
                                       name="discriminator_encoded")
    d_random = multiscale_patchgan_discriminator(
        layout(TARGETS), num_scales=2, base_filters=3, num_layers=1, norm=None,
        return_features=False, data_format=data_format, name="discriminator_random")
    return keras_gen.models.BicycleGAN(generator, encoder, d_encoded, d_random, seed=0)


def test_bicyclegan():
    inputs = _images(INPUTS, 4, 7)
    targets = np.tanh(2.0 * np.concatenate([inputs, inputs[:, ::-1]], axis=-1))
    assert_same_step(*step_in_both_layouts(_bicyclegan, (inputs, targets)))
