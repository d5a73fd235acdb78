"""Data-parallel training on 2 simulated CPU devices, in a fresh process each
(device counts must be fixed before the backend starts)."""

import json
import os
import subprocess
import sys

import keras
import pytest

_COMMON = """
import json, numpy as np, keras, keras_gen
from keras_gen.testing import tiny_generator, tiny_discriminator
x = np.random.default_rng(0).standard_normal((128, 2)).astype("float32")

def make_gan():
    keras.utils.set_random_seed(0)
    gan = keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), seed=0)
    gan.compile()
    return gan
"""

_JAX = _COMMON + """
single = make_gan().fit(x, batch_size=32, epochs=2, verbose=0).history
devices = keras.distribution.list_devices()
assert len(devices) == 2, devices
keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
gan = make_gan()
error = None
try:
    gan.fit(x[:99], batch_size=33, epochs=1, verbose=0)
except ValueError as e:
    error = str(e)
distributed = gan.fit(x, batch_size=32, epochs=2, verbose=0).history

class NoiseGapGAN(keras_gen.models.GAN):
    # Logs how far apart the two halves of the step's latent noise (one half per device) are.
    def phases(self):
        phases = super().phases()
        phases[-1].log_names = tuple(phases[-1].log_names) + ("noise_gap",)
        return phases

    def compute_phase_loss(self, phase, data, training=True):
        loss, logs = super().compute_phase_loss(phase, data, training)
        if phase == "generator":
            z = self.sample_latents(keras.ops.shape(data)[0])
            half = keras.ops.shape(z)[0] // 2
            logs["noise_gap"] = keras.ops.mean(keras.ops.abs(z[:half] - z[half:]))
        return loss, logs

keras.utils.set_random_seed(0)
gap_gan = NoiseGapGAN(tiny_generator(4), tiny_discriminator(), seed=0)
gap_gan.compile()
noise_gap = gap_gan.fit(x, batch_size=32, epochs=1, verbose=0).history["noise_gap"][-1]
print("RESULT" + json.dumps({"single": single, "distributed": distributed, "error": error,
                             "noise_gap": noise_gap}))
"""

_TF = _COMMON + """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
single = make_gan().fit(x, batch_size=32, epochs=2, verbose=0).history
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    gan = make_gan()
dataset = tf.data.Dataset.from_tensor_slices(x).batch(32)
distributed = gan.fit(dataset, epochs=2, verbose=0).history
iterations = int(gan.optimizers["discriminator"].iterations.numpy())

# Each replica's latent noise, and each replica's DiffAugment draw, in one replica step.
with strategy.scope():
    augment = keras_gen.layers.DiffAugment(seed=0)
images = tf.ones((4, 8, 8, 1))

@tf.function
def replica_draws():
    return gan.sample_latents(4), augment(images, training=True)

latents, augmented = [strategy.experimental_local_results(t) for t in strategy.run(replica_draws)]
replica_gaps = {
    "latents": float(np.abs(latents[0].numpy() - latents[1].numpy()).mean()),
    "augment": float(np.abs(augmented[0].numpy() - augmented[1].numpy()).mean()),
}
print("RESULT" + json.dumps({"single": single, "distributed": distributed,
                             "replicas": strategy.num_replicas_in_sync, "iterations": iterations,
                             "replica_gaps": replica_gaps}))
"""


def run_script(script, **env):
    result = subprocess.run(
        [sys.executable, "-c", script], env=dict(os.environ, **env),
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = [l for l in result.stdout.splitlines() if l.startswith("RESULT")][-1]
    return json.loads(line[len("RESULT"):])


def assert_same_scale(single, distributed, rtol):
    for key in ("d_loss", "g_loss"):
        for a, b in zip(single[key], distributed[key]):
            assert abs(a - b) <= rtol * abs(a), (key, single[key], distributed[key])


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="keras.distribution runs on JAX")
def test_jax_data_parallel_matches_single_device():
    out = run_script(_JAX, KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    # The jitted global-batch computation is the same math as one device.
    assert_same_scale(out["single"], out["distributed"], rtol=1e-3)
    assert "divide by 2" in out["error"] and "drop_remainder=True" in out["error"]
    # One program draws the global batch's noise: the devices' halves differ.
    assert out["noise_gap"] > 0.5


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute runs on TensorFlow")
def test_tf_mirrored_strategy_logs_losses_on_the_single_device_scale():
    out = run_script(_TF, KERAS_BACKEND="tensorflow")
    assert out["replicas"] == 2
    assert out["iterations"] == 8
    # The fake batches differ from the single-device run, so values differ a little; a
    # per-replica scaling mistake would be off by a factor of 2.
    assert_same_scale(out["single"], out["distributed"], rtol=0.25)
    # Mirrored seed state, but each replica draws its own noise and augmentation.
    assert out["replica_gaps"]["latents"] > 0.5, out["replica_gaps"]
    assert out["replica_gaps"]["augment"] > 0.01, out["replica_gaps"]
