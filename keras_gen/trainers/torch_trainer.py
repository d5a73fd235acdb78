"""PyTorch adapter: `loss.backward()` per phase, updates under `no_grad`."""

import torch

from keras_gen.trainers.base import PhaseTrainerMixin


def _require_grad_only(variables, phase_variables):
    """Limits autograd to the phase's weights (others still pass gradients through)."""
    wanted = {id(v) for v in phase_variables}
    for variable in variables:
        variable.value.requires_grad_(id(variable) in wanted)


class TorchPhaseTrainer(PhaseTrainerMixin):
    def _apply_phase(self, phase, loss, grads, snapshot, logs=None):
        # Eager execution can branch on the data: one fused finiteness check
        # (NaN/Inf in any gradient makes its norm non-finite) instead of the
        # per-tensor `where` of the graph backends, and a non-finite step is
        # skipped outright.
        grads = [torch.zeros_like(v.value) if g is None else g for g, v in zip(grads, phase.variables)]
        norms = torch._foreach_norm(grads) if grads else []
        total = loss.float().sum() + (torch.stack(norms).sum() if norms else 0.0)
        gate = self._phase_gate(phase, logs or {})
        self._record_gate(phase, gate)
        if gate is not None and not bool(gate):
            return
        if bool(torch.isfinite(total)):
            self.optimizer[phase.optimizer].apply(grads, phase.variables)
            if phase.constraint is not None:
                for variable in phase.variables:
                    variable.assign(phase.constraint(variable.value))
        else:
            for variable, old_value in snapshot:
                variable.assign(old_value)

    def train_step(self, data):
        trainable = self.trainable_variables
        try:
            for phase in self.phases():
                due = self.phase_is_due(phase)
                if due is not None and not bool(due):
                    continue
                _require_grad_only(trainable, phase.variables)
                for _ in range(phase.repeats):
                    snapshot = self._snapshot_state()
                    for variable in phase.variables:
                        variable.value.grad = None
                    loss, logs = self.compute_phase_loss(phase.name, data, training=True)
                    loss.backward()
                    grads = [v.value.grad for v in phase.variables]
                    with torch.no_grad():
                        self._apply_phase(phase, loss.detach(), grads, snapshot, logs)
                        self._update_trackers(logs)
        finally:
            _require_grad_only(trainable, trainable)
        with torch.no_grad():
            self._end_train_step()
        return self._tracker_results()

    def test_step(self, data):
        with torch.no_grad():
            return self._evaluate_phases(data)
