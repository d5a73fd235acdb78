import pytest

pytestmark = pytest.mark.guide


def test_conditional_and_modern_gans_guide_runs_in_fast_mode(run_guide, tmp_path):
    result = run_guide("conditional_and_modern_gans", timeout=1200)
    for name in ("cgan_by_class.png", "stylegan_samples.png", "style_mixing.png",
                 "diffaugment_samples.png"):
        assert (tmp_path / name).is_file(), name
    # The truncation section prints a diversity that falls with the threshold.
    distances = [float(line.rsplit(" ", 1)[1]) for line in result.stdout.splitlines()
                 if line.startswith("truncation=")]
    assert len(distances) == 4 and distances == sorted(distances, reverse=True), result.stdout
