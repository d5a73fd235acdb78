"""Nearest training neighbours of generated samples: the memorization check."""

import numpy as np

from keras_gen.metrics.statistics import as_features
from keras_gen.metrics.statistics import squared_distance_blocks
from keras_gen.utils import make_grid
from keras_gen.utils import save_image
from keras_gen.utils import to_uint8


def nearest_neighbours(generated_features, train_features, k=1, batch_size=1000):
    """Finds the `k` nearest training samples of each generated sample.

    Distances are Euclidean in feature space (pass flattened pixels to compare
    images directly), computed in blocks of `batch_size` generated rows.

    Args:
        generated_features: array `(n, d)`.
        train_features: array `(m, d)` with `m >= k`.
        k: neighbours per generated sample.
        batch_size: generated rows per distance block.

    Returns:
        A tuple `(distances, indices)`, each `(n, k)`, sorted by distance:
        float64 distances and int64 row indices into `train_features`.

    Example:

    >>> distances, indices = keras_gen.metrics.nearest_neighbours(
    ...     generated.reshape(len(generated), -1), train.reshape(len(train), -1), k=3)
    """
    queries = as_features(generated_features, "generated_features")
    references = as_features(train_features, "train_features")
    if queries.shape[1] != references.shape[1]:
        raise ValueError(
            f"Both sets need the same feature dimension; received {queries.shape[1]} "
            f"and {references.shape[1]}."
        )
    if not 1 <= k <= len(references):
        raise ValueError(f"`k` must be between 1 and {len(references)}; received {k}.")
    distances = np.empty((len(queries), k))
    indices = np.empty((len(queries), k), dtype=np.int64)
    for start, block in squared_distance_blocks(queries, references, batch_size):
        candidates = np.argpartition(block, k - 1, axis=1)[:, :k]
        indices[start : start + len(block)] = candidates
    # Exact distances of the chosen pairs (the blockwise expansion loses digits near 0).
    for start in range(0, len(queries), batch_size):
        rows = slice(start, start + batch_size)
        differences = queries[rows, None, :] - references[indices[rows]]
        distances[rows] = np.sqrt(np.einsum("nkd,nkd->nk", differences, differences))
    order = np.argsort(distances, axis=1, kind="stable")
    return np.take_along_axis(distances, order, axis=1), np.take_along_axis(indices, order, axis=1)


def nearest_neighbour_grid(generated_images, train_images, indices, path=None, padding=2):
    """Grid whose rows are a generated image followed by its nearest training images.

    Args:
        generated_images: `(n, height, width[, channels])`, float in `[-1, 1]` or uint8.
        train_images: `(m, height, width[, channels])`, same size as the generated ones.
        indices: int array `(n, k)`, e.g. from `keras_gen.metrics.nearest_neighbours`.
        path: optional PNG path to save the grid to.
        padding: pixels between tiles.

    Returns:
        The uint8 grid `(grid_height, grid_width, channels)`, `n` rows of `k + 1` tiles.

    Example:

    >>> _, indices = keras_gen.metrics.nearest_neighbours(fake_features, train_features, k=5)
    >>> keras_gen.metrics.nearest_neighbour_grid(fake_images, train_images, indices, "nn.png")
    """
    generated = _as_uint8_images(generated_images, "generated_images")
    train = _as_uint8_images(train_images, "train_images")
    indices = np.asarray(indices)
    if indices.ndim == 1:
        indices = indices[:, None]
    if indices.ndim != 2 or len(indices) != len(generated):
        raise ValueError(
            f"`indices` must be (n, k) with n = {len(generated)} generated images; "
            f"received shape {indices.shape}."
        )
    if indices.size and (indices.min() < 0 or indices.max() >= len(train)):
        raise ValueError(
            f"`indices` must index `train_images` (0 to {len(train) - 1}); received "
            f"values from {indices.min()} to {indices.max()}."
        )
    if generated.shape[1:] != train.shape[1:]:
        raise ValueError(
            f"Generated images {generated.shape[1:]} and training images "
            f"{train.shape[1:]} must have the same size and channels."
        )
    rows = [np.concatenate([generated[i : i + 1], train[indices[i]]], axis=0) for i in range(len(generated))]
    grid = make_grid(np.concatenate(rows, axis=0), num_rows=len(generated), padding=padding, value_range=None)
    if path is not None:
        save_image(grid, path)
    return grid


def _as_uint8_images(images, name):
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"`{name}` must be (n, height, width[, channels]); received {images.shape}.")
    return to_uint8(images)
