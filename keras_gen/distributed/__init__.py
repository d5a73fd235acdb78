"""Data-parallel training across devices, processes and hosts.

`replica_index`/`replica_count` say where a step runs on the active engine;
`ReplicaSeedGenerator` keeps random draws distinct across replicas.
"""

from keras_gen.distributed.replicas import replica_count
from keras_gen.distributed.replicas import replica_index
from keras_gen.distributed.seeds import ReplicaSeedGenerator
