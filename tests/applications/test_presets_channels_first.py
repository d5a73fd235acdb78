"""`from_preset(name, data_format="channels_first")`: every shipped preset, the same numbers transposed."""

import numpy as np
import pytest

import keras
import keras_gen
from keras_gen.networks import network_data_format


def _first(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


def _last(x):
    return np.moveaxis(np.asarray(x), 1, -1)


def _images(shape, seed=0, n=3):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + tuple(shape)).astype("float32")


def _image_shape(network):
    return tuple(network.inputs[0].shape[1:])


# What each preset makes, from the same inputs in either layout: `run(model, layout)` gives its
# images channels-last (`layout(x)` puts channels-last inputs into the model's layout).
CASES = {
    "vae_mnist": lambda m, to: [m.generate(3, seed=0), m.reconstruct(to(_images((28, 28, 1))))],
    "aae_mnist": lambda m, to: [m.generate(3, seed=0), m.generate(3, seed=0, prior="standard"),
                                m.reconstruct(to(_images((28, 28, 1))))],
    "dcgan_mnist": lambda m, to: [m.generate(3, seed=0)],
    "sagan_mnist": lambda m, to: [m.generate(3, seed=0)],
    "cgan_mnist": lambda m, to: [m.generate(labels=[1, 4, 7], seed=0)],
    "pix2pix_edges2digits": lambda m, to: [m.translate(to(_images((32, 32, 1))))],
    "cyclegan_digits2inverted": lambda m, to: [
        m.translate_ab(to(_images(_last_shape(m.generator_ab)))),
        m.translate_ba(to(_images(_last_shape(m.generator_ba), seed=1)))],
    "munit_digits2styled": lambda m, to: [m.translate(to(_images(_last_shape(m.content_encoder_a))),
                                                      seed=0)],
    "spade_digits": lambda m, to: [m.synthesize(_label_maps(_last_shape(m.generator)), seed=0)],
    "bicyclegan_skeletons2digits": lambda m, to: [
        m.translate(to(_images(_last_shape(m.generator))), seed=0)],
}


def _label_maps(shape):
    """Integer class-id maps (the same in both layouts) for label maps of channels-last `shape`."""
    height, width, classes = shape
    return np.random.default_rng(0).integers(0, classes, (3, height, width)).astype("int32")


def _last_shape(network):
    shape = _image_shape(network)
    return shape if network_data_format(network) == "channels_last" else shape[1:] + shape[:1]


def test_every_shipped_preset_is_covered():
    assert sorted(list(CASES) + ["digits_classifier"]) == sorted(keras_gen.presets.list_presets())


def test_the_digits_classifier_loads_channels_first():
    last = keras_gen.presets.from_preset("digits_classifier", data_format="channels_last")
    first = keras_gen.presets.from_preset("digits_classifier", data_format="channels_first")
    assert network_data_format(first) == "channels_first"
    x = _images((28, 28, 1))
    want = keras.tree.map_structure(keras.ops.convert_to_numpy, last(x, training=False))
    have = keras.tree.map_structure(keras.ops.convert_to_numpy, first(_first(x), training=False))
    for a, b in zip(keras.tree.flatten(want), keras.tree.flatten(have)):
        np.testing.assert_allclose(b, a, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_preset_loads_channels_first_with_the_same_numbers(name):
    last = keras_gen.presets.from_preset(name, data_format="channels_last")
    try:
        first = keras_gen.presets.from_preset(name, data_format="channels_first")
    except ValueError as error:
        # TensorFlow biases channels-first maps as wide as their channel count per column.
        assert keras.backend.backend() == "tensorflow" and "as wide as" in str(error), error
        return
    networks = [getattr(first, n) for n in first.networks
                if isinstance(getattr(first, n, None), keras.Model)]
    layouts = {network_data_format(network) for network in networks} - {None}
    assert layouts == {"channels_first"}
    expected = CASES[name](last, lambda x: x)
    got = CASES[name](first, _first)
    for want, have in zip(expected, got):
        assert np.asarray(have).shape[1:] == _first(np.asarray(want)).shape[1:]
        np.testing.assert_allclose(_last(have), want, atol=2e-4)
    # The copy keeps the model's own weights (moving averages, fitted densities, and pools of
    # generated images, transposed) and its options.
    assert len(first.get_weights()) == len(last.get_weights())
    for have, want in zip(first.get_weights(), last.get_weights()):
        if have.shape != want.shape:
            want = np.moveaxis(want, -1, -3)
        np.testing.assert_array_equal(have, want)
    config_last, config_first = last.get_config(), first.get_config()
    options = [key for key in config_last if key not in first.networks]
    assert {k: config_first[k] for k in options} == {k: config_last[k] for k in options}


def test_by_default_a_preset_keeps_its_saved_layout():
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        vae = keras_gen.presets.from_preset("vae_mnist")
    finally:
        keras.config.set_image_data_format(previous)
    assert network_data_format(vae.decoder) == "channels_last"
    assert vae.generate(2, seed=0).shape == (2, 28, 28, 1)


def test_a_channels_first_preset_trains_on():
    """The converted model is a model like any other: it evaluates as the original and fits."""
    (x_train, _), _ = keras_gen.datasets.mnist.load_data(source="embedded")
    x = keras_gen.datasets.scale_images(x_train[:64])
    models = {}
    for data_format in ("channels_last", "channels_first"):
        model = keras_gen.presets.from_preset("aae_mnist", data_format=data_format)
        model.compile()
        models[data_format] = model
    last = models["channels_last"].evaluate(x, batch_size=32, verbose=0, return_dict=True)
    first = models["channels_first"].evaluate(_first(x), batch_size=32, verbose=0, return_dict=True)
    assert last["reconstruction_loss"] == pytest.approx(first["reconstruction_loss"], rel=1e-4)
    before = models["channels_first"].decoder.get_weights()
    history = models["channels_first"].fit(_first(x), batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["reconstruction_loss"][0])
    assert any(not np.array_equal(a, b)
               for a, b in zip(before, models["channels_first"].decoder.get_weights()))
