"""A Keras model trained with `fit` on fixed arrays, checked during its warm-up."""

import numpy as np

from contestants import loss_warnings


def _trainable_values(network):
    # Trainable weights only: BatchNorm statistics move without any update.
    import keras

    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in network.trainable_variables]


class FitContestant:
    """Times `model.fit` over `timed_data`, one epoch, after a checked warm-up.

    Args:
        model: a compiled `keras.Model`.
        networks: dict name -> sub-model whose trainable weights must change
            during the warm-up (e.g. the generator and the discriminator).
        optimizers: optimizers that must each make one update per warm-up step.
        warmup_data: array for the warm-up `fit` (traces or compiles the step).
        timed_data: array for every timed `fit`.
        batch_size: batch size of both.
        expected_logs: names that must appear in the training logs.
        extra_updates_allowed: accept optimizers that make more than one update
            per step (e.g. a lazy penalty's own discriminator update); fewer
            is still a warning.
        callbacks: Keras callbacks passed to every `fit` (warm-up and timed),
            so one-time work such as a metric's real-data statistics falls in
            the warm-up.
    """

    def __init__(
        self,
        model,
        networks,
        optimizers,
        warmup_data,
        timed_data,
        batch_size,
        expected_logs=(),
        extra_updates_allowed=False,
        callbacks=(),
    ):
        self.model = model
        self.networks = networks
        self.optimizers = optimizers
        self.warmup_data = warmup_data
        self.timed_data = timed_data
        self.batch_size = batch_size
        self.expected_logs = set(expected_logs)
        self.extra_updates_allowed = extra_updates_allowed
        self.callbacks = list(callbacks)

    def _fit(self, data):
        history = self.model.fit(data, batch_size=self.batch_size, epochs=1, shuffle=False,
                                 verbose=0, callbacks=self.callbacks)
        return {key: float(values[-1]) for key, values in history.history.items()}

    def warmup(self):
        """Trains on the warm-up data and checks that every network really trained.

        Returns:
            `{"warnings": [...]}`: non-finite or missing losses, networks whose
            weights did not change, optimizers that did not step once per batch.
        """
        import keras

        before = {name: _trainable_values(network) for name, network in self.networks.items()}
        losses = self._fit(self.warmup_data)
        problems = loss_warnings(losses, "in the warm-up")
        if not self.expected_logs <= set(losses):
            problems.append(f"missing {sorted(self.expected_logs - set(losses))} in the logs: {sorted(losses)}")
        for name, network in self.networks.items():
            after = _trainable_values(network)
            if all(np.array_equal(b, a) for b, a in zip(before[name], after)):
                problems.append(f"{name} weights did not change")
        expected_updates = -(-len(self.warmup_data) // self.batch_size)
        for optimizer in self.optimizers:
            steps = int(keras.ops.convert_to_numpy(optimizer.iterations))
            too_many = steps > expected_updates and not self.extra_updates_allowed
            if steps < expected_updates or too_many:
                problems.append(
                    f"optimizer {optimizer.name} made {steps} updates, expected {expected_updates} "
                    "(its state is not carried from step to step?)"
                )
        return {"warnings": problems}

    def run(self):
        """Trains one epoch on the timed data; returns the last logged losses."""
        losses = self._fit(self.timed_data)
        return {"losses": losses, "warnings": loss_warnings(losses, "while timing")}
