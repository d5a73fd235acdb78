"""Joining a multi-process run: `initialize()`, the run's `DistributedContext`, `shard()`.

A training script calls `keras_gen.distributed.initialize()` first. Where the
process was started by `python -m keras_gen.distributed.launch` or by a
cluster, the environment says which run it belongs to, in each engine's own
variables:

| backend    | variables read                                           | what `initialize()` does |
|------------|----------------------------------------------------------|--------------------------|
| tensorflow | `TF_CONFIG` (cluster of `chief`/`worker` tasks, this task) | creates a `tf.distribute.MultiWorkerMirroredStrategy` |
| jax        | `KERAS_DISTRIBUTION_JOB_ADDRESSES` (coordinator first), `KERAS_DISTRIBUTION_NUM_PROCESSES`, `KERAS_DISTRIBUTION_PROCESS_ID` (Keras's own, see `keras.distribution.initialize`) | `jax.distributed.initialize(...)`, then a `keras.distribution.DataParallel` over every process's devices (unless the script set a distribution) |
| torch      | `MASTER_ADDR`, `MASTER_PORT`, `RANK`, `WORLD_SIZE`, `LOCAL_RANK` (as `torchrun` sets them) | `torch.distributed.init_process_group("gloo")` on CPU, `"nccl"` on GPU |

Without them it does nothing and reports one process, so the same script
runs alone, under the launcher and on a cluster unchanged.
"""

import atexit
import contextlib
import dataclasses
import datetime
import ipaddress
import json
import os
import socket

import keras

_CONTEXT = None


@dataclasses.dataclass(frozen=True)
class DistributedContext:
    """Where this process stands in a data-parallel run (what `initialize()` returns).

    Attributes:
        backend: the Keras backend.
        rank: this process's index, 0 to `world_size - 1` (0 alone).
        world_size: the number of processes (1 alone).
        local_rank: this process's index on its host (selects its GPU on torch).
        strategy: on TensorFlow with more than one worker, the
            `tf.distribute.MultiWorkerMirroredStrategy` to build and compile
            models under; otherwise None.

    Example:

    ```python
    context = keras_gen.distributed.initialize()
    with context.scope():
        gan = keras_gen.models.DCGAN(...)
        gan.compile()
    gan.fit(context.shard(x), batch_size=context.local_batch_size(64), epochs=5)
    keras_gen.distributed.save_model(gan, "dcgan.keras")  # every worker; the chief writes
    ```
    """

    backend: str
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    strategy: object = None

    @property
    def is_chief(self):
        """Whether this process is rank 0: the one that saves, logs and prints."""
        return self.rank == 0

    @property
    def distributed(self):
        """Whether more than one process takes part."""
        return self.world_size > 1

    @property
    def data_shards(self):
        """How many shards the training data is cut into, one per process.

        `world_size` on torch and JAX, where each process feeds its own
        part of the global batch; 1 on TensorFlow, whose
        `MultiWorkerMirroredStrategy` shards the data `fit` receives itself.
        """
        return 1 if self.backend == "tensorflow" else self.world_size

    def scope(self):
        """`strategy.scope()` on TensorFlow with several workers, else a context that does nothing."""
        if self.strategy is None:
            return contextlib.nullcontext()
        return self.strategy.scope()

    def shard(self, data):
        """This process's part of the training data (see `keras_gen.distributed.shard`)."""
        return shard(data, self.rank if self.data_shards > 1 else 0, self.data_shards)

    def local_batch_size(self, global_batch_size):
        """The `batch_size` to pass to `fit` on this process for a global batch.

        Args:
            global_batch_size: samples per step over all processes.

        Returns:
            `global_batch_size / data_shards` (the global batch on
            TensorFlow, whose strategy splits it).
        """
        if global_batch_size % self.data_shards:
            raise ValueError(
                f"The global batch size {global_batch_size} must divide by the "
                f"{self.data_shards} processes; use a multiple of {self.data_shards}."
            )
        return global_batch_size // self.data_shards


