"""benchmarks/gpu_check.py: the CPU smoke run end to end, and its driver's logic."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import harness
import numpy as np
import pytest

SCRIPT = pathlib.Path(harness.__file__).resolve().parent / "gpu_check.py"


def load_script():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_rows(text):
    """The rows of the report's results table, as lists of cells."""
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header[:3] == ["Backend", "Model", "Precision"]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


@pytest.mark.guide  # a process per backend: about a minute
def test_cpu_smoke_run_has_every_row_and_parity_holds(tmp_path):
    """The script end to end on every installed backend: DCGAN in float32 (the full smoke run,
    two models x three policies, takes about 6 minutes here: run it by hand)."""
    output = tmp_path / "gpu_check.md"
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--cpu-smoke", "--models", "dcgan", "--precisions", "float32",
         "--output", str(output)],
        capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    text = output.read_text()
    backends = [b for b in harness.KERAS_BACKENDS if harness.installed(b)]
    rows = table_rows(text)
    expected = [(b, "dcgan", "float32") for b in backends]
    assert [tuple(row[:3]) for row in rows] == expected
    for row in rows:
        speed, memory, finite, parity = row[3:]
        assert float(speed.replace(",", "")) > 0, row  # a number: no (!) warning, not skipped
        assert memory.endswith("(host RSS)"), row
        assert finite == "yes", row
        assert parity.startswith("ok ("), row
    assert "CPU smoke run" in text and "Command: `python " in text and "--cpu-smoke" in text
    assert "Warnings" not in text


def test_without_a_gpu_it_asks_for_cpu_smoke(monkeypatch):
    gpu_check = load_script()
    monkeypatch.setattr(gpu_check, "gpu_present", lambda: False)
    with pytest.raises(SystemExit, match="--cpu-smoke"):
        gpu_check.run_driver(gpu_check.parse_args([]))


def test_parity_cells_compare_every_backend_within_the_tolerance(tmp_path):
    gpu_check = load_script()
    args = gpu_check.parse_args(["--cpu-smoke"])
    args.parity_dir = str(tmp_path)
    samples = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 3)).astype("float32")

    def save(precision, name, offset):
        np.save(gpu_check.parity_path(str(tmp_path), "dcgan", precision, name), samples + offset)

    save("float32", "writer", 0.0)
    save("float32", "tensorflow", 1e-6)
    save("float32", "jax", 5e-4)  # beyond the CPU float32 tolerance, 1e-4
    save("mixed_bfloat16", "tensorflow", 0.0)
    save("mixed_bfloat16", "jax", 2e-2)
    cells = gpu_check.parity_cells(args, ["tensorflow", "jax", "torch"], ["dcgan"],
                                   ["float32", "mixed_bfloat16", "mixed_float16"])
    assert cells[("tensorflow", "dcgan", "float32")] == "FAIL (5.0e-04 > 0.0001)"  # vs jax
    assert cells[("jax", "dcgan", "float32")].startswith("FAIL")
    assert cells[("tensorflow", "dcgan", "mixed_bfloat16")] == "ok (2.0e-02 <= 0.05)"
    assert cells[("torch", "dcgan", "float32")] == "n/a (no samples)"
    assert cells[("tensorflow", "dcgan", "mixed_float16")] == "n/a (no samples)"

    os.remove(gpu_check.parity_path(str(tmp_path), "dcgan", "float32", "jax"))
    cells = gpu_check.parity_cells(args, ["tensorflow"], ["dcgan"], ["float32"])
    assert cells[("tensorflow", "dcgan", "float32")] == "ok (1.0e-06 <= 0.0001)"  # vs the writer


def test_smoke_sizes_are_tiny_and_gpu_sizes_are_the_default():
    gpu_check = load_script()
    smoke = gpu_check.parse_args(["--cpu-smoke"])
    assert (smoke.batch_size, smoke.image_size, smoke.steps, smoke.repeats) == (8, 8, 2, 1)
    gpu = gpu_check.parse_args([])
    assert (gpu.batch_size, gpu.image_size, gpu.steps) == (256, 64, 20)
    assert gpu_check.parse_args(["--steps", "7"]).steps == 7


def test_budget_guard_skips_rows_that_would_overrun():
    gpu_check = load_script()
    now = [1.0]
    guard = gpu_check.BudgetGuard(10, 0.0, ["tensorflow", "tensorflow", "jax", "jax"],
                                  clock=lambda: now[0])
    assert guard("first tensorflow row", None) is None  # nothing measured yet: 1 s spent
    now[0] = 7.0  # the first row took 6 s: 7 + 6 > 10
    assert "10 s budget would be exceeded (7 s spent)" in guard("second tensorflow row", None)
    now[0] = 7.5
    assert guard("first jax row", None) is None
    now[0] = 9.0  # 9 + 1.5 > 10
    assert guard("second jax row", None).startswith("skipped")
    unlimited = gpu_check.BudgetGuard(None, 0.0, ["jax"], clock=lambda: 1e9)
    assert unlimited("a row", None) is None
