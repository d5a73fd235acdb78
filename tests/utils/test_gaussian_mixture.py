"""`fit_gaussian_mixture` / `sample_gaussian_mixture`: EM against known mixtures and scikit-learn."""

import numpy as np
import pytest

from keras_gen.utils import fit_gaussian_mixture
from keras_gen.utils import sample_gaussian_mixture


def three_blobs(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    weights = np.array([0.5, 0.3, 0.2])
    means = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    covariances = np.array([[[1.0, 0.6], [0.6, 1.0]], [[0.5, 0.0], [0.0, 2.0]],
                            [[1.5, -0.4], [-0.4, 0.3]]])
    cholesky = np.linalg.cholesky(covariances)
    return sample_gaussian_mixture(weights, means, cholesky, n, rng), weights, means, covariances


def test_em_recovers_a_known_mixture():
    points, weights, means, covariances = three_blobs()
    fit = fit_gaussian_mixture(points, 3, seed=0)
    order = [int(np.argmin(((fit.means - m) ** 2).sum(1))) for m in means]
    assert sorted(order) == [0, 1, 2]
    np.testing.assert_allclose(fit.weights[order], weights, atol=0.03)
    np.testing.assert_allclose(fit.means[order], means, atol=0.12)
    np.testing.assert_allclose(fit.covariances[order], covariances, atol=0.15)
    assert fit.weights.dtype == np.float64 and np.isclose(fit.weights.sum(), 1.0)


def test_log_likelihood_matches_scikit_learn():
    sklearn_mixture = pytest.importorskip("sklearn.mixture")
    points, _, _, _ = three_blobs(seed=1)
    fit = fit_gaussian_mixture(points, 3, seed=0)
    reference = sklearn_mixture.GaussianMixture(3, covariance_type="full", random_state=0,
                                                tol=1e-8, max_iter=500, reg_covar=1e-6).fit(points)
    # Both are local maxima of the same likelihood; on separated blobs they are the same one.
    assert fit.log_likelihood == pytest.approx(reference.score(points), abs=1e-4)
    np.testing.assert_allclose(np.sort(fit.weights), np.sort(reference.weights_), atol=1e-4)


def test_samples_follow_the_mixture():
    rng = np.random.default_rng(0)
    weights = np.array([0.25, 0.75])
    means = np.array([[-3.0, 1.0], [2.0, -1.0]])
    cholesky = np.array([np.eye(2), [[2.0, 0.0], [1.0, 0.5]]])
    samples = sample_gaussian_mixture(weights, means, cholesky, 40_000, rng)
    expected_mean = weights @ means
    np.testing.assert_allclose(samples.mean(0), expected_mean, atol=0.05)
    second = sum(w * (c @ c.T + np.outer(m, m)) for w, m, c in zip(weights, means, cholesky))
    np.testing.assert_allclose(np.cov(samples.T, bias=True), second - np.outer(expected_mean, expected_mean),
                               atol=0.1)


def test_bad_arguments_name_the_fix():
    with pytest.raises(ValueError, match="between 1 and the number of points"):
        fit_gaussian_mixture(np.zeros((3, 2)), 4)
    with pytest.raises(ValueError, match="finite 2-D"):
        fit_gaussian_mixture(np.zeros((5,)), 1)
    with pytest.raises(ValueError, match="finite 2-D"):
        fit_gaussian_mixture(np.full((5, 2), np.nan), 1)
