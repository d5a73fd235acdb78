"""Checks of data against a model, with messages that name the fix.

One home for every check a model makes of what it is given: image dtypes and
shapes, class labels (NumPy arrays and the static specs of datasets), and the
static description of training data that `fit()` can read without iterating
(`keras_gen.trainers.data_specs`, re-exported here).
"""

import math
import os
import warnings

import keras
import numpy as np
from keras import ops

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


def check_non_negative_number(value, name, hint="", positive=False):
    """`value` as a float, or a `ValueError` unless it is a finite number >= 0 (> 0 if `positive`).

    Args:
        value: the number to check.
        name: the argument's name, for the message.
        hint: appended to the message (e.g. the paper's value).
        positive: require `value > 0`.
    """
    bound = "> 0" if positive else ">= 0"
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise ValueError(f"{name} must be a finite number {bound}{hint}; received {value!r}.")
    return number


# ------------------------------------------------------------------ images
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


# --------------------------------------------------------------- networks
def _output_shapes(network):
    outputs = getattr(network, "outputs", None)
    if not outputs:
        return None
    return [tuple(o.shape) for o in outputs]


def check_logits_shape(shape, network_name, fix):
    """Raises `ValueError` unless `shape` is one logit per sample or per patch.

    Accepted: `(batch,)`, `(batch, 1)`, or a patch map whose last axis is 1,
    e.g. PatchGAN's `(batch, h, w, 1)`.
    """
    shape = tuple(shape)
    if len(shape) == 1 or (len(shape) >= 2 and shape[-1] == 1):
        return
    raise ValueError(
        f"The {network_name} returns logits of shape {shape}: {shape[-1]} values per "
        "sample, which the loss would average into one. It must return one logit per "
        "sample, shape (batch, 1), or a patch map (batch, height, width, 1). " + fix
    )


def check_logits_output(network, network_name, fix):
    """Raises `ValueError` unless `network` has one output of logits (see `check_logits_shape`).

    Subclassed models (no symbolic outputs) are not checked.
    """
    shapes = _output_shapes(network)
    if shapes is None:
        return
    if len(shapes) != 1:
        raise ValueError(
            f"The {network_name} {network.name!r} returns {len(shapes)} tensors {shapes}; "
            "it must return one tensor of logits, one per sample (batch, 1). " + fix
        )
    check_logits_shape(shapes[0], network_name, fix)


def check_generator_feeds_discriminator(generator, discriminator, model_name):
    """Raises `ValueError` if the generator's samples do not fit the discriminator's input."""
    outputs = _output_shapes(generator)
    inputs = getattr(discriminator, "inputs", None)
    if not outputs or not inputs:
        return
    produced, expected = outputs[0][1:], tuple(inputs[0].shape[1:])
    if not same_shape(produced, expected):
        raise ValueError(
            f"The generator outputs samples of shape (batch,) + {tuple(produced)}, but the "
            f"discriminator takes (batch,) + {expected}; {model_name} feeds one to the "
            "other. Build both networks for the same sample shape (e.g. the same "
            "`image_shape=`)."
        )


def _walk_operations(network, seen=None):
    """Every operation (layers and ops such as one_hot) of a network, nested ones included."""
    seen = set() if seen is None else seen
    children = getattr(network, "operations", None)
    if children is None and isinstance(network, keras.layers.Layer):
        children = network._flatten_layers(include_self=False, recursive=False)
    for child in children or []:
        if id(child) in seen or child is network:
            continue
        seen.add(id(child))
        yield child
        if isinstance(child, keras.layers.Layer):
            yield from _walk_operations(child, seen)


def class_counts_of(network):
    """`{layer name: number of classes}` of the label-handling parts of a network.

    Reads `Embedding.input_dim`, the depth of `one_hot` operations and the
    `num_classes` of layers that have one (e.g. conditional batch norm).
    """
    counts = {}
    for operation in _walk_operations(network):
        count = None
        if isinstance(operation, keras.layers.Embedding):
            count = operation.input_dim
        elif type(operation).__name__ == "OneHot":
            count = getattr(operation, "num_classes", None)
        else:
            count = getattr(operation, "num_classes", None)
        if isinstance(count, (int, np.integer)) and not isinstance(count, bool):
            counts[operation.name] = int(count)
    return counts


def check_network_classes(network, num_classes, network_name, builder_hint=""):
    """Raises `ValueError` if `network` embeds or one-hot encodes another number of classes."""
    wrong = {name: count for name, count in class_counts_of(network).items() if count != num_classes}
    if not wrong:
        return
    name, count = next(iter(wrong.items()))
    raise ValueError(
        f"The {network_name} handles labels of {count} classes (layer {name!r}), but "
        f"num_classes={num_classes}: labels >= {count} would be embedded out of range "
        f"(NaN or garbage images). Build the networks with num_classes={num_classes}"
        f"{builder_hint}, or pass num_classes={count} to the model."
    )


