"""The image-to-image guide runs end to end in its fast mode."""

import pytest

pytestmark = pytest.mark.guide


def test_image_to_image_guide_runs_in_fast_mode(run_guide, tmp_path):
    result = run_guide("image_to_image", timeout=900)
    for name in ("pix2pix_triplets.png", "cyclegan_cycle.png", "pix2pix.keras", "cyclegan.keras"):
        assert (tmp_path / name).is_file(), name
    assert "ValueError: Domain A images" in result.stdout
