"""Runs a guide in its fast mode, in a fresh process, inside the test's folder.

Guides run on the rotating backend (tests/conftest.py); the model contract
covers every backend.
"""

import os
import subprocess
import sys

import pytest

GUIDES = os.path.join(os.path.dirname(__file__), "..", "..", "guides")


@pytest.fixture
def run_guide(tmp_path):
    """`run_guide(name, timeout)`: runs `guides/<name>.py` fast; fails with its output if it fails.

    Returns the `subprocess.CompletedProcess`; the guide's files are in `tmp_path`.
    """

    def run(name, timeout=600):
        env = dict(os.environ, KERAS_GEN_GUIDE_FAST="1", KERAS_GEN_GUIDE_OUTPUT=str(tmp_path))
        result = subprocess.run(
            [sys.executable, os.path.abspath(os.path.join(GUIDES, f"{name}.py"))],
            env=env, capture_output=True, text=True, timeout=timeout, cwd=str(tmp_path),
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    return run
