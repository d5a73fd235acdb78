"""Chief-only writing: keras_gen's writers write nothing on a worker that is not rank 0.

The context is set by hand (no processes): the 2-worker runs in
`test_tf_multi_worker.py` check the same on a real cluster.
"""

import json
import os

import keras
import pytest

import keras_gen
from keras_gen.distributed import environment
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator


@pytest.fixture
def worker(monkeypatch):
    """Makes this process rank 1 of 2."""
    context = keras_gen.distributed.DistributedContext(keras.backend.backend(), 1, 2)
    monkeypatch.setattr(environment, "_CONTEXT", context)
    return context


def make_gan():
    keras.utils.set_random_seed(0)
    gan = keras_gen.models.GAN(
        tiny_generator(4, output_shape=(4, 4, 1)), tiny_discriminator(input_shape=(4, 4, 1)),
        seed=0)
    gan.compile()
    return gan


def test_is_chief_follows_the_context(worker, monkeypatch):
    assert not keras_gen.distributed.is_chief()
    monkeypatch.setattr(environment, "_CONTEXT", None)
    assert keras_gen.distributed.is_chief()  # one process is its own chief


def test_sample_grid_writes_only_on_the_chief(worker, tmp_path, monkeypatch):
    gan = make_gan()
    grid = keras_gen.callbacks.SampleGrid(tmp_path / "samples", num_samples=4)
    grid.set_model(gan)
    grid.on_epoch_end(0)
    assert grid.write(1) is None
    assert grid.paths == [] and not (tmp_path / "samples").exists()
    monkeypatch.setattr(environment, "_CONTEXT", None)
    grid.on_epoch_end(0)
    assert [os.path.basename(p) for p in grid.paths] == ["samples_epoch_001.png"]
    assert os.path.isfile(grid.paths[0])


def test_write_preset_writes_only_on_the_chief(worker, tmp_path):
    gan = make_gan()
    kwargs = dict(card="# tiny\n", recipe_script="recipe.py", recipe_args=[])
    # The arguments are still checked on every worker.
    with pytest.raises(ValueError, match="metrics"):
        keras_gen.presets.write_preset(gan, tmp_path / "preset", {"dataset": "x"}, **kwargs)
    result = keras_gen.presets.write_preset(
        gan, tmp_path / "preset", {"metrics": {"d_loss": 1.0}}, **kwargs)
    assert result is None and not (tmp_path / "preset").exists()


def test_checkpoints_and_saves_are_written_only_on_the_chief(worker, tmp_path, monkeypatch):
    gan = make_gan()
    path = tmp_path / "ckpt" / "gan_{epoch}.weights.h5"
    checkpoint = keras_gen.callbacks.ModelCheckpoint(path, save_weights_only=True)
    backup = keras_gen.callbacks.BackupAndRestore(tmp_path / "backup")
    for callback in (checkpoint, backup):
        callback.set_model(gan)
    checkpoint.on_epoch_end(0, logs={"g_loss": 1.0})
    backup.on_epoch_end(0)
    keras_gen.distributed.save_model(gan, tmp_path / "gan.keras")
    keras_gen.distributed.save_weights(gan, tmp_path / "gan.weights.h5")
    assert sorted(os.listdir(tmp_path)) == []
    # One process is its own chief: the same calls write every file.
    monkeypatch.setattr(environment, "_CONTEXT", None)
    checkpoint.on_epoch_end(0, logs={"g_loss": 1.0})
    backup.on_epoch_end(0)
    keras_gen.distributed.save_model(gan, tmp_path / "gan.keras")
    keras_gen.distributed.save_weights(gan, tmp_path / "gan.weights.h5")
    assert sorted(os.listdir(tmp_path)) == ["backup", "ckpt", "gan.keras", "gan.weights.h5"]
    assert os.listdir(tmp_path / "ckpt") == ["gan_1.weights.h5"]


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TF_CONFIG is TensorFlow's")
def test_tf_config_names_the_chief_without_a_strategy(monkeypatch):
    # A script that built its own MultiWorkerMirroredStrategy: no initialize().
    monkeypatch.setattr(environment, "_CONTEXT", None)
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    for index, chief in ((0, True), (1, False)):
        monkeypatch.setenv("TF_CONFIG", json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        context = keras_gen.distributed.current_context()
        assert (context.rank, context.world_size, context.strategy) == (index, 2, None)
        assert keras_gen.distributed.is_chief() is chief
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": dict(cluster, chief=["127.0.0.1:3"]), "task": {"type": "evaluator"}}))
    assert keras_gen.distributed.current_context().world_size == 1
