"""BackupAndRestore: Keras's resumable-fit callback, written by the chief alone in a multi-process run."""

import keras

from keras_gen.distributed.barrier import barrier
from keras_gen.distributed.environment import is_chief
from keras_gen.distributed.saving import chief_writes


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` for one process or many workers.

    Saves the model's weights and the epoch reached after every epoch (or
    every `save_freq` batches) in `backup_dir`, and when `fit` starts again
    with the same `backup_dir` it restores them and continues from that
    epoch; the backup is deleted when `fit` ends normally. With a keras_gen
    model the resumed run ends with the same weights as an uninterrupted one
    (seed states, image pools, the generator's average and every optimizer
    are weights).

    In a multi-process run (`keras_gen.distributed.initialize()`, any
    backend) every worker passes the same callback: only the chief (rank 0)
    writes and deletes the backup, the others wait until it is written, and
    every worker restores from it, so the
    workers resume from the same epoch with the same weights. `backup_dir`
    must therefore be storage that every worker reads (a shared or network
    filesystem, or a bucket path Keras can open); the local disk works when
    the workers share one host, as with `python -m
    keras_gen.distributed.launch`. Keras's own callback, given the same
    folder, would have every worker write the same files at once.

    On one process it behaves exactly as Keras's callback.

    Args:
        backup_dir: folder of the backup, seen by every worker.
        save_freq: `"epoch"`, or save every this many batches.
        double_checkpoint: also keep the previous backup, used if the last
            one cannot be read.
        delete_checkpoint: delete the backup when `fit` ends normally.

    Example:

    ```python
    context = keras_gen.distributed.initialize()
    with context.scope():
        gan = keras_gen.models.DCGAN(...)
        gan.compile()
    backup = keras_gen.callbacks.BackupAndRestore("/shared/run1/backup")
    gan.fit(context.shard(x), batch_size=context.local_batch_size(64),
            epochs=50, callbacks=[backup])  # run again after a failure: it resumes
    ```
    """

    def _save_model(self):
        # Every worker takes part in the save (on JAX, reading a weight is a
        # collective), and none goes on (and might fail and restart) before the
        # chief's backup is complete.
        strategy = getattr(self.model, "distribute_strategy", None)
        with chief_writes(self._weights_path, strategy) as target:
            if is_chief():
                super()._save_model()  # the weights and the epoch reached
            else:
                self.model.save_weights(target)

    def on_train_end(self, logs=None):
        if is_chief():
            super().on_train_end(logs)
        barrier(getattr(self.model, "distribute_strategy", None))
