"""Runs a worker script on 2 local processes while this process trains the single-process reference."""

import io
import runpy
import sys
import threading

import pytest

import keras_gen
from keras_gen.distributed import launch


@pytest.fixture(scope="session")
def two_workers_and_reference():
    """`run(backend, worker, out, env, *reference_args)` -> the reference's result.

    The launcher's functions start `worker` (`python -u worker out`) as 2
    workers on 127.0.0.1 with `env` added to each worker's environment, in a
    thread of this process; meanwhile the worker's own `train()` runs here
    with a single-process `DistributedContext` and `reference_args`. Fails with
    the workers' output if one of them fails; the workers write their results
    under `out`.
    """

    def run(backend, worker, out, env, *reference_args):
        output, codes = io.StringIO(), []
        environments = [dict(worker_env, **env) for worker_env in launch.worker_environments(2, backend)]
        command = [sys.executable, "-u", worker, str(out)]
        thread = threading.Thread(target=lambda: codes.append(
            launch.run_workers(command, environments, timeout=240, output=output)))
        thread.start()
        single = runpy.run_path(worker)["train"](
            keras_gen.distributed.DistributedContext(backend), *reference_args)
        thread.join(timeout=300)
        assert codes == [0], output.getvalue()[-4000:]
        return single

    return run
