"""Semantic label maps for the synthesis models: the one rule, its checks and its one-hot form.

A batch of label maps is either

- integer class ids `(n, h, w)` in `[0, num_classes)` (any int dtype), or
- one-hot floats `(n, h, w, num_classes)`: every pixel all zeros but a
  single one (`keras_gen.datasets.one_hot_label_maps`); for channels-first
  networks `(n, num_classes, h, w)`.

Networks always receive the one-hot float32 form, in their layout: class
ids are one-hot encoded on the last axis, or on axis 1 for channels-first
networks (`channels_first=True`, with `label_shape` `(num_classes, h, w)`).
"""

import keras
import numpy as np
from keras import ops

from keras_gen.models import validation


def _is_integer(dtype):
    dtype = keras.backend.standardize_dtype(dtype)
    return "int" in dtype or dtype == "bool"


def _geometry(label_shape, channels_first):
    """`(height, width, num_classes)` of a one-hot input shape in its layout."""
    if channels_first:
        classes, height, width = label_shape
        return height, width, classes
    return tuple(label_shape)


def _one_hot_axis(channels_first):
    return 1 if channels_first else -1


def check_spec(shape, dtype, label_shape, what="Label maps", channels_first=False):
    """Raises a clear error unless a batch `shape`/`dtype` is one of the two label-map forms.

    Args:
        shape: the batch shape (the batch dimension may be None).
        dtype: its dtype.
        label_shape: `(h, w, num_classes)` of the generator's one-hot input
            (`(num_classes, h, w)` with `channels_first`).
        what: named in the messages.
        channels_first: the generator takes one-hot maps `(batch,
            num_classes, h, w)`.

    Raises:
        TypeError: float class-id maps, or integer one-hot maps.
        ValueError: any other rank, or sides or a class count that differ.
    """
    shape = tuple(shape)
    height, width, classes = _geometry(label_shape, channels_first)
    one_hot = "(batch, " + ", ".join(str(d) for d in label_shape) + ")"
    forms = f"integer class ids (batch, {height}, {width}) or one-hot float maps {one_hot}"
    if len(shape) == 3:
        if not _is_integer(dtype):
            raise TypeError(
                f"{what} of shape {shape} are read as class-id maps, which must be integers; "
                f"received dtype {keras.backend.standardize_dtype(dtype)}. Cast them "
                f"(`maps.astype('int32')`), or pass one-hot float maps {one_hot}."
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
    expected = (height, width) if len(shape) == 3 else tuple(label_shape)
    if not validation.same_shape(shape[1:], expected):
        raise ValueError(
            f"{what} have shape {shape}, but the generator expects {forms}. Resize the maps "
            "(nearest neighbour), or build the networks for this label shape and number of "
            "classes."
        )


def check_values(maps, num_classes, what="Label maps", training=True, channels_first=False):
    """Raises a `ValueError` for class ids out of range or one-hot maps that are not one-hot.

    Args:
        maps: a NumPy batch in one of the two forms (its spec already checked).
        num_classes: the number of classes.
        what: named in the messages.
        training: True leaves non-finite one-hot maps to the train step's
            non-finite guard; False (inference) rejects them.
        channels_first: one-hot maps are `(n, num_classes, h, w)`.
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
    axis = _one_hot_axis(channels_first)
    valid = np.all((maps == 0) | (maps == 1), axis=axis) & (maps.sum(axis=axis) == 1)
    if not valid.all():
        form = f"(n, {num_classes}, h, w)" if channels_first else f"(n, h, w, {num_classes})"
        raise ValueError(
            f"{what} are read as one-hot maps {form}, but "
            f"{int((~valid).sum())} pixel(s) are not one-hot (exactly one 1, zeros elsewhere; "
            f"values in [{float(maps.min()):g}, {float(maps.max()):g}]). Pass one-hot maps "
            f"(`keras_gen.datasets.one_hot_label_maps(ids, {num_classes})`) or the integer "
            "class ids (n, h, w). Images go in y, as floats in [-1, 1] "
            "(`keras_gen.datasets.scale_images`)."
        )


def one_hot_in_step(model, maps, images, what="Label maps", channels_first=False):
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
        channels_first: one-hot maps are `(batch, num_classes, h, w)`, and
            class ids are one-hot encoded on axis 1.

    Returns:
        float32 one-hot maps `(batch, h, w, num_classes)` (channels-first:
        `(batch, num_classes, h, w)`) and the images.
    """
    axis = _one_hot_axis(channels_first)
    if _is_integer(maps.dtype):
        ids, images = validation.guard_labels_in_step(
            model, ops.cast(maps, "int32"), model.num_classes, images, what
        )
        return ops.one_hot(ids, model.num_classes, axis=axis, dtype="float32"), images
    maps = ops.cast(maps, "float32")
    if channels_first:  # the guard reads one one-hot row per pixel on the last axis
        pixels = ops.transpose(maps, (0, 2, 3, 1))
    else:
        pixels = maps
    finite = ops.all(ops.isfinite(pixels), axis=-1, keepdims=True)
    background = ops.one_hot(ops.zeros_like(pixels[..., 0], dtype="int32"), model.num_classes)
    checked = ops.where(finite, pixels, ops.cast(background, "float32"))
    _, images = validation.guard_one_hot_in_step(model, checked, images, what)
    return maps, images


def for_inference(maps, label_shape, what="Label maps", channels_first=False):
    """Checked one-hot float32 maps `(n, h, w, num_classes)` from either form (or one map).

    Args:
        maps: class ids `(n, h, w)` or one-hot floats `(n, h, w, num_classes)`
            (`(n, num_classes, h, w)` with `channels_first`); a single map,
            integer `(h, w)` or float `label_shape`, is given a batch axis.
        label_shape: `(h, w, num_classes)` of the generator's input
            (`(num_classes, h, w)` with `channels_first`).
        what: named in the messages.
        channels_first: the generator takes channels-first one-hot maps;
            class ids are one-hot encoded on axis 1.

    Returns:
        A float32 NumPy array in the generator's layout.
    """
    maps = np.asarray(ops.convert_to_numpy(maps) if not isinstance(maps, np.ndarray) else maps)
    height, width, classes = _geometry(label_shape, channels_first)
    # By dtype: channels-first, `num_classes` integer maps have the shape of one one-hot map.
    single = (height, width) if maps.dtype.kind in "iub" else tuple(label_shape)
    if maps.shape == single:
        maps = maps[None]
    check_spec((None,) + maps.shape[1:], maps.dtype, label_shape, what, channels_first)
    check_values(maps, classes, what, training=False, channels_first=channels_first)
    if maps.dtype.kind in "iub":
        one_hot = np.eye(classes, dtype="float32")[maps.astype("int64")]
        return np.ascontiguousarray(np.moveaxis(one_hot, -1, 1)) if channels_first else one_hot
    return maps.astype("float32")
