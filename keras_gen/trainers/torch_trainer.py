"""PyTorch adapter: `loss.backward()` per phase, updates under `no_grad`."""

import torch

from keras_gen.trainers.base import PhaseTrainerMixin


def _require_grad_only(variables, phase_variables):
    """Limits autograd to the phase's weights (others still pass gradients through)."""
    wanted = {id(v) for v in phase_variables}
    for variable in variables:
        variable.value.requires_grad_(id(variable) in wanted)


class TorchPhaseTrainer(PhaseTrainerMixin):
    def train_step(self, data):
        trainable = self.trainable_variables
        try:
            for phase in self.phases():
                _require_grad_only(trainable, phase.variables)
                for _ in range(phase.repeats):
                    snapshot = self._snapshot_state()
                    for variable in phase.variables:
                        variable.value.grad = None
                    loss, logs = self.compute_phase_loss(phase.name, data, training=True)
                    loss.backward()
                    grads = [v.value.grad for v in phase.variables]
                    with torch.no_grad():
                        self._apply_phase(phase, loss.detach(), grads, snapshot)
                        self._update_trackers(logs)
        finally:
            _require_grad_only(trainable, trainable)
        with torch.no_grad():
            self._end_train_step()
        return self._tracker_results()

    def test_step(self, data):
        with torch.no_grad():
            return self._evaluate_phases(data)
