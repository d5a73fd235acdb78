"""Worker of tests/distributed/test_tf_multi_worker.py: tiny models on a MultiWorkerMirroredStrategy.

Run by the launcher as 2 TensorFlow workers on 127.0.0.1 (`python
tf_multi_worker.py OUT_DIR` writes `OUT_DIR/rank<R>.json` and gives each
worker its own `OUT_DIR/rank<R>/` for the files its callbacks write), and
imported by the test, whose `train()` with a single-process context is the
reference run on the same global batches.
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
from keras_gen.testing.models import tiny_feature_extractor

GLOBAL_BATCH = 16
# ConditionalGAN, VAE and CycleGAN from the test kit's cases.
MULTI_WORKER_CASES = ("cgan_projection", "vae_gaussian_warmup", "cyclegan")
EPOCHS = 2


def dataset(images):
    """The global batches of `images` (an array or a tuple of arrays); the strategy splits each."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(images).batch(GLOBAL_BATCH)
    options = tf.data.Options()
    # In-memory data: each worker keeps its part of every global batch.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return data.with_options(options)


def digest(model):
    sha = hashlib.sha256()
    for value in model.get_weights():
        sha.update(np.ascontiguousarray(value, dtype=np.float32).tobytes())
    return sha.hexdigest()


def make_gan(context, init_seed):
    keras.utils.set_random_seed(init_seed)
    with context.scope():
        gan = keras_gen.models.GAN(
            tiny_generator(4, output_shape=(4, 4, 1)), tiny_discriminator(input_shape=(4, 4, 1)),
            seed=0)
        gan.compile()
    return gan


def train(context, out_dir):
    """Trains every scenario; returns a JSON-ready dict."""
    images = patterns(64)[0]
    result = {"rank": context.rank, "world_size": context.world_size,
              "is_chief": context.is_chief}

    # Deterministic: must match the single-process run on the global batch.
    # Each worker seeds differently (rank 0 as the reference does): the
    # strategy's broadcast of initial values must make them equal.
    keras.utils.set_random_seed(context.rank)
    with context.scope():
        autoencoder = keras_gen.models.AutoEncoder(
            dense_encoder(variational=False), dense_decoder(), reconstruction="mse", seed=0)
        autoencoder.compile(autoencoder_optimizer=keras.optimizers.Adam(1e-2))
    history = autoencoder.fit(dataset(images), epochs=EPOCHS, shuffle=False, verbose=0).history
    result["ae_loss"] = [float(v) for v in history["reconstruction_loss"]]
    result["ae_digest"] = digest(autoencoder)
    result["ae_weights"] = [np.asarray(w).tolist() for w in autoencoder.get_weights()]

    # A GAN with a sample grid: only the chief writes it.
    gan = make_gan(context, init_seed=100 + context.rank)
    samples = os.path.join(out_dir, f"rank{context.rank}", "samples")
    grid = keras_gen.callbacks.SampleGrid(samples, num_samples=4, every_n_epochs=EPOCHS)
    # Every worker computes FID on the same seeded samples of the same weights
    # (the feature network, pretrained in real use, equal on every worker).
    keras.utils.set_random_seed(7)
    metrics = keras_gen.callbacks.GenerativeMetrics(
        images[:32], metrics=("fid",), num_samples=16, batch_size=8, verbose=0,
        feature_extractor=tiny_feature_extractor(image_shape=(4, 4, 1)))
    history = gan.fit(dataset(images), epochs=EPOCHS, shuffle=False, verbose=0,
                      callbacks=[metrics, grid]).history
    result["gan_fid"] = [float(v) for v in history["fid"]]
    result["gan_d_loss"] = [float(v) for v in history["d_loss"]]
    result["gan_g_loss"] = [float(v) for v in history["g_loss"]]
    result["gan_digest"] = digest(gan)
    result["grid_paths"] = list(grid.paths)
    result["grid_files"] = sorted(os.listdir(samples)) if os.path.isdir(samples) else []

    # The same GAN stopped at the start of epoch 2 and resumed by a new model
    # (other initial weights) from the chief's backup: it must end as `gan`.
    backup_dir = os.path.join(out_dir, "backup")
    interrupted = make_gan(context, init_seed=100 + context.rank)
    try:
        interrupted.fit(dataset(images), epochs=EPOCHS, shuffle=False, verbose=0,
                        callbacks=[keras_gen.callbacks.BackupAndRestore(backup_dir),
                                   InterruptFit(epoch=1)])
    except RuntimeError:
        result["backup_files"] = sorted(os.listdir(backup_dir))
    # Every worker takes part in each save; the chief writes the files.
    checkpoint = keras_gen.callbacks.ModelCheckpoint(
        os.path.join(out_dir, "checkpoints", "gan_{epoch}.weights.h5"), save_weights_only=True)
    resumed = make_gan(context, init_seed=200 + context.rank)
    history = resumed.fit(dataset(images), epochs=EPOCHS, shuffle=False, verbose=0,
                          callbacks=[keras_gen.callbacks.BackupAndRestore(backup_dir), checkpoint])
    result["resumed_epochs"] = list(history.epoch)
    result["resumed_digest"] = digest(resumed)
    result["backup_deleted"] = not os.path.exists(backup_dir)
    result["checkpoint_files"] = sorted(os.listdir(os.path.join(out_dir, "checkpoints")))
    keras_gen.distributed.save_model(resumed, os.path.join(out_dir, "gan.keras"))
    result["saved_model"] = os.path.isfile(os.path.join(out_dir, "gan.keras"))

    # The other model families train on the workers and end equal everywhere.
    for name in MULTI_WORKER_CASES:
        case = MODEL_CASES[name]
        keras.utils.set_random_seed(300 + context.rank)
        with context.scope():
            model = case.model_class(**case.init_kwargs())
            model.compile()
        history = model.fit(dataset(tuple(case.data())), epochs=1, verbose=0).history
        # Trainable weights: a CycleGAN's image pools hold each replica's own fakes.
        trainable = [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]
        result[f"{name}_digest"] = hashlib.sha256(
            b"".join(np.ascontiguousarray(v, dtype=np.float32).tobytes() for v in trainable)
        ).hexdigest()
        result[f"{name}_finite"] = bool(np.all(np.isfinite([v[-1] for v in history.values()])))

    # The latent noise each worker's replica draws inside a distributed step.
    if context.strategy is not None:
        import tensorflow as tf

        def draw():
            return gan.sample_latents(4)

        draws = context.strategy.run(tf.function(draw, autograph=False))
        latents = context.strategy.experimental_local_results(draws)[0]
    else:
        latents = gan.sample_latents(4)
    result["latents"] = keras.ops.convert_to_numpy(latents).tolist()
    return result


if __name__ == "__main__":
    context = keras_gen.distributed.initialize()
    out = sys.argv[1]
    result = train(context, out)
    with open(os.path.join(out, f"rank{context.rank}.json"), "w") as file:
        json.dump(result, file)
    print(f"done rank {context.rank} of {context.world_size}")
