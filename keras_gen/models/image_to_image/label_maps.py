"""Semantic label maps for the synthesis models: the one rule, its checks and its one-hot form.

A batch of label maps is either

- integer class ids `(n, h, w)` in `[0, num_classes)` (any int dtype), or
- one-hot floats `(n, h, w, num_classes)`: every pixel all zeros but a
  single one (`keras_gen.datasets.one_hot_label_maps`).

Networks always receive the one-hot float32 form.
"""

import keras
import numpy as np
from keras import ops

from keras_gen.models import validation


def _is_integer(dtype):
    dtype = keras.backend.standardize_dtype(dtype)
    return "int" in dtype or dtype == "bool"


def check_spec(shape, dtype, label_shape, what="Label maps"):
    """Raises a clear error unless a batch `shape`/`dtype` is one of the two label-map forms.

    Args:
        shape: the batch shape (the batch dimension may be None).
        dtype: its dtype.
        label_shape: `(h, w, num_classes)` of the generator's one-hot input.
        what: named in the messages.

    Raises:
        TypeError: float class-id maps, or integer one-hot maps.
        ValueError: any other rank, or sides or a class count that differ.
    """
    shape = tuple(shape)
    height, width, classes = label_shape
    forms = (
        f"integer class ids (batch, {height}, {width}) or one-hot float maps "
        f"(batch, {height}, {width}, {classes})"
    )
    if len(shape) == 3:
        if not _is_integer(dtype):
            raise TypeError(
                f"{what} of shape {shape} are read as class-id maps, which must be integers; "
                f"received dtype {keras.backend.standardize_dtype(dtype)}. Cast them "
                f"(`maps.astype('int32')`), or pass one-hot float maps (batch, {height}, "
                f"{width}, {classes})."
            )
    elif len(shape) == 4:
        if _is_integer(dtype):
            raise TypeError(
                f"{what} of shape {shape} are read as one-hot maps, which must be float; "
                f"received dtype {keras.backend.standardize_dtype(dtype)}. Pass one-hot "
                f"float32 maps (`keras_gen.datasets.one_hot_label_maps(ids, {classes})`), or "
                f"the integer class ids themselves, shape (batch, {height}, {width})."
            )
    else:
        raise ValueError(f"{what} have shape {shape}, but the generator expects {forms}.")
    expected = (height, width) if len(shape) == 3 else (height, width, classes)
    if not validation.same_shape(shape[1:], expected):
        raise ValueError(
            f"{what} have shape {shape}, but the generator expects {forms}. Resize the maps "
            "(nearest neighbour), or build the networks for this label shape and number of "
            "classes."
        )


def check_values(maps, num_classes, what="Label maps", training=True):
    """Raises a `ValueError` for class ids out of range or one-hot maps that are not one-hot.

    Args:
        maps: a NumPy batch in one of the two forms (its spec already checked).
        num_classes: the number of classes.
        what: named in the messages.
        training: True leaves non-finite one-hot maps to the train step's
            non-finite guard; False (inference) rejects them.
    """
    maps = np.asarray(maps)
    if maps.size == 0:
        return
    last = num_classes - 1
    if maps.dtype.kind in "iub":
        low, high = int(maps.min()), int(maps.max())
        if low < 0 or high > last:
            raise ValueError(
                f"{what} must hold class ids in [0, {last}]; received ids in [{low}, {high}]. "
                f"Map your classes to 0..{last}, or build the generator and discriminator for "
                f"num_classes={max(high + 1, num_classes)} (the label map's channels)."
            )
        return
    finite = np.isfinite(maps)
    if not finite.all():
        if training:
            return
        raise ValueError(f"{what} hold NaN or infinite values; pass one-hot maps of 0s and 1s.")
    valid = np.all((maps == 0) | (maps == 1), axis=-1) & (maps.sum(axis=-1) == 1)
    if not valid.all():
        raise ValueError(
            f"{what} are read as one-hot maps (n, h, w, {num_classes}), but "
            f"{int((~valid).sum())} pixel(s) are not one-hot (exactly one 1, zeros elsewhere; "
            f"values in [{float(maps.min()):g}, {float(maps.max()):g}]). Pass one-hot maps "
            f"(`keras_gen.datasets.one_hot_label_maps(ids, {num_classes})`) or the integer "
            "class ids (n, h, w). Images go in y, as floats in [-1, 1] "
            "(`keras_gen.datasets.scale_images`)."
        )


def one_hot_in_step(model, maps, images, what="Label maps"):
    """`(one_hot_maps, images)` of a training batch, checked inside the step.

    Class ids out of range, or one-hot maps that are not one-hot, make the
    images NaN (the step is not applied) and are reported by the model's
    `DataCheckState` (see `keras_gen.models.validation.in_step`); non-finite
    one-hot maps are left to the non-finite guard.

    Args:
        model: the model (its `num_classes` and `data_check` state).
        maps: a batch in one of the two forms.
        images: the batch's images.
        what: named in the messages.

    Returns:
        float32 one-hot maps `(batch, h, w, num_classes)` and the images.
    """
    if _is_integer(maps.dtype):
        ids, images = validation.guard_labels_in_step(
            model, ops.cast(maps, "int32"), model.num_classes, images, what
        )
        return ops.one_hot(ids, model.num_classes, dtype="float32"), images
    maps = ops.cast(maps, "float32")
    finite = ops.all(ops.isfinite(maps), axis=-1, keepdims=True)
    background = ops.one_hot(ops.zeros_like(maps[..., 0], dtype="int32"), model.num_classes)
    checked = ops.where(finite, maps, ops.cast(background, "float32"))
    _, images = validation.guard_one_hot_in_step(model, checked, images, what)
    return maps, images


def for_inference(maps, label_shape, what="Label maps"):
    """Checked one-hot float32 maps `(n, h, w, num_classes)` from either form (or one map).

    Args:
        maps: class ids `(n, h, w)` or one-hot floats `(n, h, w, num_classes)`;
            a single map `(h, w)` or `(h, w, num_classes)` is given a batch axis.
        label_shape: `(h, w, num_classes)` of the generator's input.
        what: named in the messages.

    Returns:
        A float32 NumPy array.
    """
    maps = np.asarray(ops.convert_to_numpy(maps) if not isinstance(maps, np.ndarray) else maps)
    if maps.shape in (tuple(label_shape[:2]), tuple(label_shape)):
        maps = maps[None]
    check_spec((None,) + maps.shape[1:], maps.dtype, label_shape, what)
    check_values(maps, label_shape[-1], what, training=False)
    if maps.dtype.kind in "iub":
        return np.eye(label_shape[-1], dtype="float32")[maps.astype("int64")]
    return maps.astype("float32")
