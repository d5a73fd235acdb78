import warnings

import numpy as np
import pytest
import scipy.linalg

import keras_gen

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def scipy_frechet(mu1, sigma1, mu2, sigma2):
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    diff = mu1 - mu2
    return diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean.real)


def random_statistics(rng, n, d, shift=0.0, scale=1.0):
    features = rng.standard_normal((n, d)) * scale + shift
    return keras_gen.metrics.feature_statistics(features)


def test_matches_scipy_sqrtm_on_well_conditioned_statistics():
    rng = np.random.default_rng(0)
    for d in (4, 32, 64):
        mu1, sigma1 = random_statistics(rng, 1000, d)
        mixing = rng.standard_normal((d, d)) / np.sqrt(d) + np.eye(d)
        features2 = rng.standard_normal((1000, d)) @ mixing + 0.5
        mu2, sigma2 = keras_gen.metrics.feature_statistics(features2)
        ours = keras_gen.metrics.frechet_distance(mu1, sigma1, mu2, sigma2)
        reference = scipy_frechet(mu1, sigma1, mu2, sigma2)
        np.testing.assert_allclose(ours, reference, rtol=1e-6)


def test_hand_computed_diagonal_case():
    # Diagonal Gaussians: FID = |mu1-mu2|^2 + sum (sqrt(a) - sqrt(b))^2.
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 0.0])
    expected = 5.0 + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    result = keras_gen.metrics.frechet_distance(mu1, np.diag(a), mu2, np.diag(b))
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_rank_deficient_covariances_stay_finite_and_non_negative():
    rng = np.random.default_rng(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mu1, sigma1 = random_statistics(rng, 10, 64)
        mu2, sigma2 = random_statistics(rng, 10, 64)
    assert np.iscomplexobj(scipy.linalg.sqrtm(sigma1 @ sigma2))
    result = keras_gen.metrics.frechet_distance(mu1, sigma1, mu2, sigma2)
    assert np.isfinite(result) and result >= 0.0
    assert isinstance(result, float)
    # A set against itself is 0 even when its covariance is singular.
    assert keras_gen.metrics.frechet_distance(mu1, sigma1, mu1, sigma1) < 1e-6


def test_cholesky_and_eigendecomposition_routes_agree():
    from keras_gen.metrics.frechet import trace_sqrt_product_psd

    rng = np.random.default_rng(5)
    _, sigma1 = random_statistics(rng, 200, 16)
    _, sigma2 = random_statistics(rng, 200, 16, scale=2.0)
    expected = np.trace(scipy.linalg.sqrtm(sigma1 @ sigma2).real)
    for factor in ("cholesky", "sqrt", "auto"):
        np.testing.assert_allclose(trace_sqrt_product_psd(sigma1, sigma2, factor), expected, rtol=1e-9)
    # A dead feature (zero variance) makes Cholesky fail; "auto" falls back.
    sigma1[0, :] = sigma1[:, 0] = 0.0
    with pytest.raises(np.linalg.LinAlgError):
        trace_sqrt_product_psd(sigma1, sigma2, "cholesky")
    np.testing.assert_allclose(
        trace_sqrt_product_psd(sigma1, sigma2, "auto"), trace_sqrt_product_psd(sigma1, sigma2, "sqrt")
    )


def test_set_with_itself_is_zero():
    rng = np.random.default_rng(2)
    mu, sigma = random_statistics(rng, 500, 32, shift=3.0, scale=2.0)
    assert abs(keras_gen.metrics.frechet_distance(mu, sigma, mu, sigma)) < 1e-6


def test_warns_when_fewer_samples_than_dimensions():
    with pytest.warns(UserWarning, match="10 samples in 64 dimensions"):
        keras_gen.metrics.feature_statistics(np.random.default_rng(0).standard_normal((10, 64)))


def test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="feature dimension"):
        keras_gen.metrics.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match="feature_statistics"):
        keras_gen.metrics.frechet_distance(np.zeros(3), np.eye(4), np.zeros(3), np.eye(3))


def test_sqrt_psd_squares_back_and_clips_negative_round_off():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 3))
    psd = a @ a.T  # rank 3
    root = keras_gen.metrics.sqrt_psd(psd)
    np.testing.assert_allclose(root @ root, psd, atol=1e-10)
    assert np.all(np.isfinite(root)) and np.allclose(root, root.T)


def test_running_moments_match_one_shot_with_large_offset():
    rng = np.random.default_rng(4)
    features = rng.standard_normal((300, 6)) * 1e-3 + 1e4
    moments = keras_gen.metrics.RunningMoments()
    for batch in np.array_split(features, 7):
        moments.update(batch)
    mu, sigma = moments.mean_and_covariance()
    np.testing.assert_allclose(mu, features.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(features, rowvar=False), rtol=1e-6, atol=1e-15)
