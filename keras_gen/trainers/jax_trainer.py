"""JAX adapter: the same stateful loss code, run in a `StatelessScope`.

`fit()` hands the step a state tuple (trainable, non-trainable, optimizer and
metric variable values). The whole step runs inside one `StatelessScope`
mapping every variable to its value, so losses, optimizers and trackers use
ordinary stateful Keras code; each phase's loss is differentiated with
`jax.value_and_grad` with respect to that phase's variables only, in a nested
scope whose updates (BatchNorm statistics, seed-generator state) are carried
back out. The new state is read from the scope at the end.
"""

import jax
import keras

from keras_gen.trainers.base import PhaseTrainerMixin


def _state_mapping(model, state, with_optimizer=True):
    groups = [model.trainable_variables, model.non_trainable_variables]
    if with_optimizer:
        groups.append(model.optimizer.variables)
    groups.append(model.metrics_variables)
    mapping = []
    for variables, values in zip(groups, state):
        mapping.extend(zip(variables, values))
    return groups, mapping


class JAXPhaseTrainer(PhaseTrainerMixin):
    def train_step(self, state, data):
        groups, mapping = _state_mapping(self, state)
        with keras.StatelessScope(state_mapping=mapping) as scope:
            for phase in self.phases():
                for _ in range(phase.repeats):
                    self._run_phase(phase, data, scope)
            self._end_train_step()
            logs = self._tracker_results()
        new_state = tuple([scope.get_current_value(v) for v in group] for group in groups)
        return logs, new_state

    def _run_phase(self, phase, data, scope):
        variables = phase.variables

        def loss_fn(values):
            inner = keras.StatelessScope()
            inner.state_mapping = dict(scope.state_mapping)
            for variable, value in zip(variables, values):
                inner.state_mapping[id(variable)] = value
            with inner:
                loss, logs = self.compute_phase_loss(phase.name, data, training=True)
            return loss, (logs, inner.state_mapping)

        snapshot = self._snapshot_state()
        values = [scope.get_current_value(v) for v in variables]
        (loss, (logs, updated)), grads = jax.value_and_grad(loss_fn, has_aux=True)(values)
        scope.state_mapping.update(updated)
        self._apply_phase(phase, loss, grads, snapshot, logs)
        self._update_trackers(logs)

    def test_step(self, state, data):
        groups, mapping = _state_mapping(self, state, with_optimizer=False)
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self._evaluate_phases(data)
        new_state = tuple([scope.get_current_value(v) for v in group] for group in groups)
        return logs, new_state


def snapshot_model_state(model):
    """References to every variable's value (JAX arrays are immutable: no copy)."""
    variables = list(model.variables)
    if getattr(model, "optimizer", None) is not None:
        variables += list(model.optimizer.variables)
    variables += list(model.metrics_variables)
    return [(v, v.value) for v in variables]


def restore_purged_state(snapshot):
    """Gives back their values to variables that `fit()` purged before failing.

    Keras's JAX `fit` moves variable values into the training state and
    empties the variables; an error while tracing the first step would
    leave the model without weights.
    """
    for variable, value in snapshot:
        if getattr(variable, "_value", None) is None:
            variable.assign(value)
