"""Shared machinery of the benchmarks: workers, interleaved rounds, timing and markdown.

A benchmark compares *contestants*, for example one training setup on one
Keras backend. Each contestant runs in its own subprocess, a *worker*, so that
it has its own framework, thread settings and peak memory. The driver (the
benchmark script) starts the workers one after the other and waits for each
to finish its warm-up, so that no warm-up overlaps another contestant's work.
Then it runs *rounds*: in each round every contestant does one timed run, in
turn, so that all of them see the same machine load. Every run records its
wall time and the CPU time of its whole process (all threads). Results give
medians and best values per contestant, and *paired ratios*: two contestants'
runs of the same round divided, median over the rounds.

Worker protocol, one line per message:

- driver to worker, on stdin: `run` (do one timed run) or `quit`.
- worker to driver, on stdout: `RESULT_PREFIX` followed by a JSON object
  whose `event` is `ready` (warm-up done), `run` (one timed run) or `done`
  (with the peak resident memory). Other lines are ignored; the last line of
  stderr explains a worker that exits early.

A worker is a Python program that calls `serve(make_contestant)`. The
benchmark scripts are their own workers: the driver starts the script again
with `--worker NAME --serve`.

This module uses only the standard library, so that each worker imports its
framework itself, after the driver has set `KERAS_BACKEND` and thread limits.
"""

import dataclasses
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RESULT_PREFIX = "BENCHMARK_RESULT "
KERAS_BACKENDS = ("tensorflow", "jax", "torch")


