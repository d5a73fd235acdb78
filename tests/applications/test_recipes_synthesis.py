"""The BicycleGAN, MUNIT and SPADE recipes' smoke runs write presets that load and synthesize.

Each recipe runs with `--quick` in a fresh process on the test run's backend
(the `guide` marker: the backend named by KERAS_GEN_QUALITY_BACKEND, all when
unset), into a temporary folder; the shipped presets themselves are checked
by test_preset_contract.py on every backend.
"""

import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gen

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAS_DIGITS_CLASSIFIER = os.path.isfile(
    os.path.join(ROOT, "applications", "presets", "digits_classifier", "model.weights.h5")
)

pytestmark = [
    pytest.mark.guide,
    pytest.mark.skipif(not HAS_DIGITS_CLASSIFIER, reason="run recipes/digits_classifier.py first"),
]


def run_recipe(recipe, out, cwd, timeout=900):
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "recipes", recipe), "--quick", "--output", str(out)],
        cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    metadata = json.loads((out / "metadata.json").read_text())
    card = (out / "README.md").read_text()
    assert metadata["training"]["quick"] is True
    assert metadata["backend"] == keras.backend.backend()
    assert metadata["recipe"] in card
    assert os.path.getsize(out / "model.weights.h5") < 5e6
    for key, value in metadata["metrics"].items():
        if key != "how_measured":
            assert math.isfinite(value), key
    return metadata, card


def finite_numbers(tree):
    """Every number of a nested dict of results."""
    if isinstance(tree, dict):
        for value in tree.values():
            yield from finite_numbers(value)
    else:
        yield tree


def test_bicyclegan_recipe_quick_run_writes_a_loadable_preset(tmp_path):
    out = tmp_path / "preset"
    metadata, card = run_recipe("bicyclegan_skeletons2digits.py", out, tmp_path)
    results = metadata["results"]
    assert results["diversity_fixed_code"] == 0.0  # no dropout: a fixed code, one output
    assert f"{results['diversity']:.4f}" in card
    assert f"{results['encoded_style_l1']:.4f}" in card
    assert (out / "samples.png").is_file()
    model = keras_gen.presets.from_preset(str(out))
    assert isinstance(model, keras_gen.models.BicycleGAN)
    a, _ = keras_gen.datasets.tasks.skeletons2digits("test")
    assert model.translate(a[:2], num_samples=3, seed=0).shape == (2, 3, 32, 32, 1)


def test_munit_recipe_quick_run_writes_a_loadable_preset(tmp_path):
    out = tmp_path / "preset"
    metadata, card = run_recipe("munit_digits2styled.py", out, tmp_path)
    after = metadata["results"]["after_training"]
    assert all(np.isfinite(v) for v in finite_numbers(after))
    assert f"{after['accuracy_a2b']:.3f}" in card
    assert f"{after['style_reconstruction_loss']:.4f}" in card
    for figure in ("styles.png", "guided.png", "b2a.png"):
        assert (out / figure).is_file(), figure
    model = keras_gen.presets.from_preset(str(out))
    assert isinstance(model, keras_gen.models.MUNIT)
    size = metadata["training"]["image_size"]
    a, _, b, _ = keras_gen.datasets.tasks.digits2styled("test", image_size=size, stripes=False)
    assert model.translate(a[:2, ..., :1], "a2b", num_samples=2, seed=0).shape == (2, 2, size, size, 3)
    assert model.translate(b[:2], "b2a", seed=0).shape == (2, size, size, 1)


def test_spade_recipe_quick_run_writes_a_loadable_preset(tmp_path):
    out = tmp_path / "preset"
    metadata, card = run_recipe("spade_digits.py", out, tmp_path)
    after = metadata["results"]["after_training"]
    assert all(np.isfinite(v) for v in finite_numbers(after))
    assert f"{after['faithfulness']['mean_iou']:.3f}" in card
    assert f"{after['digits_fid_cells_vs_test']:.2f}" in card
    for figure in ("samples.png", "regions.png"):
        assert (out / figure).is_file(), figure
    model = keras_gen.presets.from_preset(str(out))
    assert isinstance(model, keras_gen.models.SPADE)
    size = metadata["training"]["image_size"]
    _, maps = keras_gen.datasets.tasks.digits_segmentation("test", image_size=size, num_images=2)
    assert model.synthesize(maps, seed=0).shape == (2, size, size, 1)
