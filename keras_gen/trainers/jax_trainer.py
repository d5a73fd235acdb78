"""JAX adapter: the same stateful loss code, run in a `StatelessScope`.

`fit()` hands the step a state tuple (trainable, non-trainable, optimizer and
metric variable values). The whole step runs inside one `StatelessScope`
mapping every variable to its value, so losses, optimizers and trackers use
ordinary stateful Keras code; each phase's loss is differentiated with
`jax.value_and_grad` with respect to that phase's variables only, in a nested
scope whose updates (BatchNorm statistics, seed-generator state) are carried
back out. The new state is read from the scope at the end.
"""

import contextlib
import functools

import jax
import keras
import numpy as np

from keras_gen.trainers import data_specs
from keras_gen.trainers.base import PhaseTrainerMixin


def _state_groups(model, with_optimizer=True):
    groups = [model.trainable_variables, model.non_trainable_variables]
    if with_optimizer:
        groups.append(model.optimizer.variables)
    groups.append(model.metrics_variables)
    return groups


def _state_mapping(model, state, with_optimizer=True):
    groups = _state_groups(model, with_optimizer)
    mapping = []
    for variables, values in zip(groups, state):
        mapping.extend(zip(variables, values))
    return groups, mapping


def _scope_with(scope, variables, values):
    """A new `StatelessScope` holding `scope`'s state with `variables` set to `values`."""
    inner = keras.StatelessScope()
    inner.state_mapping = dict(scope.state_mapping)
    for variable, value in zip(variables, values):
        inner.state_mapping[id(variable)] = value
    return inner


class JAXPhaseTrainer(PhaseTrainerMixin):
    def _before_tracing_train_step(self):
        # jax.jit caches traces per function, and bound methods of one model
        # compare equal: a step traced with other Python-level settings (the
        # gated phases) of the same state structure would be served from the
        # cache. A fresh function object gets a fresh trace.
        self.__dict__["train_step"] = functools.partial(type(self).train_step, self)

    def train_step(self, state, data):
        groups, mapping = _state_mapping(self, state)
        with keras.StatelessScope(state_mapping=mapping) as scope:
            for phase in self.phases():
                due = self.phase_is_due(phase)
                if due is None:
                    self._run_phase(phase, data, scope)
                else:
                    self._run_phase_when_due(phase, data, scope, due)
            self._end_train_step()
            logs = self._tracker_results()
        new_state = tuple([scope.get_current_value(v) for v in group] for group in groups)
        return logs, new_state

    def _run_phase(self, phase, data, scope):
        for _ in range(phase.repeats):
            self._update_phase(phase, data, scope)

    def _run_phase_when_due(self, phase, data, scope, due):
        """Runs `phase` under `lax.cond`: when it is not due, none of its work executes.

        The branches carry only what a phase may change (its variables, its
        optimizer's state, non-trainable and metric variables); the rest is
        read from the enclosing scope. Fewer carried values, fewer copies on
        the steps that skip the phase.
        """
        changing = list(phase.variables) + list(self.optimizer[phase.optimizer].variables)
        changing += list(self.non_trainable_variables) + list(self.metrics_variables)
        seen = set()
        variables = [v for v in changing if not (id(v) in seen or seen.add(id(v)))]

        def run(values):
            inner = _scope_with(scope, variables, values)
            with inner:
                self._run_phase(phase, data, inner)
            return [inner.get_current_value(v) for v in variables]

        values = [scope.get_current_value(v) for v in variables]
        new_values = jax.lax.cond(due, run, lambda values: list(values), values)
        for variable, value in zip(variables, new_values):
            scope.state_mapping[id(variable)] = value

    def _update_phase(self, phase, data, scope):
        variables = phase.variables

        def loss_fn(values):
            inner = _scope_with(scope, variables, values)
            with inner:
                loss, logs = self.compute_phase_loss(phase.name, data, training=True)
                differentiated = self._loss_to_differentiate(phase, loss)
            return differentiated, (loss, logs, inner.state_mapping)

        snapshot = self._snapshot_state()
        values = [scope.get_current_value(v) for v in variables]
        (_, (loss, logs, updated)), grads = jax.value_and_grad(loss_fn, has_aux=True)(values)
        scope.state_mapping.update(updated)
        valid = self._apply_phase(phase, loss, grads, snapshot, logs)
        self._update_trackers(logs, valid)

    def test_step(self, state, data):
        groups, mapping = _state_mapping(self, state, with_optimizer=False)
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self._evaluate_phases(data)
        new_state = tuple([scope.get_current_value(v) for v in group] for group in groups)
        return logs, new_state

    @contextlib.contextmanager
    def fit_guard(self, x, batch_size):
        """Checks batches against the distribution; gives weights back on failure.

        Keras's JAX `fit` moves variable values into the training state and
        empties the variables; an error while tracing the first step (data
        that could not be checked before, e.g. a Python generator) would
        leave the model without weights.
        """
        check_distribution_batches(x, batch_size)
        # References to every value (JAX arrays are immutable: no copy).
        snapshot = [(v, v.value) for group in _state_groups(self) for v in group]
        try:
            yield
        except Exception:
            for variable, value in snapshot:
                if getattr(variable, "_value", None) is None:
                    variable.assign(value)
            raise


def check_distribution_batches(x, batch_size):
    """Under a JAX data-parallel distribution, batches must split evenly."""
    distribution = keras.distribution.distribution()
    if distribution is None:
        return
    devices = int(np.prod(distribution.device_mesh.shape))
    if devices <= 1:
        return
    count = data_specs.num_array_samples(x)
    if count is not None:
        batch_size = batch_size or 32
        sizes = {batch_size}
        if count % batch_size:
            sizes.add(count % batch_size)
    else:
        spec = data_specs.data_spec(x)
        first = spec[0][0] if spec else None
        if first is None:
            raise ValueError(
                f"Training on {devices} devices needs batches whose size is known "
                "and divides by the device count. Batch the dataset with "
                "`dataset.batch(batch_size, drop_remainder=True)`."
            )
        sizes = {first}
    bad = sorted(size for size in sizes if size % devices)
    if bad:
        raise ValueError(
            f"Training on {devices} devices needs every batch to divide by {devices}, "
            f"but batches of size {bad} would occur. Use a batch size that is a "
            f"multiple of {devices} and drop the last partial batch "
            "(`dataset.batch(batch_size, drop_remainder=True)`, or trim the array "
            "to a multiple of the batch size)."
        )