# ------------------------------------------------------------ weights files
def read_weights_file_groups(path):
    """Top-level groups of a `.weights.h5` file; `ValueError` naming the fix if unreadable."""
    import h5py

    path = str(path)
    if not os.path.isfile(path):
        raise ValueError(f"Weights file {path!r} does not exist.")
    try:
        with h5py.File(path, "r") as f:
            return set(f.keys())
    except OSError as error:
        raise ValueError(
            f"Weights file {path!r} could not be read ({error}): it is truncated or not a "
            "Keras `.weights.h5` file. Save it again with `model.save_weights(path)`, or "
            "copy or download it again."
        ) from None


def check_moving_average_in_weights_file(model, path):
    """Raises `ValueError` when a weights file and `model` disagree on keeping a generator EMA.

    Keras would silently drop a moving average the model does not keep, and
    refuse with an unclear message a file without one.
    """
    if not str(path).endswith(".h5"):
        return
    holds = "ema_model" in read_weights_file_groups(path)
    keeps = getattr(model, "ema_model", None) is not None
    name = type(model).__name__
    if holds and not keeps:
        raise ValueError(
            f"{path!r} holds a moving average of the generator, but this {name} keeps "
            "none, so it would be dropped. Build the model with `ema_decay=` (e.g. "
            f"{name}(..., ema_decay=0.999)) or call `model.enable_ema()` before loading "
            "(`keras_gen.presets.load_weights_file` does so), or train with "
            "`keras_gen.callbacks.GeneratorEMA`."
        )
    if keeps and not holds:
        raise ValueError(
            f"{path!r} holds no moving average of the generator, but this {name} keeps "
            "one (`ema_decay=`). Build the model without `ema_decay` to load these "
            "weights, then call `model.enable_ema()` to start an average from them."
        )


# ----------------------------------------------------------- in the step
# Data that `fit()` cannot read beforehand (a `tf.data` pipeline, a Python
# generator) are checked inside the train step, with `keras.ops` only, so the
# check runs under TF graphs, JAX jit and torch eager alike. A batch that
# fails is replaced by NaN, so that the trainer's non-finite guard leaves the
# phases that use it exactly as they were; what failed is recorded in the
# model's `DataCheckState`, and `DataCheckMonitor` (added by `fit()`) stops
# training with a `ValueError` that names the epoch, the step and the value.

_LABELS, _ONE_HOT, _IMAGES = 1.0, 2.0, 3.0
_FAILED, _CODE, _VALUE, _COUNT, _STEP, _IMAGE_BATCHES, _UNIT_BATCHES = range(7)


class DataCheckState(keras.metrics.Metric):
    """What the in-step data checks found since `fit()` started.

    A metric so that every backend carries it through the train step (JAX
    threads it in the training state) and it is not saved with the weights.
    Holds the first failure (`[failed, code, value, count, step]`), and how
    many image batches were checked and how many of them were in [0, 1].
    `reset_metrics()` leaves it alone (it must outlive the validation pass at
    the end of an epoch); `DataCheckMonitor` clears it when `fit()` starts.
    """

    def __init__(self, name="data_check", **kwargs):
        super().__init__(name=name, **kwargs)
        self.record = self.add_variable(
            shape=(7,), initializer="zeros", dtype="float32", name="record"
        )
        # What each failure code was checking, e.g. (code, "Labels"): static.
        self.subjects = _Subjects()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError("DataCheckState is written by the in-step data checks.")

    def result(self):
        return self.record[_FAILED]

    def reset_state(self):
        """Kept between epochs; see `clear`."""

    def clear(self):
        self.record.assign(ops.zeros((7,), "float32"))

    def record_failure(self, bad, code, value, count, step):
        """Keeps the first failure: `bad` a scalar boolean tensor, the rest scalars."""
        record = self.record.value
        first = ops.logical_and(bad, ops.equal(record[_FAILED], 0.0))
        entry = ops.stack(
            [
                ops.ones((), "float32"),
                ops.convert_to_tensor(code, "float32"),
                ops.cast(value, "float32"),
                ops.cast(count, "float32"),
                ops.cast(step, "float32"),
            ]
        )
        head = ops.where(first, entry, record[:_IMAGE_BATCHES])
        self.record.assign(ops.stop_gradient(ops.concatenate([head, record[_IMAGE_BATCHES:]])))

    def record_image_batch(self, unit_range):
        record = self.record.value
        counts = record[_IMAGE_BATCHES:] + ops.stack(
            [ops.ones((), "float32"), ops.cast(unit_range, "float32")]
        )
        self.record.assign(ops.stop_gradient(ops.concatenate([record[:_IMAGE_BATCHES], counts])))