def initialize(timeout=None):
    """Joins the distributed run described by the environment; alone, does nothing.

    Call it first in a training script, before building models. Calling it
    again returns the same context.

    Args:
        timeout: seconds to wait for the other processes (torch: the process
            group's timeout for every collective; JAX: the coordinator's
            initialization timeout); None keeps the engine's default.

    Returns:
        A `DistributedContext` (rank, world size, `is_chief`, and on
        TensorFlow the `MultiWorkerMirroredStrategy`).

    Example:

    ```python
    # python -m keras_gen.distributed.launch --workers 2 train.py
    context = keras_gen.distributed.initialize()
    print(context.rank, context.world_size, context.is_chief)
    ```
    """
    global _CONTEXT
    if _CONTEXT is not None:
        return _CONTEXT
    backend = keras.backend.backend()
    if backend == "torch":
        context = _initialize_torch(timeout)
    elif backend == "jax":
        context = _initialize_jax(timeout)
    elif backend == "tensorflow":
        context = _initialize_tensorflow()
    else:
        context = DistributedContext(backend)
    if context.distributed:
        _CONTEXT = context
    return context


def current_context():
    """The run this process belongs to, without joining anything.

    The context `initialize()` returned; else what a process group the
    script set up itself says (`torch.distributed.init_process_group`,
    `jax.distributed.initialize`); else one process.

    Returns:
        A `DistributedContext`.
    """
    if _CONTEXT is not None:
        return _CONTEXT
    backend = keras.backend.backend()
    if backend == "torch":
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return DistributedContext(
                backend, dist.get_rank(), dist.get_world_size(), _env_int("LOCAL_RANK", 0)
            )
    elif backend == "jax":
        import jax

        if jax.distributed.is_initialized():
            return DistributedContext(
                backend, jax.process_index(), jax.process_count(), _env_int("LOCAL_RANK", 0)
            )
    elif backend == "tensorflow":
        # A script that built its own MultiWorkerMirroredStrategy: TF_CONFIG
        # says which worker this is (no strategy is created here).
        try:
            rank, world_size = _tf_config_rank()
        except ValueError:  # unreadable, or an evaluator's: not a training worker
            rank, world_size = 0, 1
        if world_size > 1:
            return DistributedContext(backend, rank, world_size, _env_int("LOCAL_RANK", 0))
    return DistributedContext(backend)


def is_chief():
    """Whether this process is the one that writes files (rank 0; True alone).

    keras_gen's writers (`keras_gen.callbacks.SampleGrid`,
    `keras_gen.presets.write_preset`) ask this and do nothing on the other
    workers of a multi-process run, so every worker can run the same script.

    Returns:
        `current_context().is_chief`.
    """
    return current_context().is_chief


def shard(data, rank=None, world_size=None):
    """One process's share of the training data: every `world_size`-th sample from `rank`.

    NumPy arrays (and anything sliced like them, e.g. torch tensors) are
    first trimmed to a multiple of `world_size`, so
    every shard has the same length and every process runs the same number
    of steps (a process that ran out of batches first would leave the
    others waiting). With `fit(..., shuffle=False)` and a per-process
    `batch_size` of `global_batch_size // world_size`, step `k` of all
    processes together covers exactly the samples of step `k` of a
    single-process run with the global batch. A `tf.data.Dataset` (anything
    with a `.shard(num_shards, index)` method) is sharded with that method.

    Args:
        data: an array, a `tf.data.Dataset`, or a tuple/list/dict of arrays
            of equal length (e.g. `(images, labels)`); None is returned as is.
        rank: the shard to take; default: this process's (see
            `DistributedContext.data_shards`).
        world_size: the number of shards; default: the processes that feed
            their own data (1 on TensorFlow, whose strategy shards itself,
            and in a single-process run: `data` comes back unchanged).

    Returns:
        The shard, of the same structure as `data`.

    Example:

    ```python
    context = keras_gen.distributed.initialize()
    x_local = keras_gen.distributed.shard(x)          # x[rank::world_size]
    gan.fit(x_local, batch_size=context.local_batch_size(64), shuffle=False)
    ```
    """
    if rank is None or world_size is None:
        context = current_context()
        world_size = context.data_shards if world_size is None else world_size
        rank = (context.rank if context.data_shards > 1 else 0) if rank is None else rank
    world_size, rank = int(world_size), int(rank)
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(
            f"shard() needs 0 <= rank < world_size; received rank={rank}, "
            f"world_size={world_size}."
        )
    if data is None or world_size == 1:
        return data
    if hasattr(data, "shard") and not hasattr(data, "__getitem__"):
        return data.shard(world_size, rank)
    if isinstance(data, dict):
        _check_equal_lengths(list(data.values()))
        return {key: _shard_array(value, rank, world_size) for key, value in data.items()}
    if isinstance(data, (tuple, list)):
        _check_equal_lengths(list(data))
        return type(data)(_shard_array(value, rank, world_size) for value in data)
    return _shard_array(data, rank, world_size)


