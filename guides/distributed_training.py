"""
Title: Data-parallel training on one GPU, several GPUs and several hosts
Author: keras_gen developers
Date created: 2026/12/03
Last modified: 2026/12/03
Description: Train the same keras_gen model on one device, on every device of a host, and across processes and hosts with TensorFlow, JAX or PyTorch's own engines.
Accelerator: None (the fast mode runs 2 local workers on CPU)
"""

"""
## Introduction

keras_gen trains with `fit()`, so it scales the way Keras does on each backend, with the engine
that backend's users already run:

| backend | one host, several devices | several processes or hosts |
|---|---|---|
| TensorFlow | `tf.distribute.MirroredStrategy` | `tf.distribute.MultiWorkerMirroredStrategy` (`TF_CONFIG`) |
| JAX | `keras.distribution.DataParallel` | the same, after `jax.distributed.initialize` (one mesh over every process's devices) |
| PyTorch | one process per GPU with `torch.distributed` | `torch.distributed` (gloo on CPU, NCCL on GPU; `MASTER_ADDR`, `RANK`, ...) |

What keras_gen adds on top:

- **Distinct random draws per replica.** Every model and random layer draws from a
  `keras_gen.distributed.ReplicaSeedGenerator`: on `tf.distribute` and `torch.distributed` each
  replica gets its own latent noise, augmentation and penalty points (a plain seed generator
  gives every replica the same fake batch), reproducible for a given seed.
- **`keras_gen.distributed.initialize()`**, called first in a training script, joins the run that
  the environment describes (set by the launcher below or by your cluster) and returns a
  `DistributedContext`: `rank`, `world_size`, `is_chief`, `scope()` (the strategy scope on
  TensorFlow), `shard(data)` and `local_batch_size(global_batch)`. On JAX it also sets a
  `keras.distribution.DataParallel` over every process's devices. Alone it does nothing, so the
  same script runs on a laptop, under the launcher and on a cluster unchanged.
- **The torch backend's data-parallel step**: weights copied from rank 0 before the first step,
  each phase's gradients, loss and logs averaged in one all-reduce, and a non-finite value on any
  rank makes every rank skip the update.
- **A local launcher**, `python -m keras_gen.distributed.launch --workers N script.py`, like
  `torchrun`: it starts N workers on 127.0.0.1 with each engine's variables set.

The fast mode of this guide (what the tests run) trains a small DCGAN on the embedded digits with
2 local worker processes on CPU and checks that both workers end with the same weights.
"""

"""
## One GPU

Nothing to change: Keras places the model on the first GPU. Mixed precision is one line
(`keras.mixed_precision.set_global_policy("mixed_bfloat16")`, or `"mixed_float16"` with
per-optimizer loss scaling, which `compile()` sets up).

## Several GPUs on one host

TensorFlow:

```python
strategy = tf.distribute.MirroredStrategy()
with strategy.scope():
    gan = keras_gen.models.GAN(generator, discriminator)
    gan.compile()
gan.fit(dataset.batch(64 * strategy.num_replicas_in_sync, drop_remainder=True), epochs=10)
```

JAX (the batch must divide by the number of devices; keras_gen checks before `fit` starts):

```python
keras.distribution.set_distribution(keras.distribution.DataParallel())
gan = keras_gen.models.GAN(generator, discriminator)
gan.compile()
gan.fit(x, batch_size=64 * len(keras.distribution.list_devices()), epochs=10)
```

PyTorch: one process per GPU, as below with `--workers <number of GPUs>`; each rank uses the GPU
of its `LOCAL_RANK`, and `initialize()` picks the NCCL engine when CUDA is available.

## Several processes or hosts

Write the script once:

```python
context = keras_gen.distributed.initialize()
with context.scope():
    gan = keras_gen.models.GAN(generator, discriminator)
    gan.compile()
gan.fit(context.shard(x), batch_size=context.local_batch_size(256), epochs=10)
keras_gen.distributed.save_model(gan, "dcgan.keras")  # every worker; the chief writes
```

Start it on one machine with the launcher:

```
KERAS_BACKEND=torch python -m keras_gen.distributed.launch --workers 2 train.py
```

or across hosts with the variables each engine reads, set by your cluster or by hand on each host:

| backend | variables (host 0 of 2 shown) |
|---|---|
| TensorFlow | `TF_CONFIG='{"cluster": {"worker": ["host0:12345", "host1:12345"]}, "task": {"type": "worker", "index": 0}}'` |
| JAX | `KERAS_DISTRIBUTION_JOB_ADDRESSES=host0:12345,host1:12345 KERAS_DISTRIBUTION_NUM_PROCESSES=2 KERAS_DISTRIBUTION_PROCESS_ID=0` (the first address is the coordinator) |
| PyTorch | `MASTER_ADDR=host0 MASTER_PORT=12345 WORLD_SIZE=2 RANK=0 LOCAL_RANK=0` (what `torchrun` sets) |

Give every process the same seed (the strategy or rank 0's broadcast makes the starting weights
equal anyway on TensorFlow and PyTorch; JAX needs them equal). On TensorFlow the strategy shards
the data `fit` receives and `shard()` returns it whole; on JAX and PyTorch each process feeds its
own part (`shard()` takes every `world_size`-th example from
its rank). With `local_batch_size(global)`, the ranks' step together is the single-process step
on the global batch: the logged losses are on the single-process scale. Only the chief should
write files; keras_gen's `SampleGrid`, preset writer, `ModelCheckpoint` and `BackupAndRestore` do
that themselves. Save with `keras_gen.distributed.save_model(model, path)` on every worker, not
`model.save` under `if context.is_chief:`: on JAX, reading a weight to save it is a collective that
every process must join, so a save on the chief alone waits forever.
To resume a multi-worker run after a failure, pass
`keras_gen.callbacks.BackupAndRestore(backup_dir)` to `fit` on every worker, with `backup_dir` on
storage all workers read: the chief writes the backup, every worker restores from it. Metrics
callbacks (`GenerativeMetrics`) compute the same FID/IS on every worker from the same seeded
samples, so `ModelCheckpoint`/`EarlyStopping` decide alike everywhere; give every worker the same
pretrained feature network. BatchNorm statistics stay per replica unless `keras_gen.distributed.sync_batch_norm(model)` is
called (like PyTorch's `SyncBatchNorm`).

## Run it: two workers on this machine
"""

