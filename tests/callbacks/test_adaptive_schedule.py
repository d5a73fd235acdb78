"""AdaptiveSchedule: a network whose loss is at or below its threshold is not updated."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import snapshot_weights
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator


def make_gan():
    return keras_gen.models.GAN(tiny_generator(latent_dim=4), tiny_discriminator(), seed=0)


def data(n=64):
    return np.random.default_rng(0).standard_normal((n, 2)).astype("float32")


def unchanged(before, variables):
    return all(np.array_equal(a, b) for a, b in zip(before, snapshot_weights(variables)))


def test_closed_gate_freezes_weights_and_optimizer_state_of_that_network_only():
    gan = make_gan()
    gan.compile()
    d_before = snapshot_weights(gan.discriminator.trainable_variables)
    d_state = snapshot_weights(gan.optimizers["discriminator"].variables)
    g_before = snapshot_weights(gan.generator.trainable_variables)
    # The non-saturating d_loss is far below 100: the discriminator never trains.
    schedule = keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=100.0)
    history = gan.fit(data(), batch_size=16, epochs=2, verbose=0, callbacks=[schedule])
    assert history.history["discriminator_update_rate"] == [0.0, 0.0]
    assert "generator_update_rate" not in history.history
    assert unchanged(d_before, gan.discriminator.trainable_variables)
    assert unchanged(d_state, gan.optimizers["discriminator"].variables)
    assert not unchanged(g_before, gan.generator.trainable_variables)


def test_open_gate_trains_and_the_schedule_ends_with_fit():
    gan = make_gan()
    gan.compile()
    d_before = snapshot_weights(gan.discriminator.trainable_variables)
    schedule = keras_gen.callbacks.AdaptiveSchedule(
        discriminator_threshold=-1.0, generator_threshold=-1.0
    )
    history = gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[schedule])
    assert history.history["discriminator_update_rate"] == [1.0]
    assert history.history["generator_update_rate"] == [1.0]
    assert not unchanged(d_before, gan.discriminator.trainable_variables)
    # A later fit without the callback trains everything and logs no rates.
    gan_d = snapshot_weights(gan.discriminator.trainable_variables)
    frozen = keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=100.0)
    gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[frozen])
    assert unchanged(gan_d, gan.discriminator.trainable_variables)
    history = gan.fit(data(), batch_size=16, epochs=1, verbose=0)
    assert "discriminator_update_rate" not in history.history
    assert not unchanged(gan_d, gan.discriminator.trainable_variables)


def test_update_rate_counts_the_steps_above_threshold():
    # With both learning rates 0 the networks never change, so each step's
    # d_loss depends only on the fresh noise; the logged rate must equal the
    # fraction of steps whose own d_loss exceeded the threshold.
    gan = make_gan()
    gan.compile(
        generator_optimizer=keras.optimizers.SGD(0.0),
        discriminator_optimizer=keras.optimizers.SGD(0.0),
    )
    losses = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(float(logs["d_loss"]))

    threshold = 1.3862944  # 2 log 2, where an uninformed discriminator sits
    schedule = keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=threshold)
    history = gan.fit(data(128), batch_size=8, epochs=1, verbose=0, callbacks=[schedule, Record()])
    # Logged d_loss is a running mean; recover each step's own value.
    steps = np.array(losses) * np.arange(1, len(losses) + 1)
    per_step = np.diff(np.concatenate([[0.0], steps]))
    expected = float(np.mean(per_step > threshold))
    assert 0.0 < expected < 1.0, "the noise should put some steps on each side"
    np.testing.assert_allclose(history.history["discriminator_update_rate"][0], expected, atol=1e-6)


def test_configuration_errors_name_the_fix():
    with pytest.raises(ValueError, match="discriminator_threshold"):
        keras_gen.callbacks.AdaptiveSchedule()
    with pytest.raises(TypeError, match="number"):
        keras_gen.callbacks.AdaptiveSchedule(generator_threshold="high")
    gan = make_gan()
    gan.compile()
    with pytest.raises(ValueError, match="monitor"):
        schedule = keras_gen.callbacks.AdaptiveSchedule(
            discriminator_threshold=0.5, discriminator_monitor="g_loss"
        )
        gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[schedule])
    with pytest.raises(ValueError, match="phase_names"):
        schedule = keras_gen.callbacks.AdaptiveSchedule(
            generator_threshold=0.5, phase_names=("critic", "actor")
        )
        gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[schedule])
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    plain.compile(loss="mse")
    with pytest.raises(TypeError, match="phases"):
        plain.fit(data(), np.zeros((64, 1)), verbose=0,
                  callbacks=[keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=0.5)])
    # The model still trains after the refused schedules.
    history = gan.fit(data(), batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


def test_repeated_fits_with_one_schedule_reuse_the_compiled_step():
    # Compiling the step again for every fit() made a short fit with the
    # schedule cost 60-100% more (benchmarks/feature_costs.py).
    gan = make_gan()
    gan.compile()
    schedule = keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=100.0)
    gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[schedule])
    traced = gan.train_function
    d_before = snapshot_weights(gan.discriminator.trainable_variables)
    history = gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[schedule])
    assert gan.train_function is traced
    assert history.history["discriminator_update_rate"] == [0.0]
    assert unchanged(d_before, gan.discriminator.trainable_variables)
    # Another threshold is read when the step runs: same step, new gate.
    history = gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[
        keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=-1.0)])
    assert gan.train_function is traced
    assert history.history["discriminator_update_rate"] == [1.0]
    assert not unchanged(d_before, gan.discriminator.trainable_variables)


def test_a_fit_that_raises_leaves_no_gate_behind():
    gan = make_gan()
    gan.compile()

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    schedule = keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=100.0)
    with pytest.raises(KeyboardInterrupt):
        gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[schedule, Interrupt()])
    d_before = snapshot_weights(gan.discriminator.trainable_variables)
    history = gan.fit(data(), batch_size=16, epochs=1, verbose=0)
    assert "discriminator_update_rate" not in history.history
    assert not unchanged(d_before, gan.discriminator.trainable_variables)


def test_a_schedule_on_the_other_phase_is_traced_anew():
    # Gating the generator instead of the discriminator keeps the shape of
    # the training state; the step must still be traced with the new gate.
    gan = make_gan()
    gan.compile()
    gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[
        keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=100.0)])
    g_before = snapshot_weights(gan.generator.trainable_variables)
    d_before = snapshot_weights(gan.discriminator.trainable_variables)
    history = gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[
        keras_gen.callbacks.AdaptiveSchedule(generator_threshold=100.0)])
    assert history.history["generator_update_rate"] == [0.0]
    assert unchanged(g_before, gan.generator.trainable_variables)
    assert not unchanged(d_before, gan.discriminator.trainable_variables)


def test_a_schedule_on_another_monitor_is_traced_anew():
    # Same gated phase and tracker, so the same shape of training state: the
    # step must still be traced again (JAX would otherwise serve the old
    # trace from jax.jit's cache while the previous step is alive).
    gan = keras_gen.models.GAN(tiny_generator(latent_dim=4), tiny_discriminator(), seed=0,
                               gradient_penalty="r1", penalty_weight=1.0)
    gan.compile()
    gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[
        keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=100.0)])
    d_before = snapshot_weights(gan.discriminator.trainable_variables)
    history = gan.fit(data(), batch_size=16, epochs=1, verbose=0, callbacks=[
        keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=-1.0,
                                             discriminator_monitor="r1")])
    assert history.history["discriminator_update_rate"] == [1.0]
    assert not unchanged(d_before, gan.discriminator.trainable_variables)