def _shard_array(array, rank, world_size):
    if array is None:
        return None
    if not hasattr(array, "__getitem__") or not hasattr(array, "__len__"):
        raise TypeError(
            f"shard() takes arrays, tuples/lists/dicts of arrays or a tf.data.Dataset; "
            f"received {type(array).__name__}. Shard other data sources yourself "
            "(e.g. torch's DistributedSampler) so that every process yields the "
            "same number of batches."
        )
    usable = len(array) - len(array) % world_size
    return array[:usable][rank::world_size]


def _check_equal_lengths(arrays):
    lengths = {len(a) for a in arrays if a is not None and hasattr(a, "__len__")}
    if len(lengths) > 1:
        raise ValueError(
            f"shard() needs arrays of equal length (samples along the first axis); "
            f"received lengths {sorted(lengths)}."
        )


# ------------------------------------------------------------------ engines
def _env_int(name, default=None):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"The environment variable {name} must be an integer; it is {value!r}.")


def is_loopback(host):
    """Whether `host` names this machine's loopback interface (127.x.x.x, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_interface():
    """The name of the loopback network interface ("lo" on Linux, "lo0" on macOS), or None."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except (AttributeError, OSError):
        return None
    for name in ("lo", "lo0"):
        if name in names:
            return name
    return next((name for name in names if name.startswith("lo")), None)


def _initialize_torch(timeout):
    import torch
    import torch.distributed as dist

    if not dist.is_available():
        return DistributedContext("torch")
    local_rank = _env_int("LOCAL_RANK", 0)
    if not dist.is_initialized():
        world_size = _env_int("WORLD_SIZE", 1)
        if "MASTER_ADDR" not in os.environ or "RANK" not in os.environ or world_size <= 1:
            return DistributedContext("torch")
        if "MASTER_PORT" not in os.environ:
            raise ValueError(
                "MASTER_ADDR and RANK are set but MASTER_PORT is not: set it to a free "
                "port of the rank-0 host (the launcher, `python -m "
                "keras_gen.distributed.launch`, sets all of them)."
            )
        if torch.cuda.is_available():
            engine = "nccl"
            torch.cuda.set_device(local_rank % torch.cuda.device_count())
        else:
            engine = "gloo"
        if is_loopback(os.environ["MASTER_ADDR"]):
            # Gloo and NCCL otherwise pick the interface of the host name's
            # address: a local run would leave the loopback interface.
            interface = loopback_interface()
            if interface is not None:
                os.environ.setdefault("GLOO_SOCKET_IFNAME", interface)
                os.environ.setdefault("NCCL_SOCKET_IFNAME", interface)
        options = {} if timeout is None else {"timeout": datetime.timedelta(seconds=timeout)}
        dist.init_process_group(engine, init_method="env://", **options)
        # A group left alive at interpreter exit can abort the process while its
        # communication threads are destroyed ("terminate called without an active
        # exception", exit code -6) after the script itself finished.
        atexit.register(_destroy_torch_group)
    if dist.get_world_size() <= 1:
        return DistributedContext("torch")
    return DistributedContext("torch", dist.get_rank(), dist.get_world_size(), local_rank)


