"""2-D mixtures of Gaussians for mode-collapse experiments, and their mode-coverage metric.

Two standard benchmarks (all components equally likely, isotropic noise):

- Ring: `num_modes=8` means evenly spaced on a circle of `radius=2.0`, standard
  deviation `std=0.02` — the setting of the Unrolled GAN experiments
  (Metz et al., 2017). VEEGAN and PacGAN's code use the same ring scaled to
  radius 1.0 with std 0.01 (`ring_of_gaussians(n, radius=1.0, std=0.01)`);
  the ratio std / radius, which is what makes the task hard, is the same.
- Grid: 5 x 5 means at {-4, -2, 0, 2, 4}^2 (`spacing=2.0`), `std=0.05` — the
  VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018) 2D-grid
  (checked against PacGAN's released configuration).

`mode_coverage` implements those papers' metrics: a sample is *high quality*
when it lies within `threshold * std` (3 standard deviations) of its nearest
mode, and a mode is *covered* when at least `min_count` high-quality samples
have it as their nearest mode (VEEGAN and PacGAN's code: `min_count=1`; they
evaluate 2,500 generated samples).
"""

import numpy as np


def _check_count(num_samples):
    if int(num_samples) != num_samples or num_samples < 0:
        raise ValueError(f"`num_samples` must be a non-negative integer; received {num_samples!r}.")
    return int(num_samples)


def _sample_mixture(num_samples, modes, std, seed):
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(modes), size=_check_count(num_samples))
    noise = rng.normal(0.0, std, size=(len(index), modes.shape[1]))
    return (modes[index] + noise).astype(np.float32)


def ring_modes(num_modes=8, radius=2.0):
    """Returns the means of the ring mixture: `num_modes` points on a circle.

    Mode `k` is at angle `2 * pi * k / num_modes`, starting at `(radius, 0)`.

    Args:
        num_modes: number of mixture components.
        radius: radius of the circle.

    Returns:
        float32 array `(num_modes, 2)`.

    Example:

    >>> keras_gen.datasets.toy.ring_modes(4, radius=1.0)[1].round(6)
    array([0., 1.], dtype=float32)
    """
    if int(num_modes) < 1:
        raise ValueError(f"`num_modes` must be a positive integer; received {num_modes!r}.")
    angles = 2.0 * np.pi * np.arange(int(num_modes)) / int(num_modes)
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def grid_modes(grid_size=5, spacing=2.0):
    """Returns the means of the grid mixture: a `grid_size x grid_size` lattice.

    The lattice is centred on the origin; with the defaults the means are
    {-4, -2, 0, 2, 4}^2, in row-major order (first coordinate slowest).

    Args:
        grid_size: points per side.
        spacing: distance between neighbouring means.

    Returns:
        float32 array `(grid_size**2, 2)`.

    Example:

    >>> keras_gen.datasets.toy.grid_modes()[[0, 1, 24]]
    array([[-4., -4.],
           [-4., -2.],
           [ 4.,  4.]], dtype=float32)
    """
    if int(grid_size) < 1:
        raise ValueError(f"`grid_size` must be a positive integer; received {grid_size!r}.")
    axis = (np.arange(int(grid_size)) - (int(grid_size) - 1) / 2.0) * spacing
    xs, ys = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def ring_of_gaussians(num_samples, num_modes=8, radius=2.0, std=0.02, seed=None):
    """Samples the ring-of-Gaussians benchmark (8 modes, radius 2, std 0.02).

    Args:
        num_samples: number of points.
        num_modes: number of equally likely components (see `ring_modes`).
        radius: radius of the circle of means.
        std: standard deviation of each isotropic component.
        seed: seed for NumPy's generator; `None` for fresh randomness.

    Returns:
        float32 array `(num_samples, 2)`.

    Example:

    >>> x = keras_gen.datasets.toy.ring_of_gaussians(1000, seed=0)
    >>> x.shape
    (1000, 2)

    Reference:
        Metz et al., "Unrolled Generative Adversarial Networks", ICLR 2017.
    """
    return _sample_mixture(num_samples, ring_modes(num_modes, radius), std, seed)


def grid_of_gaussians(num_samples, grid_size=5, spacing=2.0, std=0.05, seed=None):
    """Samples the grid-of-Gaussians benchmark (5 x 5 modes, spacing 2, std 0.05).

    Args:
        num_samples: number of points.
        grid_size: points per side of the grid of means (see `grid_modes`).
        spacing: distance between neighbouring means.
        std: standard deviation of each isotropic component.
        seed: seed for NumPy's generator; `None` for fresh randomness.

    Returns:
        float32 array `(num_samples, 2)`.

    Example:

    >>> x = keras_gen.datasets.toy.grid_of_gaussians(1000, seed=0)
    >>> x.shape
    (1000, 2)

    Reference:
        Srivastava et al., "VEEGAN: Reducing Mode Collapse in GANs using
        Implicit Variational Learning", NeurIPS 2017; Lin et al., "PacGAN: The
        Power of Two Samples in Generative Adversarial Networks", NeurIPS 2018.
    """
    return _sample_mixture(num_samples, grid_modes(grid_size, spacing), std, seed)


def mode_coverage(samples, modes, std, threshold=3.0, min_count=1):
    """Counts the modes a set of samples covers, and the fraction of good samples.

    Each sample is assigned to its nearest mode (Euclidean distance). It is
    high quality when that distance is below `threshold * std`. A mode is
    covered when at least `min_count` high-quality samples are assigned to it.

    Args:
        samples: array `(n, d)`, e.g. 2,500 generated points.
        modes: array `(k, d)` of mixture means (`ring_modes()`, `grid_modes()`).
        std: the mixture's standard deviation.
        threshold: distance, in standard deviations, for a high-quality sample.
        min_count: high-quality samples a mode needs to count as covered.

    Returns:
        A dict `{"modes_covered": int, "high_quality_fraction": float,
        "num_modes": int}`.

    Example:

    >>> toy = keras_gen.datasets.toy
    >>> toy.mode_coverage(toy.ring_of_gaussians(2500, seed=0), toy.ring_modes(), std=0.02)
    {'modes_covered': 8, 'high_quality_fraction': 0.992, 'num_modes': 8}

    Reference:
        Srivastava et al., "VEEGAN: Reducing Mode Collapse in GANs using
        Implicit Variational Learning", NeurIPS 2017.
    """
    samples = np.asarray(samples, dtype=np.float64)
    modes = np.asarray(modes, dtype=np.float64)
    if samples.ndim != 2 or modes.ndim != 2 or samples.shape[1] != modes.shape[1]:
        raise ValueError(
            "`samples` must be (n, d) and `modes` (k, d) with the same d; received "
            f"shapes {samples.shape} and {modes.shape}."
        )
    if not std > 0:
        raise ValueError(f"`std` must be positive; received {std!r}.")
    if len(modes) == 0:
        raise ValueError("`modes` is empty.")
    if len(samples) == 0:
        return {"modes_covered": 0, "high_quality_fraction": 0.0, "num_modes": len(modes)}

    squared = ((samples[:, None, :] - modes[None, :, :]) ** 2).sum(axis=-1)
    nearest = squared.argmin(axis=1)
    distance = np.sqrt(squared[np.arange(len(samples)), nearest])
    good = distance < threshold * std
    counts = np.bincount(nearest[good], minlength=len(modes))
    return {
        "modes_covered": int((counts >= min_count).sum()),
        "high_quality_fraction": float(good.mean()),
        "num_modes": int(len(modes)),
    }
