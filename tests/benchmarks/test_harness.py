"""benchmarks/harness.py with trivial worker processes: no framework, a few seconds."""

import json
import pathlib
import subprocess
import sys
import textwrap

import harness
import pytest

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent

BENCHMARKS = pathlib.Path(harness.__file__).resolve().parent

WORK_SECONDS = 0.15

WORKER = textwrap.dedent(
    f"""
    import sys
    import time

    import harness


    class Sleeper:
        def warmup(self):
            return {{"frameworks": [m for m in ("tensorflow", "jax", "torch") if m in sys.modules]}}

        def run(self):
            time.sleep({WORK_SECONDS})
            return {{"slept": {WORK_SECONDS}}}


    class Spinner(Sleeper):
        def run(self):
            end = time.process_time() + {WORK_SECONDS}
            while time.process_time() < end:
                pass
            return {{"warnings": ["spun"]}}


    class Crasher(Sleeper):
        def warmup(self):
            raise RuntimeError("no warm-up today")


    kind = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else None
    harness.serve({{"sleep": Sleeper, "spin": Spinner, "crash": Crasher}}[kind], repeats)
    """
)


@pytest.fixture
def worker_script(tmp_path):
    path = tmp_path / "worker.py"
    path.write_text(WORKER)
    return path


def contestant(script, kind):
    command = harness.python_command(script, kind)
    return harness.Contestant(kind, command, {"PYTHONPATH": str(BENCHMARKS)})


def test_interleaved_rounds_measure_wall_and_cpu_time(worker_script):
    lines = []
    results = harness.run_interleaved(
        [contestant(worker_script, kind) for kind in ("sleep", "spin", "crash")], 2, log=lines.append
    )
    sleep, spin, crash = results["sleep"], results["spin"], results["crash"]
    assert list(results) == ["sleep", "spin", "crash"]

    # One run per contestant per round, in contestant order within each round.
    assert [run.round for run in sleep.runs] == [run.round for run in spin.runs] == [0, 1]
    assert lines.index("round 1/2") < lines.index("round 2/2")
    round_lines = [line.split(":")[0].strip() for line in lines if line.endswith("on average)")]
    assert round_lines == ["sleep", "spin", "sleep", "spin"]

    assert min(sleep.values("wall_seconds")) >= WORK_SECONDS
    assert max(sleep.values("cpu_seconds")) < WORK_SECONDS / 2
    assert min(spin.values("cpu_seconds")) >= WORK_SECONDS
    assert sleep.runs[0].info == {"slept": WORK_SECONDS}
    assert sleep.warmup["info"] == {"frameworks": []}
    assert sleep.warnings == [] and spin.warnings == ["spun", "spun"]
    assert sleep.peak_rss_mib > 0 and sleep.error is None

    # The crash is reported with its cause, and the others still ran.
    assert crash.runs == [] and crash.peak_rss_mib is None
    assert "RuntimeError: no warm-up today" in crash.error and crash.warnings == [crash.error]

    cpu_ratios = harness.paired_ratios(spin, sleep, "cpu_seconds")
    assert cpu_ratios == [s.cpu_seconds / z.cpu_seconds for s, z in zip(spin.runs, sleep.runs)]
    assert min(cpu_ratios) > 2
    assert harness.paired_ratio(spin, crash) is None


def test_a_worker_runs_by_hand_with_the_same_messages(worker_script):
    completed = subprocess.run(
        harness.python_command(worker_script, "spin", 2),
        env={"PYTHONPATH": str(BENCHMARKS), "PATH": ""},
        capture_output=True, text=True, timeout=60, check=True,
    )
    messages = [
        json.loads(line[len(harness.RESULT_PREFIX):])
        for line in completed.stdout.splitlines()
        if line.startswith(harness.RESULT_PREFIX)
    ]
    assert [message["event"] for message in messages] == ["ready", "run", "run", "done"]
    assert messages[1]["cpu_seconds"] >= WORK_SECONDS and messages[1]["warnings"] == ["spun"]


def run(round_index, wall, cpu):
    return harness.Run(round_index, wall, cpu, {})


def test_paired_ratios_pair_runs_of_the_same_round():
    fast = harness.Result("fast", runs=[run(0, 1.0, 1.0), run(1, 3.0, 2.0), run(2, 1.0, 1.0)])
    # The slow contestant missed round 1, when the machine was busy.
    slow = harness.Result("slow", runs=[run(0, 2.0, 4.0), run(2, 4.0, 2.0)])
    assert harness.paired_ratios(fast, slow) == [0.5, 0.25]
    assert harness.paired_ratios(fast, slow, "cpu_seconds") == [0.25, 0.5]
    assert harness.paired_ratio(fast, slow) == 0.375
    assert fast.median("wall_seconds") == 1.0 and fast.best("wall_seconds") == 1.0
    assert harness.Result("none").median("cpu_seconds") is None


def test_report_has_tables_and_the_exact_command(tmp_path):
    script = BENCHMARKS / "dcgan_throughput.py"
    provenance = harness.Provenance(script, ["--steps", "2", "--threads", "1"])
    provenance.finish()
    rows = [["a", harness.number(1.5, ".1f")], ["b", harness.number(None)]]
    table = harness.markdown_table(["Contestant", "s"], rows, "lr")
    output = tmp_path / "report.md"
    harness.publish("\n".join([table, ""] + provenance.lines()), output)
    text = output.read_text()
    assert text.startswith("| Contestant | s |\n|---|---:|\n| a | 1.5 |\n| b | n/a |\n")
    assert "Command: `python " in text and "dcgan_throughput.py --steps 2 --threads 1`" in text
    assert f"before: {provenance.load_before}; after: {provenance.load_after}" in text
    with pytest.raises(ValueError, match="one letter per column"):
        harness.markdown_table(["a", "b"], [], "l")


def test_backends_and_thread_limits():
    assert harness.parse_backends("jax,torch,") == ["jax", "torch"]
    with pytest.raises(ValueError, match="tensorflow"):
        harness.parse_backends("mxnet")
    env = harness.backend_env("jax", threads=1)
    assert env["KERAS_BACKEND"] == "jax" and env["OMP_NUM_THREADS"] == "1"
    assert "--xla_cpu_multi_thread_eigen=false" in env["XLA_FLAGS"]
    assert "OMP_NUM_THREADS" not in harness.backend_env("torch")
    assert harness.python_command("x.py", "--steps", 3)[0] == sys.executable


def test_in_process_contestants_run_in_order_each_round_and_speedups_pair_rounds():
    calls, ticks = [], iter(range(100))

    def contestant(name):
        return lambda: calls.append(name)

    # A clock that advances one unit per reading: every run lasts 1 unit, 0.5 ms per step.
    times = harness.interleave_in_process({"a": contestant("a"), "b": contestant("b")}, rounds=3,
                                          steps=2000, clock=lambda: next(ticks))
    assert calls == ["a", "b"] * 3
    assert times == {"a": [0.5] * 3, "b": [0.5] * 3}
    times = {"reference": [4.0, 6.0, 10.0], "fast": [2.0, 2.0, 10.0]}
    assert harness.median_speedup(times, "reference", "fast") == 2.0  # per-round 2, 3, 1
