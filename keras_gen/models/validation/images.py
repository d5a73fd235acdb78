"""Image checks: float dtypes, shapes against a network's input, values in [-1, 1], non-empty data."""

import math
import warnings

import keras
import numpy as np

from keras_gen.trainers.data_specs import num_array_samples


def check_float_images(dtype, what="Images", model_name="the model"):
    """Raises `TypeError` for integer/bool data where floats in [-1, 1] are expected."""
    dtype = keras.backend.standardize_dtype(dtype)
    if "int" in dtype or dtype == "bool":
        raise TypeError(
            f"{what} have dtype {dtype}, but {model_name} expects floats in [-1, 1]. "
            "Scale them first, e.g. `keras_gen.datasets.scale_images(x)` (x / 127.5 - 1)."
        )


def same_shape(a, b):
    """True when two shapes have the same rank and agree wherever both are known."""
    return len(a) == len(b) and all(
        x is None or y is None or int(x) == int(y) for x, y in zip(a, b)
    )


def check_image_spec(shape, expected, what, network_name, fix):
    """Raises `ValueError` if a batch `shape` does not match `(batch,) + expected`.

    Unknown dimensions (None) on either side match anything.
    """
    if expected is None or shape is None:
        return
    if not same_shape(tuple(shape[1:]), tuple(expected)):
        raise ValueError(
            f"{what} have shape {tuple(shape)}, but {network_name} expects "
            f"(batch,) + {tuple(expected)}. {fix}"
        )


# Images are floats in [-1, 1]. Values beyond +-IMAGE_VALUE_LIMIT (room for
# the overshoot of resizing or augmentation) are not such images.
IMAGE_VALUE_LIMIT = 1.5


def _range_fix(low, high):
    if low >= 0 and high > 1:
        return (
            "They look like [0, 255] pixel values: scale them with "
            "`keras_gen.datasets.scale_images(x, value_range=(0, 255))` (x / 127.5 - 1)"
        )
    return (
        "Rescale them to [-1, 1], e.g. `keras_gen.datasets.scale_images(x, "
        f"value_range=({low:g}, {high:g}))`"
    )


def check_image_values(x, what="Images", model_name="the model", strict=True):
    """Checks that float images of NumPy data lie in [-1, 1].

    Only arrays of rank 4 or more (`(n, height, width, channels)`) are
    images; other data (e.g. 2-D points) are not checked. Non-finite values
    are left to the non-finite guard of the train step.

    Args:
        x: the images.
        what: what they are, for the messages.
        model_name: the model, for the messages.
        strict: raise for values beyond [-1, 1] (training data); False only
            warns (inference: `encode`, `reconstruct`, `translate`, which
            change nothing).

    Raises:
        ValueError: (`strict`) values beyond +-1.5, e.g. images in
            [0, 255]; the message names `keras_gen.datasets.scale_images`.

    Warns:
        UserWarning: images in [0, 1] (no negative value): the model then
            sees only half of its range; values beyond +-1.5 when not `strict`.
    """
    x = np.asarray(x)
    if x.ndim < 4 or x.size == 0 or x.dtype.kind != "f":
        return
    low, high = float(np.min(x)), float(np.max(x))
    if not (math.isfinite(low) and math.isfinite(high)):
        return
    if high > IMAGE_VALUE_LIMIT or low < -IMAGE_VALUE_LIMIT:
        message = (
            f"{what} have values in [{low:g}, {high:g}], but {model_name} expects floats "
            f"in [-1, 1]. {_range_fix(low, high)}."
        )
        if strict:
            raise ValueError(message)
        warnings.warn(message, UserWarning, stacklevel=3)
        return
    if low >= 0 and high > 0:
        warnings.warn(
            f"{what} have values in [{low:g}, {high:g}]: they look like images in [0, 1], "
            f"but {model_name} expects floats in [-1, 1] (its outputs, losses and "
            "reconstructions assume that range). Scale them with "
            "`keras_gen.datasets.scale_images(x, value_range=(0, 1))` (x * 2 - 1).",
            UserWarning,
            stacklevel=3,
        )


def array_first_element(x):
    """The first NumPy array of the data (`x`, or `x[0]` of a tuple), or None."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (tuple, list)) and x and isinstance(x[0], np.ndarray):
        return x[0]
    return None


def check_has_samples(x):
    """Raises `ValueError` when `fit()` is given no samples (an empty array or dataset)."""
    if num_array_samples(x) == 0:
        raise ValueError(
            "fit() received 0 samples: the training data is empty. Check how the "
            "array was built or filtered (e.g. a mask that selects nothing)."
        )
    cardinality = getattr(x, "cardinality", None)
    if cardinality is not None and hasattr(x, "element_spec"):
        try:
            size = int(cardinality())
        except Exception:  # noqa: BLE001 - not a tf.data.Dataset after all
            return
        if size == 0:
            raise ValueError(
                "fit() received an empty dataset (0 batches). Check the pipeline: a "
                "`filter` that keeps nothing, `take(0)`, or `batch(..., "
                "drop_remainder=True)` with fewer samples than the batch size."
            )
