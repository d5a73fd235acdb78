"""Checks inside the train step.

Data that `fit()` cannot read beforehand (a `tf.data` pipeline, a Python
generator) are checked inside the train step, with `keras.ops` only, so the
check runs under TF graphs, JAX jit and torch eager alike. A batch that
fails is replaced by NaN, so that the trainer's non-finite guard leaves the
phases that use it exactly as they were; what failed is recorded in the
model's `DataCheckState`, and `DataCheckMonitor` (added by `fit()`) stops
training with a `ValueError` that names the epoch, the step and the value.
"""

import math
import warnings

import keras
import numpy as np
from keras import ops

from keras_gen.models.validation.images import IMAGE_VALUE_LIMIT


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
