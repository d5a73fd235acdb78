import keras
import numpy as np
import pytest

from keras_gen.layers import SpectralNormalization
from keras_gen.networks import mlp_discriminator
from keras_gen.networks import mlp_generator


def test_generator_shapes_and_linear_output():
    generator = mlp_generator(latent_dim=3, output_dim=2, hidden_units=(16, 8))
    assert [l.units for l in generator.layers if isinstance(l, keras.layers.Dense)] == [16, 8, 2]
    assert generator.layers[-1].activation is keras.activations.linear
    out = generator(np.zeros((5, 3), "float32"))
    assert tuple(out.shape) == (5, 2)


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_discriminator_logits(spectral_norm):
    discriminator = mlp_discriminator(input_dim=2, hidden_units=(16, 16), spectral_norm=spectral_norm)
    x = np.random.default_rng(0).standard_normal((7, 2)).astype("float32")
    assert tuple(discriminator(x).shape) == (7, 1)
    wrapped = [l for l in discriminator.layers if isinstance(l, SpectralNormalization)]
    assert len(wrapped) == (3 if spectral_norm else 0)


def test_leaky_relu_slope():
    discriminator = mlp_discriminator(hidden_units=(4,))
    activation = discriminator.get_layer("hidden_0_act")
    x = np.array([[-1.0, 2.0]], "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(activation(x)), [[-0.2, 2.0]], rtol=1e-6)


def test_bad_hidden_units():
    with pytest.raises(ValueError, match="hidden_units"):
        mlp_generator(hidden_units=())
    with pytest.raises(ValueError, match="hidden_units"):
        mlp_discriminator(hidden_units=(8, 0))


def test_saving_round_trip(tmp_path):
    from keras_gen.testing import run_model_saving_test

    generator = mlp_generator(hidden_units=(8, 8))
    z = np.random.default_rng(0).standard_normal((4, 2)).astype("float32")
    run_model_saving_test(generator, lambda m: m(z), tmp_path)
