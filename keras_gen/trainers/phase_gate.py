"""The tracker of a gated phase: its update rate, and its threshold as state."""

import keras


class PhaseGate(keras.metrics.Mean):
    """Mean of a phase's applied updates, holding the threshold that gates it.

    The threshold is a variable of the metric, so the compiled train step
    reads it at run time (on JAX it travels in the metrics state): a new
    threshold needs no new trace. `reset_state()`, called at every epoch,
    clears the mean and keeps the threshold.

    Args:
        name: the logged name, `<phase>_update_rate`.
    """

    def __init__(self, name):
        super().__init__(name=name)
        self.threshold = self.add_variable(
            shape=(), initializer="zeros", dtype="float32", name="threshold",
            aggregation="only_first_replica",
        )

    def reset_state(self):
        for variable in self.variables:
            if variable is not self.threshold:
                variable.assign(keras.ops.zeros(variable.shape, dtype=variable.dtype))
