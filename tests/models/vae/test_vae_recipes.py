"""The VAE and AAE recipes' smoke runs write valid presets."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gen

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def run_script(args, env_updates, cwd, timeout=600):
    env = dict(os.environ, **env_updates)
    result = subprocess.run(
        [sys.executable] + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


HAS_DIGITS_CLASSIFIER = os.path.isfile(
    os.path.join(ROOT, "applications", "presets", "digits_classifier", "model.weights.h5")
)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_DIGITS_CLASSIFIER, reason="run recipes/digits_classifier.py first")
@pytest.mark.parametrize(
    "recipe, extra",
    [("vae_mnist.py", []),
     ("aae_mnist.py", ["--prior", "mixture", "--latent-dim", "2", "--lr-schedule", "cosine"])],
)
def test_recipe_quick_run_writes_a_loadable_preset(recipe, extra, tmp_path):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("recipes run on TensorFlow by default; covered by the TensorFlow run")
    out = tmp_path / "preset"
    run_script(
        [os.path.join(ROOT, "recipes", recipe), "--quick", "--output", str(out)] + extra,
        {"KERAS_BACKEND": "tensorflow"},
        cwd=str(tmp_path),
    )
    metadata = json.loads((out / "metadata.json").read_text())
    card = (out / "README.md").read_text()
    assert metadata["training"]["quick"] is True
    assert metadata["recipe"] in card
    assert (out / "samples.png").is_file()
    if "--lr-schedule" in extra:
        assert metadata["training"]["lr_schedule"] == "cosine" and "cosine decay to 0" in card
    # Both recipes sample from a mixture fitted to the training codes by default.
    assert metadata["training"]["latent_density_components"] == 10
    assert "fitted by EM" in card
    assert os.path.getsize(out / "model.weights.h5") < 5e6
    model = keras_gen.presets.from_preset(str(out))
    assert model.latent_density_components == 10
    assert model.generate(2, seed=0).shape == (2, 28, 28, 1)
    for key, value in metadata["results"].items():
        assert np.isfinite(value), key
