"""ModelCheckpoint: Keras's checkpoint callback, written by the chief alone in a multi-process run."""

import os
import tempfile

import keras

from keras_gen.distributed.barrier import barrier
from keras_gen.distributed.environment import is_chief


class ModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """`keras.callbacks.ModelCheckpoint` for one process or many workers.

    Same arguments and behaviour as Keras's callback. In a multi-process run
    (`keras_gen.distributed.initialize()`) every worker passes the same
    callback and takes part in each save, but only the chief (rank 0) writes
    `filepath`; the others save to a scratch file that is deleted (on JAX,
    reading the weights is a collective every process must join), and all
    wait until the chief's checkpoint is complete. Every worker sees the same
    logs, so `save_best_only` decides alike everywhere.

    Example:

    ```python
    checkpoint = keras_gen.callbacks.ModelCheckpoint(
        "runs/gan_{epoch:03d}.weights.h5", save_weights_only=True)
    gan.fit(context.shard(x), batch_size=context.local_batch_size(64),
            epochs=20, callbacks=[checkpoint])
    ```
    """

    _scratch = None

    def _get_file_path(self, epoch, batch, logs):
        path = super()._get_file_path(epoch, batch, logs)
        if self._scratch is not None:
            return os.path.join(self._scratch, os.path.basename(path))
        return path

    def _save_model(self, epoch, batch, logs):
        if is_chief():
            super()._save_model(epoch, batch, logs)
        else:
            with tempfile.TemporaryDirectory() as scratch:
                self._scratch = scratch
                try:
                    super()._save_model(epoch, batch, logs)
                finally:
                    self._scratch = None
        barrier(getattr(self.model, "distribute_strategy", None))
