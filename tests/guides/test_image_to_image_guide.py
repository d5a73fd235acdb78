"""The image-to-image guide runs end to end in its fast mode."""

import os
import subprocess
import sys

import pytest

# Guides run on the rotating backend (tests/conftest.py); the model contract covers every backend.
pytestmark = pytest.mark.guide

GUIDE = os.path.join(os.path.dirname(__file__), "..", "..", "guides", "image_to_image.py")


def test_image_to_image_guide_runs_in_fast_mode(tmp_path):
    env = dict(os.environ, KERAS_GEN_GUIDE_FAST="1", KERAS_GEN_GUIDE_OUTPUT=str(tmp_path))
    result = subprocess.run([sys.executable, os.path.abspath(GUIDE)], env=env, capture_output=True,
                            text=True, timeout=900, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("pix2pix_triplets.png", "cyclegan_cycle.png", "pix2pix.keras", "cyclegan.keras"):
        assert (tmp_path / name).is_file(), name
    assert "ValueError: Domain A images" in result.stdout
