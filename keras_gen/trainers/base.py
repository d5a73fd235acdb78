"""Backend-neutral parts of the phase trainers.

The adapters in `tensorflow_trainer.py`, `jax_trainer.py` and
`torch_trainer.py` differ only in how they obtain gradients; everything they
do with them (skipping non-finite steps, applying the phase's optimizer and
constraint, updating loss trackers) lives here, written with `keras.ops` and
`Variable.assign`, which also works inside JAX's stateless scope.
"""

import contextlib

from keras import ops


class PhaseTrainerMixin:
    """Shared helpers for the per-backend `train_step`s.

    Expects the model to provide `phases()`, `compute_phase_loss()`,
    `_loss_trackers` (dict name -> `keras.metrics.Mean`) and an
    `OptimizerGroup` as `optimizer`.
    """

    @contextlib.contextmanager
    def fit_guard(self, x, batch_size):
        """Wraps `fit()`: checks what the backend needs, restores on failure.

        The default does nothing; a backend trainer overrides it.
        """
        yield

    def phase_is_due(self, phase):
        """Whether `phase` runs in this step (a scalar boolean tensor), or None: always.

        A phase with `interval = k > 1` runs on the steps whose index (the
        group's step counter, from 0) is a multiple of k.
        """
        if phase.interval == 1:
            return None
        step = ops.convert_to_tensor(self.optimizer.iterations)
        return ops.equal(step % phase.interval, 0)

    def _guarded_state_variables(self):
        """Float non-trainable variables restored when a step is not finite."""
        excluded = {id(v) for v in self._variables_excluded_from_guard()}
        return [
            v
            for v in self.non_trainable_variables
            if "float" in str(v.dtype) and id(v) not in excluded
        ]

    def _variables_excluded_from_guard(self):
        return []

    def _snapshot_state(self):
        return [(v, ops.copy(v.value)) for v in self._guarded_state_variables()]

    def _phase_gate(self, phase, logs):
        """Whether this phase's update should apply (None: always).

        A phase whose name is in `self.phase_thresholds` (set by
        `keras_gen.callbacks.AdaptiveSchedule`) trains only while its
        monitored loss is above the threshold. The fraction of applied
        updates is logged as `<phase>_update_rate` when that tracker exists.
        """
        rule = getattr(self, "phase_thresholds", None) or {}
        rule = rule.get(phase.name)
        if rule is None:
            return None
        log_name, threshold = rule
        return ops.greater(ops.convert_to_tensor(logs[log_name]), threshold)

    def _record_gate(self, phase, gate):
        tracker = self._loss_trackers.get(f"{phase.name}_update_rate")
        if tracker is not None and gate is not None:
            tracker.update_state(ops.cast(gate, "float32"))

    def _apply_phase(self, phase, loss, grads, snapshot, logs=None):
        """Applies one phase's gradients, skipping the update if not finite.

        A step whose loss or gradients contain NaN/Inf applies zero gradients
        and restores normalization statistics to their values before the
        step, so no non-finite value is written into the model; the
        non-finite loss is logged, and `fit()` stops after that step. A
        phase closed by its gate (see `_phase_gate`) leaves its weights and
        optimizer state exactly as they were.
        """
        grads = [ops.zeros_like(v) if g is None else g for g, v in zip(grads, phase.variables)]
        finite = ops.all(ops.isfinite(loss))
        for g in grads:
            finite = ops.logical_and(finite, ops.all(ops.isfinite(g)))
        grads = [ops.where(finite, g, ops.zeros_like(g)) for g in grads]
        optimizer = self.optimizer[phase.optimizer]
        gate = self._phase_gate(phase, logs or {})
        if gate is not None:
            kept = [(v, ops.copy(v.value)) for v in list(phase.variables) + list(optimizer.variables)]
        optimizer.apply(grads, phase.variables)
        if phase.constraint is not None:
            for variable in phase.variables:
                variable.assign(phase.constraint(variable.value))
        for variable, old_value in snapshot:
            variable.assign(ops.where(finite, variable.value, old_value))
        if gate is not None:
            for variable, old_value in kept:
                variable.assign(ops.where(gate, variable.value, old_value))
            self._record_gate(phase, gate)

    def _update_trackers(self, logs):
        for name, value in logs.items():
            tracker = self._loss_trackers.get(name)
            if tracker is not None:
                tracker.update_state(ops.stop_gradient(value))

    def _tracker_results(self):
        return {name: tracker.result() for name, tracker in self._loss_trackers.items()}

    def _end_train_step(self):
        """Advances the step counter and runs per-step hooks (e.g. EMA)."""
        self.optimizer.iterations.assign_add(1)
        self.after_train_step()

    def after_train_step(self):
        """Hook run inside every train step after all phases (default: none)."""

    def _evaluate_phases(self, data):
        for phase in self.phases():
            _, logs = self.compute_phase_loss(phase.name, data, training=False)
            self._update_trackers(logs)
        return self._tracker_results()
