"""The main job, `keras-gen-train` (keras_gen_cli + keras_gen.train)."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

import keras_gen_cli
from keras_gen import train

HELP_CHECK = """
import sys
import keras_gen_cli
try:
    keras_gen_cli.main(["--help"])
except SystemExit:
    pass
loaded = sorted(m for m in ("keras", "tensorflow", "jax", "torch", "keras_gen") if m in sys.modules)
print("LOADED", loaded)
"""


def _run_help(command):
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs the torch backend")
def test_backend_option_sets_keras_backend_before_keras_loads():
    check = (
        "import keras_gen_cli, os, sys\n"
        "keras_gen_cli.configure_environment('torch')\n"
        "import keras\n"
        "print('BACKEND', keras.backend.backend(), os.environ['TF_CPP_MIN_LOG_LEVEL'])\n"
    )
    environ = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL")}
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            timeout=120, env=environ)
    assert result.returncode == 0, result.stderr
    assert "BACKEND torch 2" in result.stdout


def test_help_answers_at_once_without_importing_a_framework():
    result = _run_help([sys.executable, "-c", HELP_CHECK])
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout  # no framework import: --help answers at once
    text = result.stdout
    for expected in ("KERAS_BACKEND", "--backend", "(default: 10)", "(default: 32)",
                     "(default: outputs/dcgan_mnist)", "TF_CPP_MIN_LOG_LEVEL", "--unconditional"):
        assert expected in text, expected


def test_installed_command_answers_help_at_once():
    command = shutil.which("keras-gen-train")
    if command is None:
        pytest.skip("keras-gen-train is not installed on PATH")
    result = _run_help([command, "--help"])
    assert result.returncode == 0, result.stderr
    assert "KERAS_BACKEND" in result.stdout


def test_cli_defaults_are_the_main_job_settings():
    args = keras_gen_cli.build_parser().parse_args([])
    assert args.epochs == train.MAIN_JOB["epochs"]
    assert args.batch_size == train.MAIN_JOB["batch_size"]
    assert args.unconditional is not train.MAIN_JOB["conditional"]


def test_environment_backend_and_quiet_logs():
    import keras

    current = keras.backend.backend()
    environ = {}
    assert keras_gen_cli.configure_environment(current, environ=environ)
    assert environ == {"KERAS_BACKEND": current, "TF_CPP_MIN_LOG_LEVEL": "2"}
    # Keras is already imported here: another backend cannot be chosen any more.
    other = next(b for b in keras_gen_cli.BACKENDS if b != current)
    with pytest.raises(SystemExit, match=f"KERAS_BACKEND={other}"):
        keras_gen_cli.configure_environment(other, environ={})
    # A level the user chose is kept, and nothing else is silenced then.
    environ = {"TF_CPP_MIN_LOG_LEVEL": "0"}
    assert not keras_gen_cli.configure_environment(None, environ=environ)
    assert environ == {"TF_CPP_MIN_LOG_LEVEL": "0"}
    environ = {}
    assert not keras_gen_cli.configure_environment(None, quiet=False, environ=environ)
    assert environ == {}


def test_bad_arguments_are_refused_before_training(capsys):
    with pytest.raises(SystemExit):
        keras_gen_cli.main(["--epochs", "0"])
    assert "--epochs must be a positive integer" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        keras_gen_cli.main(["--backend", "theano"])


@pytest.mark.guide  # the main job end to end: runs on the rotating backend
def test_main_job_reports_both_generators_and_draws_the_better(tmp_path):
    _, summary = train.train_dcgan_mnist(
        output=str(tmp_path), epochs=2, batch_size=32, num_train=32, verbose=0,
        conditional=True, num_metric_samples=200, generator_learning_rate=1e-3,
        discriminator_learning_rate=1e-3,
    )
    for name in ("samples_epoch_001.png", "samples_epoch_002.png",
                 "conditional_dcgan_mnist.keras", "history.json", "metrics.json"):
        assert (tmp_path / name).is_file(), name
    with open(tmp_path / "metrics.json") as f:
        written = json.load(f)
    assert written["train_images"] == 32 and written["epochs"] == 2
    chosen = written["samples_from"]
    assert chosen in ("ema", "raw")
    both = written["generators"]
    assert set(both) == {"ema", "raw"}
    other = "raw" if chosen == "ema" else "ema"
    assert both[chosen]["fid_digits"] <= both[other]["fid_digits"]
    assert written["fid_digits"] == both[chosen]["fid_digits"]
    assert written["is_digits"] == both[chosen]["is_digits"]
    assert 1.0 <= written["is_digits"] <= 10.0
    # The last grid is drawn by the generator the metrics chose; earlier ones by the average.
    assert written["sample_grid_generators"] == ["ema", chosen]
    assert sorted(os.path.basename(p) for p in summary["files"]) == sorted(
        ["conditional_dcgan_mnist.keras", "history.json", "metrics.json",
         "samples_epoch_001.png", "samples_epoch_002.png"])
    with open(tmp_path / "history.json") as f:
        history = json.load(f)
    assert {"ema_fid", "raw_fid", "ema_better"} <= set(history)


@pytest.mark.guide  # the main job end to end: runs on the rotating backend
def test_command_lists_what_it_wrote(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")  # the job leaves a set level alone
    output = tmp_path / "run"
    code = keras_gen_cli.main(["--output", str(output), "--epochs", "1", "--num-train", "32",
                               "--unconditional", "--no-metrics", "--seed", "3"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "training a DCGAN" in printed
    for name in ("dcgan_mnist.keras", "history.json", "metrics.json", "samples_epoch_001.png"):
        assert (output / name).is_file(), name
        assert str(output / name) in printed
    with open(output / "metrics.json") as f:
        written = json.load(f)
    assert "fid_digits" not in written and written["model"].startswith("GAN")


def test_stderr_silenced_restores_file_descriptor_2():
    before = os.fstat(2)
    with keras_gen_cli.stderr_silenced():
        os.write(2, b"hidden\n")
    after = os.fstat(2)
    assert (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino)
    with pytest.raises(ValueError):
        with keras_gen_cli.stderr_silenced():
            raise ValueError("propagates")
    after = os.fstat(2)
    assert (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino)


def test_training_continues_from_a_weights_file(tmp_path):
    import keras
    import numpy as np

    tiny = {"base_filters": 8, "discriminator_filters": 8}
    first, _ = train.train_dcgan_mnist(
        output=str(tmp_path / "first"), epochs=1, batch_size=16, num_train=32, verbose=0,
        measure=False, architecture=tiny, sample_every=5,
    )
    path = str(tmp_path / "first.weights.h5")
    first.save_weights(path)
    # With learning rates of 0 nothing moves: the run must start from the file's weights.
    second, summary = train.train_dcgan_mnist(
        output=str(tmp_path / "second"), epochs=1, batch_size=16, num_train=32, verbose=0,
        measure=False, architecture=tiny, sample_every=5, seed=1, initial_weights=path,
        generator_learning_rate=0.0, discriminator_learning_rate=0.0,
    )
    assert summary["initial_weights"] == path
    for network in ("generator", "discriminator", "ema_model"):
        for a, b in zip(getattr(first, network).trainable_weights,
                        getattr(second, network).trainable_weights):
            a, b = keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b)
            if network == "ema_model":
                # Averaging equal weights, d * w + (1 - d) * w, may round in the last bit.
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
            else:
                np.testing.assert_array_equal(a, b)
