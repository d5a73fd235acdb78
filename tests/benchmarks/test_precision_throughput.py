"""The precision throughput benchmark's table, from hand-made timings."""

import harness
import precision_throughput
from precision_throughput import PYTORCH
from precision_throughput import label


def _result(name, precision, cpu_seconds):
    return harness.Result(label(name, precision), runs=[
        harness.Run(round=i, wall_seconds=s, cpu_seconds=s, info={}) for i, s in enumerate(cpu_seconds)])


def test_ratios_are_speed_ratios_paired_by_round():
    # 2 steps of 64 images = 128 images per run.
    results = {r.label: r for r in [
        _result("jax", "float32", [1.0, 2.0, 1.0]),
        _result("jax", "bfloat16", [2.0, 4.0, 2.0]),        # half as fast in every round
        _result(PYTORCH, "float32", [0.5, 1.0, 0.5]),       # twice as fast as JAX
        _result(PYTORCH, "bfloat16", [0.25, 0.5, 0.25]),
    ]}
    report = precision_throughput.format_report(results, ["jax", PYTORCH], steps=2)
    assert "| keras_gen [jax] | 128 | 64 | 0.50 | 0.50 | 0.12 |" in report
    assert "| plain PyTorch | 256 | 512 | 2.00 | 1.00 | 1.00 |" in report


def test_a_contestant_without_runs_reads_n_a():
    results = {r.label: r for r in [_result("torch", "float32", [1.0]),
                                    harness.Result(label("torch", "bfloat16"), error="crashed")]}
    report = precision_throughput.format_report(results, ["torch"], steps=2)
    assert "| keras_gen [torch] | 128 | n/a | n/a | n/a | n/a |" in report
