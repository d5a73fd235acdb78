"""The pix2pix and CycleGAN networks in channels-first layout: same weights, same numbers.

The torch backend runs channels-first convolutions without the transposes
Keras puts around channels-last ones; a network built with
`data_format="channels_first"` must compute what its channels-last twin
computes, with the channels-last weights unchanged. The sizes avoid maps as
wide as they have channels, which TensorFlow refuses (see the last test).
"""

import keras
import numpy as np
import pytest

from keras_gen.networks import patchgan_discriminator
from keras_gen.networks import resnet_generator
from keras_gen.networks import unet_generator
from keras_gen.testing import perturbed_weights


def _first(shape):
    height, width, channels = shape
    return (channels, height, width)


def _to_last(array):
    return np.moveaxis(np.asarray(array), 1, -1)


def _to_first(array):
    return np.moveaxis(np.asarray(array), -1, 1)


def _twins(build, **kwargs):
    last = build(data_format="channels_last", **kwargs)
    first = build(data_format="channels_first", **{k: _first(v) if k.endswith("shape") and v else v
                                                    for k, v in kwargs.items()})
    weights = perturbed_weights(last, seed=3)
    last.set_weights(weights)
    first.set_weights(weights)
    return last, first


def _assert_same(last, first, inputs, atol=1e-5):
    for training in (False, True):  # True: normalization with batch statistics
        out_last = keras.ops.convert_to_numpy(last(inputs, training=training))
        out_first = keras.ops.convert_to_numpy(
            first([_to_first(x) for x in inputs] if isinstance(inputs, list) else _to_first(inputs),
                  training=training))
        np.testing.assert_allclose(_to_last(out_first), out_last, atol=atol)


@pytest.mark.parametrize("upsampling", ["resize", "subpixel", "transpose"])
def test_unet_generator(upsampling):
    last, first = _twins(unet_generator, image_shape=(32, 32, 1), output_channels=3, base_filters=3,
                         num_downsamples=3, dropout=0.0, upsampling=upsampling)
    assert first.input_shape == (None, 1, 32, 32) and first.output_shape == (None, 3, 32, 32)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    _assert_same(last, first, images)


def test_resnet_generator():
    last, first = _twins(resnet_generator, image_shape=(16, 16, 3), output_channels=1,
                         base_filters=3, num_blocks=2, upsampling="subpixel")
    assert first.output_shape == (None, 1, 16, 16)
    images = np.random.default_rng(1).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    _assert_same(last, first, images)


@pytest.mark.parametrize("norm", ["batch", "instance", None])
def test_conditional_patchgan(norm):
    last, first = _twins(patchgan_discriminator, input_shape=(32, 32, 1), target_shape=(32, 32, 3),
                         base_filters=3, num_layers=2, norm=norm)
    assert first.output_shape == (None, 1, 6, 6) and last.output_shape == (None, 6, 6, 1)
    rng = np.random.default_rng(2)
    pair = [rng.uniform(-1, 1, (2, 32, 32, 1)).astype("float32"),
            rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")]
    _assert_same(last, first, pair, atol=1e-4)


def test_networks_follow_the_image_data_format():
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        assert unet_generator((1, 32, 32), base_filters=2).output_shape == (None, 3, 32, 32)
        assert resnet_generator((3, 16, 16), base_filters=2, num_blocks=1).output_shape == (
            None, 3, 16, 16)
        assert patchgan_discriminator((3, 32, 32), base_filters=2, num_layers=2).output_shape == (
            None, 1, 6, 6)
    finally:
        keras.config.set_image_data_format(previous)


def test_channels_first_shapes_are_checked_in_their_layout():
    with pytest.raises(ValueError, match="powers of two"):
        unet_generator((3, 48, 48), data_format="channels_first")
    with pytest.raises(ValueError, match="same height"):
        patchgan_discriminator((1, 32, 32), target_shape=(3, 16, 16), data_format="channels_first")


def test_tensorflow_refuses_maps_as_wide_as_their_channels():
    # Keras's TensorFlow backend adds a bias along the width of a (batch, c, h, c) map.
    # 16x16 images with 4 base filters give 8x8 maps of 8 channels.
    build = lambda: resnet_generator((3, 16, 16), base_filters=4, num_blocks=1,  # noqa: E731
                                     data_format="channels_first")
    if keras.backend.backend() == "tensorflow":
        with pytest.raises(ValueError, match="channels_last"):
            build()
        # The same network channels-last builds.
        resnet_generator((16, 16, 3), base_filters=4, num_blocks=1, data_format="channels_last")
    else:
        last, first = _twins(resnet_generator, image_shape=(16, 16, 3), base_filters=4,
                             num_blocks=1, upsampling="subpixel")
        images = np.random.default_rng(4).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
        _assert_same(last, first, images)
