"""`python -m keras_gen.distributed.launch` and `keras_gen.distributed.initialize()`."""

import io
import json
import os
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.distributed import launch

BACKEND = keras.backend.backend()

# Prints what this worker's environment and initialize() say; on every
# backend it also makes one cross-process reduction where that is cheap.
_REPORT = """
import json, os, keras_gen
context = keras_gen.distributed.initialize(timeout=60)
joined = None
if context.backend == "torch":
    import torch, torch.distributed as dist
    ones = torch.ones(1)
    dist.all_reduce(ones)
    joined = float(ones[0])
elif context.backend == "tensorflow":
    import tensorflow as tf
    strategy = context.strategy
    ones = strategy.run(tf.function(lambda: tf.ones(())))
    joined = float(strategy.reduce("SUM", ones, axis=None))
elif context.backend == "jax":
    import jax
    joined = jax.process_count()
names = ("TF_CONFIG", "KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
         "KERAS_DISTRIBUTION_PROCESS_ID", "MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE",
         "LOCAL_RANK", "KERAS_BACKEND")
print("RESULT" + json.dumps({"rank": context.rank, "world_size": context.world_size,
                             "is_chief": context.is_chief, "backend": context.backend,
                             "joined": joined,
                             "env": {n: os.environ.get(n) for n in names}}))
"""

_DISTRIBUTED_VARIABLES = (
    "TF_CONFIG", "KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "KERAS_DISTRIBUTION_PROCESS_ID", "MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE",
)


def _script(tmp_path, text, name="worker.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.mark.backend_independent
def test_worker_environments_per_backend():
    torch_env = launch.worker_environments(2, "torch", ports=[29555])
    assert [e["RANK"] for e in torch_env] == ["0", "1"]
    assert all(e["MASTER_ADDR"] == "127.0.0.1" and e["MASTER_PORT"] == "29555" for e in torch_env)
    assert all(e["WORLD_SIZE"] == "2" and e["KERAS_BACKEND"] == "torch" for e in torch_env)
    assert [e["LOCAL_RANK"] for e in torch_env] == ["0", "1"]

    tf_env = launch.worker_environments(2, "tensorflow", ports=[2001, 2002])
    configs = [json.loads(e["TF_CONFIG"]) for e in tf_env]
    assert all(c["cluster"] == {"worker": ["127.0.0.1:2001", "127.0.0.1:2002"]} for c in configs)
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(2)]

    jax_env = launch.worker_environments(3, "jax", ports=[3001])
    assert all(e["KERAS_DISTRIBUTION_JOB_ADDRESSES"] == "127.0.0.1:3001" for e in jax_env)
    assert all(e["KERAS_DISTRIBUTION_NUM_PROCESSES"] == "3" for e in jax_env)
    assert [e["KERAS_DISTRIBUTION_PROCESS_ID"] for e in jax_env] == ["0", "1", "2"]

    with pytest.raises(ValueError, match="tensorflow, jax or torch"):
        launch.worker_environments(2, "numpy")
    ports = launch.free_ports(3)
    assert len(set(ports)) == 3


def test_initialize_alone_is_one_process(monkeypatch):
    for name in _DISTRIBUTED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    context = keras_gen.distributed.initialize()
    assert (context.rank, context.world_size, context.is_chief) == (0, 1, True)
    assert context.strategy is None and not context.distributed
    assert context.local_batch_size(64) == 64
    x = np.arange(10)
    assert context.shard(x) is x
    with context.scope():
        pass


