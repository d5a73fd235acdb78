"""Checks of data against a model, with messages that name the fix.

One home for every check a model makes of what it is given: image dtypes and
shapes, class labels (NumPy arrays and the static specs of datasets), and the
static description of training data that `fit()` can read without iterating
(`keras_gen.trainers.data_specs`, re-exported here).
"""

import keras
import numpy as np

from keras_gen.trainers.data_specs import array_second_element  # noqa: F401
from keras_gen.trainers.data_specs import data_spec  # noqa: F401
from keras_gen.trainers.data_specs import has_second_element  # noqa: F401
from keras_gen.trainers.data_specs import num_array_samples  # noqa: F401
from keras_gen.trainers.data_specs import second_spec  # noqa: F401


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


# ------------------------------------------------------------------ labels
def check_class_labels(labels, num_classes, num_samples=None, one_hot=False):
    """Validates class labels given as NumPy data; returns int32 indices `(n,)`.

    Args:
        labels: an int (repeated to `num_samples`), class indices `(n,)` or
            `(n, 1)`, or, when `one_hot` is True, one-hot rows
            `(n, num_classes)`.
        num_classes: labels must lie in `[0, num_classes)`.
        num_samples: expected `n`, or None.
        one_hot: accept one-hot rows (each row all zeros but a single one).

    Returns:
        int32 NumPy array `(n,)`.

    Raises:
        TypeError: labels that are not integers (or one-hot rows).
        ValueError: a wrong shape, an index out of range, a row that is not
            one-hot, or a count that differs from `num_samples`.
    """
    labels = np.asarray(labels)
    last = num_classes - 1
    if labels.ndim == 0 and num_samples is not None:
        labels = np.full((int(num_samples),), labels)
    if one_hot and labels.ndim == 2 and labels.shape[1] == num_classes and num_classes > 1:
        is_one_hot = np.all((labels == 0) | (labels == 1)) and np.all(labels.sum(axis=1) == 1)
        if not is_one_hot:
            raise ValueError(
                f"Labels of shape {labels.shape} are read as one-hot rows, but some rows "
                "are not one-hot (exactly one 1, zeros elsewhere). Pass class indices "
                f"in [0, {last}] instead, or fix the rows (`np.eye({num_classes})[indices]`)."
            )
        indices = np.argmax(labels, axis=1)
    else:
        if labels.size and labels.dtype.kind not in "iu":
            raise TypeError(
                f"Labels must be integer class indices in [0, {last}]; received dtype "
                f"{labels.dtype}. Cast them (`labels.astype('int32')`), or use "
                "`np.argmax(one_hot, axis=-1)` for one-hot labels."
            )
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim != 1:
            accepted = f" or one-hot rows (n, {num_classes})" if one_hot else ""
            raise ValueError(
                f"Labels must be class indices of shape (n,){accepted}; received shape "
                f"{labels.shape}. For one-hot labels use `np.argmax(one_hot, axis=-1)`."
            )
        indices = labels
        bad = indices[(indices < 0) | (indices >= num_classes)]
        if bad.size:
            raise ValueError(
                f"Labels must be class indices in [0, {last}]; received "
                f"{sorted(set(bad.tolist()))[:5]}. Map your classes to 0..{last}, "
                f"or build the networks and model with num_classes={int(indices.max()) + 1}."
            )
    if num_samples is not None and len(indices) != num_samples:
        raise ValueError(
            f"Received {len(indices)} labels for {num_samples} samples; pass one label "
            "per sample (or a single int for all)."
        )
    return indices.astype("int32")


def check_label_spec(shape, dtype, num_classes, model_name, one_hot=False):
    """Raises a clear error for a batch spec of labels a model cannot use.

    Args:
        shape: the labels' batch shape (the batch dimension may be None).
        dtype: their dtype.
        num_classes: number of classes of the model.
        model_name: named in the message.
        one_hot: whether one-hot rows `(batch, num_classes)` are accepted.
    """
    dtype = keras.backend.standardize_dtype(dtype)
    shape = tuple(shape)
    if one_hot and len(shape) == 2 and shape[1] == num_classes:
        return
    if "int" not in dtype:
        raise TypeError(
            f"Labels have dtype {dtype}, but {model_name} expects integer class "
            f"indices in [0, {num_classes - 1}]. Cast them (e.g. "
            "`labels.astype('int32')`, or `tf.cast` in the pipeline); for one-hot "
            "labels use the argmax."
        )
    if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
        raise ValueError(
            f"Labels have shape {shape}, but {model_name} expects class indices of "
            "shape (batch,). For one-hot labels use the argmax."
        )


def check_positive_int(value, name):
    """Returns `value` as an int, raising `ValueError` unless it is a positive integer."""
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer; received {value!r}.")
    return int(value)


def check_sample_count(num_samples):
    """`num_samples` as an int >= 0, or a `ValueError` naming the fix."""
    if isinstance(num_samples, bool) or int(num_samples) != num_samples or num_samples < 0:
        raise ValueError(
            f"num_samples must be an integer >= 0; received {num_samples!r}."
        )
    return int(num_samples)