class _Subjects:
    """Failure code -> what was checked (a plain object: not tracked by Keras)."""

    def __init__(self):
        self.names = {}

    def code(self, kind, what):
        key = (kind, what)
        if key not in self.names:
            self.names[key] = float(kind * 100 + len(self.names))
        return self.names[key]

    def lookup(self, code):
        for (kind, what), value in self.names.items():
            if value == code:
                return kind, what
        return None, None


def _state_of(model):
    return getattr(model, "data_check", None)


def _step_of(model):
    optimizer = getattr(model, "optimizer", None)
    iterations = getattr(optimizer, "iterations", None)
    if iterations is None:
        return ops.zeros(())
    return ops.cast(ops.convert_to_tensor(iterations), "float32")


def _poison(tensor, bad):
    tensor = ops.convert_to_tensor(tensor)
    return ops.where(bad, ops.cast(float("nan"), tensor.dtype), tensor)


def guard_labels_in_step(model, labels, num_classes, images, what="Labels"):
    """Checks class indices inside the train step.

    Args:
        model: the model (its `data_check` state records a failure).
        labels: int tensor `(batch,)`.
        num_classes: labels must lie in `[0, num_classes)`.
        images: the batch the labels belong to.
        what: what the labels are, for the message.

    Returns:
        `(labels, images)`: the labels with any index out of range replaced by
        0 (so that no lookup fails), and the images, all NaN when any label
        was out of range (so the step's updates from them are not applied).
    """
    state = _state_of(model)
    if state is None:
        return labels, images
    labels = ops.convert_to_tensor(labels)
    outside = ops.logical_or(ops.less(labels, 0), ops.greater_equal(labels, num_classes))
    bad = ops.any(outside)
    first = ops.take(labels, ops.argmax(ops.cast(outside, "int32")))
    count = ops.sum(ops.cast(outside, "int32"))
    state.record_failure(bad, state.subjects.code(_LABELS, what), first, count, _step_of(model))
    return ops.where(outside, ops.zeros_like(labels), labels), _poison(images, bad)


def guard_one_hot_in_step(model, one_hot, images, what="Labels"):
    """Checks one-hot rows `(batch, num_classes)` inside the train step (see `guard_labels_in_step`).

    A row is valid when its entries are 0 or 1 and sum to 1. Returns
    `(one_hot, images)`, the images all NaN when a row was not valid.
    """
    state = _state_of(model)
    if state is None:
        return one_hot, images
    rows = ops.cast(one_hot, "float32")
    binary = ops.all(ops.logical_or(ops.equal(rows, 0.0), ops.equal(rows, 1.0)), axis=-1)
    invalid = ops.logical_not(ops.logical_and(binary, ops.equal(ops.sum(rows, axis=-1), 1.0)))
    bad = ops.any(invalid)
    row = ops.argmax(ops.cast(invalid, "int32"))
    count = ops.sum(ops.cast(invalid, "int32"))
    state.record_failure(bad, state.subjects.code(_ONE_HOT, what), row, count, _step_of(model))
    return one_hot, _poison(images, bad)


def guard_images_in_step(model, images, what="Images"):
    """Checks that a batch of images lies in [-1, 1] inside the train step.

    Batches of rank < 4 (not images, e.g. 2-D points) pass unchecked. A batch
    beyond +-1.5 (e.g. [0, 255] pixel values) is a failure: it is returned as
    NaN. Batches in [0, 1] are counted, for the warning `DataCheckMonitor`
    gives after the first step.
    """
    state = _state_of(model)
    images = ops.convert_to_tensor(images)
    if state is None or len(images.shape) < 4:
        return images
    values = ops.cast(images, "float32")
    low, high = ops.min(values), ops.max(values)
    finite = ops.logical_and(ops.isfinite(low), ops.isfinite(high))
    outside = ops.logical_or(ops.greater(high, IMAGE_VALUE_LIMIT), ops.less(low, -IMAGE_VALUE_LIMIT))
    bad = ops.logical_and(finite, outside)
    value = ops.where(ops.greater(high, IMAGE_VALUE_LIMIT), high, low)
    state.record_failure(bad, state.subjects.code(_IMAGES, what), value, low, _step_of(model))
    state.record_image_batch(ops.logical_and(finite, ops.greater_equal(low, 0.0)))
    return _poison(images, bad)


