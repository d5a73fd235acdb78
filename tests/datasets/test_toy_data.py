import numpy as np
import pytest

from keras_gen.datasets import toy

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def test_ring_modes_are_on_the_circle():
    modes = toy.ring_modes(8, radius=2.0)
    assert modes.shape == (8, 2) and modes.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(modes, axis=1), 2.0, rtol=1e-6)
    np.testing.assert_allclose(modes[0], [2.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(modes[2], [0.0, 2.0], atol=1e-6)
    angles = np.sort(np.mod(np.arctan2(modes[:, 1], modes[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8, atol=1e-6)


def test_grid_modes_match_the_benchmark():
    modes = toy.grid_modes(5, spacing=2.0)
    assert modes.shape == (25, 2)
    expected = {(i, j) for i in (-4, -2, 0, 2, 4) for j in (-4, -2, 0, 2, 4)}
    assert {tuple(int(v) for v in m) for m in modes} == expected


@pytest.mark.parametrize(
    "sample, modes, std",
    [
        (lambda n, seed: toy.ring_of_gaussians(n, seed=seed), toy.ring_modes(), 0.02),
        (lambda n, seed: toy.grid_of_gaussians(n, seed=seed), toy.grid_modes(), 0.05),
    ],
)
def test_samples_follow_the_mixture(sample, modes, std):
    x = sample(20000, 0)
    assert x.shape == (20000, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(x, sample(20000, 0))
    assert not np.array_equal(x, sample(20000, 1))
    distances = np.linalg.norm(x[:, None] - modes[None], axis=-1)
    nearest = distances.argmin(axis=1)
    offsets = x - modes[nearest]
    np.testing.assert_allclose(offsets.std(axis=0), std, rtol=0.05)
    counts = np.bincount(nearest, minlength=len(modes))
    expected = len(x) / len(modes)
    assert np.all(np.abs(counts - expected) < 6 * np.sqrt(expected))


def test_coverage_of_exact_modes():
    modes = toy.grid_modes()
    result = toy.mode_coverage(np.repeat(modes, 3, axis=0), modes, std=0.05)
    assert result == {"modes_covered": 25, "high_quality_fraction": 1.0, "num_modes": 25}


def test_coverage_of_some_modes():
    modes = toy.ring_modes()
    samples = np.concatenate([np.repeat(modes[[0, 3, 5]], 10, axis=0), [[0.0, 0.0]] * 10])
    result = toy.mode_coverage(samples, modes, std=0.02)
    assert result["modes_covered"] == 3
    assert result["high_quality_fraction"] == pytest.approx(30 / 40)
    assert result["num_modes"] == 8


def test_threshold_and_min_count():
    modes = np.array([[0.0, 0.0], [10.0, 0.0]])
    # 2.9 std away: high quality; 3.1 std away: not.
    samples = np.array([[0.29, 0.0], [10.31, 0.0], [10.0, 0.0]])
    result = toy.mode_coverage(samples, modes, std=0.1)
    assert result["modes_covered"] == 2
    assert result["high_quality_fraction"] == pytest.approx(2 / 3)
    assert toy.mode_coverage(samples, modes, std=0.1, threshold=2.0)["modes_covered"] == 1
    assert toy.mode_coverage(samples, modes, std=0.1, min_count=2)["modes_covered"] == 0


def test_coverage_of_real_samples_and_pure_noise():
    rng = np.random.default_rng(0)
    real = toy.mode_coverage(toy.grid_of_gaussians(2500, seed=0), toy.grid_modes(), std=0.05)
    assert real["modes_covered"] == 25
    # Fraction of a 2-D Gaussian within 3 std: 1 - exp(-9 / 2) = 0.989.
    assert real["high_quality_fraction"] == pytest.approx(1 - np.exp(-4.5), abs=0.01)
    noise = rng.uniform(-5, 5, size=(2500, 2))
    spread = toy.mode_coverage(noise, toy.grid_modes(), std=0.05)
    # Uniform noise lands near a mode with probability 25 * pi * 0.15**2 / 100.
    assert spread["high_quality_fraction"] == pytest.approx(25 * np.pi * 0.15**2 / 100, abs=0.01)
    collapsed = toy.mode_coverage(np.full((2500, 2), 3.0), toy.grid_modes(), std=0.05)
    assert collapsed["modes_covered"] == 0 and collapsed["high_quality_fraction"] == 0.0


def test_coverage_validates_inputs():
    with pytest.raises(ValueError, match="same d"):
        toy.mode_coverage(np.zeros((3, 3)), toy.ring_modes(), std=0.02)
    with pytest.raises(ValueError, match="std"):
        toy.mode_coverage(np.zeros((3, 2)), toy.ring_modes(), std=0.0)
