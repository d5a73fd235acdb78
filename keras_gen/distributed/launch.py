"""Runs a training script in N local worker processes, as `torchrun` does, on every backend.

Usage:

```
python -m keras_gen.distributed.launch --workers 2 [--backend torch] [--timeout 600] \\
    train.py [script arguments...]
```

Each worker runs `python train.py ...` with the environment its engine reads
to join the run (see `keras_gen.distributed.initialize`, which the script
calls first):

- every backend: `KERAS_BACKEND` (`--backend`, else the launcher's own
  `KERAS_BACKEND`, else Keras's configured backend), `LOCAL_RANK`,
  `PYTHONUNBUFFERED=1`;
- TensorFlow: `TF_CONFIG`, a cluster of N workers on 127.0.0.1 ports and
  this worker's task index;
- JAX: `KERAS_DISTRIBUTION_JOB_ADDRESSES` (the coordinator, 127.0.0.1:port),
  `KERAS_DISTRIBUTION_NUM_PROCESSES`, `KERAS_DISTRIBUTION_PROCESS_ID`;
- torch: `MASTER_ADDR=127.0.0.1`, `MASTER_PORT`, `RANK`, `WORLD_SIZE`,
  `LOCAL_RANK`, `LOCAL_WORLD_SIZE`, and the loopback interface for Gloo/NCCL.

Ports are free ports of 127.0.0.1 picked at start; nothing listens on or
contacts another address on the launcher's behalf. Every line a worker
prints (stdout and stderr) is echoed prefixed with `[rank R]`. When a worker
exits with a non-zero code the others are stopped and the launcher exits
with that code; `--timeout` stops every worker after that many seconds
(exit code 124).
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from keras_gen.distributed.environment import loopback_interface

HOST = "127.0.0.1"
TIMEOUT_EXIT_CODE = 124
# Seconds a worker gets to exit after SIGTERM before it is killed.
_GRACE_SECONDS = 5.0


def free_ports(count, host=HOST):
    """`count` distinct free TCP ports of `host`.

    All sockets stay bound until every port is chosen, so no port repeats;
    another program may still take one before a worker binds it.

    Args:
        count: how many ports.
        host: the address to bind (the loopback address).

    Returns:
        A list of port numbers.
    """
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def default_backend():
    """`KERAS_BACKEND`, else the backend in Keras's config file, else "tensorflow".

    Read without importing Keras (which would import the backend).
    """
    backend = os.environ.get("KERAS_BACKEND")
    if backend:
        return backend
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as file:
            backend = json.load(file).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    return backend or "tensorflow"


def worker_environments(workers, backend, ports=None):
    """The environment variables that make `workers` local processes one run.

    Args:
        workers: the number of worker processes.
        backend: "tensorflow", "jax" or "torch".
        ports: the ports to use (TensorFlow: one per worker; JAX and torch:
            one); default: free ports of 127.0.0.1.

    Returns:
        A list, one dict per rank, of the variables to add to the launcher's
        environment for that worker.
    """
    if workers < 1:
        raise ValueError(f"--workers must be at least 1; received {workers}.")
    if backend not in ("tensorflow", "jax", "torch"):
        raise ValueError(
            f"The backend must be tensorflow, jax or torch; received {backend!r}. "
            "Pass --backend or set KERAS_BACKEND."
        )
    needed = workers if backend == "tensorflow" else 1
    ports = list(ports) if ports is not None else free_ports(needed)
    if len(ports) < needed:
        raise ValueError(f"{backend} needs {needed} port(s) for {workers} workers; got {ports}.")
    interface = loopback_interface()
    environments = []
    for rank in range(workers):
        env = {
            "KERAS_BACKEND": backend,
            "LOCAL_RANK": str(rank),
            "PYTHONUNBUFFERED": "1",
        }
        if backend == "tensorflow":
            env["TF_CONFIG"] = json.dumps({
                "cluster": {"worker": [f"{HOST}:{port}" for port in ports[:workers]]},
                "task": {"type": "worker", "index": rank},
            })
        elif backend == "jax":
            env["KERAS_DISTRIBUTION_JOB_ADDRESSES"] = f"{HOST}:{ports[0]}"
            env["KERAS_DISTRIBUTION_NUM_PROCESSES"] = str(workers)
            env["KERAS_DISTRIBUTION_PROCESS_ID"] = str(rank)
        else:
            env.update({
                "MASTER_ADDR": HOST,
                "MASTER_PORT": str(ports[0]),
                "RANK": str(rank),
                "WORLD_SIZE": str(workers),
                "LOCAL_WORLD_SIZE": str(workers),
            })
            if interface is not None:
                # Gloo and NCCL would otherwise use the host name's address.
                env["GLOO_SOCKET_IFNAME"] = interface
                env["NCCL_SOCKET_IFNAME"] = interface
        environments.append(env)
    return environments


class _Worker:
    """One worker process and the thread echoing its output."""

    def __init__(self, rank, command, env, output, lock):
        self.rank = rank
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own process group: stopping the worker stops what it started.
            start_new_session=True,
        )
        self.thread = threading.Thread(target=self._echo, args=(output, lock), daemon=True)
        self.thread.start()

    def _echo(self, output, lock):
        prefix = f"[rank {self.rank}] "
        for line in iter(self.process.stdout.readline, b""):
            text = line.decode("utf-8", errors="replace").rstrip("\n")
            with lock:
                output.write(prefix + text + "\n")
                output.flush()
        self.process.stdout.close()

    def signal(self, signum):
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass
        except AttributeError:  # no process groups (Windows)
            self.process.kill()


def _stop(workers):
    """SIGTERM to every running worker, SIGKILL to those still running after a grace period."""
    for worker in workers:
        worker.signal(signal.SIGTERM)
    deadline = time.monotonic() + _GRACE_SECONDS
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.signal(signal.SIGKILL)
            worker.process.wait()


def _exit_code(returncode):
    # A worker ended by a signal reports -signum; a shell reports 128 + signum.
    return 128 - returncode if returncode < 0 else returncode


def run_workers(command, environments, timeout=None, output=None):
    """Starts one process per environment and waits for all of them.

    Args:
        command: the command line each worker runs (a list).
        environments: one dict of added environment variables per worker
            (`worker_environments`); the worker's rank is its index.
        timeout: seconds after which every worker is stopped (None: wait).
        output: where the prefixed lines go (default `sys.stdout`).

    Returns:
        0 when every worker exited with 0; else the first non-zero exit code
        (a worker ended by signal S counts as 128 + S); 124 on timeout.
    """
    output = output or sys.stdout
    lock = threading.Lock()
    workers = []
    start = time.monotonic()
    try:
        for rank, env in enumerate(environments):
            workers.append(_Worker(rank, command, dict(os.environ, **env), output, lock))
        while True:
            running = False
            for worker in workers:
                code = worker.process.poll()
                if code is None:
                    running = True
                elif code != 0:
                    _report(output, lock, f"rank {worker.rank} exited with code {code}; "
                            "stopping the other workers.")
                    _stop(workers)
                    return _exit_code(code)
            if not running:
                return 0
            if timeout is not None and time.monotonic() - start > timeout:
                _report(output, lock, f"timeout after {timeout:g} s; stopping every worker.")
                _stop(workers)
                return TIMEOUT_EXIT_CODE
            time.sleep(0.05)
    except KeyboardInterrupt:
        _report(output, lock, "interrupted; stopping every worker.")
        _stop(workers)
        return 130
    finally:
        for worker in workers:
            worker.thread.join(timeout=_GRACE_SECONDS)


def _report(output, lock, message):
    with lock:
        output.write(f"[launch] {message}\n")
        output.flush()


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m keras_gen.distributed.launch",
        description=(
            "Run a training script in N local worker processes joined into one "
            "data-parallel run (the script calls keras_gen.distributed.initialize() first)."
        ),
    )
    parser.add_argument("--workers", type=int, required=True,
                        help="number of worker processes on this machine")
    parser.add_argument("--backend", choices=("tensorflow", "jax", "torch"), default=None,
                        help="Keras backend of the workers (default: KERAS_BACKEND, else "
                             "Keras's configured backend)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="stop every worker after this many seconds (exit code 124)")
    parser.add_argument("-m", "--module", action="store_true",
                        help="run `script` as a module (python -m script)")
    parser.add_argument("script", help="the training script (or module with -m)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the script")
    return parser


def main(argv=None, output=None):
    """Parses the command line, runs the workers, returns the exit code.

    Args:
        argv: the arguments after the program name (default `sys.argv[1:]`).
        output: where the workers' prefixed lines go (default `sys.stdout`).

    Returns:
        The launcher's exit code (see `run_workers`).
    """
    parser = build_parser()
    options = parser.parse_args(argv)
    if options.workers < 1:
        parser.error(f"--workers must be at least 1; received {options.workers}.")
    if options.timeout is not None and options.timeout <= 0:
        parser.error(f"--timeout must be positive; received {options.timeout}.")
    backend = options.backend or default_backend()
    try:
        environments = worker_environments(options.workers, backend)
    except ValueError as error:
        parser.error(str(error))
    command = [sys.executable, "-u"]
    command += ["-m", options.script] if options.module else [options.script]
    command += list(options.args)
    return run_workers(command, environments, timeout=options.timeout, output=output)


if __name__ == "__main__":
    sys.exit(main())
