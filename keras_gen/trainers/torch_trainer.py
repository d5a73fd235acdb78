"""PyTorch adapter: `loss.backward()` per phase, updates under `no_grad`."""

import torch

from keras_gen.trainers.base import PhaseTrainerMixin


class TorchPhaseTrainer(PhaseTrainerMixin):
    def train_step(self, data):
        for phase in self.phases():
            for _ in range(phase.repeats):
                snapshot = self._snapshot_state()
                for variable in self.trainable_variables:
                    variable.value.grad = None
                loss, logs = self.compute_phase_loss(phase.name, data, training=True)
                loss.backward()
                grads = [v.value.grad for v in phase.variables]
                with torch.no_grad():
                    self._apply_phase(phase, loss.detach(), grads, snapshot)
                    self._update_trackers(logs)
        with torch.no_grad():
            self._end_train_step()
        return self._tracker_results()

    def test_step(self, data):
        with torch.no_grad():
            return self._evaluate_phases(data)
