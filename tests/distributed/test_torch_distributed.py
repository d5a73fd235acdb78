"""torch.distributed data parallelism: 2 gloo ranks on 127.0.0.1 against one process.

`torch_worker.py` trains an AutoEncoder, an AutoEncoder with synchronized
BatchNormalization and a GAN; the launcher runs it on two ranks (each rank
initializing its networks from a different seed), and the same `train()` in
this process, with no process group, is the single-process reference on the
same global batches.
"""

import os

import keras
import numpy as np
import pytest

WORKER = os.path.join(os.path.dirname(__file__), "torch_worker.py")
ON_TORCH = keras.backend.backend() == "torch"
needs_torch = pytest.mark.skipif(not ON_TORCH, reason="torch.distributed runs on the torch backend")


def _weights(result, prefix):
    keys = sorted((k for k in result if k.startswith(prefix + "_w")), key=lambda k: int(k.split("_w")[1]))
    return [result[k] for k in keys]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, two_workers_and_reference):
    """`(rank results, single-process result)`: one launch shared by the tests below."""
    out = tmp_path_factory.mktemp("torch_ranks")
    # One torch thread per rank: the two ranks and this process share the machine's
    # cores (`test_launch.py` covers `python -m keras_gen.distributed.launch`).
    single = two_workers_and_reference(
        "torch", WORKER, out, {"OMP_NUM_THREADS": "1"}, str(out / "single"))
    ranks = [dict(np.load(out / f"rank{rank}.npz")) for rank in range(2)]
    return ranks, single


@needs_torch
@pytest.mark.multiprocess
def test_ranks_join_and_end_with_identical_weights(runs):
    ranks, _ = runs
    assert [int(r["rank"]) for r in ranks] == [0, 1]
    assert all(int(r["world_size"]) == 2 for r in ranks)
    for prefix in ("ae", "bn", "gan"):
        # Each rank built its networks from its own seed: the copy from rank 0
        # and the averaged updates leave them bitwise equal.
        for a, b in zip(_weights(ranks[0], prefix), _weights(ranks[1], prefix)):
            np.testing.assert_array_equal(a, b, err_msg=prefix)


@needs_torch
@pytest.mark.multiprocess
def test_autoencoder_matches_one_process_on_the_global_batch(runs):
    ranks, single = runs
    for rank in ranks:
        # Logged losses are the ranks' average: the single-process scale.
        np.testing.assert_allclose(rank["ae_loss"], single["ae_loss"], rtol=1e-5)
        for a, b in zip(_weights(rank, "ae"), _weights(single, "ae")):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@needs_torch
@pytest.mark.multiprocess
def test_synchronized_batch_norm_matches_one_process(runs):
    ranks, single = runs
    for rank in ranks:
        np.testing.assert_allclose(rank["bn_loss"], single["bn_loss"], rtol=1e-4)
        # Includes the moving mean and variance, from global-batch statistics.
        for a, b in zip(_weights(rank, "bn"), _weights(single, "bn")):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@needs_torch
@pytest.mark.multiprocess
def test_a_nan_on_one_rank_makes_every_rank_skip(runs):
    ranks, _ = runs
    for rank in ranks:
        assert bool(rank["nan_logged"])
        assert bool(rank["nan_kept_weights"])
        assert bool(rank["nan_kept_iterations"])


@needs_torch
@pytest.mark.multiprocess
def test_unequal_shards_are_refused_on_every_rank(runs):
    ranks, single = runs
    assert str(single["unequal_error"]) == ""  # one process: nothing to compare
    for rank in ranks:
        message = str(rank["unequal_error"])
        assert "same number of steps" in message and "keras_gen.distributed.shard" in message


@needs_torch
@pytest.mark.multiprocess
def test_gan_latent_noise_differs_across_ranks(runs):
    ranks, _ = runs
    gap = np.abs(ranks[0]["gan_latents"] - ranks[1]["gan_latents"]).mean()
    assert gap > 0.5
    assert np.isfinite(ranks[0]["gan_d_loss"]).all()


@needs_torch
def test_without_a_process_group_every_collective_is_skipped():
    import torch

    from keras_gen.trainers import torch_distributed

    assert torch_distributed.world_size() == 1
    tensors = [torch.tensor(2.0), torch.ones(2)]
    assert all(a is b for a, b in zip(torch_distributed.all_reduce_mean(tensors), tensors))
    variable = keras.Variable(np.ones(3, "float32"))
    torch_distributed.broadcast_variables([variable])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(variable), np.ones(3))
    torch_distributed.check_equal_steps(np.zeros((5, 2)), 2)


@needs_torch
@pytest.mark.multiprocess
def test_backup_and_restore_resumes_a_two_rank_run(runs):
    ranks, single = runs
    for rank in ranks + [single]:
        # The chief wrote the backup after epoch 1 and every rank saw it complete.
        assert list(rank["backup_files"]) == ["latest.weights.h5", "training_metadata.json"]
        # The resumed fit ran epoch 2 only and ended bitwise where the
        # uninterrupted GAN ended, weights and seed states.
        assert list(rank["resumed_epochs"]) == [1]
        for a, b in zip(_weights(rank, "resumed"), _weights(rank, "gan"), strict=True):
            np.testing.assert_array_equal(a, b)
        assert bool(rank["backup_deleted"])
        # keras_gen's ModelCheckpoint and save_model: every rank saves, the chief writes.
        assert list(rank["checkpoint_files"]) == ["gan_2.weights.h5"]
        assert bool(rank["saved_model"])


@needs_torch
@pytest.mark.multiprocess
@pytest.mark.parametrize("name", ["cgan_projection", "vae_gaussian_warmup", "cyclegan"])
def test_conditional_gan_vae_and_cyclegan_train_on_two_processes(runs, name):
    ranks, single = runs
    for rank in ranks + [single]:
        assert bool(rank[f"{name}_finite"]), name
    assert str(ranks[0][f"{name}_trainable"]) == str(ranks[1][f"{name}_trainable"])
