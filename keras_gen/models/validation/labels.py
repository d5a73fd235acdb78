"""Class-label checks for every conditional model: NumPy labels and the static specs of datasets."""

import keras
import numpy as np


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
