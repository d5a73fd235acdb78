"""tf.distribute.MultiWorkerMirroredStrategy: 2 TensorFlow workers on 127.0.0.1 against one process.

`tf_multi_worker.py` trains an AutoEncoder (deterministic) and a GAN with a
`SampleGrid` callback; the launcher's functions run it as 2 workers (a
`TF_CONFIG` cluster of 2 tasks, each worker seeding its initialization
differently), and the same `train()` in this process, with no strategy, is
the single-process reference on the same global batches. One launch serves
every test below.
"""

import json
import os

import keras
import numpy as np
import pytest

WORKER = os.path.join(os.path.dirname(__file__), "tf_multi_worker.py")
ON_TF = keras.backend.backend() == "tensorflow"
needs_tf = pytest.mark.skipif(
    not ON_TF, reason="MultiWorkerMirroredStrategy runs on the tensorflow backend")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, two_workers_and_reference):
    """`(rank results, single-process result, output folder)`."""
    out = tmp_path_factory.mktemp("tf_workers")
    # One thread per op in the workers: they share the machine's cores with this process.
    threads = {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
               "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    # Keras's fit reduces scalar logs with `strategy.reduce("MEAN", v, axis=0)` on
    # several workers ("Invalid reduction dimension 0 for input with 0 dimensions",
    # tensorflow/tensorflow#72388): the TF trainer gives its logs a length-1 axis.
    single = two_workers_and_reference("tensorflow", WORKER, out, threads, str(out / "single"))
    ranks = []
    for rank in range(2):
        with open(out / f"rank{rank}.json") as file:
            ranks.append(json.load(file))
    return ranks, single, out


@needs_tf
@pytest.mark.multiprocess
def test_workers_join_and_end_with_identical_weights(runs):
    ranks, _, _ = runs
    assert [r["rank"] for r in ranks] == [0, 1]
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert [r["is_chief"] for r in ranks] == [True, False]
    # Each worker initialized from its own seed: the strategy's broadcast of
    # initial values and the all-reduced updates leave the weights bitwise equal.
    assert ranks[0]["ae_digest"] == ranks[1]["ae_digest"]
    assert ranks[0]["gan_digest"] == ranks[1]["gan_digest"]


@needs_tf
@pytest.mark.multiprocess
@pytest.mark.parametrize("name", ["cgan_projection", "vae_gaussian_warmup", "cyclegan"])
def test_conditional_gan_vae_and_cyclegan_train_on_two_workers(runs, name):
    ranks, single, _ = runs
    for rank in ranks + [single]:
        assert rank[f"{name}_finite"], name
    assert ranks[0][f"{name}_digest"] == ranks[1][f"{name}_digest"]


@needs_tf
@pytest.mark.multiprocess
def test_autoencoder_matches_one_process_on_the_global_batch(runs):
    ranks, single, _ = runs
    for rank in ranks:
        # Logged losses are the global batch's: the single-process values.
        np.testing.assert_allclose(rank["ae_loss"], single["ae_loss"], rtol=1e-5)
        for a, b in zip(rank["ae_weights"], single["ae_weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@needs_tf
@pytest.mark.multiprocess
def test_gan_losses_keep_the_single_process_scale(runs):
    ranks, single, _ = runs
    for rank in ranks:
        # The fake batches differ from the single-process run, so values differ a
        # little; a per-replica scaling mistake would be off by a factor of 2.
        for key in ("gan_d_loss", "gan_g_loss"):
            np.testing.assert_allclose(rank[key], single[key], rtol=0.25, err_msg=key)


@needs_tf
@pytest.mark.multiprocess
def test_gan_latent_noise_differs_across_workers(runs):
    ranks, _, _ = runs
    gap = np.abs(np.asarray(ranks[0]["latents"]) - np.asarray(ranks[1]["latents"])).mean()
    assert gap > 0.5


@needs_tf
@pytest.mark.multiprocess
def test_only_the_chief_writes_the_sample_grid(runs):
    ranks, single, out = runs
    assert ranks[0]["grid_files"] == ["samples_epoch_002.png"]
    assert len(ranks[0]["grid_paths"]) == 1 and os.path.isfile(ranks[0]["grid_paths"][0])
    assert ranks[1]["grid_paths"] == [] and ranks[1]["grid_files"] == []
    assert not (out / "rank1" / "samples").exists()
    # One process is its own chief.
    assert single["grid_files"] == ["samples_epoch_002.png"]


@needs_tf
@pytest.mark.multiprocess
def test_backup_and_restore_resumes_a_two_worker_run(runs):
    ranks, single, _ = runs
    for rank in ranks + [single]:
        # The chief wrote the backup after epoch 1 and every worker saw it complete.
        assert rank["backup_files"] == ["latest.weights.h5", "training_metadata.json"]
        # The resumed fit ran epoch 2 only and ended bitwise where the
        # uninterrupted GAN of the same run ended, weights and seed states.
        assert rank["resumed_epochs"] == [1]
        assert rank["resumed_digest"] == rank["gan_digest"]
        assert rank["backup_deleted"]
        # keras_gen's ModelCheckpoint and save_model: every worker saves, the chief writes.
        assert rank["checkpoint_files"] == ["gan_2.weights.h5"]
        assert rank["saved_model"]


@needs_tf
@pytest.mark.multiprocess
def test_generative_metrics_agree_across_workers(runs):
    ranks, _, _ = runs
    # Same weights, same seeded samples: ModelCheckpoint/EarlyStopping on
    # "fid" take the same decision on every worker.
    assert len(ranks[0]["gan_fid"]) == 2 and np.all(np.isfinite(ranks[0]["gan_fid"]))
    assert ranks[0]["gan_fid"] == ranks[1]["gan_fid"]
