"""Saving in a multi-process run: the chief writes, every worker takes part.

On JAX with several processes, reading a variable's value to save it is a
collective (every process must agree on it), so a save called on the chief
alone waits forever for the others. `chief_writes(path)` keeps every worker
in step: each one saves, the chief to `path`, the others to a scratch file
that is deleted, and they all wait until the chief's file is complete.
"""

import contextlib
import os
import tempfile

from keras_gen.distributed.barrier import barrier
from keras_gen.distributed.environment import is_chief


@contextlib.contextmanager
def chief_writes(path, strategy=None):
    """Yields where this worker writes `path`: `path` on the chief, a scratch path elsewhere.

    Call it on every worker. After the block, the scratch copy is deleted and
    every worker waits until the chief's write is complete (`barrier()`); on
    one process it yields `path` and returns at once.

    Args:
        path: the file or folder the chief writes.
        strategy: on TensorFlow, the run's strategy (see `barrier`).

    Example:

    ```python
    with keras_gen.distributed.chief_writes("runs/gan.keras") as target:
        gan.save(target)
    ```
    """
    if is_chief():
        yield path
    else:
        with tempfile.TemporaryDirectory() as scratch:
            yield os.path.join(scratch, os.path.basename(os.path.normpath(path)))
    barrier(strategy)


def save_model(model, filepath, **kwargs):
    """`model.save(filepath)` on the chief, called on every worker (see `chief_writes`).

    Example:

    ```python
    context = keras_gen.distributed.initialize()
    ...
    gan.fit(...)
    keras_gen.distributed.save_model(gan, "dcgan.keras")  # on every worker
    ```
    """
    with chief_writes(filepath, getattr(model, "distribute_strategy", None)) as target:
        model.save(target, **kwargs)


def save_weights(model, filepath, **kwargs):
    """`model.save_weights(filepath)` on the chief, called on every worker (see `chief_writes`)."""
    with chief_writes(filepath, getattr(model, "distribute_strategy", None)) as target:
        model.save_weights(target, **kwargs)
