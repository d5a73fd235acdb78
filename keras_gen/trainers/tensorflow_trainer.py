"""TensorFlow adapter: one `GradientTape` per phase."""

import tensorflow as tf

from keras_gen.trainers.base import PhaseTrainerMixin


class TensorFlowPhaseTrainer(PhaseTrainerMixin):
    def train_step(self, data):
        for phase in self.phases():
            due = self.phase_is_due(phase)
            if due is None:
                self._run_phase(phase, data)
                continue

            def run(phase=phase):
                self._run_phase(phase, data)
                return tf.constant(True)

            # Only the taken branch executes: a phase that is not due costs nothing.
            tf.cond(due, run, lambda: tf.constant(False))
        self._end_train_step()
        return self._tracker_results()

    def _run_phase(self, phase, data):
        # Under tf.distribute the optimizer sums gradients over replicas, so
        # each replica differentiates loss / replicas; trackers see the
        # unscaled loss so logs keep the single-device scale.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for _ in range(phase.repeats):
            snapshot = self._snapshot_state()
            with tf.GradientTape() as tape:
                loss, logs = self.compute_phase_loss(phase.name, data, training=True)
                scaled_loss = loss / replicas if replicas > 1 else loss
            grads = tape.gradient(scaled_loss, phase.variables)
            self._apply_phase(phase, loss, grads, snapshot, logs)
            self._update_trackers(logs)

    def test_step(self, data):
        return self._evaluate_phases(data)
