"""MonitorDirections: which way each logged value improves, for Keras's monitoring callbacks."""

# The only containers in which Keras's `MonitorCallback` (the base of
# `ModelCheckpoint`, `EarlyStopping`, `ReduceLROnPlateau`) looks up a
# metric's `_direction`; Keras pins this module (keras>=3.15,<3.16).
from keras.src.trainers.compile_utils import MetricsList

DIRECTIONS = ("down", "up")


class _Direction:
    """One entry of `MonitorDirections`: what Keras reads of a metric (`name`, `_direction`)."""

    __slots__ = ("name", "_direction")

    def __init__(self, name, direction):
        self.name = name
        self._direction = direction

    def __repr__(self):
        return f"_Direction({self.name!r}, {self._direction!r})"


class MonitorDirections(MetricsList):
    """Declares which way values that a model logs improve ("down" or "up").

    With `mode="auto"` (the default), `keras.callbacks.ModelCheckpoint`,
    `EarlyStopping` and `ReduceLROnPlateau` decide whether the `monitor`ed
    value (`"g_loss"`, `"val_d_loss"`, `"fid"`) should fall or rise from the
    `_direction` of the model metric of that name, and fail without one.
    They look for it among the model's compiled metrics, where the loss
    trackers of a keras_gen model and the values a callback writes into the
    logs (FID from `keras_gen.callbacks.GenerativeMetrics`) are not. This
    list, a member of `model.metrics`, holds one entry per such name.

    It has no variables and no result, and resetting it does nothing: it
    changes nothing in training, in `fit()`'s logs or in saved files.
    `GenerativeModel.compile` declares every logged loss (`"down"`);
    `GenerativeMetrics` declares the metrics it computes.

    Example:

    >>> directions = keras_gen.metrics.MonitorDirections.of(model)
    >>> directions.declare("sharpness", "up")  # a value a callback logs
    >>> keras.callbacks.EarlyStopping(monitor="sharpness", patience=3)
    """

    def __init__(self, name="monitor_directions"):
        super().__init__([], name=name)

    @classmethod
    def of(cls, model):
        """The model's `MonitorDirections`, attached to it when it has none yet.

        Returns None for an object that cannot take one (not a Keras layer):
        monitors then need `mode=`.
        """
        directions = getattr(model, "_monitor_directions", None)
        if isinstance(directions, cls):
            return directions
        tracker = getattr(model, "_tracker", None)
        if tracker is None:
            return None
        # A built Keras model locks its state against new variables; this
        # member has none, so it may join after the build.
        locked = tracker.locked
        tracker.unlock()
        try:
            model._monitor_directions = cls()  # tracked: joins `model.metrics`
        finally:
            if locked:
                tracker.lock()
        return model._monitor_directions

    def declare(self, name, direction):
        """Declares that the logged value `name` improves going `direction` ("down"/"up")."""
        if direction not in DIRECTIONS:
            raise ValueError(f"A direction is 'down' or 'up'; received {direction!r} for {name!r}.")
        for entry in self.metrics:
            if entry.name == name:
                entry._direction = direction
                return
        self.metrics.append(_Direction(name, direction))

    def direction(self, name):
        """The declared direction of `name` ("down"/"up"), or None."""
        for entry in self.metrics:
            if entry.name == name:
                return entry._direction
        return None

    def update_state(self, *args, **kwargs):
        pass

    def reset_state(self):
        pass

    def result(self):
        return {}

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def declare_directions(model, directions):
    """Declares `{name: "down" | "up"}` on `model`; False if it cannot take them."""
    declared = MonitorDirections.of(model)
    if declared is None:
        return False
    for name, direction in directions.items():
        declared.declare(name, direction)
    return True

