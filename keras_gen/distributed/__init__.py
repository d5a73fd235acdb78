"""Data-parallel training across devices, processes and hosts.

`initialize()` joins the multi-process run the environment describes (set by
`python -m keras_gen.distributed.launch --workers N script.py`, or by a
cluster) and returns a `DistributedContext`; `shard()` gives each process its
part of the data; `sync_batch_norm()` makes BatchNormalization use the global
batch; `save_model()`, `save_weights()` and `chief_writes()` write on the chief
with every worker taking part, and `barrier()` waits for every process. `replica_index`/`replica_count` say where a step runs on the active
engine; `ReplicaSeedGenerator` keeps random draws distinct across replicas.
"""

from keras_gen.distributed.barrier import barrier
from keras_gen.distributed.batch_norm import sync_batch_norm
from keras_gen.distributed.environment import DistributedContext
from keras_gen.distributed.environment import current_context
from keras_gen.distributed.environment import initialize
from keras_gen.distributed.environment import is_chief
from keras_gen.distributed.environment import shard
from keras_gen.distributed.replicas import replica_count
from keras_gen.distributed.saving import chief_writes
from keras_gen.distributed.saving import save_model
from keras_gen.distributed.saving import save_weights
from keras_gen.distributed.replicas import replica_index
from keras_gen.distributed.seeds import ReplicaSeedGenerator
