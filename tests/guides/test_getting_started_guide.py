import pytest

pytestmark = pytest.mark.guide


def test_getting_started_guide_runs_in_fast_mode(run_guide, tmp_path):
    run_guide("getting_started")
    for name in ("samples.png", "samples_epoch_001.png", "dcgan.keras"):
        assert (tmp_path / name).is_file(), name
