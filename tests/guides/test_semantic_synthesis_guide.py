"""The semantic synthesis guide (SPADE) runs end to end in its fast mode."""

import math
import re

import pytest

pytestmark = pytest.mark.guide


def _scores(name, text):
    match = re.search(
        rf"^{re.escape(name)}: mean IoU ([\d.]+), region accuracy ([\d.]+), pixel accuracy ([\d.]+)$",
        text, re.MULTILINE)
    assert match, f"{name!r} scores not printed:\n{text[-3000:]}"
    return [float(v) for v in match.groups()]


def test_semantic_synthesis_guide_runs_in_fast_mode(run_guide, tmp_path):
    result = run_guide("semantic_synthesis", timeout=900)
    out = result.stdout
    for name in ("spade_maps_and_images.png", "spade_edit_regions.png", "spade.keras"):
        assert (tmp_path / name).is_file(), name
    assert len(list((tmp_path / "my_data" / "images").glob("*.png"))) == 32
    assert len(list((tmp_path / "my_data" / "labels").glob("*.png"))) == 32
    # Real images score high under the protocol; every score is a fraction.
    real_iou, real_accuracy, _ = _scores("real images", out)
    assert real_iou > 0.8 and real_accuracy > 0.8, (real_iou, real_accuracy)
    for name in ("SPADE", "SPADE, other maps", "untrained"):
        assert all(0.0 <= v <= 1.0 for v in _scores(name, out)), name
    fids = re.findall(r"FID \(digits features\) [\w ]+: ([\d.]+)", out)
    assert len(fids) == 3 and all(math.isfinite(float(v)) for v in fids), fids
    # The folder loader's error names the fix.
    assert "ValueError: Label map" in out and "Pass num_classes=13" in out