# ---------------------------------------------------------------------------
# Timing, in any process.
# ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds of one piece of work.

    `cpu_seconds` is the CPU time of the whole process, all threads, so it
    can exceed `wall_seconds`; unlike the wall clock it leaves out the time
    spent waiting for a core, which makes it steadier on a busy machine.
    """

    wall_seconds: float
    cpu_seconds: float

    @property
    def cores(self):
        """Average number of cores the process kept busy."""
        return self.cpu_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0


def measure(function, *args, **kwargs):
    """Calls `function(*args, **kwargs)` and times it.

    Returns:
        `(value, timing)`: what `function` returned and its `Timing`.
    """
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    value = function(*args, **kwargs)
    timing = Timing(time.perf_counter() - wall_start, time.process_time() - cpu_start)
    return value, timing


def peak_rss_mib():
    """Peak resident memory of this process so far, in MiB."""
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------------------
# The worker side.
# ---------------------------------------------------------------------------
def emit(payload):
    """Sends one message to the driver."""
    print(RESULT_PREFIX + json.dumps(payload), flush=True)


def _timed_message(event, function):
    info, timing = measure(function)
    info = dict(info or {})
    warnings = list(info.pop("warnings", []))
    for warning in warnings:
        print(f"WARNING ({event}): {warning}", file=sys.stderr, flush=True)
    return {
        "event": event,
        "wall_seconds": timing.wall_seconds,
        "cpu_seconds": timing.cpu_seconds,
        "info": info,
        "warnings": warnings,
    }


def serve(make_contestant, repeats=None):
    """Runs one contestant in this process under the worker protocol.

    Args:
        make_contestant: function of no arguments that builds the contestant:
            an object with two methods of no arguments. `warmup()` prepares it
            (traces, compiles, checks) and `run()` does one timed run; each
            returns a dict of JSON values (for example the last losses) or
            None. A `"warnings"` entry, a list of strings, marks the
            contestant's results as doubtful.
        repeats: None to wait for the driver's `run` and `quit` lines on
            stdin; a number to do that many runs back to back instead (to try
            a contestant by hand). The messages are the same either way.
    """
    contestant, build = measure(make_contestant)
    ready = _timed_message("ready", contestant.warmup)
    ready.update(build_wall_seconds=build.wall_seconds, build_cpu_seconds=build.cpu_seconds)
    emit(ready)
    if repeats is not None:
        for _ in range(repeats):
            emit(_timed_message("run", contestant.run))
    else:
        for line in sys.stdin:
            command = line.strip()
            if command == "run":
                emit(_timed_message("run", contestant.run))
            elif command == "quit":
                break
    emit({"event": "done", "peak_rss_mib": peak_rss_mib()})


# ---------------------------------------------------------------------------
# The driver side.
# ---------------------------------------------------------------------------
@dataclasses.dataclass
class Contestant:
    """One competitor: its label in tables, its worker's command and environment.

    `env` is added to this process's environment; see `backend_env`.
    """

    label: str
    command: list
    env: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Run:
    """One timed run of a contestant: its round (from 0), times and reported values."""

    round: int
    wall_seconds: float
    cpu_seconds: float
    info: dict


@dataclasses.dataclass
class Result:
    """Everything measured of one contestant.

    `warnings` gathers the worker's warnings and, when it failed, its error;
    `error` is None when the worker ran to the end.
    """

    label: str
    runs: list = dataclasses.field(default_factory=list)
    warmup: dict = dataclasses.field(default_factory=dict)
    warnings: list = dataclasses.field(default_factory=list)
    peak_rss_mib: float = None
    error: str = None

    def values(self, measure_name):
        """The `measure_name` (`"wall_seconds"` or `"cpu_seconds"`) of every run."""
        return [getattr(run, measure_name) for run in self.runs]

    def median(self, measure_name):
        """Median of `measure_name` over the runs, or None without runs."""
        values = self.values(measure_name)
        return statistics.median(values) if values else None

    def best(self, measure_name):
        """Smallest `measure_name` over the runs, or None without runs."""
        return min(self.values(measure_name), default=None)


def interleave_in_process(runs, rounds, steps, clock=time.process_time):
    """Times in-process contestants round by round: `{name: [ms per step, one per round]}`.

    Args:
        runs: `{name: run}`, each `run()` doing `steps` training steps; they
            are called in this order in every round, so that all see the same
            load.
        rounds: how many rounds.
        steps: steps per `run()`, to report milliseconds per step.
        clock: `time.process_time` (CPU time) or `time.perf_counter` (wall).
    """
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = clock()
            run()
            times[name].append(1e3 * (clock() - start) / steps)
    return times


def median_speedup(times, reference, name):
    """Median over rounds of `reference`'s time over `name`'s (above 1: `name` is faster)."""
    return statistics.median(r / v for r, v in zip(times[reference], times[name]))


def paired_ratios(numerator, denominator, measure_name="wall_seconds"):
    """Per-round ratios of two contestants' runs.

    Args:
        numerator, denominator: `Result`s measured in the same rounds.
        measure_name: `"wall_seconds"` or `"cpu_seconds"`.

    Returns:
        `numerator / denominator` for every round in which both ran, in round
        order.
    """
    theirs = {run.round: getattr(run, measure_name) for run in denominator.runs}
    return [
        getattr(run, measure_name) / theirs[run.round]
        for run in numerator.runs
        if theirs.get(run.round)
    ]


def paired_ratio(numerator, denominator, measure_name="wall_seconds"):
    """Median over rounds of `paired_ratios`; None when no round has both."""
    ratios = paired_ratios(numerator, denominator, measure_name)
    return statistics.median(ratios) if ratios else None


class _Worker:
    """A contestant's subprocess, driven over stdin and stdout."""

    def __init__(self, contestant, log):
        self.result = Result(contestant.label)
        self.log = log
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            contestant.command,
            env=dict(os.environ, **contestant.env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )

    @property
    def label(self):
        return self.result.label

    def _read(self):
        for line in self.process.stdout:
            if line.startswith(RESULT_PREFIX):
                message = json.loads(line[len(RESULT_PREFIX) :])
                self.result.warnings += message.get("warnings", [])
                for warning in message.get("warnings", []):
                    self.log(f"  WARNING {self.label}: {warning}")
                return message
        self.process.wait()
        self.stderr.seek(0)
        lines = [line for line in self.stderr.read().splitlines() if line.strip()]
        self.result.error = f"exit {self.process.returncode}: " + (lines[-1] if lines else "no output")
        self.result.warnings.append(self.result.error)
        self.log(f"  FAILED {self.label} ({self.result.error})")
        return None

    def _send(self, command):
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            return True
        except BrokenPipeError:
            return False

    def wait_ready(self):
        message = self._read()
        if message is not None:
            self.result.warmup = message
            self.log(
                f"  {self.label}: built in {message['build_wall_seconds']:.1f} s, "
                f"warmed up in {message['wall_seconds']:.1f} s"
            )

    def run(self, round_index):
        if self.result.error is not None or not self._send("run"):
            return
        message = self._read()
        if message is None:
            return
        run = Run(round_index, message["wall_seconds"], message["cpu_seconds"], message["info"])
        self.result.runs.append(run)
        timing = Timing(run.wall_seconds, run.cpu_seconds)
        self.log(
            f"  {self.label}: {timing.wall_seconds:.2f} s wall, {timing.cpu_seconds:.2f} s CPU "
            f"({timing.cores:.2f} cores busy on average)"
        )

    def finish(self):
        if self.result.error is None and self._send("quit"):
            message = self._read()
            if message is not None:
                self.result.peak_rss_mib = message["peak_rss_mib"]
        self.process.stdin.close()
        self.process.wait()
        self.stderr.close()
        return self.result


