"""convert_data_format: a channels-last network (e.g. a preset's) run channels-first, same numbers."""

import json

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.networks import convert_data_format
from keras_gen.networks import network_data_format
from keras_gen.networks import patchgan_discriminator
from keras_gen.networks import resnet_generator
from keras_gen.networks import unet_generator
from keras_gen.testing import perturbed_weights


def _randomized(network, seed=0):
    network.set_weights(perturbed_weights(network, seed))
    return network


def _first(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


@pytest.mark.parametrize("build, inputs", [
    (lambda: unet_generator((32, 32, 1), output_channels=3, base_filters=3, num_downsamples=3,
                            upsampling="transpose", dropout=0.0), [(32, 32, 1)]),
    (lambda: resnet_generator((16, 16, 3), base_filters=3, num_blocks=1, upsampling="subpixel"),
     [(16, 16, 3)]),
    (lambda: patchgan_discriminator((32, 32, 1), target_shape=(32, 32, 3), base_filters=3,
                                    num_layers=2, norm="instance"), [(32, 32, 1), (32, 32, 3)]),
])
def test_converted_network_computes_the_same_and_converts_back(build, inputs):
    network = _randomized(build())
    first = convert_data_format(network, "channels_first")
    assert network_data_format(first) == "channels_first"
    rng = np.random.default_rng(1)
    x = [rng.uniform(-1, 1, (2,) + shape).astype("float32") for shape in inputs]
    x = x if len(x) > 1 else x[0]
    x_first = [_first(a) for a in x] if isinstance(x, list) else _first(x)
    for training in (False, True):
        expected = keras.ops.convert_to_numpy(network(x, training=training))
        got = keras.ops.convert_to_numpy(first(x_first, training=training))
        np.testing.assert_allclose(np.moveaxis(got, 1, -1), expected, atol=1e-4)
    back = convert_data_format(first, "channels_last")
    assert back.get_config() == network.get_config()
    assert convert_data_format(network, "channels_last") is network


def test_the_pix2pix_preset_runs_channels_first():
    pix2pix = keras_gen.presets.from_preset("pix2pix_edges2digits")
    edges = np.random.default_rng(2).uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    expected = keras.ops.convert_to_numpy(pix2pix.generator(edges, training=False))
    if keras.backend.backend() == "tensorflow":
        # Its first block makes 16x16 maps of 16 channels, which TensorFlow would bias per column.
        with pytest.raises(ValueError, match="as wide as they have channels"):
            convert_data_format(pix2pix.generator, "channels_first")
        return
    generator = convert_data_format(pix2pix.generator, "channels_first")
    got = keras.ops.convert_to_numpy(generator(_first(edges), training=False))
    np.testing.assert_allclose(np.moveaxis(got, 1, -1), expected, atol=1e-4)
    discriminator = convert_data_format(pix2pix.discriminator, "channels_first")
    model = keras_gen.models.Pix2Pix(generator, discriminator, seed=0)
    model.compile()
    history = model.fit(_first(edges), _first(expected), batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][0])


def _normalized(config):
    return json.loads(json.dumps(config))


@pytest.mark.parametrize("build", [
    lambda data_format: keras_gen.networks.conv_decoder(
        (28, 28, 1) if data_format == "channels_last" else (1, 28, 28), 8, output="tanh",
        data_format=data_format),
    lambda data_format: keras_gen.networks.conv_encoder(
        (28, 28, 1) if data_format == "channels_last" else (1, 28, 28), 8, data_format=data_format),
    lambda data_format: keras_gen.networks.dcgan_discriminator(
        (28, 28, 1) if data_format == "channels_last" else (1, 28, 28), base_filters=4,
        data_format=data_format),
])
def test_dense_heads_and_reshapes_convert_to_what_the_builder_makes(build):
    """Vectors reshaped into images gain (and lose) the builder's Permute; dense heads stay."""
    last, first = build("channels_last"), build("channels_first")
    converted = convert_data_format(last, "channels_first")
    assert _normalized(converted.get_config()) == _normalized(first.get_config())
    back = convert_data_format(first, "channels_last")
    assert _normalized(back.get_config()) == _normalized(last.get_config())


def test_layout_dependent_layers_are_refused_by_name():
    images = keras.Input((8, 8, 2))
    channel_mixing = keras.Model(images, keras.layers.Dense(3, name="mix")(
        keras.layers.Conv2D(2, 3, padding="same")(images)))
    with pytest.raises(ValueError, match="'mix' \\(Dense\\)"):
        convert_data_format(channel_mixing, "channels_first")
    flat = keras.layers.Reshape((128,))(keras.layers.Conv2D(2, 3, padding="same")(images))
    with pytest.raises(ValueError, match="Reshape"):
        convert_data_format(keras.Model(images, flat), "channels_first")
    rows = keras.ops.sum(keras.layers.Conv2D(2, 3, padding="same")(images), axis=1)
    with pytest.raises(ValueError, match="depends on the image layout"):
        convert_data_format(keras.Model(images, rows), "channels_first")
    mlp = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="nothing to convert"):
        convert_data_format(mlp, "channels_first")
