"""The BatchNorm benchmark's twin: the same DCGAN networks and numbers with Keras's BatchNorm layers."""

import keras
import numpy as np

import keras_gen


def test_the_twin_has_keras_batch_norm_and_computes_the_same():
    import torch_batch_norm

    generator = keras_gen.networks.dcgan_generator((28, 28, 1), latent_dim=8, base_filters=4,
                                                   upsampling="subpixel")
    twin = torch_batch_norm.with_keras_batch_norm(generator)
    ours = [type(layer) for layer in generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    keras_own = [type(layer) for layer in twin.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert ours and set(ours) == {keras_gen.layers.BatchNormalization}
    assert len(keras_own) == len(ours) and set(keras_own) == {keras.layers.BatchNormalization}
    z = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    for training in (False, True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(twin(z, training=training)),
                                   keras.ops.convert_to_numpy(generator(z, training=training)),
                                   atol=1e-5)