def run_interleaved(contestants, rounds, log=None):
    """Warms up every contestant in its own subprocess, then times them in rounds.

    Args:
        contestants: `Contestant`s with distinct labels.
        rounds: timed runs per contestant; round `i` runs every contestant
            once, in the given order.
        log: function taking one progress line (default: print it).

    Returns:
        A dict label -> `Result`, in the order of `contestants`.
    """
    if log is None:
        log = lambda line: print(line, flush=True)  # noqa: E731
    labels = [contestant.label for contestant in contestants]
    if len(set(labels)) != len(labels):
        raise ValueError(f"Contestant labels must be distinct; received {labels}.")
    workers = []
    for contestant in contestants:
        log(f"starting {contestant.label} ...")
        worker = _Worker(contestant, log)
        # One at a time, so that no warm-up overlaps another contestant.
        worker.wait_ready()
        workers.append(worker)
    for round_index in range(rounds):
        log(f"round {round_index + 1}/{rounds}")
        for worker in workers:
            worker.run(round_index)
    return {worker.label: worker.finish() for worker in workers}


def run_one_at_a_time(contestants, rounds, log=None, skip_reason=None):
    """Runs each contestant alone, start to finish, before the next one starts.

    Unlike `run_interleaved`, no two workers are alive together: on an
    accelerator, processes alive at the same time would share (and may each
    reserve) device memory, and their peak-memory figures would mix. Each
    contestant is warmed up, does its `rounds` runs and quits.

    Args:
        contestants: `Contestant`s with distinct labels.
        rounds: timed runs per contestant.
        log: function taking one progress line (default: print it).
        skip_reason: optional function of `(contestant, elapsed_seconds)`
            called before each start; a string it returns skips that
            contestant (e.g. a time budget is spent), None starts it.

    Returns:
        A dict label -> `Result`, in the order of `contestants`; a skipped
        contestant's `Result` has no runs and its reason as `error`.
    """
    if log is None:
        log = lambda line: print(line, flush=True)  # noqa: E731
    labels = [contestant.label for contestant in contestants]
    if len(set(labels)) != len(labels):
        raise ValueError(f"Contestant labels must be distinct; received {labels}.")
    started = time.perf_counter()
    results = {}
    for contestant in contestants:
        reason = skip_reason(contestant, time.perf_counter() - started) if skip_reason else None
        if reason:
            log(f"skipping {contestant.label}: {reason}")
            results[contestant.label] = Result(contestant.label, warnings=[reason], error=reason)
            continue
        results.update(run_interleaved([contestant], rounds, log))
    return results


