"""Smoke test of benchmarks/gaussian_grid_benchmark.py with a tiny budget."""

import importlib.util
import pathlib

import keras
import numpy as np
import pytest

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


def test_bad_arguments_are_rejected():
    benchmark = load_script()
    with pytest.raises(ValueError, match="ttur"):
        benchmark.run_benchmark(1, [0], optimizer="sgd", verbose=False)
    with pytest.raises(ValueError, match="hinge_sn"):
        benchmark.run_benchmark(1, [0], configs=["wgan"], verbose=False)