import json
import os
import subprocess
import sys

import numpy as np

# Set KERAS_GEN_GUIDE_FAST=1 for a seconds-long smoke run (used by the tests).
FAST = os.environ.get("KERAS_GEN_GUIDE_FAST") == "1"
OUTPUT = os.environ.get("KERAS_GEN_GUIDE_OUTPUT", "guide_outputs/distributed_training")
os.makedirs(OUTPUT, exist_ok=True)
WORKER_FLAG = "--as-worker"


def train():
    """The training script every worker runs (the same code runs alone)."""
    import keras

    import keras_gen

    context = keras_gen.distributed.initialize()
    print(f"rank {context.rank} of {context.world_size} on {keras.backend.backend()}", flush=True)
    keras.utils.set_random_seed(0)
    (x, _), _ = keras_gen.datasets.mnist.load_data(source="embedded")
    x = keras_gen.datasets.scale_images(x)
    rng = np.random.default_rng(0)
    x = x[rng.permutation(len(x))][: 256 if FAST else 4096]
    filters = 8 if FAST else 32
    with context.scope():
        gan = keras_gen.models.GAN(
            keras_gen.networks.dcgan_generator(image_shape=(28, 28, 1), latent_dim=32,
                                               base_filters=filters, upsampling="subpixel"),
            keras_gen.networks.dcgan_discriminator(image_shape=(28, 28, 1), base_filters=filters),
            seed=0,
        )
        gan.compile()
    history = gan.fit(
        context.shard(x),
        batch_size=context.local_batch_size(64),
        epochs=1 if FAST else 10,
        shuffle=False,
        verbose=2 if context.is_chief else 0,
    )
    digest = float(sum(np.abs(keras.ops.convert_to_numpy(v)).sum() for v in gan.trainable_variables))
    with open(os.path.join(OUTPUT, f"rank{context.rank}.json"), "w") as f:
        json.dump({"weights_digest": digest, "g_loss": history.history["g_loss"]}, f)
    keras_gen.distributed.save_model(gan, os.path.join(OUTPUT, "dcgan.keras"))
    if context.is_chief:
        samples = gan.generate(64, seed=0)
        keras_gen.utils.save_image_grid(samples, os.path.join(OUTPUT, "samples.png"), num_rows=8)


"""
The launcher starts this file twice with `--as-worker`, each with its rank's environment
(`TF_CONFIG`, the JAX coordinator or `MASTER_ADDR`/`RANK`), streams their output prefixed by rank,
and stops both if one fails.
"""

if __name__ == "__main__":
    if WORKER_FLAG in sys.argv:
        train()
    else:
        launch = [sys.executable, "-m", "keras_gen.distributed.launch", "--workers", "2",
                  "--timeout", "600", os.path.abspath(__file__), WORKER_FLAG]
        subprocess.run(launch, check=True)

        """
        Both workers applied the same averaged updates to the same starting weights, so their
        weights agree; the chief alone wrote the sample grid.
        """
        ranks = [json.load(open(os.path.join(OUTPUT, f"rank{r}.json"))) for r in range(2)]
        print("weights digest per rank:", [r["weights_digest"] for r in ranks])
        print("g_loss per rank (averaged over ranks, the same on both):", [r["g_loss"] for r in ranks])
        assert np.isclose(ranks[0]["weights_digest"], ranks[1]["weights_digest"], rtol=1e-6)
        assert os.path.exists(os.path.join(OUTPUT, "samples.png"))
