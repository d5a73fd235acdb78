"""Float64 feature statistics shared by the metrics: validation, moments, distances.

Everything here is NumPy on purpose: the metrics are evaluated eagerly, outside
the train step, and float64 is needed for stable covariances and square roots
on every backend (JAX disables float64 unless x64 is switched on).
"""

import warnings

import keras
import numpy as np


def as_features(features, name="features"):
    """Validates a feature matrix and returns it as a float64 NumPy array.

    Args:
        features: array-like `(num_samples, feature_dim)`, or a backend tensor.
        name: the argument name to use in error messages.

    Returns:
        A float64 NumPy array of shape `(num_samples, feature_dim)`.
    """
    if not isinstance(features, (np.ndarray, list, tuple)):
        features = keras.ops.convert_to_numpy(features)
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array (num_samples, feature_dim); received "
            f"shape {features.shape}. Flatten per-sample features first, e.g. "
            "`features.reshape(len(features), -1)`."
        )
    if not np.all(np.isfinite(features)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    return features


def sqrt_psd(matrix):
    """Symmetric square root of a positive semi-definite matrix.

    Uses a symmetric eigendecomposition and clips negative eigenvalues (round-off
    in rank-deficient covariances) to zero, so the result is always real.

    Args:
        matrix: a symmetric `(d, d)` array.

    Returns:
        A symmetric float64 `(d, d)` array `s` with `s @ s ~= matrix`.

    Example:

    >>> s = keras_gen.metrics.sqrt_psd(np.diag([4.0, 9.0]))
    >>> np.diag(s)
    array([2., 3.])
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    matrix = (matrix + matrix.T) / 2.0
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    roots = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (eigenvectors * roots) @ eigenvectors.T


def warn_if_too_few_samples(num_samples, feature_dim, what="features"):
    """Warns that a covariance from fewer samples than dimensions is rank-deficient."""
    if num_samples < feature_dim:
        warnings.warn(
            f"The covariance of {what} is estimated from {num_samples} samples "
            f"in {feature_dim} dimensions, so it is rank-deficient and the "
            "Frechet distance is biased and noisy. Use more samples than "
            "feature dimensions (FID is usually reported on 10,000 or more "
            "samples).",
            stacklevel=3,
        )


def feature_statistics(features):
    """Mean and unbiased covariance of a feature matrix, in float64.

    Args:
        features: array `(num_samples, feature_dim)` with `num_samples >= 2`.

    Returns:
        A tuple `(mu, sigma)`: `(feature_dim,)` and `(feature_dim, feature_dim)`.

    Example:

    >>> mu, sigma = keras_gen.metrics.feature_statistics(np.random.rand(100, 8))
    >>> sigma.shape
    (8, 8)
    """
    moments = RunningMoments()
    moments.update(as_features(features))
    return moments.mean_and_covariance()


class RunningMoments:
    """Streaming float64 mean and covariance of feature batches.

    Keeps the count, the mean and the centered scatter matrix
    (`sum (x - mean)(x - mean)^T`) and merges each batch with the parallel
    update of Chan et al. (1979). This is the running sum / sum of outer
    products in a form that does not cancel catastrophically when the features
    have a large mean. Memory is `O(feature_dim^2)` whatever the sample count.

    Example:

    >>> moments = keras_gen.metrics.RunningMoments()
    >>> moments.update(np.random.rand(10, 4))
    >>> moments.update(np.random.rand(10, 4))
    >>> mu, sigma = moments.mean_and_covariance()
    """

    def __init__(self):
        self.reset()

    def reset(self):
        """Forgets every sample seen."""
        self.count = 0
        self.mean = None
        self.scatter = None

    def update(self, features):
        """Adds a batch `(batch_size, feature_dim)` of features."""
        features = as_features(features)
        batch_count = features.shape[0]
        if batch_count == 0:
            return
        if self.mean is not None and features.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"Feature dimension changed from {self.mean.shape[0]} to "
                f"{features.shape[1]} between batches; use one feature "
                "extractor for every batch."
            )
        batch_mean = features.mean(axis=0)
        centered = features - batch_mean
        batch_scatter = centered.T @ centered
        if self.count == 0:
            self.count, self.mean, self.scatter = batch_count, batch_mean, batch_scatter
            return
        total = self.count + batch_count
        delta = batch_mean - self.mean
        self.scatter = (
            self.scatter
            + batch_scatter
            + np.outer(delta, delta) * (self.count * batch_count / total)
        )
        self.mean = self.mean + delta * (batch_count / total)
        self.count = total

    def mean_and_covariance(self, what="features"):
        """Returns `(mu, sigma)` with the unbiased (`n - 1`) covariance."""
        if self.count < 2:
            raise ValueError(
                f"At least 2 samples are needed for a covariance of {what}; "
                f"received {self.count}. Call `update_state` with more images."
            )
        warn_if_too_few_samples(self.count, self.mean.shape[0], what)
        return self.mean.copy(), self.scatter / (self.count - 1)


def squared_distance_blocks(queries, references, batch_size=1000):
    """Yields `(start, block)`: squared Euclidean distances of query rows to all references.

    Each block holds at most `batch_size` query rows, so memory stays at
    `batch_size * len(references)` floats.
    """
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; received {batch_size}.")
    reference_norms = np.einsum("ij,ij->i", references, references)
    for start in range(0, queries.shape[0], batch_size):
        block = queries[start : start + batch_size]
        block_norms = np.einsum("ij,ij->i", block, block)
        distances = block_norms[:, None] + reference_norms[None, :] - 2.0 * (block @ references.T)
        yield start, np.maximum(distances, 0.0)


class FeatureBank:
    """Collects float64 feature batches in a plain Python list.

    A plain object on purpose: a list set as an attribute of a Keras metric or
    model is wrapped and tracked by Keras.
    """

    def __init__(self, name="features"):
        self.name = name
        self.reset()

    def reset(self):
        """Forgets every batch."""
        self.batches = []

    def append(self, features):
        """Adds a batch `(n, d)`."""
        features = as_features(features, self.name)
        if self.batches and features.shape[1] != self.batches[0].shape[1]:
            raise ValueError(
                f"Feature dimension of {self.name} changed from "
                f"{self.batches[0].shape[1]} to {features.shape[1]}; use one "
                "feature extractor for every batch."
            )
        self.batches.append(features)

    def __len__(self):
        return sum(len(batch) for batch in self.batches)

    def array(self):
        """Returns every row seen as one `(n, d)` array."""
        if not self.batches:
            raise ValueError(
                f"No {self.name} yet: call `update_state` with images before `result()`."
            )
        return np.concatenate(self.batches, axis=0)
