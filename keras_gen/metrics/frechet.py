"""Frechet distance between Gaussians fitted to features (FID)."""

import keras
import numpy as np

from keras_gen.metrics.base import FeatureMetric
from keras_gen.metrics.statistics import RunningMoments
from keras_gen.metrics.statistics import sqrt_psd


def _check_statistics(mu, sigma, name):
    mu = np.asarray(keras.ops.convert_to_numpy(mu), dtype=np.float64)
    sigma = np.asarray(keras.ops.convert_to_numpy(sigma), dtype=np.float64)
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise ValueError(
            f"`mu{name}` must be a vector (d,) and `sigma{name}` a (d, d) matrix; "
            f"received shapes {mu.shape} and {sigma.shape}. Use "
            "`keras_gen.metrics.feature_statistics(features)` to get them."
        )
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise ValueError(f"`mu{name}` and `sigma{name}` must be finite.")
    return mu, sigma


def trace_sqrt_product_psd(sigma1, sigma2, factor="auto"):
    """`tr(sqrtm(sigma1 @ sigma2))` for symmetric PSD matrices, real and >= 0.

    Args:
        sigma1: symmetric PSD `(d, d)` float64 array.
        sigma2: symmetric PSD `(d, d)` float64 array.
        factor: `"cholesky"`, `"sqrt"` (eigendecomposition) or `"auto"`
            (Cholesky, falling back to the square root when `sigma1` is not
            numerically positive definite).

    Returns:
        A float64 scalar.
    """
    sigma1 = (sigma1 + sigma1.T) / 2.0
    left = None
    if factor in ("auto", "cholesky"):
        try:
            left = np.linalg.cholesky(sigma1)
        except np.linalg.LinAlgError:
            if factor == "cholesky":
                raise
    if left is None:
        left = sqrt_psd(sigma1)
    product = left.T @ sigma2 @ left
    eigenvalues = np.linalg.eigvalsh((product + product.T) / 2.0)
    return np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Frechet (2-Wasserstein) distance between two Gaussians.

    `||mu1 - mu2||^2 + tr(sigma1) + tr(sigma2) - 2 tr(sqrtm(sigma1 @ sigma2))`.
    The last trace is computed without a non-symmetric matrix square root:
    for any factor `a` with `a @ a.T = sigma1`, `sigma1 @ sigma2` is similar to
    the symmetric PSD matrix `a.T @ sigma2 @ a`, so the trace is the sum of the
    square roots of its eigenvalues (clipped at 0). `a` is the Cholesky factor
    when `sigma1` is positive definite (cheapest), else the symmetric square
    root from an eigendecomposition with negative eigenvalues clipped
    (`keras_gen.metrics.sqrt_psd`). The result is real, finite and
    non-negative even for rank-deficient covariances (fewer samples than
    dimensions, dead features), where `scipy.linalg.sqrtm` returns complex
    values. Everything is computed in float64.

    Args:
        mu1: mean `(d,)` of the first set of features.
        sigma1: covariance `(d, d)` of the first set.
        mu2: mean `(d,)` of the second set.
        sigma2: covariance `(d, d)` of the second set.

    Returns:
        The distance as a Python float, `>= 0`.

    Example:

    >>> mu1, sigma1 = keras_gen.metrics.feature_statistics(real_features)
    >>> mu2, sigma2 = keras_gen.metrics.feature_statistics(fake_features)
    >>> fid = keras_gen.metrics.frechet_distance(mu1, sigma1, mu2, sigma2)

    Reference:
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge
        to a Local Nash Equilibrium", NeurIPS 2017.
    """
    mu1, sigma1 = _check_statistics(mu1, sigma1, "1")
    mu2, sigma2 = _check_statistics(mu2, sigma2, "2")
    if mu1.shape != mu2.shape:
        raise ValueError(
            f"Both sets need the same feature dimension; received {mu1.shape[0]} "
            f"and {mu2.shape[0]}. Use one feature extractor for both."
        )
    trace_sqrt_product = trace_sqrt_product_psd(sigma1, sigma2)
    diff = mu1 - mu2
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt_product
    return float(max(distance, 0.0))


class FrechetInceptionDistance(FeatureMetric):
    """Streaming FID between real and generated images.

    Stores only float64 running moments per side (count, mean and centered
    sum of outer products, `O(d^2)` memory): images and features are dropped
    after each `update_state`. `result()` is `frechet_distance` of the two
    Gaussians. Evaluate it eagerly (see `keras_gen.metrics.FeatureMetric`).

    Args:
        feature_extractor: `"inception_v3"` (the usual FID, needs the
            InceptionV3 weights file), `"digits"` (28x28 digits), a
            `keras.Model` or a `keras_gen.metrics.FeatureExtractor`.
        weights: weights of a named extractor (`"auto"`, a path, `None`).
        batch_size: images per forward pass of the extractor.
        name: metric name.

    Example:

    >>> fid = keras_gen.metrics.FrechetInceptionDistance(feature_extractor="digits")
    >>> for real, fake in batches:
    ...     fid.update_state(real, fake)
    >>> fid.result()

    Reference:
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge
        to a Local Nash Equilibrium", NeurIPS 2017.
    """

    directions = {"fid": "down"}
    _direction = "down"

    def __init__(self, feature_extractor="inception_v3", weights="auto", batch_size=None, name="fid", dtype=None):
        super().__init__(feature_extractor, weights=weights, batch_size=batch_size, name=name, dtype=dtype)
        self.real_moments = RunningMoments()
        self.generated_moments = RunningMoments()

    def update_features(self, real_features=None, generated_features=None):
        """Adds features `(n, d)` of real and/or generated images to the moments."""
        if real_features is not None:
            self.real_moments.update(real_features)
        if generated_features is not None:
            self.generated_moments.update(generated_features)

    def result(self):
        """Returns the FID as a Python float."""
        mu1, sigma1 = self.real_moments.mean_and_covariance("real features")
        mu2, sigma2 = self.generated_moments.mean_and_covariance("generated features")
        return frechet_distance(mu1, sigma1, mu2, sigma2)

    def reset_state(self):
        """Forgets both sides."""
        self.real_moments.reset()
        self.generated_moments.reset()

    def reset_generated_state(self):
        """Forgets the generated side only (the real statistics are reused)."""
        self.generated_moments.reset()
