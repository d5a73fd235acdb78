"""Improved precision and recall: k-NN manifolds of real and generated features."""

import numpy as np

from keras_gen.metrics.base import StoredFeatureMetric
from keras_gen.metrics.statistics import as_features
from keras_gen.metrics.statistics import squared_distance_blocks


def knn_radii(features, k=3, batch_size=1000):
    """Squared distance from each row to its `k`-th nearest other row.

    Args:
        features: float64 array `(n, d)` with `n > k`.
        k: neighbour rank (the row itself, at distance 0, is not counted).
        batch_size: rows per block of the distance matrix.

    Returns:
        A float64 array `(n,)` of squared radii.
    """
    radii = np.empty(len(features))
    for start, block in squared_distance_blocks(features, features, batch_size):
        # Index k of the sorted row skips the point itself (index 0).
        radii[start : start + len(block)] = np.partition(block, k, axis=1)[:, k]
    return radii


def _fraction_inside(queries, manifold, radii, batch_size):
    inside = 0
    for _, block in squared_distance_blocks(queries, manifold, batch_size):
        inside += int(np.count_nonzero((block <= radii[None, :]).any(axis=1)))
    return inside / len(queries)


def precision_recall(real_features, fake_features, k=3, batch_size=1000):
    """Improved precision and recall of generated features against real ones.

    Each set's manifold is the union of balls around its points with the radius
    of the `k`-th nearest neighbour in the same set. Precision is the fraction
    of generated samples inside the real manifold (quality); recall is the
    fraction of real samples inside the generated manifold (coverage).
    Distances are computed in blocks of `batch_size` rows (memory
    `batch_size * n` floats).

    Args:
        real_features: array `(n_real, d)`, `n_real > k`.
        fake_features: array `(n_fake, d)`, `n_fake > k`.
        k: neighbourhood size (3 in the paper).
        batch_size: rows per distance block.

    Returns:
        A dict `{"precision": float, "recall": float}`.

    Example:

    >>> scores = keras_gen.metrics.precision_recall(real_features, fake_features, k=3)
    >>> scores["precision"], scores["recall"]

    Reference:
        Kynkaanniemi et al., "Improved Precision and Recall Metric for
        Assessing Generative Models", NeurIPS 2019.
    """
    real = as_features(real_features, "real_features")
    fake = as_features(fake_features, "fake_features")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"Both sets need the same feature dimension; received {real.shape[1]} "
            f"and {fake.shape[1]}."
        )
    if not 1 <= k < min(len(real), len(fake)):
        raise ValueError(
            f"`k` must be between 1 and the smallest set size minus 1; received "
            f"k={k} with {len(real)} real and {len(fake)} generated samples."
        )
    real_radii = knn_radii(real, k, batch_size)
    fake_radii = knn_radii(fake, k, batch_size)
    return {
        "precision": _fraction_inside(fake, real, real_radii, batch_size),
        "recall": _fraction_inside(real, fake, fake_radii, batch_size),
    }


class PrecisionRecall(StoredFeatureMetric):
    """Streaming improved precision/recall of generated against real images.

    Stores the float64 features of every image on both sides (`n * d` floats
    per side). `result()` returns `{"precision": ..., "recall": ...}`.

    Args:
        feature_extractor: see `keras_gen.metrics.FrechetInceptionDistance`.
        k: neighbourhood size.
        distance_batch_size: rows per distance block.
        weights: weights of a named extractor.
        batch_size: images per forward pass of the extractor.
        name: metric name.

    Example:

    >>> pr = keras_gen.metrics.PrecisionRecall(feature_extractor="digits", k=3)
    >>> pr.update_state(real_images, generated_images)
    >>> pr.result()

    Reference:
        Kynkaanniemi et al., "Improved Precision and Recall Metric for
        Assessing Generative Models", NeurIPS 2019.
    """

    directions = {"precision": "up", "recall": "up"}
    _direction = "up"

    def __init__(
        self,
        feature_extractor="inception_v3",
        k=3,
        distance_batch_size=1000,
        weights="auto",
        batch_size=None,
        name="precision_recall",
        dtype=None,
    ):
        super().__init__(feature_extractor, weights=weights, batch_size=batch_size, name=name, dtype=dtype)
        self.k = k
        self.distance_batch_size = distance_batch_size

    def result(self):
        """Returns `{"precision": float, "recall": float}`."""
        return precision_recall(
            self.real_features.array(),
            self.generated_features.array(),
            k=self.k,
            batch_size=self.distance_batch_size,
        )

    def get_config(self):
        return {**super().get_config(), "k": self.k, "distance_batch_size": self.distance_batch_size}
