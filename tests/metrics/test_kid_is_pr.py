import numpy as np
import pytest

import keras_gen

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def brute_force_mmd2(x, y):
    d = x.shape[1]

    def k(a, b):
        return (a @ b / d + 1.0) ** 3

    m = len(x)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kid_matches_brute_force_on_one_full_subset():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((12, 5)), rng.standard_normal((12, 5)) + 0.3
    # One subset of every row: sampling only permutes rows, which the estimator ignores.
    mean, std = keras_gen.metrics.kernel_inception_distance(x, y, num_subsets=1, subset_size=12)
    np.testing.assert_allclose(mean, brute_force_mmd2(x, y), rtol=1e-10)
    assert std == 0.0


def test_kid_is_unbiased_and_detects_a_shift():
    rng = np.random.default_rng(1)
    same = []
    for _ in range(30):
        x, y = rng.standard_normal((100, 8)), rng.standard_normal((100, 8))
        same.append(keras_gen.metrics.kernel_inception_distance(x, y, num_subsets=5, subset_size=50)[0])
    same = np.array(same)
    # Unbiased: the average over draws is within 3 standard errors of 0 (a biased
    # estimator would be clearly positive), and some draws are negative.
    assert abs(same.mean()) < 3 * same.std() / np.sqrt(len(same))
    assert (same < 0).any()
    x, y = rng.standard_normal((100, 8)), rng.standard_normal((100, 8)) + 1.0
    shifted, _ = keras_gen.metrics.kernel_inception_distance(x, y, num_subsets=5, subset_size=50)
    assert shifted > 10 * same.std()


def test_kid_is_deterministic_for_a_seed_and_validates():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((40, 4)), rng.standard_normal((30, 4))
    first = keras_gen.metrics.kernel_inception_distance(x, y, num_subsets=3, subset_size=20, seed=7)
    assert first == keras_gen.metrics.kernel_inception_distance(x, y, num_subsets=3, subset_size=20, seed=7)
    with pytest.raises(ValueError, match="feature dimension"):
        keras_gen.metrics.kernel_inception_distance(x, y[:, :3])
    with pytest.raises(ValueError, match="at least 2"):
        keras_gen.metrics.kernel_inception_distance(x[:1], y)


def test_inception_score_bounds():
    confident_balanced = np.tile(np.eye(10), (20, 1))
    mean, std = keras_gen.metrics.inception_score(confident_balanced, num_splits=10)
    np.testing.assert_allclose(mean, 10.0, rtol=1e-12)
    assert std < 1e-12
    uniform = np.full((200, 10), 0.1)
    np.testing.assert_allclose(keras_gen.metrics.inception_score(uniform)[0], 1.0, rtol=1e-12)
    # Confident but always the same class: no diversity, score 1.
    collapsed = np.tile(np.eye(10)[:1], (200, 1))
    np.testing.assert_allclose(keras_gen.metrics.inception_score(collapsed)[0], 1.0, rtol=1e-12)


def test_inception_score_hand_computation():
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    marginal = p.mean(axis=0)
    expected = np.exp(np.mean((p * np.log(p / marginal)).sum(axis=1)))
    np.testing.assert_allclose(keras_gen.metrics.inception_score(p, num_splits=1)[0], expected, rtol=1e-12)


def test_inception_score_rejects_logits():
    with pytest.raises(ValueError, match="softmax"):
        keras_gen.metrics.inception_score(np.array([[2.0, -1.0], [0.5, 0.3]]), num_splits=1)


def test_precision_recall_identical_and_disjoint_sets():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 6))
    assert keras_gen.metrics.precision_recall(x, x.copy(), k=3, batch_size=64) == {"precision": 1.0, "recall": 1.0}
    far = keras_gen.metrics.precision_recall(x, x + 100.0, k=3)
    assert far == {"precision": 0.0, "recall": 0.0}


def test_precision_recall_matches_brute_force():
    rng = np.random.default_rng(4)
    real, fake = rng.standard_normal((40, 3)), rng.standard_normal((30, 3)) * 1.5 + 0.5
    k = 3

    def radii(a):
        d = np.linalg.norm(a[:, None] - a[None], axis=-1)
        return np.sort(d, axis=1)[:, k]

    def inside(queries, manifold):
        d = np.linalg.norm(queries[:, None] - manifold[None], axis=-1)
        return np.mean((d <= radii(manifold)[None]).any(axis=1))

    result = keras_gen.metrics.precision_recall(real, fake, k=k, batch_size=7)
    np.testing.assert_allclose(result["precision"], inside(fake, real))
    np.testing.assert_allclose(result["recall"], inside(real, fake))
    # A mode-collapsed generator: high precision, low recall.
    collapsed = real[:5] + rng.standard_normal((5, 3)) * 1e-3
    collapsed = np.repeat(collapsed, 8, axis=0)
    scores = keras_gen.metrics.precision_recall(real, collapsed, k=k)
    assert scores["precision"] == 1.0 and scores["recall"] < 0.5


def test_nearest_neighbours_finds_exact_duplicates():
    rng = np.random.default_rng(5)
    train = rng.standard_normal((50, 16))
    picks = np.array([3, 41, 17])
    distances, indices = keras_gen.metrics.nearest_neighbours(train[picks], train, k=2, batch_size=2)
    np.testing.assert_array_equal(indices[:, 0], picks)
    np.testing.assert_array_equal(distances[:, 0], 0.0)
    expected = np.sort(np.linalg.norm(train[picks][:, None] - train[None], axis=-1), axis=1)[:, 1]
    np.testing.assert_allclose(distances[:, 1], expected, rtol=1e-10)


def test_nearest_neighbour_grid(tmp_path):
    train = np.stack([np.full((4, 4), value, np.uint8) for value in (0, 100, 200)])
    generated = np.full((2, 4, 4, 1), 1.0, np.float32)  # white in [-1, 1]
    indices = np.array([[2, 1], [0, 2]])
    path = str(tmp_path / "nn.png")
    grid = keras_gen.metrics.nearest_neighbour_grid(generated, train, indices, path=path, padding=1)
    assert grid.shape == (2 * 4 + 3, 3 * 4 + 4, 1)
    # Row 0: generated (255), then train[2] (200), then train[1] (100).
    assert grid[1, 1, 0] == 255 and grid[1, 6, 0] == 200 and grid[1, 11, 0] == 100
    assert grid[6, 6, 0] == 0 and grid[6, 11, 0] == 200
    from PIL import Image

    assert Image.open(path).size == (16, 11)
    with pytest.raises(ValueError, match="index"):
        keras_gen.metrics.nearest_neighbour_grid(generated, train, np.array([[5], [0]]))
