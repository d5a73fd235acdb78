import os
import subprocess
import sys

import pytest

# Guides run on the rotating backend (tests/conftest.py); the model contract covers every backend.
pytestmark = pytest.mark.guide

GUIDE = os.path.join(os.path.dirname(__file__), "..", "..", "guides", "getting_started.py")


def test_getting_started_guide_runs_in_fast_mode(tmp_path):
    env = dict(os.environ, KERAS_GEN_GUIDE_FAST="1", KERAS_GEN_GUIDE_OUTPUT=str(tmp_path))
    result = subprocess.run([sys.executable, GUIDE], env=env, capture_output=True, text=True,
                            timeout=600, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("samples.png", "samples_epoch_001.png", "dcgan.keras"):
        assert (tmp_path / name).is_file(), name
