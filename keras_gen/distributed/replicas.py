"""Which data-parallel replica is running: the one fact random draws need from the engine.

The engines differ in where a replica's code runs:

- TensorFlow `tf.distribute` (`MirroredStrategy`, `MultiWorkerMirroredStrategy`)
  runs the step once per replica, each on its share of the batch, with every
  variable mirrored: without help, every replica draws the same noise.
- PyTorch `torch.distributed` runs one process per rank, each with a full
  copy of the model and its seed: the same problem, one level up.
- JAX with `keras.distribution` runs one program over the global batch, so a
  draw of the batch's shape is already different on every device (and on
  every process of a multi-process run).

`replica_index()` is 0 outside a distributed step, so single-device runs draw
exactly what they drew before.
"""

import keras


def replica_index():
    """This replica's index among all replicas of all workers (0 when there is one).

    Returns:
        A Python int, or on TensorFlow inside a replica function a scalar
        int32 tensor (`tf.distribute.ReplicaContext.replica_id_in_sync_group`).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return 0
        return context.replica_id_in_sync_group
    if backend == "torch":
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            return dist.get_rank()
    return 0


def replica_count():
    """How many replicas take part in a step (1 outside a distributed run)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.distribute.get_strategy().num_replicas_in_sync
    if backend == "torch":
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_world_size()
    return 1
