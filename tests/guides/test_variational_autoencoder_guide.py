"""The VAE guide runs top to bottom in its fast mode."""

import os
import subprocess
import sys

import pytest
from PIL import Image

# Guides run on the rotating backend (tests/conftest.py); the model contract covers every backend.
pytestmark = pytest.mark.guide

GUIDE = os.path.join(os.path.dirname(__file__), "..", "..", "guides", "variational_autoencoder.py")


def test_variational_autoencoder_guide_runs_in_fast_mode(tmp_path):
    env = dict(os.environ, KERAS_GEN_GUIDE_FAST="1", KERAS_GEN_GUIDE_OUTPUT=str(tmp_path))
    result = subprocess.run([sys.executable, os.path.abspath(GUIDE)], env=env, capture_output=True,
                            text=True, timeout=600, cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name in (
        "vae_reconstructions.png",
        "vae_samples.png",
        "vae_interpolation.png",
        "vae_latent_map.png",
        "vae_manifold.png",
        "vae_traversal.png",
    ):
        with Image.open(tmp_path / name) as image:
            assert image.format == "PNG"
    assert (tmp_path / "vae_digits.keras").is_file()
