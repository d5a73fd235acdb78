"""The SAGAN and BigGAN networks channels-first: same weights, same numbers.

Sizes are chosen so that no channels-first map is as wide as it has channels
(Keras's TensorFlow backend adds biases on the wrong axis of such maps; the
builders refuse them there, see the last test).
"""

import keras
import numpy as np
import pytest

from keras_gen.layers import SelfAttention2D
from keras_gen.networks import biggan_generator
from keras_gen.networks import sagan_discriminator
from keras_gen.networks import sagan_generator
from keras_gen.networks.sagan import attention_sides
from keras_gen.testing import perturbed_weights
from keras_gen.testing import run_model_saving_test

LAST = (16, 16, 3)
FIRST = (3, 16, 16)
LATENT = 6
LABELS = np.array([1, 3], "int32")


def _twins(build, seed=0, **kwargs):
    """The network built channels-last and channels-first, both with the same random weights."""
    last = build(LAST, data_format="channels_last", **kwargs)
    first = build(FIRST, data_format="channels_first", **kwargs)
    weights = perturbed_weights(last, seed)
    last.set_weights(weights)
    first.set_weights(weights)
    return last, first


def _z(seed=0):
    return np.random.default_rng(seed).standard_normal((2, LATENT)).astype("float32")


def _images(seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (2,) + LAST).astype("float32")


def _to_first(images):
    return np.ascontiguousarray(np.moveaxis(images, -1, 1))


def _assert_same_generators(last, first, inputs):
    """Same images (transposed) in inference and training, and the same moving statistics after."""
    assert first.output_shape == (None,) + FIRST
    for training in (False, True):
        made_last = keras.ops.convert_to_numpy(last(inputs, training=training))
        made_first = keras.ops.convert_to_numpy(first(inputs, training=training))
        assert made_first.shape == (2,) + FIRST
        np.testing.assert_allclose(np.moveaxis(made_first, 1, -1), made_last, atol=1e-5)
    for variable, a, b in zip(last.weights, last.get_weights(), first.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=variable.path)


@pytest.mark.parametrize("num_classes", [None, 4])
def test_sagan_generator(num_classes):
    last, first = _twins(sagan_generator, latent_dim=LATENT, base_filters=3,
                         attention_resolution=8, num_classes=num_classes)
    assert first.get_layer("attention").data_format == "channels_first"
    assert first.get_layer("attention").output.shape[1:] == (6, 8, 8)
    _assert_same_generators(last, first, _z() if num_classes is None else [_z(), LABELS])


@pytest.mark.parametrize("num_classes", [None, 4])
def test_sagan_discriminator(num_classes):
    last, first = _twins(sagan_discriminator, base_filters=3, attention_resolution=8,
                         num_classes=num_classes)
    assert first.input_shape == ((None,) + FIRST if num_classes is None
                                 else [(None,) + FIRST, (None,)])
    images = _images()
    inputs_last = images if num_classes is None else [images, LABELS]
    inputs_first = _to_first(images) if num_classes is None else [_to_first(images), LABELS]
    for training in (False, True):
        logits_last = keras.ops.convert_to_numpy(last(inputs_last, training=training))
        logits_first = keras.ops.convert_to_numpy(first(inputs_first, training=training))
        assert logits_first.shape == (2, 1)
        np.testing.assert_allclose(logits_first, logits_last, rtol=1e-5, atol=1e-5)


def test_biggan_discriminator_is_sagan_s_with_orthogonal_kernels():
    last, first = _twins(sagan_discriminator, base_filters=3, attention_resolution=4,
                         num_classes=4, kernel_initializer="orthogonal")
    images = _images(2)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(first([_to_first(images), LABELS], training=False)),
        keras.ops.convert_to_numpy(last([images, LABELS], training=False)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("hierarchical", [True, False])
def test_biggan_generator(hierarchical):
    last, first = _twins(biggan_generator, latent_dim=LATENT, num_classes=4,
                         shared_embedding_dim=5, hierarchical=hierarchical, base_filters=3,
                         attention_resolution=8, orthogonal_regularization=1e-4)
    _assert_same_generators(last, first, [_z(), LABELS])
    # The orthogonal penalties are on the same kernels.
    np.testing.assert_allclose(
        [float(keras.ops.convert_to_numpy(loss)) for loss in first.losses],
        [float(keras.ops.convert_to_numpy(loss)) for loss in last.losses], rtol=1e-5)


def test_data_format_none_follows_keras_config():
    previous = keras.config.image_data_format()
    try:
        keras.config.set_image_data_format("channels_first")
        generator = sagan_generator(FIRST, latent_dim=LATENT, base_filters=3, attention_resolution=8)
        discriminator = sagan_discriminator(FIRST, base_filters=3, attention_resolution=8)
        biggan = biggan_generator(FIRST, latent_dim=LATENT, num_classes=4, base_filters=3,
                                  attention_resolution=8)
    finally:
        keras.config.set_image_data_format(previous)
    assert generator.output_shape == (None,) + FIRST
    assert biggan.output_shape == (None,) + FIRST
    assert discriminator.input_shape == (None,) + FIRST
    for network in (generator, discriminator, biggan):
        attention = [layer for layer in network.layers if isinstance(layer, SelfAttention2D)]
        assert [layer.data_format for layer in attention] == ["channels_first"]
    assert sagan_generator(LAST, latent_dim=LATENT, base_filters=3).output_shape == (None,) + LAST


def test_channels_first_network_saves_and_loads(tmp_path):
    _, first = _twins(sagan_generator, latent_dim=LATENT, base_filters=3, attention_resolution=8,
                      num_classes=4)
    inputs = [_z(), LABELS]
    reloaded = run_model_saving_test(first, lambda model: model(inputs, training=False), tmp_path)
    assert reloaded.get_layer("attention").data_format == "channels_first"


def test_tensorflow_refuses_maps_as_wide_as_their_channels():
    """With base_filters=4 the 8x8 maps have 8 channels. On TensorFlow the spectrally normalized
    convolutions would add their biases per column; elsewhere the networks agree."""
    kwargs = dict(latent_dim=LATENT, base_filters=4, attention_resolution=8)
    if keras.backend.backend() == "tensorflow":
        for spectral_norm in (True, False):
            with pytest.raises(ValueError, match="as wide as they have channels"):
                sagan_generator(FIRST, data_format="channels_first", spectral_norm=spectral_norm,
                                **kwargs)
        return
    last, first = _twins(sagan_generator, **kwargs)
    _assert_same_generators(last, first, _z())


@pytest.mark.parametrize("resolution", [None, 4, 12, 16])
def test_attention_sides_are_where_the_networks_attend(resolution):
    generator = sagan_generator(FIRST, latent_dim=LATENT, base_filters=3, data_format="channels_first",
                                attention_resolution=resolution)
    discriminator = sagan_discriminator(FIRST, base_filters=3, data_format="channels_first",
                                        attention_resolution=resolution)
    found = tuple(
        next((layer.output.shape[2] for layer in network.layers if layer.name == "attention"), None)
        for network in (generator, discriminator))
    assert attention_sides(LAST, resolution) == found
