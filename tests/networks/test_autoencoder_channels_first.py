"""The autoencoder family's networks channels-first: same weights, same numbers, same VAE losses."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.networks import conv_decoder
from keras_gen.networks import conv_encoder
from keras_gen.testing import perturbed_weights


def _randomize_both(last, first, seed=0):
    weights = perturbed_weights(last, seed)
    last.set_weights(weights)
    first.set_weights(weights)


def _first(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


@pytest.mark.parametrize("num_classes", [None, 3])
def test_encoder_and_decoder(num_classes):
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, (2, 12, 12, 2)).astype("float32")
    codes = rng.standard_normal((2, 5)).astype("float32")
    labels = np.eye(3, dtype="float32")[[0, 2]]
    enc_last = conv_encoder((12, 12, 2), latent_dim=5, num_classes=num_classes, base_filters=4,
                            data_format="channels_last")
    enc_first = conv_encoder((2, 12, 12), latent_dim=5, num_classes=num_classes, base_filters=4,
                             data_format="channels_first")
    dec_last = conv_decoder((12, 12, 2), latent_dim=5, num_classes=num_classes, base_filters=4,
                            output="tanh", data_format="channels_last")
    dec_first = conv_decoder((2, 12, 12), latent_dim=5, num_classes=num_classes, base_filters=4,
                             output="tanh", data_format="channels_first")
    _randomize_both(enc_last, enc_first)
    _randomize_both(dec_last, dec_first, seed=1)
    extra = [] if num_classes is None else [labels]
    expected = enc_last([images] + extra if extra else images)
    got = enc_first([_first(images)] + extra if extra else _first(images))
    for a, b in zip(expected, got):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(b), keras.ops.convert_to_numpy(a),
                                   atol=1e-5)
    made_last = keras.ops.convert_to_numpy(dec_last([codes] + extra if extra else codes))
    made_first = keras.ops.convert_to_numpy(dec_first([codes] + extra if extra else codes))
    assert made_first.shape == (2, 2, 12, 12)
    np.testing.assert_allclose(np.moveaxis(made_first, 1, -1), made_last, atol=1e-5)


def test_a_vae_logs_the_same_losses_in_either_layout():
    images = np.random.default_rng(2).uniform(-1, 1, (8, 12, 12, 1)).astype("float32")
    logs = {}
    weights = None
    for data_format, shape in (("channels_last", (12, 12, 1)), ("channels_first", (1, 12, 12))):
        encoder = conv_encoder(shape, latent_dim=4, base_filters=4, data_format=data_format)
        decoder = conv_decoder(shape, latent_dim=4, base_filters=4, output="tanh",
                               data_format=data_format)
        if weights is None:
            weights = (encoder.get_weights(), decoder.get_weights())
        else:
            encoder.set_weights(weights[0])
            decoder.set_weights(weights[1])
        vae = keras_gen.models.VAE(encoder, decoder, likelihood="gaussian", seed=0)
        vae.compile(vae_optimizer=keras.optimizers.SGD(0.0))  # losses of the same weights
        data = images if data_format == "channels_last" else _first(images)
        logs[data_format] = vae.fit(data, batch_size=4, epochs=1, verbose=0, shuffle=False).history
    for key, values in logs["channels_last"].items():
        np.testing.assert_allclose(logs["channels_first"][key], values, rtol=1e-5, err_msg=key)