@pytest.mark.backend_independent
def test_shard_gives_equal_strided_shards():
    x = np.arange(10)
    y = np.arange(10) * 10
    shards = [keras_gen.distributed.shard(x, rank, 3) for rank in range(3)]
    # Trimmed to 9 samples: equal shards, so equal steps on every rank.
    assert [s.tolist() for s in shards] == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    xs, ys = keras_gen.distributed.shard((x, y), 1, 2)
    assert xs.tolist() == [1, 3, 5, 7, 9] and ys.tolist() == [10, 30, 50, 70, 90]
    assert keras_gen.distributed.shard({"a": x}, 0, 5)["a"].tolist() == [0, 5]
    with pytest.raises(ValueError, match="equal length"):
        keras_gen.distributed.shard((x, y[:5]), 0, 2)
    with pytest.raises(ValueError, match="rank < world_size"):
        keras_gen.distributed.shard(x, 2, 2)
    context = keras_gen.distributed.DistributedContext("torch", rank=1, world_size=2)
    assert context.local_batch_size(16) == 8 and context.shard(x).tolist() == [1, 3, 5, 7, 9]
    with pytest.raises(ValueError, match="multiple of 2"):
        context.local_batch_size(15)
    # tf.distribute shards what fit receives itself.
    assert keras_gen.distributed.DistributedContext("tensorflow", 1, 2).local_batch_size(16) == 16


@pytest.mark.multiprocess
def test_launch_runs_every_rank_on_the_current_backend(tmp_path):
    script = _script(tmp_path, _REPORT)
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "keras_gen.distributed.launch", "--workers", "2",
         "--timeout", "150", script],
        env=dict(os.environ, KERAS_BACKEND=BACKEND, OMP_NUM_THREADS="1"),
        capture_output=True, text=True, timeout=200,
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    reports = {}
    for line in result.stdout.splitlines():
        prefix, _, rest = line.partition("] ")
        if rest.startswith("RESULT"):
            reports[prefix] = json.loads(rest[len("RESULT"):])
    assert sorted(reports) == ["[rank 0", "[rank 1"], result.stdout[-3000:]
    for rank in (0, 1):
        report = reports[f"[rank {rank}"]
        assert report["backend"] == BACKEND and report["env"]["KERAS_BACKEND"] == BACKEND
        assert (report["rank"], report["world_size"], report["is_chief"]) == (rank, 2, rank == 0)
        env = report["env"]
        if BACKEND == "torch":
            assert env["MASTER_ADDR"] == "127.0.0.1" and env["RANK"] == str(rank)
            assert report["joined"] == 2.0  # a real all-reduce over both ranks
        elif BACKEND == "tensorflow":
            config = json.loads(env["TF_CONFIG"])
            assert config["task"] == {"type": "worker", "index": rank}
            assert all(a.startswith("127.0.0.1:") for a in config["cluster"]["worker"])
            assert report["joined"] == 2.0  # an all-reduce over both workers
        else:
            assert env["KERAS_DISTRIBUTION_JOB_ADDRESSES"].startswith("127.0.0.1:")
            assert env["KERAS_DISTRIBUTION_PROCESS_ID"] == str(rank)
            assert report["joined"] == 2  # jax.distributed joined through the coordinator
    print(f"launch with 2 {BACKEND} workers: {elapsed:.1f} s")


@pytest.mark.multiprocess
@pytest.mark.backend_independent
def test_a_failing_worker_stops_the_others_and_sets_the_exit_code(tmp_path):
    script = _script(tmp_path, """
        import os, sys, time
        if os.environ["LOCAL_RANK"] == "1":
            print("failing", flush=True)
            sys.exit(3)
        time.sleep(60)
    """)
    output = io.StringIO()
    start = time.monotonic()
    code = launch.main(["--workers", "2", "--backend", BACKEND, script], output=output)
    assert code == 3
    assert time.monotonic() - start < 30  # rank 0 was stopped, not waited for
    text = output.getvalue()
    assert "[rank 1] failing" in text and "rank 1 exited with code 3" in text


@pytest.mark.multiprocess
@pytest.mark.backend_independent
def test_timeout_stops_every_worker(tmp_path):
    script = _script(tmp_path, """
        import os, time
        print("started", os.environ["LOCAL_RANK"], flush=True)
        time.sleep(60)
    """)
    output = io.StringIO()
    start = time.monotonic()
    code = launch.main(["--workers", "2", "--backend", BACKEND, "--timeout", "3", script],
                       output=output)
    assert code == launch.TIMEOUT_EXIT_CODE
    assert time.monotonic() - start < 20
    assert "timeout after 3 s" in output.getvalue()
