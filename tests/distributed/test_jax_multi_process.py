"""Multi-process JAX: 2 processes x 1 CPU device on 127.0.0.1 against one process.

`jax_multi_process.py` trains an AutoEncoder (deterministic) and a GAN under
a `keras.distribution.DataParallel` over both processes' devices
(`jax.distributed.initialize` through `keras_gen.distributed.initialize()`,
CPU collectives over Gloo), each process feeding its shard of every global
batch; the same `train()` in this process, with no distribution, is the
single-process reference on the same global batches. One launch serves every
test below.
"""

import json
import os

import keras
import numpy as np
import pytest

WORKER = os.path.join(os.path.dirname(__file__), "jax_multi_process.py")
ON_JAX = keras.backend.backend() == "jax"
needs_jax = pytest.mark.skipif(not ON_JAX, reason="jax.distributed runs on the jax backend")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, two_workers_and_reference):
    """`(process results, single-process result)`."""
    out = tmp_path_factory.mktemp("jax_processes")
    # One thread per process for the math: they share the machine's cores with this one.
    single = two_workers_and_reference(
        "jax", WORKER, out, {"OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
        str(out / "single"))
    ranks = []
    for rank in range(2):
        with open(out / f"rank{rank}.json") as file:
            ranks.append(json.load(file))
    return ranks, single


@needs_jax
@pytest.mark.multiprocess
def test_processes_join_and_end_with_identical_weights(runs):
    ranks, single = runs
    assert [r["rank"] for r in ranks] == [0, 1]
    assert [r["world_size"] for r in ranks] == [2, 2]
    # keras.distribution.list_devices() lists every process's devices.
    assert [r["devices"] for r in ranks] == [2, 2] and single["devices"] == 1
    assert ranks[0]["ae_digest"] == ranks[1]["ae_digest"]
    assert ranks[0]["gan_digest"] == ranks[1]["gan_digest"]


@needs_jax
@pytest.mark.multiprocess
def test_autoencoder_matches_one_process_on_the_global_batch(runs):
    ranks, single = runs
    for rank in ranks:
        np.testing.assert_allclose(rank["ae_loss"], single["ae_loss"], rtol=1e-5)
        for a, b in zip(rank["ae_weights"], single["ae_weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@needs_jax
@pytest.mark.multiprocess
def test_gan_losses_match_one_process(runs):
    ranks, single = runs
    # One program draws the global batch's noise: the single-process math.
    for rank in ranks:
        for key in ("gan_d_loss", "gan_g_loss"):
            np.testing.assert_allclose(rank[key], single[key], rtol=1e-3, err_msg=key)


@needs_jax
@pytest.mark.multiprocess
def test_indivisible_batches_name_the_global_device_count(runs):
    ranks, single = runs
    assert single["indivisible_error"] == ""  # one device: any batch size
    for rank in ranks:
        message = rank["indivisible_error"]
        assert "Training on 2 devices" in message and "divide by 2" in message, message
        assert "drop_remainder=True" in message


@needs_jax
@pytest.mark.multiprocess
def test_backup_and_restore_resumes_a_two_process_run(runs):
    ranks, single = runs
    for rank in ranks + [single]:
        # The chief wrote the backup after epoch 1 and every process saw it complete.
        assert rank["backup_files"] == ["latest.weights.h5", "training_metadata.json"]
        # The resumed fit ran epoch 2 only and ended bitwise where the
        # uninterrupted GAN ended, weights and seed states.
        assert rank["resumed_epochs"] == [1]
        assert rank["resumed_digest"] == rank["gan_digest"]
        assert rank["backup_deleted"]
        # keras_gen's ModelCheckpoint and save_model: every worker saves, the chief writes.
        assert rank["checkpoint_files"] == ["gan_2.weights.h5"]
        assert rank["saved_model"]


@needs_jax
@pytest.mark.multiprocess
@pytest.mark.parametrize("name", ["cgan_projection", "vae_gaussian_warmup", "cyclegan"])
def test_conditional_gan_vae_and_cyclegan_train_on_two_processes(runs, name):
    ranks, single = runs
    for rank in ranks + [single]:
        assert bool(rank[f"{name}_finite"]), name
    assert (ranks[0][f"{name}_trainable"]) == (ranks[1][f"{name}_trainable"])
