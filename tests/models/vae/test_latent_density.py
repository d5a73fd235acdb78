"""`latent_density_components=`: ex-post density estimation of the codes (Ghosh et al. 2020).

The same option of `VAE`, `AutoEncoder` and `AdversarialAutoencoder`.
"""

import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.utils import fit_gaussian_mixture
from keras_gen.utils import sample_gaussian_mixture

MODELS = ("VAE", "AutoEncoder", "AdversarialAutoencoder")


def density_model(nets, name="VAE", components=3):
    variational = name == "VAE"
    encoder = nets.encoder(latent_dim=2, variational=variational)
    decoder = nets.decoder(latent_dim=2, activation=None if variational else "tanh")
    extra = {}
    if name == "AdversarialAutoencoder":
        extra["latent_discriminator"] = keras_gen.networks.mlp_latent_discriminator(
            2, hidden_units=(8,))
    return getattr(keras_gen.models, name)(encoder, decoder, seed=0,
                                           latent_density_components=components, **extra)


def codes_of(model, x):
    codes = model.encode(x)
    return codes[0] if isinstance(model, keras_gen.models.VAE) else codes


@pytest.mark.parametrize("name", MODELS)
def test_before_fitting_the_density_is_the_standard_normal(nets, name):
    model = density_model(nets, name)
    codes = model._density_latents(20_000, seed=0)
    np.testing.assert_allclose(codes.mean(0), 0.0, atol=0.03)
    np.testing.assert_allclose(np.cov(codes.T), np.eye(2), atol=0.04)


@pytest.mark.parametrize("name", MODELS)
def test_fit_is_the_mixture_of_the_codes_and_generate_draws_from_it(nets, name):
    x, _ = nets.patterns(64)
    model = density_model(nets, name)
    model.compile()
    model.fit(x, batch_size=16, epochs=2, verbose=0)
    weights_before = [w.copy() for w in model.get_weights()]
    log_likelihood = model.fit_latent_density(x, seed=0)

    expected = fit_gaussian_mixture(codes_of(model, x), 3, seed=0)
    assert log_likelihood == pytest.approx(expected.log_likelihood, rel=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.latent_density_means),
                               expected.means, rtol=1e-5, atol=1e-6)
    codes = sample_gaussian_mixture(expected.weights, expected.means,
                                    np.linalg.cholesky(expected.covariances), 8,
                                    np.random.default_rng(5))
    np.testing.assert_allclose(model.generate(8, seed=5), model.decode(codes.astype("float32")),
                               atol=1e-5)
    # Only the mixture's three variables changed; the networks did not.
    density = {id(v) for v in (model.latent_density_weights, model.latent_density_means,
                               model.latent_density_cholesky)}
    for variable, before in zip(model.weights, weights_before):
        if id(variable) not in density:
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(variable), before)
    assert model.generate(4).shape == (4, 4, 4, 1)  # seed generator path


@pytest.mark.parametrize("name", ["VAE", "AdversarialAutoencoder"])
def test_the_training_prior_is_still_there(nets, name):
    x, _ = nets.patterns(32)
    model = density_model(nets, name)
    model.fit_latent_density(x, seed=0)
    standard = np.random.default_rng(5).standard_normal((8, 2)).astype("float32")
    np.testing.assert_allclose(model.generate(8, seed=5, prior="standard"), model.decode(standard),
                               atol=1e-5)
    assert not np.allclose(model.generate(8, seed=5), model.decode(standard), atol=1e-3)


@pytest.mark.parametrize("name", MODELS)
def test_the_fitted_density_survives_saving(nets, tmp_path, name):
    x, _ = nets.patterns(32)
    model = density_model(nets, name)
    model.fit_latent_density(x, seed=1)
    reference = model.generate(6, seed=2)

    path = str(tmp_path / "model.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert reloaded.latent_density_components == 3
    np.testing.assert_array_equal(reloaded.generate(6, seed=2), reference)

    fresh = density_model(nets, name)
    weights_path = str(tmp_path / "model.weights.h5")
    model.save_weights(weights_path)
    fresh.load_weights(weights_path)
    np.testing.assert_array_equal(fresh.generate(6, seed=2), reference)


def test_bad_uses_name_the_fix(nets):
    x, _ = nets.patterns(16)
    plain = keras_gen.models.VAE(nets.encoder(latent_dim=2), nets.decoder(latent_dim=2))
    with pytest.raises(ValueError, match="latent_density_components=10"):
        plain.fit_latent_density(x)
    with pytest.raises(ValueError, match="latent_density_components=10"):
        plain.generate(2, seed=0, prior="fitted")
    with pytest.raises(ValueError, match='"standard", "fitted" or None'):
        plain.generate(2, seed=0, prior="gaussian")
    autoencoder = keras_gen.models.AutoEncoder(nets.encoder(latent_dim=2, variational=False),
                                               nets.decoder(latent_dim=2))
    with pytest.raises(NotImplementedError, match="latent_density_components=10"):
        autoencoder.generate(2, seed=0)
    with pytest.raises(ValueError, match="AutoEncoder keeps no latent density"):
        autoencoder.fit_latent_density(x)
    aae = density_model(nets, "AdversarialAutoencoder", components=None)
    with pytest.raises(ValueError, match="latent_density_components=10"):
        aae.generate(2, seed=0, prior="fitted")
    for name in MODELS:
        for bad in (0, 2.5, True, "10"):
            with pytest.raises(ValueError, match="positive integer"):
                density_model(nets, name, components=bad)
    with pytest.raises(ValueError, match="unconditional models"):
        keras_gen.models.ConditionalVAE(
            nets.encoder(latent_dim=2, num_classes=2), nets.decoder(latent_dim=2, num_classes=2),
            latent_density_components=3)


def has_preset(name):
    return os.path.isfile(os.path.join(keras_gen.presets.builtin_presets_dir(), name,
                                       "model.weights.h5"))


@pytest.mark.parametrize("name, goal, gain", [("vae_mnist", 60, 30), ("aae_mnist", 50, 15)])
def test_shipped_samples_are_far_closer_to_real_digits_with_the_fitted_density(name, goal, gain):
    if not has_preset(name):
        pytest.skip(f"the {name} preset is written by recipes/{name}.py")
    model = keras_gen.presets.from_preset(name)
    (_, _), (x_test, _) = keras_gen.datasets.mnist.load_data(source="embedded")
    x_test = keras_gen.datasets.scale_images(x_test)
    extractor = keras_gen.metrics.get_feature_extractor("digits")

    def fid(images):
        return float(keras_gen.metrics.frechet_distance(
            *keras_gen.metrics.feature_statistics(extractor.features(images)),
            *keras_gen.metrics.feature_statistics(extractor.features(x_test))))

    fitted = fid(model.generate(1000, seed=0))
    standard = fid(model.generate(1000, seed=0, prior="standard"))
    print(f"{name} digits FID: fitted density {fitted:.1f}, training prior {standard:.1f}")
    assert fitted <= goal and fitted < standard - gain
