"""Worker of tests/distributed/test_torch_distributed.py: tiny models trained data parallel.

Run by the launcher on 2 gloo ranks (`python torch_worker.py OUT_DIR` writes
`OUT_DIR/rank<R>.npz`), and imported by the test, whose `train()` with a
single-process context is the reference run on the same global batches.
"""

import hashlib
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


def make_autoencoder(init_seed, batch_norm=False):
    keras.utils.set_random_seed(init_seed)
    if batch_norm:
        encoder = keras.Sequential(
            [
                keras.Input((4, 4, 1)),
                keras.layers.Flatten(),
                # No bias before BatchNormalization: its gradient is 0 up to rounding,
                # which Adam would scale up into steps that differ between runs.
                keras.layers.Dense(8, use_bias=False),
                keras_gen.layers.BatchNormalization(momentum=0.5),  # what the builders use
                keras.layers.Dense(2),
            ],
            name="encoder",
        )
    else:
        encoder = dense_encoder(variational=False)
    model = keras_gen.models.AutoEncoder(encoder, dense_decoder(), reconstruction="mse", seed=0)
    if batch_norm:
        keras_gen.distributed.sync_batch_norm(model)
    model.compile(autoencoder_optimizer=keras.optimizers.Adam(1e-2))
    return model


def weights(model, prefix, out):
    for index, value in enumerate(model.get_weights()):
        out[f"{prefix}_w{index}"] = np.asarray(value)


def make_gan(init_seed):
    keras.utils.set_random_seed(init_seed)
    gan = keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), seed=0)
    gan.compile()
    return gan


def train(context, out_dir):
    """Trains every scenario; returns a dict of NumPy arrays."""
    out = {"rank": np.asarray(context.rank), "world_size": np.asarray(context.world_size)}
    images = patterns(64)[0]
    local_images = context.shard(images)
    local_batch = context.local_batch_size(GLOBAL_BATCH)
    # Each rank initializes differently (rank 0 as the reference does): the
    # copy from rank 0 before the first step must make them equal.
    fit = dict(batch_size=local_batch, epochs=EPOCHS, shuffle=False, verbose=0)

    # Deterministic: must match the single-process run on the global batch.
    autoencoder = make_autoencoder(init_seed=context.rank)
    history = autoencoder.fit(local_images, **fit).history
    out["ae_loss"] = np.asarray(history["reconstruction_loss"])
    weights(autoencoder, "ae", out)

    # A NaN on the last rank only: every rank skips the update, exactly.
    before = autoencoder.get_weights()
    iterations = int(autoencoder.optimizers["autoencoder"].iterations.numpy())
    bad = np.array(local_images[:local_batch])
    if context.rank == context.world_size - 1:
        bad[0, 0, 0, 0] = np.nan
    logs = autoencoder.train_on_batch(bad, return_dict=True)
    out["nan_logged"] = np.asarray(np.isnan(float(logs["reconstruction_loss"])))
    out["nan_kept_weights"] = np.asarray(
        all(np.array_equal(a, b) for a, b in zip(before, autoencoder.get_weights()))
    )
    out["nan_kept_iterations"] = np.asarray(
        int(autoencoder.optimizers["autoencoder"].iterations.numpy()) == iterations
    )

    # BatchNormalization with global-batch statistics.
    bn = make_autoencoder(init_seed=10 + context.rank, batch_norm=True)
    out["bn_loss"] = np.asarray(bn.fit(local_images, **fit).history["reconstruction_loss"])
    weights(bn, "bn", out)

    # Ranks given different numbers of steps: fit refuses on every rank.
    try:
        bn.fit(local_images[: local_batch * (1 if context.rank else 2)],
               batch_size=local_batch, verbose=0)
        out["unequal_error"] = np.asarray("")
    except ValueError as error:
        out["unequal_error"] = np.asarray(str(error))

    # A GAN: noise differs across ranks, weights stay equal.
    gan = make_gan(init_seed=100 + context.rank)
    points = np.random.default_rng(0).standard_normal((64, 2)).astype("float32")
    history = gan.fit(context.shard(points), **fit).history
    out["gan_d_loss"] = np.asarray(history["d_loss"])
    weights(gan, "gan", out)
    out["gan_latents"] = keras.ops.convert_to_numpy(gan.sample_latents(4))

    # The same GAN stopped at the start of epoch 2 and resumed by a new model
    # (other initial weights) from the chief's backup: it must end as `gan`.
    backup_dir = os.path.join(out_dir, "backup")
    interrupted = make_gan(init_seed=100 + context.rank)
    try:
        interrupted.fit(context.shard(points), **fit, callbacks=[
            keras_gen.callbacks.BackupAndRestore(backup_dir), InterruptFit(epoch=1)])
    except RuntimeError:
        out["backup_files"] = np.asarray(sorted(os.listdir(backup_dir)))
    # Every worker takes part in each save; the chief writes the files.
    checkpoint = keras_gen.callbacks.ModelCheckpoint(
        os.path.join(out_dir, "checkpoints", "gan_{epoch}.weights.h5"), save_weights_only=True)
    resumed = make_gan(init_seed=200 + context.rank)
    history = resumed.fit(context.shard(points), **fit,
                          callbacks=[keras_gen.callbacks.BackupAndRestore(backup_dir), checkpoint])
    out["resumed_epochs"] = np.asarray(history.epoch)
    weights(resumed, "resumed", out)
    out["backup_deleted"] = np.asarray(not os.path.exists(backup_dir))
    out["checkpoint_files"] = np.asarray(sorted(os.listdir(os.path.join(out_dir, "checkpoints"))))
    keras_gen.distributed.save_model(resumed, os.path.join(out_dir, "gan.keras"))
    out["saved_model"] = np.asarray(os.path.isfile(os.path.join(out_dir, "gan.keras")))
    # The other model families train on every process and end equal everywhere.
    for name in MULTI_PROCESS_CASES:
        case = MODEL_CASES[name]
        keras.utils.set_random_seed(300 + context.rank)
        model = case.model_class(**case.init_kwargs())
        model.compile()
        arrays = [context.shard(array) for array in case.data()]
        history = model.fit(*arrays, batch_size=context.local_batch_size(GLOBAL_BATCH), epochs=1,
                            shuffle=False, verbose=0).history
        # Trainable weights: a CycleGAN's image pools hold each process's own fakes.
        trainable = [np.asarray(keras.ops.convert_to_numpy(v), dtype=np.float32)
                     for v in model.trainable_variables]
        out[f"{name}_trainable"] = np.asarray(hashlib.sha256(b''.join(v.tobytes() for v in trainable)).hexdigest())
        out[f"{name}_finite"] = np.asarray(np.all(np.isfinite([v[-1] for v in history.values()])))
    return out


if __name__ == "__main__":
    context = keras_gen.distributed.initialize(timeout=120)
    results = train(context, sys.argv[1])
    np.savez(os.path.join(sys.argv[1], f"rank{context.rank}.npz"), **results)
    print(f"done rank {context.rank} of {context.world_size}")
