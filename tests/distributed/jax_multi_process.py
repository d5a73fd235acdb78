"""Worker of tests/distributed/test_jax_multi_process.py: tiny models on 2 JAX processes.

Run by the launcher as 2 processes with one CPU device each, joined by
`keras_gen.distributed.initialize()` (`python jax_multi_process.py OUT_DIR`
writes `OUT_DIR/rank<R>.json` and keeps its backup in `OUT_DIR/backup`), under a `keras.distribution.DataParallel`
over both processes' devices; each process feeds its shard of every global
batch. The test imports `train()` and runs it with a single-process context
as the reference on the same global batches.
"""

import hashlib
import json
import os
import sys

import keras
import numpy as np

import keras_gen
from keras_gen.testing import InterruptFit
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator
from keras_gen.testing.cases import MODEL_CASES
from keras_gen.testing.models import dense_decoder
from keras_gen.testing.models import dense_encoder
from keras_gen.testing.models import patterns

GLOBAL_BATCH = 16
# ConditionalGAN, VAE and CycleGAN from the test kit's cases.
MULTI_PROCESS_CASES = ("cgan_projection", "vae_gaussian_warmup", "cyclegan")
EPOCHS = 2


def local_weights(model):
    """This process's copy of every weight, as float32 NumPy arrays."""
    return [np.asarray(value, dtype=np.float32) for value in model.get_weights()]


def digest(values):
    sha = hashlib.sha256()
    for value in values:
        sha.update(np.ascontiguousarray(value).tobytes())
    return sha.hexdigest()


def make_gan(init_seed):
    keras.utils.set_random_seed(init_seed)
    gan = keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), seed=0)
    gan.compile()
    return gan


def train(context, out_dir):
    """Trains every scenario; returns a JSON-ready dict."""
    if context.distributed:
        devices = keras.distribution.list_devices()
        # Each process feeds its own shard (`context.shard`): no auto-sharding.
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False))
    result = {"rank": context.rank, "world_size": context.world_size,
              "devices": len(keras.distribution.list_devices())}
    images = patterns(64)[0]
    fit = dict(batch_size=context.local_batch_size(GLOBAL_BATCH), epochs=EPOCHS,
               shuffle=False, verbose=0)

    # Deterministic: must match the single-process run on the global batch.
    # The processes initialize alike (same seed): JAX assembles a replicated
    # variable from each process's own value.
    keras.utils.set_random_seed(0)
    autoencoder = keras_gen.models.AutoEncoder(
        dense_encoder(variational=False), dense_decoder(), reconstruction="mse", seed=0)
    autoencoder.compile(autoencoder_optimizer=keras.optimizers.Adam(1e-2))
    history = autoencoder.fit(context.shard(images), **fit).history
    result["ae_loss"] = [float(v) for v in history["reconstruction_loss"]]
    weights = local_weights(autoencoder)
    result["ae_digest"] = digest(weights)
    result["ae_weights"] = [w.tolist() for w in weights]

    # A GAN: the same weights on every process, losses on the single-process scale.
    gan = make_gan(init_seed=1)
    points = np.random.default_rng(0).standard_normal((64, 2)).astype("float32")
    history = gan.fit(context.shard(points), **fit).history
    result["gan_d_loss"] = [float(v) for v in history["d_loss"]]
    result["gan_g_loss"] = [float(v) for v in history["g_loss"]]
    result["gan_digest"] = digest(local_weights(gan))

    # The same GAN stopped at the start of epoch 2 and resumed by a new model
    # (other initial weights) from the chief's backup: it must end as `gan`.
    backup_dir = os.path.join(out_dir, "backup")
    interrupted = make_gan(init_seed=1)
    try:
        interrupted.fit(context.shard(points), **fit, callbacks=[
            keras_gen.callbacks.BackupAndRestore(backup_dir), InterruptFit(epoch=1)])
    except RuntimeError:
        result["backup_files"] = sorted(os.listdir(backup_dir))
    # Every worker takes part in each save; the chief writes the files.
    checkpoint = keras_gen.callbacks.ModelCheckpoint(
        os.path.join(out_dir, "checkpoints", "gan_{epoch}.weights.h5"), save_weights_only=True)
    resumed = make_gan(init_seed=2)
    history = resumed.fit(context.shard(points), **fit,
                          callbacks=[keras_gen.callbacks.BackupAndRestore(backup_dir), checkpoint])
    result["resumed_epochs"] = list(history.epoch)
    result["resumed_digest"] = digest(local_weights(resumed))
    result["backup_deleted"] = not os.path.exists(backup_dir)
    result["checkpoint_files"] = sorted(os.listdir(os.path.join(out_dir, "checkpoints")))
    keras_gen.distributed.save_model(resumed, os.path.join(out_dir, "gan.keras"))
    result["saved_model"] = os.path.isfile(os.path.join(out_dir, "gan.keras"))

    # The other model families train on every process and end equal everywhere.
    for name in MULTI_PROCESS_CASES:
        case = MODEL_CASES[name]
        keras.utils.set_random_seed(300)
        model = case.model_class(**case.init_kwargs())
        model.compile()
        arrays = [context.shard(array) for array in case.data()]
        history = model.fit(*arrays, batch_size=context.local_batch_size(GLOBAL_BATCH), epochs=1,
                            shuffle=False, verbose=0).history
        # Trainable weights: a CycleGAN's image pools hold each process's own fakes.
        trainable = [np.asarray(keras.ops.convert_to_numpy(v), dtype=np.float32)
                     for v in model.trainable_variables]
        result[f"{name}_trainable"] = digest(trainable)
        result[f"{name}_finite"] = bool(np.all(np.isfinite([v[-1] for v in history.values()])))

    # A batch that does not split over the global devices is refused before training.
    try:
        gan.fit(context.shard(points[:66]), batch_size=33, epochs=1, verbose=0)
        result["indivisible_error"] = ""
    except ValueError as error:
        result["indivisible_error"] = str(error)
    return result


if __name__ == "__main__":
    context = keras_gen.distributed.initialize(timeout=120)
    result = train(context, sys.argv[1])
    with open(os.path.join(sys.argv[1], f"rank{context.rank}.json"), "w") as file:
        json.dump(result, file)
    print(f"done rank {context.rank} of {context.world_size}")
