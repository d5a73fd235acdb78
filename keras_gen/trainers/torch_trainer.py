"""PyTorch adapter: `loss.backward()` per phase, updates under `no_grad`.

Under an initialized `torch.distributed` process group of more than one rank
the step is data parallel (see `keras_gen/trainers/torch_distributed.py`):
variables are copied from rank 0 before the first step, and each phase's
gradients, loss and logs are averaged over ranks before the update. Without
one it is the single-process step, unchanged.
"""

import contextlib

import torch

from keras_gen.trainers import torch_distributed
from keras_gen.trainers.base import PhaseTrainerMixin


def _require_grad_only(variables, phase_variables):
    """Limits autograd to the phase's weights (others still pass gradients through)."""
    wanted = {id(v) for v in phase_variables}
    for variable in variables:
        variable.value.requires_grad_(id(variable) in wanted)


class TorchPhaseTrainer(PhaseTrainerMixin):
    # Eager execution can branch on the data: a step that does not apply is
    # skipped outright instead of computed and discarded, and one fused
    # finiteness check covers all gradients.
    def _all_finite(self, tensors):
        if not tensors:
            return torch.tensor(True)
        # NaN/Inf in any tensor makes its norm non-finite (one fused kernel;
        # 20x faster on CPU than the max-norm).
        norms = torch._foreach_norm(tensors)
        return torch.isfinite(torch.stack(norms).sum())

    def _apply_if(self, condition, update, variables):
        if bool(condition):
            update()

    def _keep_if(self, condition, kept):
        if not bool(condition):
            for variable, old_value in kept:
                variable.assign(old_value)

    @contextlib.contextmanager
    def fit_guard(self, x, batch_size):
        """Under `torch.distributed`, checks that every rank will run the same number of steps."""
        torch_distributed.check_equal_steps(x, batch_size)
        yield

    def train_step(self, data):
        distributed = torch_distributed.world_size() > 1
        if distributed:
            torch_distributed.synchronize_model(self)
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
                    self._loss_to_differentiate(phase, loss).backward()
                    grads = [v.value.grad for v in phase.variables]
                    with torch.no_grad():
                        loss = loss.detach()
                        if distributed:
                            loss, logs, grads = torch_distributed.average_phase(
                                loss, logs, grads, phase.variables
                            )
                        valid = self._apply_phase(phase, loss, grads, snapshot, logs)
                        self._update_trackers(logs, valid)
        finally:
            _require_grad_only(trainable, trainable)
        with torch.no_grad():
            self._end_train_step()
        return self._tracker_results()

    def test_step(self, data):
        with torch.no_grad():
            return self._evaluate_phases(data)
