"""The multimodal translation guide (BicycleGAN, MUNIT) runs end to end in its fast mode."""

import math
import re

import pytest

pytestmark = pytest.mark.guide


def _number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not printed:\n{text[-3000:]}"
    return float(match.group(1))


def test_multimodal_translation_guide_runs_in_fast_mode(run_guide, tmp_path):
    result = run_guide("multimodal_translation", timeout=900)
    out = result.stdout
    for name in ("bicyclegan_samples.png", "pix2pix_samples.png", "bicyclegan_encoded_styles.png",
                 "munit_random_styles.png", "munit_example_styles.png", "munit_style_swap.png"):
        assert (tmp_path / name).is_file(), name
        assert (tmp_path / name).stat().st_size > 0, name
    assert len(list((tmp_path / "my_pairs" / "train").glob("*.png"))) == 16
    for side in ("trainA", "trainB"):
        assert len(list((tmp_path / "my_domains" / side).glob("*.png"))) == 16
    # Two fast epochs teach little: the numbers must be printed and finite, not good.
    for pattern in (r"diversity BicycleGAN: ([\d.]+)", r"diversity Pix2Pix \(dropout\): ([\d.]+)",
                    r"\|G\(a, E\(b\)\) - b\|: ([\d.]+)"):
        value = _number(pattern, out)
        assert math.isfinite(value) and value >= 0, (pattern, value)
    # The digits classifier reads the real digits: the accuracy check itself works.
    assert _number(r"digit accuracy, real A: ([\d.]+)", out) > 0.9
    assert _number(r"real B: ([\d.]+)", out) > 0.9
    for pattern in (r"after A->B: ([\d.]+)", r"after B->A: ([\d.]+)",
                    r"style swapping in B: digit accuracy ([\d.]+)"):
        assert 0.0 <= _number(pattern, out) <= 1.0, pattern
