"""A full-covariance Gaussian mixture fitted by expectation-maximization (NumPy, float64).

Used by `fit_latent_density` of the autoencoder family (`VAE`,
`AutoEncoder`, `AdversarialAutoencoder`) for ex-post density estimation of a
trained model's codes (Ghosh et al. 2020), and usable on any `(n, d)` array.
"""

import collections

import numpy as np

GaussianMixtureFit = collections.namedtuple(
    "GaussianMixtureFit", ["weights", "means", "covariances", "log_likelihood", "iterations"]
)


def fit_gaussian_mixture(points, num_components, seed=0, max_iterations=500, tolerance=1e-6,
                         covariance_floor=1e-6):
    """Fits a mixture of `num_components` full-covariance Gaussians to `points`.

    Initialised by k-means++ seeding and a few Lloyd iterations, then EM
    until the mean log-likelihood gains less than `tolerance` (Bishop 2006,
    sec. 9.2). Everything is float64; `covariance_floor` is added to every
    covariance's diagonal so that none becomes singular.

    Args:
        points: `(n, d)` array, `n >= num_components`.
        num_components: number of Gaussians (>= 1).
        seed: seed of the initialisation.
        max_iterations: most EM iterations.
        tolerance: stop when the mean log-likelihood per point improves by less.
        covariance_floor: added to each covariance's diagonal.

    Returns:
        A `GaussianMixtureFit`: `weights (k,)`, `means (k, d)`,
        `covariances (k, d, d)`, the mean `log_likelihood` per point and
        the number of EM `iterations`.

    Example:

    >>> fit = keras_gen.utils.fit_gaussian_mixture(codes, num_components=10)
    >>> fit.weights.sum()
    1.0
    """
    points = np.asarray(points, dtype="float64")
    if points.ndim != 2 or not np.all(np.isfinite(points)):
        raise ValueError(
            f"`points` must be a finite 2-D array (n, d); received shape {points.shape}."
        )
    num_components = int(num_components)
    if num_components < 1 or num_components > len(points):
        raise ValueError(
            f"`num_components` must be between 1 and the number of points ({len(points)}); "
            f"received {num_components}."
        )
    rng = np.random.default_rng(seed)
    labels = _kmeans_labels(points, num_components, rng)
    responsibilities = np.eye(num_components)[labels]
    previous = -np.inf
    for iteration in range(1, int(max_iterations) + 1):
        weights, means, covariances = _maximization(points, responsibilities, covariance_floor)
        log_joint = _log_joint(points, weights, means, covariances)
        log_norm = _logsumexp(log_joint)
        responsibilities = np.exp(log_joint - log_norm[:, None])
        log_likelihood = float(log_norm.mean())
        if log_likelihood - previous < tolerance:
            break
        previous = log_likelihood
    weights, means, covariances = _maximization(points, responsibilities, covariance_floor)
    log_likelihood = float(_logsumexp(_log_joint(points, weights, means, covariances)).mean())
    return GaussianMixtureFit(weights, means, covariances, log_likelihood, iteration)


def sample_gaussian_mixture(weights, means, cholesky_factors, num_samples, rng):
    """Draws `num_samples` points from a Gaussian mixture, in float64.

    Args:
        weights: `(k,)` mixture weights (summing to 1).
        means: `(k, d)`.
        cholesky_factors: `(k, d, d)` lower-triangular `L` with `L L^T` the
            covariance of each component.
        num_samples: number of points.
        rng: a `numpy.random.Generator`.

    Returns:
        `(num_samples, d)` float64 array.
    """
    weights = np.asarray(weights, dtype="float64")
    means = np.asarray(means, dtype="float64")
    cholesky_factors = np.asarray(cholesky_factors, dtype="float64")
    components = rng.choice(len(weights), size=int(num_samples), p=weights / weights.sum())
    noise = rng.standard_normal((int(num_samples), means.shape[1]))
    return means[components] + np.einsum("nij,nj->ni", cholesky_factors[components], noise)


def _kmeans_labels(points, k, rng, iterations=10):
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        distances = np.min(((points[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1), axis=1)
        centres.append(points[rng.choice(len(points), p=distances / distances.sum())])
    centres = np.asarray(centres)
    for _ in range(iterations):
        labels = ((points[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)
        for j in range(k):
            if np.any(labels == j):
                centres[j] = points[labels == j].mean(axis=0)
    return ((points[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)


def _maximization(points, responsibilities, covariance_floor):
    counts = responsibilities.sum(axis=0) + 1e-12
    weights = counts / counts.sum()
    means = responsibilities.T @ points / counts[:, None]
    centred = points[None] - means[:, None, :]  # (k, n, d)
    covariances = np.einsum("kn,kni,knj->kij", responsibilities.T, centred, centred) / counts[:, None, None]
    covariances += covariance_floor * np.eye(points.shape[1])[None]
    return weights, means, covariances


def _log_joint(points, weights, means, covariances):
    """`log w_k + log N(x_n; mu_k, Sigma_k)`, shape `(n, k)`."""
    dim = points.shape[1]
    cholesky = np.linalg.cholesky(covariances)
    columns = []
    for k in range(len(weights)):
        solved = np.linalg.solve(cholesky[k], (points - means[k]).T)  # L^-1 (x - mu)
        log_det = 2.0 * np.log(np.diag(cholesky[k])).sum()
        columns.append(np.log(weights[k]) - 0.5 * (dim * np.log(2 * np.pi) + log_det
                                                   + (solved**2).sum(axis=0)))
    return np.stack(columns, axis=1)


def _logsumexp(values):
    peak = values.max(axis=1)
    return peak + np.log(np.exp(values - peak[:, None]).sum(axis=1))
