"""Smoke test of benchmarks/mode_collapse.py: its `--fast` mode end to end, and its pieces."""

import importlib

import numpy as np
import pytest

from keras_gen.datasets import toy


RUN_SUMMARY_KEYS = ["seed", "modes_covered", "modes_covered_strict", "high_quality_fraction",
                    "num_modes", "finite", "final_d_loss", "final_g_loss", "seconds",
                    "cpu_seconds"]


def load_script():
    # tests/benchmarks/conftest.py puts benchmarks/ on the import path.
    return importlib.import_module("mode_collapse")


@pytest.mark.guide  # the benchmark script end to end: runs once, on the rotating backend
def test_fast_mode_writes_the_table_and_the_plot(tmp_path):
    benchmark = load_script()
    output, image = tmp_path / "results.md", tmp_path / "samples.png"
    result = benchmark.main(
        ["--fast", "--steps", "4", "--snapshots", "2", "--quiet",
         "--output", str(output), "--plot", str(image)]
    )
    assert result["steps"] == 4 and result["seeds"] == [0] and result["batch_size"] == 64
    assert list(result["datasets"]) == ["ring"]
    ring = result["datasets"]["ring"]
    assert list(ring["methods"]) == list(benchmark.METHODS)
    for summary in ring["methods"].values():
        (run,) = summary["runs"]
        # `gaussian_grid_benchmark.run_summary`'s record (tested there) plus the snapshots.
        assert list(run) == RUN_SUMMARY_KEYS + ["snapshots"]
        assert run["seed"] == 0 and run["num_modes"] == 8 and run["finite"]
        assert 0 <= run["modes_covered_strict"] <= run["modes_covered"] <= 8
        assert 0.0 <= run["high_quality_fraction"] <= 1.0
        assert np.isfinite(run["final_d_loss"]) and np.isfinite(run["final_g_loss"])
        # Two snapshots, at steps 2 and 4; the last one sees the final samples.
        assert [snap["step"] for snap in run["snapshots"]] == [2, 4]
        assert len(run["snapshots"][-1]["modes"]) == run["modes_covered_strict"]
        assert summary["modes_covered_std"] == 0.0
    assert ring["references"]["real_data"]["modes_covered_strict_mean"] == 8

    table = output.read_text()
    summary_rows = [line for line in table.splitlines() if line.startswith("| ")]
    labels = [label for label, _, _ in benchmark.METHODS.values()]
    for label in labels + list(benchmark.REFERENCE_LABELS.values()):
        # One summary row and (methods only) one per-seed row.
        rows = [line for line in summary_rows if line.startswith(f"| {label} |")
                or line.startswith(f"| 8-Gaussian ring | {label} |")]
        assert len(rows) == (2 if label in labels else 1), label
    assert "| 5 |" in next(line for line in summary_rows if "WGAN-GP" in line)
    assert "25-Gaussian grid" not in table and "4 generator updates per run" in table
    assert image.read_bytes().startswith(b"\x89PNG")


def test_covered_modes_names_the_strictly_covered_modes():
    benchmark = load_script()
    modes = toy.ring_modes()
    real = toy.ring_of_gaussians(2500, seed=0)
    assert benchmark.covered_modes(real, "ring") == list(range(8))
    # 30 points near modes 1 and 6, 5 near mode 3 (under the strict count), the rest far away.
    rng = np.random.default_rng(0)
    points = np.concatenate([
        modes[[1] * 30 + [6] * 30 + [3] * 5] + rng.normal(0, 0.01, (65, 2)),
        rng.uniform(-0.5, 0.5, (100, 2)),
    ])
    assert benchmark.covered_modes(points, "ring") == [1, 6]
    coverage = benchmark.grid_benchmark.coverage(points, modes, 0.02)
    assert coverage["modes_covered"] == 3 and coverage["modes_covered_strict"] == 2


def test_bad_arguments_are_rejected():
    benchmark = load_script()
    with pytest.raises(ValueError, match="optimizer"):
        benchmark.run_benchmark(1, [0], optimizer="sgd", verbose=False)
    with pytest.raises(ValueError, match="methods"):
        benchmark.run_benchmark(1, [0], methods=["vae"], verbose=False)
    with pytest.raises(ValueError, match="datasets"):
        benchmark.run_benchmark(1, [0], datasets=["spiral"], verbose=False)
    with pytest.raises(ValueError, match="steps"):
        benchmark.run_benchmark(0, [0], verbose=False)