def _destroy_torch_group():
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _initialize_jax(timeout):
    import jax

    if jax.distributed.is_initialized():  # the script joined itself
        return current_context()
    addresses = os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    processes = _env_int("KERAS_DISTRIBUTION_NUM_PROCESSES")
    process_id = _env_int("KERAS_DISTRIBUTION_PROCESS_ID")
    if not addresses or processes is None or processes <= 1:
        return DistributedContext("jax")
    if process_id is None:
        raise ValueError(
            "KERAS_DISTRIBUTION_JOB_ADDRESSES and KERAS_DISTRIBUTION_NUM_PROCESSES are "
            "set but KERAS_DISTRIBUTION_PROCESS_ID is not: set it to this process's "
            f"index, 0 to {processes - 1}."
        )
    coordinator = addresses.split(",")[0].strip()
    options = {} if timeout is None else {"initialization_timeout": int(timeout)}
    if is_loopback(coordinator.rsplit(":", 1)[0].strip("[]")):
        # JAX's coordinator otherwise listens on every interface.
        options["coordinator_bind_address"] = coordinator
    # Computations across processes on CPU need CPU collectives: Gloo (the
    # default of recent JAX releases; an explicit "none" cannot join processes).
    if getattr(jax.config, "jax_cpu_collectives_implementation", "gloo") in (None, "none"):
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    # Called directly rather than through `keras.distribution.initialize`,
    # which then seeds the processes with a cross-process computation that
    # needs CPU collectives to be configured.
    jax.distributed.initialize(
        coordinator_address=coordinator,
        num_processes=processes,
        process_id=process_id,
        **options,
    )
    if keras.distribution.distribution() is None:
        # One data-parallel mesh over every process's devices, each process
        # feeding its own shard (`DistributedContext.shard`), as the other
        # engines do; a distribution the script set itself is kept.
        keras.distribution.set_distribution(keras.distribution.DataParallel(
            devices=keras.distribution.list_devices(), auto_shard_dataset=False))
    return DistributedContext(
        "jax", jax.process_index(), jax.process_count(), _env_int("LOCAL_RANK", 0)
    )


def _tf_config_rank():
    """`(rank, world_size)` of this task from `TF_CONFIG`; `(0, 1)` without a cluster.

    The chief tasks come first, then the workers; a task of another type
    (evaluator, parameter server) is refused.
    """
    config = os.environ.get("TF_CONFIG")
    if not config:
        return 0, 1
    try:
        config = json.loads(config)
        cluster = config.get("cluster", {})
        task = config.get("task", {})
        chiefs = list(cluster.get("chief", []))
        workers = list(cluster.get("worker", []))
        task_type, index = task.get("type"), int(task.get("index", 0))
    except (ValueError, AttributeError, TypeError) as error:
        raise ValueError(
            f"TF_CONFIG must be JSON like {{'cluster': {{'worker': ['host:port', ...]}}, "
            f"'task': {{'type': 'worker', 'index': 0}}}}; it could not be read ({error})."
        )
    world_size = len(chiefs) + len(workers)
    if world_size <= 1:
        return 0, 1
    if task_type not in ("chief", "worker"):
        raise ValueError(
            f"keras_gen trains data parallel on 'chief' and 'worker' tasks; this "
            f"process's TF_CONFIG task is {task_type!r}. Run evaluators and parameter "
            "servers without keras_gen.distributed.initialize()."
        )
    return (index if task_type == "chief" else len(chiefs) + index), world_size


def _initialize_tensorflow():
    rank, world_size = _tf_config_rank()
    if world_size <= 1:
        return DistributedContext("tensorflow")
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return DistributedContext("tensorflow", rank, world_size, _env_int("LOCAL_RANK", 0), strategy)
