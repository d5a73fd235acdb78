"""`VAE(latent_density_components=)`: ex-post density estimation of the codes (Ghosh et al. 2020)."""

import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.utils import fit_gaussian_mixture
from keras_gen.utils import sample_gaussian_mixture


def density_vae(nets, components=3):
    return keras_gen.models.VAE(nets.encoder(latent_dim=2), nets.decoder(latent_dim=2), seed=0,
                                latent_density_components=components)


def test_before_fitting_the_density_is_the_standard_prior(nets):
    vae = density_vae(nets)
    codes = vae._density_latents(20_000, seed=0)
    np.testing.assert_allclose(codes.mean(0), 0.0, atol=0.03)
    np.testing.assert_allclose(np.cov(codes.T), np.eye(2), atol=0.04)


def test_fit_is_the_mixture_of_the_posterior_means_and_generate_draws_from_it(nets):
    x, _ = nets.patterns(64)
    vae = density_vae(nets)
    vae.compile()
    vae.fit(x, batch_size=16, epochs=2, verbose=0)
    decoder_before = [w.copy() for w in vae.decoder.get_weights()]
    log_likelihood = vae.fit_latent_density(x, seed=0)

    mean, _ = vae.encode(x)
    expected = fit_gaussian_mixture(mean, 3, seed=0)
    assert log_likelihood == pytest.approx(expected.log_likelihood, rel=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(vae.latent_density_means), expected.means,
                               rtol=1e-5, atol=1e-6)
    codes = sample_gaussian_mixture(expected.weights, expected.means,
                                    np.linalg.cholesky(expected.covariances), 8,
                                    np.random.default_rng(5))
    np.testing.assert_allclose(vae.generate(8, seed=5), vae.decode(codes.astype("float32")),
                               atol=1e-5)
    # The standard prior is still there, and the networks did not change.
    np.testing.assert_allclose(vae.generate(8, seed=5, prior="standard"),
                               vae.decode(np.random.default_rng(5).standard_normal((8, 2))
                                          .astype("float32")), atol=1e-5)
    for before, after in zip(decoder_before, vae.decoder.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert vae.generate(4).shape == (4, 4, 4, 1)  # seed generator path


def test_the_fitted_density_survives_saving(nets, tmp_path):
    x, _ = nets.patterns(32)
    vae = density_vae(nets)
    vae.fit_latent_density(x, seed=1)
    reference = vae.generate(6, seed=2)

    path = str(tmp_path / "vae.keras")
    vae.save(path)
    reloaded = keras.saving.load_model(path)
    assert reloaded.latent_density_components == 3
    np.testing.assert_array_equal(reloaded.generate(6, seed=2), reference)

    fresh = density_vae(nets)
    weights_path = str(tmp_path / "vae.weights.h5")
    vae.save_weights(weights_path)
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
    for bad in (0, 2.5, True, "10"):
        with pytest.raises(ValueError, match="positive integer"):
            density_vae(nets, components=bad)
    with pytest.raises(ValueError, match="unconditional VAE"):
        keras_gen.models.ConditionalVAE(
            nets.encoder(latent_dim=2, num_classes=2), nets.decoder(latent_dim=2, num_classes=2),
            latent_density_components=3)


HAS_PRESET = os.path.isfile(os.path.join(keras_gen.presets.builtin_presets_dir(), "vae_mnist",
                                         "model.weights.h5"))


@pytest.mark.skipif(not HAS_PRESET, reason="the vae_mnist preset is written by recipes/vae_mnist.py")
def test_shipped_vae_samples_are_far_closer_to_real_digits_with_the_fitted_density():
    vae = keras_gen.presets.from_preset("vae_mnist")
    (_, _), (x_test, _) = keras_gen.datasets.mnist.load_data(source="embedded")
    x_test = keras_gen.datasets.scale_images(x_test)
    extractor = keras_gen.metrics.get_feature_extractor("digits")

    def fid(images):
        return float(keras_gen.metrics.frechet_distance(
            *keras_gen.metrics.feature_statistics(extractor.features(images)),
            *keras_gen.metrics.feature_statistics(extractor.features(x_test))))

    fitted, standard = fid(vae.generate(1000, seed=0)), fid(vae.generate(1000, seed=0, prior="standard"))
    print(f"vae_mnist digits FID: fitted density {fitted:.1f}, N(0, I) {standard:.1f}")
    assert fitted <= 60 and fitted < standard - 30
