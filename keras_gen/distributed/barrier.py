"""`barrier()`: every process of a multi-process run waits here until all have arrived."""

import keras

from keras_gen.distributed.environment import current_context


def barrier(strategy=None):
    """Blocks until every process of the run has called `barrier()`; returns at once alone.

    Used where one process writes what the others then read (the chief's
    backup, `keras_gen.callbacks.BackupAndRestore`): after the barrier the
    write is complete on every worker.

    Args:
        strategy: on TensorFlow, the `MultiWorkerMirroredStrategy` of the run
            (default: the one `initialize()` created, else the strategy in
            scope).

    Example:

    ```python
    if keras_gen.distributed.is_chief():
        model.save_weights("/shared/run/latest.weights.h5")
    keras_gen.distributed.barrier()
    model.load_weights("/shared/run/latest.weights.h5")  # complete on every worker
    ```
    """
    context = current_context()
    if not context.distributed:
        return
    backend = keras.backend.backend()
    if backend == "torch":
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.barrier()
    elif backend == "jax":
        import jax
        from jax.experimental import multihost_utils

        if jax.process_count() > 1:
            multihost_utils.sync_global_devices("keras_gen.distributed.barrier")
    elif backend == "tensorflow":
        import tensorflow as tf

        strategy = strategy or context.strategy or tf.distribute.get_strategy()
        # A collective sum of ones: it completes only once every worker joined it.
        ones = strategy.run(lambda: tf.ones(()))
        strategy.reduce(tf.distribute.ReduceOp.SUM, ones, axis=None)
