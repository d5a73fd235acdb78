"""The StyleGAN synthesis network and discriminator channels-first: same weights, same numbers.

The learned constant and the fixed noise maps are stored channels-last, and
fresh noise is drawn channels-last then moved, so twins built after the same
`keras.utils.set_random_seed` compute the same images even with random
noise. The sizes avoid maps as wide as they have channels, which TensorFlow
refuses (see the last test).
"""

import keras
import numpy as np
import pytest

from keras_gen.layers import LearnedConstant
from keras_gen.layers import MinibatchStandardDeviation
from keras_gen.networks import stylegan_discriminator
from keras_gen.networks import stylegan_num_styles
from keras_gen.networks import stylegan_synthesis_network
from keras_gen.testing import perturbed_weights

STYLE = 6


def _first(shape):
    height, width, channels = shape
    return (channels, height, width)


def _to_first(array):
    return np.ascontiguousarray(np.moveaxis(array, -1, 1))


def _to_last(array):
    return np.moveaxis(keras.ops.convert_to_numpy(array), 1, -1)


def _twins(build, image_shape, **kwargs):
    keras.utils.set_random_seed(0)  # the same noise seeds in both networks
    last = build(image_shape=image_shape, data_format="channels_last", **kwargs)
    keras.utils.set_random_seed(0)
    first = build(image_shape=_first(image_shape), data_format="channels_first", **kwargs)
    # Fresh biases and noise weights are zeros, which would hide an offset on the wrong axis.
    weights = perturbed_weights(last, seed=3)
    last.set_weights(weights)
    first.set_weights(weights)
    return last, first


def _styles(image_shape, seed=1, batch=4):
    shape = (batch, stylegan_num_styles(image_shape), STYLE)
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize("image_shape, randomize_noise", [((16, 16, 3), False), ((28, 28, 1), True)])
def test_synthesis_network(image_shape, randomize_noise):
    last, first = _twins(stylegan_synthesis_network, image_shape, style_dim=STYLE, base_filters=5,
                         max_filters=9, randomize_noise=randomize_noise)
    assert first.input_shape == last.input_shape
    assert first.output_shape == (None,) + _first(image_shape)
    styles = _styles(image_shape)
    for training in (False, True):
        np.testing.assert_allclose(_to_last(first(styles, training=training)),
                                   keras.ops.convert_to_numpy(last(styles, training=training)),
                                   atol=1e-4)


def test_discriminator():
    last, first = _twins(stylegan_discriminator, (16, 16, 3), base_filters=5, max_filters=9,
                         mbstd_group_size=2, mbstd_num_features=3)
    assert first.input_shape == (None, 3, 16, 16) and first.output_shape == (None, 1)
    assert first.get_layer("minibatch_std").output.shape == (None, 12, 4, 4)
    images = np.random.default_rng(2).uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    for training in (False, True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(first(_to_first(images), training=training)),
            keras.ops.convert_to_numpy(last(images, training=training)), rtol=1e-5, atol=1e-5)


def test_a_weights_file_loads_in_the_other_layout(tmp_path):
    last, _ = _twins(stylegan_synthesis_network, (16, 16, 3), style_dim=STYLE, base_filters=5,
                     max_filters=9, randomize_noise=False)
    path = str(tmp_path / "synthesis.weights.h5")
    last.save_weights(path)
    first = stylegan_synthesis_network(STYLE, (3, 16, 16), base_filters=5, max_filters=9,
                                       randomize_noise=False, data_format="channels_first")
    first.load_weights(path)
    styles = _styles((16, 16, 3))
    np.testing.assert_allclose(_to_last(first(styles)), keras.ops.convert_to_numpy(last(styles)),
                               atol=1e-5)


def test_networks_follow_the_image_data_format():
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        assert stylegan_num_styles((1, 28, 28)) == 6
        synthesis = stylegan_synthesis_network(STYLE, (1, 8, 8), base_filters=3, max_filters=6)
        assert synthesis.output_shape == (None, 1, 8, 8)
        assert synthesis.get_layer("constant").data_format == "channels_first"
        discriminator = stylegan_discriminator((1, 8, 8), base_filters=3, max_filters=6)
        assert discriminator.input_shape == (None, 1, 8, 8)
        assert isinstance(discriminator.get_layer("minibatch_std"), MinibatchStandardDeviation)
        assert discriminator.get_layer("minibatch_std").data_format == "channels_first"
    finally:
        keras.config.set_image_data_format(previous)
    assert stylegan_num_styles((28, 28, 1)) == 6


def test_channels_first_shapes_are_checked_in_their_layout():
    assert stylegan_num_styles((3, 32, 32), data_format="channels_first") == 8
    with pytest.raises(ValueError, match="square"):
        stylegan_discriminator((16, 16, 3), data_format="channels_first")
    with pytest.raises(ValueError, match="Unsupported image side"):
        stylegan_synthesis_network(STYLE, (1, 24, 24), data_format="channels_first")


def test_tensorflow_refuses_maps_as_wide_as_their_channels():
    # Keras's TensorFlow backend adds a bias along the width of a (batch, c, h, c) map:
    # 16 filters everywhere give the 16x16 maps 16 channels.
    kwargs = dict(style_dim=STYLE, base_filters=16, max_filters=16)
    if keras.backend.backend() == "tensorflow":
        with pytest.raises(ValueError, match="channels_last"):
            stylegan_synthesis_network(image_shape=(3, 16, 16), data_format="channels_first", **kwargs)
        stylegan_synthesis_network(image_shape=(16, 16, 3), data_format="channels_last", **kwargs)
    else:
        last, first = _twins(stylegan_synthesis_network, (16, 16, 3), randomize_noise=False, **kwargs)
        styles = _styles((16, 16, 3), seed=4)
        np.testing.assert_allclose(_to_last(first(styles)), keras.ops.convert_to_numpy(last(styles)),
                                   atol=1e-5)


def test_the_constant_is_stored_channels_last():
    _, first = _twins(stylegan_synthesis_network, (16, 16, 3), style_dim=STYLE, base_filters=5,
                      max_filters=9)
    constant = first.get_layer("constant")
    assert isinstance(constant, LearnedConstant)
    assert tuple(constant.constant.shape) == (4, 4, 9) and constant.output.shape == (None, 9, 4, 4)