def python_command(script, *arguments):
    """The command line that runs `script` with this Python and `arguments`."""
    return [sys.executable, os.path.abspath(script)] + [str(argument) for argument in arguments]


def thread_limit_env(threads):
    """Environment variables that cap every framework's compute threads at `threads`."""
    n = str(threads)
    xla_flags = f"intra_op_parallelism_threads={n}"
    if threads == 1:
        xla_flags = "--xla_cpu_multi_thread_eigen=false " + xla_flags
    return {
        "OMP_NUM_THREADS": n,  # PyTorch (and MKL/oneDNN) intra-op threads
        "MKL_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n,
        "TF_NUM_INTEROP_THREADS": n,
        "XLA_FLAGS": (os.environ.get("XLA_FLAGS", "") + " " + xla_flags).strip(),
    }


def backend_env(backend, threads=None):
    """A worker's environment for a Keras `backend`, capped at `threads` if given."""
    env = {"KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if threads:
        env.update(thread_limit_env(threads))
    return env


def installed(module):
    """Whether `module` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------------------
# The command line every subprocess benchmark shares.
# ---------------------------------------------------------------------------
def parse_backends(text):
    """Splits a comma-separated list of Keras backends, rejecting unknown names."""
    backends = [name for name in text.split(",") if name]
    for name in backends:
        if name not in KERAS_BACKENDS:
            raise ValueError(f"Unknown backend {name!r}; use some of {KERAS_BACKENDS}.")
    return backends


def add_common_arguments(parser, steps, repeats, contestants):
    """Adds the options every subprocess benchmark shares to an `argparse` parser.

    `--backends`, `--steps`, `--repeats`, `--threads` and `--output` for the
    driver; `--worker NAME` (one of `contestants`) and `--serve` for the
    subprocesses it starts.

    Args:
        parser: an `argparse.ArgumentParser`.
        steps: default of `--steps`, timed steps per run.
        repeats: default of `--repeats`, the number of rounds.
        contestants: names `--worker` accepts.
    """
    parser.add_argument("--backends", default=",".join(KERAS_BACKENDS),
                        help="comma-separated Keras backends (default: all three)")
    parser.add_argument("--steps", type=int, default=steps,
                        help=f"timed training steps per run (default {steps})")
    parser.add_argument("--repeats", type=int, default=repeats,
                        help=f"timed runs per contestant, one per interleaved round "
                             f"(default {repeats})")
    parser.add_argument("--threads", type=int, default=None,
                        help="cap every contestant's compute threads (OMP/MKL, TensorFlow, XLA); "
                             "default: each framework's own default (all cores). On a loaded "
                             "machine, PyTorch's OpenMP threads stall when they outnumber the "
                             "free cores; --threads 1 keeps the comparison meaningful there")
    parser.add_argument("--output", default=None, help="write the markdown report here")
    parser.add_argument("--worker", choices=contestants, default=None,
                        help="run one contestant in this process (KERAS_BACKEND picks the "
                             "backend) and print its results as JSON lines")
    parser.add_argument("--serve", action="store_true",
                        help="with --worker: wait for 'run'/'quit' lines on stdin (driver mode)")


def check_common_arguments(args):
    """Raises ValueError unless `--steps`, `--repeats` and `--threads` (if given) are positive."""
    if args.steps < 1 or args.repeats < 1 or (args.threads is not None and args.threads < 1):
        raise ValueError("--steps, --repeats and --threads must be at least 1.")


def run_script(args, make_contestant, run_driver):
    """Runs a benchmark script as one of its workers (`--worker`) or as the driver.

    Args:
        args: the parsed command line (see `add_common_arguments`).
        make_contestant: function of `args` that builds the contestant
            `args.worker` names, in this process.
        run_driver: function of `args` that runs the whole benchmark.
    """
    if args.worker:
        serve(lambda: make_contestant(args), repeats=None if args.serve else args.repeats)
    else:
        run_driver(args)


# ---------------------------------------------------------------------------
# Reports.
# ---------------------------------------------------------------------------
def load_average():
    """The 1, 5 and 15 minute load averages as text, or "n/a"."""
    try:
        with open("/proc/loadavg") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return "n/a"


def versions():
    """Installed versions of Keras and the backends, e.g. "keras 3.15.1, torch 2.13.0"."""
    found = {}
    for name in ("keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "torch"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    if "tensorflow-cpu" in found:
        found["tensorflow"] = found.pop("tensorflow-cpu")
    return ", ".join(f"{name} {version}" for name, version in found.items())


def nvidia_gpus(timeout=20):
    """The NVIDIA GPUs `nvidia-smi` lists, with the driver and CUDA versions, or None.

    Returns:
        None when `nvidia-smi` is missing, fails or lists no GPU; otherwise a
        dict with `gpus` (one `"name, memory"` string per GPU), `driver` and
        `cuda` (the CUDA version the driver supports; None if not shown).
    """
    if shutil.which("nvidia-smi") is None:
        return None
    query = ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"]
    try:
        listing = subprocess.run(query, capture_output=True, text=True, timeout=timeout)
        header = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    rows = [line.split(", ") for line in listing.stdout.splitlines() if line.strip()]
    if listing.returncode != 0 or not rows:
        return None
    cuda = re.search(r"CUDA Version:\s*([0-9.]+)", header.stdout)
    return {
        "gpus": [", ".join(row[:2]) for row in rows],
        "driver": rows[0][-1] if len(rows[0]) > 2 else None,
        "cuda": cuda.group(1) if cuda else None,
    }


def command_line(script, arguments):
    """The exact command that ran the benchmark, as one markdown code span."""
    return "`python " + " ".join([os.path.relpath(script)] + list(arguments)) + "`"


class Provenance:
    """Where and under what load a benchmark ran: started on construction.

    Args:
        script: path of the benchmark script.
        arguments: its command-line arguments (default: `sys.argv[1:]`).
    """

    def __init__(self, script, arguments=None):
        self.script = script
        self.arguments = list(sys.argv[1:] if arguments is None else arguments)
        self.load_before = load_average()
        self.load_after = None
        self.started = time.perf_counter()
        self.seconds = None

    def finish(self):
        """Records the load average and the elapsed wall time at the end."""
        self.load_after = load_average()
        self.seconds = time.perf_counter() - self.started

    def lines(self):
        """Markdown lines: machine and versions, load and wall time, command."""
        if self.seconds is None:
            self.finish()
        return [
            f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}; "
            f"{versions()}.",
            f"Load average (1, 5, 15 min) before: {self.load_before}; after: {self.load_after}. "
            f"Wall time {self.seconds:.0f} s.",
            "Command: " + command_line(self.script, self.arguments),
        ]


def markdown_table(header, rows, align=None):
    """A markdown table.

    Args:
        header: the column titles.
        rows: sequences of cells, one per column (converted with `str`).
        align: one letter per column, `"l"` (left) or `"r"` (right, for
            numbers); default all left.

    Returns:
        The table as text, without a final newline.
    """
    align = align or "l" * len(header)
    if len(align) != len(header):
        raise ValueError(f"align {align!r} needs one letter per column ({len(header)}).")
    def line(cells):
        return "| " + " | ".join(str(cell) for cell in cells) + " |"

    rule = "|" + "|".join("---:" if letter == "r" else "---" for letter in align) + "|"
    return "\n".join([line(header), rule] + [line(row) for row in rows])


def number(value, spec=",.0f"):
    """`value` formatted with `spec`, or "n/a" when it is None."""
    return "n/a" if value is None else format(value, spec)


def warning_lines(results):
    """Markdown list items naming each result's warnings (empty when none)."""
    return [
        f"- {label}: {warning}" for label, result in results.items() for warning in result.warnings
    ]


def publish(text, output=None):
    """Prints the report and, when `output` is given, writes it there."""
    print("\n" + text)
    if output:
        with open(output, "w") as handle:
            handle.write(text.rstrip("\n") + "\n")
        print(f"\nwrote {output}")
