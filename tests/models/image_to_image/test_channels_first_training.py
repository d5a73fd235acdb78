"""Pix2Pix and CycleGAN train the same with channels-first networks as with channels-last ones.

Same initial weights, seeds and data (transposed): one training step logs
the same losses and leaves networks that compute the same functions, so a user may
switch the layout for speed (the torch backend runs channels-first
convolutions without transposes) without changing what is learned.
"""

import numpy as np

import keras_gen
from keras_gen.networks import patchgan_discriminator
from keras_gen.networks import resnet_generator
from keras_gen.networks import unet_generator
from keras_gen.testing.layouts import assert_same_step
from keras_gen.testing.layouts import step_in_both_layouts

LAST = (32, 32, 1)
FIRST = (1, 32, 32)


def _images(n, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + LAST).astype("float32")


def _check_step(build, data):
    """`build(shape, data_format)` trains the same one step in either layout."""
    def build_model(channels_first):
        return build(FIRST, "channels_first") if channels_first else build(LAST, "channels_last")

    assert_same_step(*step_in_both_layouts(build_model, data), every_output_changes=True)


def test_pix2pix():
    def build(shape, data_format):
        generator = unet_generator(shape, output_channels=1, base_filters=3, num_downsamples=3,
                                   dropout=0.0, data_format=data_format)
        discriminator = patchgan_discriminator(shape, target_shape=shape, base_filters=3,
                                               num_layers=2, data_format=data_format)
        return keras_gen.models.Pix2Pix(generator, discriminator, seed=0)

    x = _images(4, 0)
    _check_step(build, (x, np.tanh(2.0 * x[:, ::-1])))


def test_cyclegan():
    def build(shape, data_format):
        networks = [resnet_generator(shape, output_channels=1, base_filters=3, num_blocks=1,
                                     upsampling="subpixel", data_format=data_format)
                    for _ in range(2)]
        networks += [patchgan_discriminator(shape, base_filters=3, num_layers=2, norm="instance",
                                            data_format=data_format) for _ in range(2)]
        return keras_gen.models.CycleGAN(*networks, pool_size=4, seed=0)

    _check_step(build, (_images(4, 1), _images(4, 2)))
