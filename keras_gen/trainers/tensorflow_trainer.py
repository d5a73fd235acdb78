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

    def _tracker_results(self):
        results = super()._tracker_results()
        if _multi_worker(tf.distribute.get_strategy()):
            # Keras reduces every log with `strategy.reduce("MEAN", v, axis=0)`
            # under a multi-worker strategy, which refuses scalars: give each a
            # length-1 axis (the reduction removes it).
            return {name: tf.reshape(value, (1,)) for name, value in results.items()}
        return results

    def _run_phase(self, phase, data):
        # Under tf.distribute the optimizer sums gradients over replicas, so
        # each replica differentiates loss / replicas; trackers see the
        # unscaled loss so logs keep the single-device scale.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for _ in range(phase.repeats):
            snapshot = self._snapshot_state()
            with tf.GradientTape() as tape:
                loss, logs = self.compute_phase_loss(phase.name, data, training=True)
                replica_loss = loss / replicas if replicas > 1 else loss
                differentiated = self._loss_to_differentiate(phase, replica_loss)
            grads = tape.gradient(differentiated, phase.variables)
            valid = self._apply_phase(phase, loss, grads, snapshot, logs)
            self._update_trackers(logs, valid)

    def _apply_if(self, condition, update, variables):
        # On one replica a `tf.cond` skips the update instead of computing
        # and discarding it. Under tf.distribute the optimizer synchronises
        # replicas inside `update()`, which a cond branch may not do: there
        # the update is selected, as on JAX.
        if tf.distribute.get_strategy().num_replicas_in_sync > 1:
            return super()._apply_if(condition, update, variables)

        def run():
            update()
            return tf.constant(True)

        tf.cond(condition, run, lambda: tf.constant(False))

    def _agree_across_replicas(self, flags):
        # Under tf.distribute each replica sees its own part of the batch:
        # a step applies only where every replica found it finite, so that
        # mirrored weights and optimizer state stay equal.
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return flags
        failures = tf.stack([1.0 - tf.cast(flag, tf.float32) for flag in flags])
        failures = context.all_reduce(tf.distribute.ReduceOp.SUM, failures)
        return [failures[i] < 0.5 for i in range(len(flags))]

    def test_step(self, data):
        return self._evaluate_phases(data)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a strategy Keras builds the model from the first batch,
        # averaged over replicas with `strategy.reduce`, which a
        # multi-worker strategy refuses for a tuple such as (images, labels).
        # Building needs only shapes and dtypes: one replica's part will do.
        if iterator is not None and _multi_worker(self.distribute_strategy):
            for _, _, batches in iterator:
                batch = next(batches)
                data_batch = tf.nest.map_structure(
                    lambda value: self.distribute_strategy.experimental_local_results(value)[0]
                    if isinstance(value, tf.distribute.DistributedValues) else value,
                    batch,
                )
                break
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)


def _multi_worker(strategy):
    """Whether `strategy` is a `MultiWorkerMirroredStrategy` spanning several workers."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and (
        strategy.extended._in_multi_worker_mode()
    )
