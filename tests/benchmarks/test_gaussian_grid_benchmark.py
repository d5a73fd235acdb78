"""Smoke test of benchmarks/gaussian_grid_benchmark.py with a tiny budget."""

import importlib.util
import pathlib
import types

import numpy as np
import pytest

import harness
from keras_gen.datasets import toy

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "gaussian_grid_benchmark.py"

def load_script():
    spec = importlib.util.spec_from_file_location("gaussian_grid_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_main(tmp_path, configs):
    output = tmp_path / "results.md"
    result = load_script().main(
        ["--steps", "20", "--seeds", "3", "--batch-size", "64", "--quiet",
         "--configs", *configs, "--output", str(output)]
    )
    return result, output.read_text()


def check_result(result, table, configs):
    assert result["steps"] == 20 and result["seeds"] == [3] and result["batch_size"] == 64
    assert list(result["configs"]) == configs
    for summary in result["configs"].values():
        (run,) = summary["runs"]
        assert run["seed"] == 3 and run["num_modes"] == 25 and run["finite"]
        assert 0 <= run["modes_covered_strict"] <= run["modes_covered"] <= 25
        assert 0.0 <= run["high_quality_fraction"] <= 1.0
        assert np.isfinite(run["final_d_loss"]) and np.isfinite(run["final_g_loss"])
        # One seed: the mean is that seed's value and the spread is zero.
        assert summary["modes_covered_mean"] == run["modes_covered"]
        assert summary["modes_covered_std"] == 0.0

    # The reference rows bracket the metric: real samples cover every mode,
    # uniform noise covers modes by chance but none under the strict count.
    real = result["references"]["real_data"]
    noise = result["references"]["uniform_noise"]
    assert real["modes_covered_strict_mean"] == 25 and real["high_quality_mean"] > 0.97
    assert noise["modes_covered_strict_mean"] == 0 and noise["high_quality_mean"] < 0.05
    assert "steps 20" in table and "seeds [3]" in table and "uniform points" in table


@pytest.mark.guide  # the benchmark script end to end: runs once, on the rotating backend
def test_non_saturating_configuration_runs(tmp_path):
    result, table = run_main(tmp_path, ["non_saturating"])
    check_result(result, table, ["non_saturating"])
    assert "non-saturating, plain D" in table and "spectral-norm" not in table


@pytest.mark.guide
def test_both_configurations_run_and_write_the_table(tmp_path):
    result, table = run_main(tmp_path, ["non_saturating", "hinge_sn"])
    check_result(result, table, ["non_saturating", "hinge_sn"])
    assert "hinge, spectral-norm D" in table and "non-saturating, plain D" in table


def fake_history(d_losses, g_losses):
    """Stands in for what `fit` returns: only its `history` dict is read."""
    return types.SimpleNamespace(history={"d_loss": d_losses, "g_loss": g_losses})


def test_run_summary_of_hand_built_samples():
    benchmark = load_script()
    # Grid modes at {-4, -2, 0, 2, 4}^2, std 0.05: high quality within 0.15 of a mode.
    samples = np.array(
        [[0.005 * i, -0.005 * i] for i in range(12)]  # 12 near (0, 0): strictly covered
        + [[2.0, 2.0]] * 3                            # 3 at (2, 2): covered, not strictly
        + [[4.1, -4.0]]                               # 1 within 0.15 of (4, -4): covered
        + [[1.0, 1.0], [-3.0, 3.0], [0.0, 0.5]]       # 3 far from every mode
        + [[np.nan, 0.0]]                             # 1 not finite, not high quality
    )
    summary = benchmark.run_summary(
        7, samples, fake_history([1.5, 0.25], [2.0, 0.75]), harness.Timing(3.5, 6.25)
    )
    assert summary == {
        "seed": 7,
        "modes_covered": 3,
        "modes_covered_strict": 1,
        "high_quality_fraction": 16 / 20,
        "num_modes": 25,
        "finite": False,
        "final_d_loss": 0.25,
        "final_g_loss": 0.75,
        "seconds": 3.5,
        "cpu_seconds": 6.25,
    }
    # The order of the keys is the order of the per-run record (and of its JSON).
    assert list(summary) == ["seed", "modes_covered", "modes_covered_strict",
                             "high_quality_fraction", "num_modes", "finite",
                             "final_d_loss", "final_g_loss", "seconds", "cpu_seconds"]
    assert all(type(summary[key]) is float
               for key in ("final_d_loss", "final_g_loss", "high_quality_fraction"))


def test_run_summary_with_other_modes():
    # mode_collapse.py passes the ring's modes (radius 2) and std (0.02: within 0.06).
    benchmark = load_script()
    modes = toy.ring_modes()
    samples = np.concatenate([
        np.repeat(modes[[0]], 10, axis=0),  # strictly covered
        modes[[4]] + 0.05,                  # distance 0.0707 > 0.06: not high quality
        modes[[5]] + 0.04,                  # distance 0.0566: covered
        np.zeros((8, 2)),                   # the ring's centre
    ]).astype(np.float32)
    summary = benchmark.run_summary(
        np.int64(2), samples, fake_history([0.5], [1.0]), harness.Timing(1.0, 1.0),
        modes, 0.02,
    )
    assert summary["seed"] == 2 and type(summary["seed"]) is int and summary["finite"]
    assert summary["num_modes"] == 8
    assert summary["modes_covered"] == 2 and summary["modes_covered_strict"] == 1
    assert summary["high_quality_fraction"] == 11 / 20


def test_bad_arguments_are_rejected():
    benchmark = load_script()
    with pytest.raises(ValueError, match="ttur"):
        benchmark.run_benchmark(1, [0], optimizer="sgd", verbose=False)
    with pytest.raises(ValueError, match="hinge_sn"):
        benchmark.run_benchmark(1, [0], configs=["wgan"], verbose=False)
