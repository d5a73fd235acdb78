"""The training core, exercised through the GAN: which weights each phase moves,
optimizer bookkeeping, state that must advance, and exact update arithmetic."""

import keras
import numpy as np

import keras_gen
from keras_gen.testing import only_phase
from keras_gen.testing import snapshot_weights
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator


def make_gan(batch_norm=False, **kwargs):
    generator = tiny_generator(latent_dim=4, batch_norm=batch_norm)
    discriminator = tiny_discriminator(batch_norm=batch_norm)
    return keras_gen.models.GAN(generator, discriminator, seed=0, **kwargs)


def data(n=64):
    return np.random.default_rng(0).standard_normal((n, 2)).astype("float32")


def as_int(variable):
    return int(keras.ops.convert_to_numpy(variable))


def test_optimizer_iterations_count_updates_and_continue_across_fits():
    gan = make_gan(discriminator_steps=5, loss="wasserstein", weight_clip=0.01)
    gan.compile()
    gan.fit(data(64), batch_size=16, epochs=1, verbose=0)  # 4 steps
    assert as_int(gan.optimizers["discriminator"].iterations) == 20
    assert as_int(gan.optimizers["generator"].iterations) == 4
    assert as_int(gan.optimizer.iterations) == 4
    moments = snapshot_weights(gan.optimizers["generator"].variables[1:])
    gan.fit(data(64), batch_size=16, epochs=1, verbose=0)
    assert as_int(gan.optimizers["discriminator"].iterations) == 40
    assert as_int(gan.optimizers["generator"].iterations) == 8
    # Adam moments moved on from where the first fit left them (not reset).
    later = snapshot_weights(gan.optimizers["generator"].variables[1:])
    assert any(not np.array_equal(a, b) for a, b in zip(moments, later))
    assert all(np.any(m != 0) for m in later if m.size > 1)


def test_weight_clipping_bounds_discriminator_weights():
    gan = make_gan(loss="wasserstein", weight_clip=0.01)
    gan.compile(discriminator_optimizer=keras.optimizers.RMSprop(0.1))
    gan.fit(data(), batch_size=32, epochs=1, verbose=0)
    for w in snapshot_weights(gan.discriminator.trainable_variables):
        assert np.max(np.abs(w)) <= 0.01 + 1e-7


def test_batch_norm_statistics_and_seed_state_advance():
    gan = make_gan(batch_norm=True)
    gan.compile()
    bn_stats = [v for v in gan.generator.non_trainable_variables if "moving" in v.path]
    assert bn_stats
    stats_before = snapshot_weights(bn_stats)
    seed_before = snapshot_weights([gan.seed_generator.state])
    gan.fit(data(), batch_size=32, epochs=1, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(stats_before, snapshot_weights(bn_stats)))
    assert not np.array_equal(seed_before[0], snapshot_weights([gan.seed_generator.state])[0])


def test_latent_noise_differs_between_steps():
    # An integer seed inside a jitted JAX step would repeat the same noise.
    class RecordingGAN(keras_gen.models.GAN):
        def compute_phase_loss(self, phase, data, training=True):
            loss, logs = super().compute_phase_loss(phase, data, training)
            if phase == "generator":
                logs["latent_sum"] = keras.ops.sum(self.sample_latents(4))
            return loss, logs

        def phases(self):
            phases = super().phases()
            phases[1].log_names += ("latent_sum",)
            return phases

    gan = RecordingGAN(tiny_generator(latent_dim=4), tiny_discriminator(), seed=0)
    gan.compile()
    history = gan.fit(data(32), batch_size=32, epochs=3, verbose=0)
    values = history.history["latent_sum"]
    assert len(set(np.round(values, 5))) == 3


def test_wgan_gp_update_matches_hand_computation():
    # G outputs a constant c and D(x) = x·w, so one SGD step of the critic on
    # the Wasserstein loss plus λ·GP is known in closed form.
    c = np.array([0.5, -1.0], dtype="float32")
    z = keras.Input((3,))
    fake = keras.layers.Dense(
        2, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(c)
    )(z)
    generator = keras.Model(z, fake)
    x = keras.Input((2,))
    w0 = np.array([[0.3], [0.4]], dtype="float32")  # ‖w‖ = 0.5
    discriminator = keras.Model(
        x, keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(w0))(x)
    )
    gan = only_phase(keras_gen.models.GAN, "discriminator")(generator, discriminator, loss="wasserstein", gradient_penalty="wgan_gp",
                    penalty_weight=10.0, seed=0)
    lr = 0.1
    gan.compile(discriminator_optimizer=keras.optimizers.SGD(lr))
    real = np.random.default_rng(0).standard_normal((8, 2)).astype("float32")
    gan.fit(real, batch_size=8, epochs=1, verbose=0)
    norm = np.linalg.norm(w0)
    grad = (c - real.mean(axis=0))[:, None] + 10.0 * 2 * (norm - 1) * w0 / norm
    expected = w0 - lr * grad
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(discriminator.trainable_variables[0]), expected, rtol=1e-4, atol=1e-6
    )


def test_r1_update_matches_hand_computation():
    z = keras.Input((3,))
    generator = keras.Model(z, keras.layers.Dense(2, kernel_initializer="zeros")(z))
    x = keras.Input((2,))
    w0 = np.array([[0.3], [0.4]], dtype="float32")
    discriminator = keras.Model(
        x, keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(w0))(x)
    )
    gan = only_phase(keras_gen.models.GAN, "discriminator")(generator, discriminator, loss="wasserstein", gradient_penalty="r1",
                    penalty_weight=4.0, seed=0)
    gan.compile(discriminator_optimizer=keras.optimizers.SGD(0.1))
    real = np.random.default_rng(1).standard_normal((8, 2)).astype("float32")
    history = gan.fit(real, batch_size=8, epochs=1, verbose=0)
    # R1 = γ/2 ‖w‖² for a linear critic; its gradient is γ w. Fake = 0.
    grad = (0.0 - real.mean(axis=0))[:, None] + 4.0 * w0
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(discriminator.trainable_variables[0]), w0 - 0.1 * grad, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(history.history["r1"][0], np.sum(w0**2), rtol=1e-5)


def test_lazy_r1_applies_every_interval_steps():
    gan = make_gan(loss="wasserstein", gradient_penalty="r1", penalty_interval=4)
    gan.compile()
    assert "r1" in gan.fit(data(), batch_size=16, epochs=1, verbose=0).history

