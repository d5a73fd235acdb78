"""The class-conditional DCGAN networks channels-first: same weights, same numbers."""

import keras
import numpy as np
import pytest

from keras_gen.networks import conditional_dcgan_discriminator
from keras_gen.networks import conditional_dcgan_generator
from keras_gen.testing import perturbed_weights


def _randomize_both(last, first, seed=0):
    weights = perturbed_weights(last, seed)
    last.set_weights(weights)
    first.set_weights(weights)


def _numpy(outputs):
    if isinstance(outputs, (list, tuple)):
        return [keras.ops.convert_to_numpy(o) for o in outputs]
    return [keras.ops.convert_to_numpy(outputs)]


def test_generator():
    kwargs = dict(latent_dim=6, num_classes=3, embedding_dim=4, base_filters=4)
    last = conditional_dcgan_generator((28, 28, 1), data_format="channels_last", **kwargs)
    first = conditional_dcgan_generator((1, 28, 28), data_format="channels_first", **kwargs)
    _randomize_both(last, first)
    z = np.random.default_rng(1).standard_normal((2, 6)).astype("float32")
    labels = np.array([0, 2], "int32")
    for training in (False, True):
        made_last = keras.ops.convert_to_numpy(last([z, labels], training=training))
        made_first = keras.ops.convert_to_numpy(first([z, labels], training=training))
        np.testing.assert_allclose(np.moveaxis(made_first, 1, -1), made_last, atol=1e-5)


@pytest.mark.parametrize("conditioning", ["projection", "concat", "auxiliary"])
def test_discriminator(conditioning):
    kwargs = dict(num_classes=3, conditioning=conditioning, base_filters=4)
    last = conditional_dcgan_discriminator((28, 28, 1), data_format="channels_last", **kwargs)
    first = conditional_dcgan_discriminator((1, 28, 28), data_format="channels_first", **kwargs)
    _randomize_both(last, first)
    images = np.random.default_rng(2).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    labels = np.array([1, 2], "int32")
    inputs_last = images if conditioning == "auxiliary" else [images, labels]
    first_images = np.ascontiguousarray(np.moveaxis(images, -1, 1))
    inputs_first = first_images if conditioning == "auxiliary" else [first_images, labels]
    for a, b in zip(_numpy(last(inputs_last, training=False)),
                    _numpy(first(inputs_first, training=False))):
        np.testing.assert_allclose(b, a, atol=1e-4)
