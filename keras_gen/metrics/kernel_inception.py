"""Kernel Inception Distance: unbiased MMD^2 with a cubic polynomial kernel."""

import numpy as np

from keras_gen.metrics.base import StoredFeatureMetric
from keras_gen.metrics.statistics import as_features


def kernel_inception_distance(features1, features2, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance between two feature sets, as (mean, std) over subsets.

    For each of `num_subsets` draws, `m = min(subset_size, n1, n2)` rows are
    sampled without replacement from each set and the unbiased estimator of the
    squared maximum mean discrepancy is computed with the kernel
    `k(x, y) = (x . y / d + 1)^3`. Being unbiased, it can be slightly negative
    and averages to 0 for two samples of one distribution. Memory is
    `O(m^2)` per subset.

    Args:
        features1: array `(n1, d)`.
        features2: array `(n2, d)`.
        num_subsets: number of subsets (the paper's code uses 100).
        subset_size: rows per subset (1000 in the paper's code).
        seed: seed of the NumPy generator that draws the subsets.

    Returns:
        A tuple `(mean, std)` of Python floats.

    Example:

    >>> kid, kid_std = keras_gen.metrics.kernel_inception_distance(real_features, fake_features)

    Reference:
        Binkowski et al., "Demystifying MMD GANs", ICLR 2018.
    """
    x_all = as_features(features1, "features1")
    y_all = as_features(features2, "features2")
    if x_all.shape[1] != y_all.shape[1]:
        raise ValueError(
            f"Both sets need the same feature dimension; received {x_all.shape[1]} "
            f"and {y_all.shape[1]}."
        )
    if num_subsets < 1:
        raise ValueError(f"`num_subsets` must be >= 1; received {num_subsets}.")
    m = min(int(subset_size), len(x_all), len(y_all))
    if m < 2:
        raise ValueError(
            f"KID needs at least 2 samples per set and `subset_size >= 2`; got "
            f"{len(x_all)} and {len(y_all)} samples, subset_size={subset_size}."
        )
    dim = x_all.shape[1]
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for i in range(num_subsets):
        x = x_all[rng.choice(len(x_all), m, replace=False)]
        y = y_all[rng.choice(len(y_all), m, replace=False)]
        k_xx = (x @ x.T / dim + 1.0) ** 3
        k_yy = (y @ y.T / dim + 1.0) ** 3
        k_xy = (x @ y.T / dim + 1.0) ** 3
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        estimates[i] = within - 2.0 * k_xy.mean()
    return float(estimates.mean()), float(estimates.std())


class KernelInceptionDistance(StoredFeatureMetric):
    """Streaming KID between real and generated images.

    Stores the float64 features of every image seen on both sides (`n * d`
    floats per side), since the estimator needs the samples themselves.
    `result()` returns `{"kid": mean, "kid_std": std}` over subsets.

    Args:
        feature_extractor: see `keras_gen.metrics.FrechetInceptionDistance`.
        num_subsets: number of subsets.
        subset_size: rows per subset.
        seed: seed for drawing the subsets (the result is deterministic).
        weights: weights of a named extractor.
        batch_size: images per forward pass of the extractor.
        name: metric name.

    Example:

    >>> kid = keras_gen.metrics.KernelInceptionDistance(feature_extractor="digits")
    >>> kid.update_state(real_images, generated_images)
    >>> kid.result()["kid"]

    Reference:
        Binkowski et al., "Demystifying MMD GANs", ICLR 2018.
    """

    directions = {"kid": "down"}
    _direction = "down"

    def __init__(
        self,
        feature_extractor="inception_v3",
        num_subsets=100,
        subset_size=1000,
        seed=0,
        weights="auto",
        batch_size=None,
        name="kid",
        dtype=None,
    ):
        super().__init__(feature_extractor, weights=weights, batch_size=batch_size, name=name, dtype=dtype)
        self.num_subsets = num_subsets
        self.subset_size = subset_size
        self.seed = seed

    def result(self):
        """Returns `{"kid": mean, "kid_std": std}` (Python floats)."""
        mean, std = kernel_inception_distance(
            self.real_features.array(),
            self.generated_features.array(),
            num_subsets=self.num_subsets,
            subset_size=self.subset_size,
            seed=self.seed,
        )
        return {"kid": mean, "kid_std": std}

    def get_config(self):
        return {
            **super().get_config(),
            "num_subsets": self.num_subsets,
            "subset_size": self.subset_size,
            "seed": self.seed,
        }