def _failure_message(model, kind, what, value, count, where):
    name = type(model).__name__
    if kind == _LABELS:
        last = int(model.num_classes) - 1
        return (
            f"{what} must be class indices in [0, {last}], but the batch of {where} holds "
            f"label {int(value)} ({int(count)} label(s) out of range). Fix the labels in "
            f"the pipeline (map your classes to 0..{last}, or filter the others out), or "
            f"build the networks and the model with num_classes={max(int(value) + 1, last + 1)}."
        )
    if kind == _ONE_HOT:
        return (
            f"{what} of the batch of {where} are read as one-hot rows, but row "
            f"{int(value)} ({int(count)} row(s) in all) is not one-hot (exactly one 1, "
            f"zeros elsewhere). Pass class indices in [0, {int(model.num_classes) - 1}] "
            "instead, or fix the rows in the pipeline."
        )
    low = float(count)
    return (
        f"{what} of the batch of {where} reach {value:g}, but {name} expects floats in "
        "[-1, 1]. "
        + (
            "They look like [0, 255] pixel values: scale them in the pipeline, e.g. "
            "`dataset.map(lambda x: x / 127.5 - 1)` (or "
            "`keras_gen.datasets.scale_images(x, value_range=(0, 255))` for arrays)."
            if low >= 0
            else "Rescale them to [-1, 1] in the pipeline "
            "(`keras_gen.datasets.scale_images` for arrays)."
        )
    )


class DataCheckMonitor(keras.callbacks.Callback):
    """Stops `fit()` with a `ValueError` when a batch fails an in-step data check.

    The step has already replaced the batch by NaN, so the trainer's
    non-finite guard did not apply the updates computed from it; the state
    is read after the first step, whenever a logged value is not finite
    (cheap: no read otherwise), and at the end of each epoch. After the
    first step it also warns when that batch of images was in [0, 1]
    (`warn_unit_range`; `fit()` turns it off for NumPy data, which it checks
    beforehand). Added by `GenerativeModel.fit`, before `NonFiniteLossMonitor`.
    """

    def __init__(self, warn_unit_range=True):
        super().__init__()
        self.warn_unit_range = warn_unit_range
        self.epoch = 0
        self.epoch_start = 0
        self.checked_first = False

    def _state(self):
        return _state_of(self.model)

    def on_train_begin(self, logs=None):
        self.checked_first = False
        state = self._state()
        if state is not None:
            state.clear()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        self.epoch_start = 0 if iterations is None else int(ops.convert_to_numpy(iterations))

    def on_train_batch_end(self, batch, logs=None):
        if self.checked_first and _all_finite(logs):
            return
        first = not self.checked_first
        self.checked_first = True
        record = self._read()
        if record is None:
            return
        self._raise_if_failed(record)
        if first and self.warn_unit_range:
            if record[_IMAGE_BATCHES] > 0 and record[_UNIT_BATCHES] == record[_IMAGE_BATCHES]:
                warnings.warn(
                    f"The first batch of images is in [0, 1], but {type(self.model).__name__} "
                    "expects floats in [-1, 1] (its outputs, losses and reconstructions "
                    "assume that range). Scale them in the pipeline, e.g. "
                    "`dataset.map(lambda x: x * 2 - 1)`.",
                    UserWarning,
                    stacklevel=2,
                )

    def on_epoch_end(self, epoch, logs=None):
        record = self._read()
        if record is not None:
            self._raise_if_failed(record, during_epoch=True)

    def _read(self):
        state = self._state()
        if state is None:
            return None
        return np.asarray(ops.convert_to_numpy(state.record), dtype="float64")

    def _raise_if_failed(self, record, during_epoch=False):
        if record[_FAILED] == 0:
            return
        self.model.stop_training = True
        state = self._state()
        kind, what = state.subjects.lookup(record[_CODE])
        step = int(record[_STEP]) - self.epoch_start + 1
        where = f"epoch {self.epoch + 1}, step {step}"
        if during_epoch:
            where = f"epoch {self.epoch + 1} (training or validation data)"
        message = _failure_message(
            self.model, kind, what or "Data", record[_VALUE], record[_COUNT], where
        )
        state.clear()
        raise ValueError(
            message + " Training stopped; the updates computed from that batch were not "
            "applied, and the model can be trained further once the data are fixed."
        )


def _all_finite(logs):
    for value in (logs or {}).values():
        try:
            value = float(np.asarray(value))
        except (TypeError, ValueError):
            continue
        if not math.isfinite(value):
            return False
    return True
