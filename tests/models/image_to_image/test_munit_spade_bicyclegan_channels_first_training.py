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


def _first_shape(shape):
    height, width, channels = shape
    return (channels, height, width)


def _to_first(array):
    array = np.asarray(array)
    return np.ascontiguousarray(np.moveaxis(array, -1, 1)) if array.ndim == 4 else array


def _to_last(array):
    array = keras.ops.convert_to_numpy(array)
    return np.moveaxis(array, 1, -1) if array.ndim == 4 else array


def _images(shape, n, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + shape).astype("float32")


def _probe_inputs(network):
    rng = np.random.default_rng(9)
    inputs = [rng.uniform(-1, 1, (2,) + tuple(x.shape[1:])).astype("float32") for x in network.inputs]
    return inputs if len(inputs) > 1 else inputs[0]


def _outputs(network, inputs, channels_first=False):
    """Every output of `network` on channels-last `inputs`, channels-last, flattened."""
    if channels_first:
        inputs = keras.tree.map_structure(_to_first, inputs)
    outputs = keras.tree.flatten(network(inputs, training=False))
    return [_to_last(o) if channels_first else keras.ops.convert_to_numpy(o) for o in outputs]


def _step_both(build_model, data):
    """One SGD step of the model in each layout from the same weights.

    `build_model(channels_first)` builds the model; `data` is the
    channels-last `fit` arguments (4-D arrays are transposed for the
    channels-first model). Returns the logs of each layout, and per network
    the channels-last outputs on probe inputs before the step, and after it
    in each layout.
    """
    logs, outputs, initial = {}, [], None
    for channels_first in (False, True):
        keras.utils.set_random_seed(0)
        model = build_model(channels_first)
        networks = [layer for layer in model.layers if isinstance(layer, keras.Model)]
        if initial is None:
            initial = [network.get_weights() for network in networks]
            probes = [_probe_inputs(network) for network in networks]
            outputs = [[_outputs(network, probe)] for network, probe in zip(networks, probes)]
        else:
            for network, values in zip(networks, initial):
                network.set_weights(values)
        model.compile(optimizers={name: keras.optimizers.SGD(1e-3) for name in model.optimizer_names()})
        arrays = tuple(_to_first(a) for a in data) if channels_first else data
        logs[channels_first] = model.fit(*arrays, batch_size=len(data[0]), epochs=1, verbose=0,
                                         shuffle=False).history
        for network, probe, row in zip(networks, probes, outputs):
            row.append(_outputs(network, probe, channels_first))
    return logs, outputs


def _assert_same_step(logs, outputs):
    """Same logs, and trained networks that compute the same functions (to 5% of the step's change).

    As in `test_channels_first_training.py`: compared through outputs, since
    the float32 update of a bias followed by instance normalization is
    rounding noise in either layout.
    """
    assert set(logs[True]) == set(logs[False])
    for key, values in logs[False].items():
        np.testing.assert_allclose(logs[True][key], values, rtol=1e-4, err_msg=key)
    for before, after_last, after_first in outputs:
        for b, last, first in zip(before, after_last, after_first):
            change = np.max(np.abs(last - b))
            assert np.max(np.abs(first - last)) <= 0.05 * change + 1e-6


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
    _assert_same_step(*_step_both(lambda first: _munit(first, cycle_weight=1.0), data))


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
        a, b = (_to_first(a), _to_first(b)) if channels_first else (a, b)
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
    _assert_same_step(*_step_both(_spade, (maps, _images(IMAGES, 2, 5))))


def test_spade_channels_first_takes_integer_maps_and_one_hot_maps_on_axis_one():
    last, first = _spade(False, encoder=False), _spade(True, encoder=False)
    assert first.data_format == "channels_first" and first.num_classes == NUM_CLASSES
    first.generator.set_weights(last.generator.get_weights())
    ids = _label_ids(3, 6)
    expected = last.synthesize(ids, seed=0)
    for maps in (ids, _to_first(np.eye(NUM_CLASSES, dtype="float32")[ids]), ids[0]):
        made = first.synthesize(maps, seed=0)
        assert made.shape[1:] == (1, 12, 16)
        np.testing.assert_allclose(_to_last(made), expected[:len(made)], atol=1e-5)
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
    _assert_same_step(*_step_both(_bicyclegan, (inputs, targets)))
