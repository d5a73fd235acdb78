"""Builders of keras_gen.networks.autoencoder: shapes, conditional inputs, clear errors."""

import numpy as np
import pytest
from keras.ops import convert_to_numpy

import keras_gen


@pytest.mark.parametrize("image_shape", [(28, 28, 1), (32, 32, 3)])
def test_encoder_and_decoder_shapes(image_shape):
    x = np.zeros((2,) + image_shape, "float32")
    mean, log_var = keras_gen.networks.conv_encoder(image_shape, 5, base_filters=4)(x)
    assert tuple(mean.shape) == (2, 5) and tuple(log_var.shape) == (2, 5)
    code = keras_gen.networks.conv_encoder(image_shape, 5, variational=False, base_filters=4)(x)
    assert tuple(code.shape) == (2, 5)
    decoder = keras_gen.networks.conv_decoder(image_shape, 5, output="tanh", base_filters=4)
    images = convert_to_numpy(decoder(np.full((2, 5), 3.0, "float32")))
    assert images.shape == (2,) + image_shape
    assert np.all(np.abs(images) <= 1.0)


def test_conditional_networks_take_one_hot_labels():
    labels = np.eye(3, dtype="float32")[[0, 2]]
    encoder = keras_gen.networks.conv_encoder((8, 8, 1), 2, num_classes=3, base_filters=4)
    decoder = keras_gen.networks.conv_decoder((8, 8, 1), 2, num_classes=3, base_filters=4)
    assert [tuple(t.shape) for t in encoder.inputs] == [(None, 8, 8, 1), (None, 3)]
    assert [tuple(t.shape) for t in decoder.inputs] == [(None, 2), (None, 3)]
    mean, _ = encoder([np.zeros((2, 8, 8, 1), "float32"), labels])
    assert tuple(mean.shape) == (2, 2)
    out = convert_to_numpy(decoder([np.zeros((2, 2), "float32"), labels]))
    assert out.shape == (2, 8, 8, 1)
    # The label changes the output.
    assert not np.allclose(out[0], out[1])


def test_latent_discriminator_outputs_one_logit():
    critic = keras_gen.networks.mlp_latent_discriminator(4, hidden_units=(16, 16))
    assert tuple(critic(np.zeros((3, 4), "float32")).shape) == (3, 1)
    assert len(critic.layers) == 4  # input, two hidden, logits


def test_decoder_upsamples_without_transposed_convolutions():
    decoder = keras_gen.networks.conv_decoder((28, 28, 1), 2, base_filters=4)
    kinds = {layer.__class__.__name__ for layer in decoder.layers}
    assert "Conv2DTranspose" not in kinds and "UpSampling2D" in kinds


def test_builder_errors_name_the_fix():
    cases = [
        ({"image_shape": (30, 30, 1)}, "divisible by 4"),
        ({"image_shape": (28, 28)}, r"\(height, width, channels\)"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"num_classes": 1}, "num_classes"),
    ]
    for kwargs, match in cases:
        with pytest.raises(ValueError, match=match):
            keras_gen.networks.conv_encoder(**kwargs)
        with pytest.raises(ValueError, match=match):
            keras_gen.networks.conv_decoder(**kwargs)


def test_decoder_output_and_discriminator_units_are_checked():
    with pytest.raises(ValueError, match="logits"):
        keras_gen.networks.conv_decoder(output="sigmoid")
    with pytest.raises(ValueError, match="hidden_units"):
        keras_gen.networks.mlp_latent_discriminator(2, hidden_units=())
