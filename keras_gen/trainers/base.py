"""Backend-neutral parts of the phase trainers.

The adapters in `tensorflow_trainer.py`, `jax_trainer.py` and
`torch_trainer.py` differ only in how they obtain gradients; everything they
do with them (skipping non-finite steps exactly, dynamic loss scaling,
applying the phase's optimizer and constraint, updating loss trackers) lives
here, written with `keras.ops` and `Variable.assign`, which also works inside
JAX's stateless scope.
"""

import contextlib

from keras import backend
from keras import ops
from keras.optimizers import LossScaleOptimizer

from keras_gen.trainers.phase_gate import PhaseGate


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

    def set_phase_gates(self, thresholds):
        """Gates phases on their own losses until the current `fit()` ends.

        `thresholds` maps a phase name to `(log_name, threshold)`: that
        phase's update applies only in steps whose `log_name` is above
        `threshold` (see `_phase_gate`), and `fit()` logs the fraction of
        applied updates as `<phase>_update_rate`.
        `keras_gen.callbacks.AdaptiveSchedule` calls this when `fit()`
        attaches it, before the train function is made; `fit()` removes
        the gates when it returns or raises.

        Each threshold is a variable (`PhaseGate.threshold`) read when the
        step runs, so `fit()` calls with the same gated phases and monitors
        reuse one compiled step, whatever the thresholds; other gated phases
        or monitors (or none) trace the step anew.
        """
        gates = self.__dict__.setdefault("_phase_gate_trackers", {})
        self.phase_gates = {name: monitor for name, (monitor, _) in thresholds.items()}
        for phase_name, (_, threshold) in thresholds.items():
            name = f"{phase_name}_update_rate"
            # The same tracker every time: a reused traced step refers to it.
            if name not in gates:
                gates[name] = PhaseGate(name)
            gates[name].threshold.assign(threshold)
            self._loss_trackers[name] = gates[name]

    def clear_phase_gates(self):
        """Removes the gates of `set_phase_gates` (the traced step is kept)."""
        for name in self.__dict__.get("_phase_gate_trackers", {}):
            self._loss_trackers.pop(name, None)
        self.phase_gates = {}

    def make_train_function(self, force=False):
        gates = dict(getattr(self, "phase_gates", None) or {})
        if gates != getattr(self, "_traced_phase_gates", {}):
            force = True
        self._traced_phase_gates = gates
        if force or self.train_function is None:
            self._before_tracing_train_step()
        return super().make_train_function(force=force)

    def _before_tracing_train_step(self):
        """Called before the train step is traced anew; a backend may drop its caches."""

    def _phase_gate(self, phase, logs):
        """Whether this phase's update should apply (None: always).

        A phase whose name is in `self.phase_gates` (see
        `set_phase_gates`) trains only while its monitored loss is above its
        gate's threshold. The fraction of applied updates is logged as
        `<phase>_update_rate`.
        """
        log_name = (getattr(self, "phase_gates", None) or {}).get(phase.name)
        if log_name is None:
            return None
        gate = self._loss_trackers[f"{phase.name}_update_rate"]
        return ops.greater(ops.convert_to_tensor(logs[log_name]), gate.threshold.value)

    def _record_gate(self, phase, gate):
        tracker = self._loss_trackers.get(f"{phase.name}_update_rate")
        if tracker is not None and gate is not None:
            tracker.update_state(ops.cast(gate, "float32"))

    def _loss_to_differentiate(self, phase, loss):
        """The loss whose gradients `_apply_phase` receives for `phase`.

        The loss in float32, multiplied by the loss scale when the phase's
        optimizer is a `keras.optimizers.LossScaleOptimizer` (dynamic loss
        scaling under `mixed_float16`; each optimizer keeps its own scale).
        """
        loss = ops.cast(loss, "float32")
        optimizer = self.optimizer[phase.optimizer]
        if isinstance(optimizer, LossScaleOptimizer):
            return optimizer.scale_loss(loss)
        return loss

    def _apply_phase(self, phase, loss, grads, snapshot, logs=None):
        """Applies one phase's gradients, or leaves the phase exactly as it was.

        The update applies only when the phase's total loss `loss` and all
        its gradients are finite and its gate (see `_phase_gate`) is open.
        Otherwise the phase's variables and every variable of its optimizer
        (step count, moments) keep their values from before the update, bit
        for bit; when the loss or gradients are not finite, the guarded
        non-trainable state in `snapshot` (e.g. BatchNorm statistics) is
        restored as well, so no non-finite value is written into the model.

        Under dynamic loss scaling (the phase's optimizer is a
        `keras.optimizers.LossScaleOptimizer`, as `compile()` sets up under
        `mixed_float16`), `grads` are those of the scaled loss
        (`_loss_to_differentiate`) and are unscaled for the inner optimizer.
        Non-finite gradients with a finite loss are an overflow, expected
        under float16: the update is skipped as above and the loss scale
        halves; after `dynamic_growth_steps` applied updates in a row it
        doubles. A step with a non-finite loss or a closed gate leaves the
        scale as it was.

        Returns:
            A scalar boolean tensor: False when the step is an error, i.e.
            the unscaled loss, or (without loss scaling) a gradient, is not
            finite. Trainers pass it to `_update_trackers`, which then logs
            NaN for every value of the phase, so that `fit()`'s
            `NonFiniteLossMonitor` sees the phase's total, not only its parts.
        """
        grads = [ops.zeros_like(v) if g is None else g for g, v in zip(grads, phase.variables)]
        optimizer = self.optimizer[phase.optimizer]
        scaling = isinstance(optimizer, LossScaleOptimizer)
        gate = self._phase_gate(phase, logs or {})
        flags = [ops.all(ops.isfinite(loss)), self._all_finite(grads)]
        if gate is not None:
            flags.append(gate)
        flags = self._agree_across_replicas(flags)
        loss_finite, grads_finite = flags[0], flags[1]
        gate = flags[2] if gate is not None else None
        finite = ops.logical_and(loss_finite, grads_finite)
        applies = finite if gate is None else ops.logical_and(finite, gate)

        def update():
            if scaling:
                scale = optimizer.dynamic_scale.value
                unscaled = [
                    g if getattr(v, "overwrite_with_gradient", False)
                    else ops.divide(g, ops.cast(scale, g.dtype))
                    for g, v in zip(grads, phase.variables)
                ]
                optimizer.inner_optimizer.apply(unscaled, phase.variables)
            else:
                optimizer.apply(grads, phase.variables)
            if phase.constraint is not None:
                for variable in phase.variables:
                    variable.assign(phase.constraint(variable.value))

        self._apply_if(applies, update, list(phase.variables) + list(optimizer.variables))
        if scaling:
            attempted = loss_finite if gate is None else ops.logical_and(loss_finite, gate)
            _update_loss_scale(optimizer, attempted, grads_finite)
        self._keep_if(finite, snapshot)
        self._record_gate(phase, gate)
        return loss_finite if scaling else finite

    def _all_finite(self, tensors):
        """Whether every entry of every tensor is finite (a scalar boolean tensor)."""
        finite = ops.convert_to_tensor(True)
        for tensor in tensors:
            finite = ops.logical_and(finite, ops.all(ops.isfinite(tensor)))
        return finite

    def _agree_across_replicas(self, flags):
        """The flags, made equal on every replica (a backend with replicas overrides it)."""
        return flags

    def _apply_if(self, condition, update, variables):
        """Runs `update()`; where `condition` is False, `variables` keep their old values.

        Written as a selection (the update is computed, then discarded), so
        it runs unchanged in TF graphs, under JAX tracing and in replica
        contexts; XLA fuses the selection into the update. A backend may
        branch instead (a Python `if` on torch, `tf.cond` on one TF replica).
        """
        kept = [(v, ops.copy(v.value)) for v in _unique(variables)]
        update()
        self._keep_if(condition, kept)

    def _keep_if(self, condition, kept):
        """Where `condition` is False, assigns each `(variable, old value)` pair back."""
        for variable, old_value in kept:
            variable.assign(ops.where(condition, variable.value, old_value))

    def _update_trackers(self, logs, valid=None):
        """Adds a phase's logged values to their running means.

        With `valid` (from `_apply_phase`) False, every float value is
        logged as NaN: the phase's total loss or gradients were not finite,
        even if the parts it logs are.
        """
        for name, value in logs.items():
            tracker = self._loss_trackers.get(name)
            if tracker is None:
                continue
            value = ops.stop_gradient(ops.convert_to_tensor(value))
            if valid is not None and backend.is_float_dtype(value.dtype):
                value = ops.where(valid, value, ops.full_like(value, float("nan")))
            tracker.update_state(value)

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


def _unique(variables):
    seen = set()
    return [v for v in variables if not (id(v) in seen or seen.add(id(v)))]


def _update_loss_scale(optimizer, attempted, grads_finite):
    """Dynamic loss scaling of a `LossScaleOptimizer`, as Keras does it, as a selection.

    Where `attempted`: finite gradients count a step and double the scale
    after `dynamic_growth_steps` of them; non-finite ones halve it and reset
    the count. Otherwise the scale and count stay as they are.
    """
    counter = optimizer.step_counter
    scale = optimizer.dynamic_scale
    count = counter.value
    grow = ops.logical_and(grads_finite, ops.equal(count, optimizer.dynamic_growth_steps - 1))
    zero = ops.zeros_like(count)
    new_count = ops.where(grads_finite, ops.where(grow, zero, count + 1), zero)
    value = scale.value
    new_value = ops.where(grads_finite, ops.where(grow, value * 2.0, value), value * 0.5)
    counter.assign(ops.where(attempted, new_count, count))
    scale.assign(ops.where(attempted, new_value, value))
