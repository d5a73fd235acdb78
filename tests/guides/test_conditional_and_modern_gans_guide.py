import os
import subprocess
import sys

import pytest

# Guides run on the rotating backend (tests/conftest.py); the model contract covers every backend.
pytestmark = pytest.mark.guide

GUIDE = os.path.join(os.path.dirname(__file__), "..", "..", "guides", "conditional_and_modern_gans.py")


def test_conditional_and_modern_gans_guide_runs_in_fast_mode(tmp_path):
    env = dict(os.environ, KERAS_GEN_GUIDE_FAST="1", KERAS_GEN_GUIDE_OUTPUT=str(tmp_path))
    result = subprocess.run([sys.executable, GUIDE], env=env, capture_output=True, text=True,
                            timeout=1200, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("cgan_by_class.png", "stylegan_samples.png", "style_mixing.png",
                 "diffaugment_samples.png"):
        assert (tmp_path / name).is_file(), name
    # The truncation section prints a diversity that falls with the threshold.
    distances = [float(line.rsplit(" ", 1)[1]) for line in result.stdout.splitlines()
                 if line.startswith("truncation=")]
    assert len(distances) == 4 and distances == sorted(distances, reverse=True), result.stdout
