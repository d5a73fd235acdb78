"""The layer-speed benchmark's twins: the same DCGAN networks and numbers with Keras's layers."""

import keras
import numpy as np
import pytest

import keras_gen


@pytest.mark.parametrize("upsampling", ["subpixel", "transpose"])
def test_the_twins_have_keras_layers_and_compute_the_same(upsampling):
    import layer_speed

    generator = keras_gen.networks.dcgan_generator((28, 28, 1), latent_dim=8, base_filters=4,
                                                   upsampling=upsampling)
    z = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    ours = {type(layer) for layer in generator.layers}
    for class_names in layer_speed.CONTESTANTS.values():
        twin = layer_speed.with_keras_layers(generator, class_names)
        kinds = {type(layer) for layer in twin.layers}
        for name in ("Conv2D", "Conv2DTranspose", "BatchNormalization"):
            ours_cls, keras_cls = getattr(keras_gen.layers, name), getattr(keras.layers, name)
            if ours_cls in ours:
                swapped = name in class_names
                assert (keras_cls in kinds) == swapped and (ours_cls in kinds) != swapped, name
        for training in (False, True):
            np.testing.assert_allclose(keras.ops.convert_to_numpy(twin(z, training=training)),
                                       keras.ops.convert_to_numpy(generator(z, training=training)),
                                       atol=1e-5)
    convolution = keras_gen.layers.Conv2D if upsampling == "subpixel" else keras_gen.layers.Conv2DTranspose
    assert {convolution, keras_gen.layers.BatchNormalization} <= ours
