import pytest

pytestmark = [pytest.mark.guide, pytest.mark.multiprocess]


def test_distributed_training_guide_runs_two_workers_in_fast_mode(run_guide, tmp_path):
    result = run_guide("distributed_training")
    # The launcher prefixes each worker's lines with its rank; both joined one run of 2.
    assert "rank 0 of 2" in result.stdout and "rank 1 of 2" in result.stdout
    assert (tmp_path / "samples.png").is_file()
    # keras_gen.distributed.save_model on both workers: the chief wrote a loadable model.
    assert (tmp_path / "dcgan.keras").is_file()
    assert (tmp_path / "rank0.json").is_file() and (tmp_path / "rank1.json").is_file()
