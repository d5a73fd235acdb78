"""Image grids: turn a batch of images into one picture and save it as PNG."""

import numpy as np


def to_uint8(images, value_range=(-1.0, 1.0)):
    """Converts float images in `value_range` to uint8 in [0, 255].

    Args:
        images: array of shape `(..., height, width, channels)` or
            `(..., height, width)`.
        value_range: `(low, high)` of the input values; `None` for images
            that are already uint8.

    Returns:
        A uint8 NumPy array of the same shape.
    """
    images = np.asarray(images)
    if value_range is None or images.dtype == np.uint8:
        return images.astype(np.uint8)
    low, high = value_range
    scaled = (images.astype(np.float64) - low) / (high - low)
    return np.clip(np.round(scaled * 255.0), 0, 255).astype(np.uint8)


def make_grid(images, num_rows=None, padding=2, value_range=(-1.0, 1.0)):
    """Tiles a batch of images into a single uint8 image.

    Args:
        images: array `(n, height, width, channels)` or `(n, height, width)`.
        num_rows: rows of the grid; default is the square root of `n`,
            rounded up.
        padding: pixels of black between tiles.
        value_range: value range of `images` (see `to_uint8`).

    Returns:
        A uint8 array `(grid_height, grid_width, channels)`.

    Example:

    >>> grid = keras_gen.utils.make_grid(np.zeros((16, 28, 28, 1)))
    >>> grid.shape
    (122, 122, 1)
    """
    images = to_uint8(images, value_range)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(
            "`images` must have shape (n, height, width[, channels]); "
            f"received shape {images.shape}."
        )
    n, height, width, channels = images.shape
    if num_rows is None:
        num_cols = int(np.ceil(np.sqrt(n)))
        num_rows = int(np.ceil(n / num_cols))
    else:
        num_cols = int(np.ceil(n / num_rows))
    grid = np.zeros(
        (
            num_rows * height + (num_rows + 1) * padding,
            num_cols * width + (num_cols + 1) * padding,
            channels,
        ),
        dtype=np.uint8,
    )
    for index in range(n):
        row, col = divmod(index, num_cols)
        top = padding + row * (height + padding)
        left = padding + col * (width + padding)
        grid[top : top + height, left : left + width] = images[index]
    return grid


def save_image(image, path):
    """Saves one uint8 image `(height, width[, 1 or 3])` as PNG."""
    from PIL import Image

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    Image.fromarray(image).save(path)
    return path


def save_image_grid(images, path, num_rows=None, padding=2, value_range=(-1.0, 1.0)):
    """Tiles `images` with `make_grid` and writes the grid to `path` as PNG.

    Returns:
        `path`.
    """
    return save_image(
        make_grid(images, num_rows=num_rows, padding=padding, value_range=value_range),
        path,
    )
