"""Offline tasks from the embedded digits: shapes, ranges, outlines, disjoint domains."""

import numpy as np
import pytest

from keras_gen.datasets.tasks import digit_edges
from keras_gen.datasets.tasks import digits2inverted
from keras_gen.datasets.tasks import edges2digits
from keras_gen.datasets.tasks import mnist2sklearn_digits

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def test_outline_of_a_square_by_hand():
    image = np.zeros((1, 10, 10))
    image[0, 3:7, 2:6] = 1.0  # rows 3..6, cols 2..5
    edges = digit_edges(image)[0]
    expected = np.zeros((10, 10), bool)
    expected[2:8, 1:7] = True  # the square grown by one pixel...
    expected[3:7, 2:6] = False  # ...minus the square
    np.testing.assert_array_equal(edges, expected)


def test_edges2digits_shapes_and_values():
    edges, digits = edges2digits("test")
    assert edges.shape == digits.shape == (1000, 32, 32, 1)
    assert edges.dtype == digits.dtype == np.float32
    assert set(np.unique(edges)) == {-1.0, 1.0}
    assert digits.min() == -1.0 and digits.max() == 1.0
    # Padding 28 -> 32 leaves a 2-pixel black frame on the digits.
    assert np.all(digits[:, :2] == -1.0) and np.all(digits[:, :, -2:] == -1.0)
    strokes = digits[..., 0] > 0
    outline = edges[..., 0] > 0
    # Outline pixels are never on a stroke, and every one touches a stroke.
    assert not np.any(outline & strokes)
    padded = np.pad(strokes, ((0, 0), (1, 1), (1, 1)))
    near = np.zeros_like(strokes)
    for dr in range(3):
        for dc in range(3):
            near |= padded[:, dr : dr + 32, dc : dc + 32]
    assert np.all(near[outline])
    # Every digit has an outline.
    assert outline.reshape(len(outline), -1).any(axis=1).all()


def test_edges2digits_other_size():
    edges, digits = edges2digits("test", image_size=16)
    assert edges.shape == digits.shape == (1000, 16, 16, 1)
    with pytest.raises(ValueError, match="image_size"):
        edges2digits("test", image_size=4)
    with pytest.raises(ValueError, match="split"):
        edges2digits("validation")


def test_digits2inverted_domains_are_disjoint_and_inverted():
    a, labels_a, b, labels_b = digits2inverted("test")
    assert a.shape == b.shape == (500, 32, 32, 1)
    assert np.bincount(labels_a).tolist() == [50] * 10 == np.bincount(labels_b).tolist()
    assert a.min() >= -1 and a.max() <= 1 and b.min() >= -1 and b.max() <= 1
    # A is white on black (mostly -1), B black on white (mostly +1).
    assert np.median(a) == -1.0 and np.median(b) == 1.0
    # Unpaired: no B image is the inversion of an A image.
    inverted_a = {(-x).tobytes() for x in a}
    assert not any(x.tobytes() in inverted_a for x in b)


def test_mnist2sklearn_digits():
    pytest.importorskip("sklearn")
    a, labels_a, b, labels_b = mnist2sklearn_digits("train")
    assert a.shape == (4000, 32, 32, 1) and b.shape == (1433, 32, 32, 1)
    assert len(labels_b) == 1433 and set(labels_b.tolist()) == set(range(10))
    assert b.dtype == np.float32 and b.min() == -1.0 and b.max() <= 1.0
    _, _, test_b, _ = mnist2sklearn_digits("test")
    assert len(test_b) == 1797 - 1433
