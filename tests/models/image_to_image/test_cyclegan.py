"""CycleGAN: per-phase updates, exact cycle loss, pools saved with the model, errors, schedule."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.models.image_to_image import LinearDecayAfter
from keras_gen.networks.patchgan import patchgan_discriminator
from keras_gen.networks.resnet_generator import resnet_generator


def as_float(value):
    return float(keras.ops.convert_to_numpy(value))


SHAPE = (16, 16, 1)


def tiny_networks(seed=0, shape_a=SHAPE, shape_b=SHAPE):
    keras.utils.set_random_seed(seed)
    g_ab = resnet_generator(shape_a, output_channels=shape_b[-1], base_filters=4, num_blocks=1, name="g_ab")
    g_ba = resnet_generator(shape_b, output_channels=shape_a[-1], base_filters=4, num_blocks=1, name="g_ba")
    d_a = patchgan_discriminator(shape_a, base_filters=4, num_layers=2, norm="instance", name="d_a")
    d_b = patchgan_discriminator(shape_b, base_filters=4, num_layers=2, norm="instance", name="d_b")
    return g_ab, g_ba, d_a, d_b


def domains(n=8, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (n,) + SHAPE).astype("float32")
    b = rng.uniform(-1, 1, (n,) + SHAPE).astype("float32")
    return a, b


def scaling_generator(scale, name):
    x = keras.Input(SHAPE)
    conv = keras.layers.Conv2D(1, 1, use_bias=False)
    model = keras.Model(x, conv(x), name=name)
    conv.set_weights([np.full((1, 1, 1, 1), scale, "float32")])
    return model


def test_cycle_and_identity_losses_match_numpy():
    # G(a) = 0.5 a, F(b) = 3 b: F(G(a)) = 1.5 a, G(F(b)) = 1.5 b, G(b) = 0.5 b, F(a) = 3 a.
    _, _, d_a, d_b = tiny_networks()
    model = keras_gen.models.CycleGAN(
        scaling_generator(0.5, "g"), scaling_generator(3.0, "f"), d_a, d_b, seed=0
    )
    a, b = domains(4)
    _, logs = model.compute_phase_loss("generators", (a, b), training=False)
    cycle = np.mean(np.abs(1.5 * a - a)) + np.mean(np.abs(1.5 * b - b))
    identity = np.mean(np.abs(0.5 * b - b)) + np.mean(np.abs(3.0 * a - a))
    adversarial = np.mean((keras.ops.convert_to_numpy(d_b(0.5 * a)) - 1) ** 2) + np.mean(
        (keras.ops.convert_to_numpy(d_a(3.0 * b)) - 1) ** 2
    )
    np.testing.assert_allclose(as_float(logs["cycle_loss"]), cycle, rtol=1e-5)
    np.testing.assert_allclose(as_float(logs["identity_loss"]), identity, rtol=1e-5)
    np.testing.assert_allclose(as_float(logs["adversarial_loss"]), adversarial, rtol=1e-4)
    np.testing.assert_allclose(
        as_float(logs["g_loss"]), adversarial + 10.0 * cycle + 5.0 * identity, rtol=1e-4
    )
    np.testing.assert_allclose(model.cycle_error(a, b), (np.mean(np.abs(0.5 * a)), np.mean(np.abs(0.5 * b))), rtol=1e-5)


def test_discriminator_loss_is_the_halved_least_squares_objective():
    g_ab, g_ba, d_a, d_b = tiny_networks()
    model = keras_gen.models.CycleGAN(g_ab, g_ba, d_a, d_b, pool_size=0, seed=0)
    a, b = domains(4)
    _, logs = model.compute_phase_loss("discriminators", (a, b), training=False)
    np_ = keras.ops.convert_to_numpy
    fake_b, fake_a = np_(g_ab(a)), np_(g_ba(b))
    d_a_expected = 0.5 * np.mean((np_(d_a(a)) - 1) ** 2) + 0.5 * np.mean(np_(d_a(fake_a)) ** 2)
    d_b_expected = 0.5 * np.mean((np_(d_b(b)) - 1) ** 2) + 0.5 * np.mean(np_(d_b(fake_b)) ** 2)
    np.testing.assert_allclose(as_float(logs["d_a_loss"]), d_a_expected, rtol=1e-4)
    np.testing.assert_allclose(as_float(logs["d_b_loss"]), d_b_expected, rtol=1e-4)


@pytest.mark.quality
def test_cycle_error_falls_during_a_short_fit():
    import tensorflow as tf

    # Smooth images (4x4 blocks); B holds inverted images of other A samples.
    low = np.random.default_rng(0).uniform(-1, 1, (32, 4, 4, 1)).astype("float32")
    a = np.repeat(np.repeat(low, 4, axis=1), 4, axis=2)
    b = -a[::-1]
    model = keras_gen.models.CycleGAN(*tiny_networks(), pool_size=8, seed=0)
    model.compile(
        generator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    before = sum(model.cycle_error(a, b))
    model.fit(a, b, batch_size=8, epochs=5, verbose=0)
    dataset = tf.data.Dataset.from_tensor_slices((a, b)).batch(8)
    history = model.fit(dataset, epochs=1, verbose=0)
    after = sum(model.cycle_error(a, b))
    for key in ("g_loss", "adversarial_loss", "cycle_loss", "identity_loss", "d_loss", "d_a_loss", "d_b_loss"):
        assert np.isfinite(history.history[key][-1])
    assert after < 0.8 * before, (before, after)


def assert_still_trains(model):
    a, b = domains()
    history = model.fit(a, b, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][0])


def test_bad_inputs_raise_clear_errors_and_leave_the_model_usable():
    model = keras_gen.models.CycleGAN(*tiny_networks(), pool_size=4, seed=0)
    # The errors come before any step; the fit after them runs the step eagerly (no compile).
    model.compile(run_eagerly=True)
    a, b = domains()
    with pytest.raises(TypeError, match="scale_images"):
        model.fit(a, np.zeros((8,) + SHAPE, "uint8"), batch_size=4, verbose=0)
    with pytest.raises(TypeError, match="scale_images"):
        model.fit(np.zeros((8,) + SHAPE, "uint8"), b, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="Domain B images"):
        model.fit(a, np.zeros((8, 16, 16, 3), "float32"), batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="Domain A images"):
        model.fit(np.zeros((8, 16, 16, 3), "float32"), b, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="both domains"):
        model.fit(a, batch_size=4, verbose=0)
    assert_still_trains(model)


def test_networks_for_different_channel_counts():
    rgb = (16, 16, 3)
    with pytest.raises(ValueError, match="identity_weight=0"):
        keras_gen.models.CycleGAN(*tiny_networks(shape_b=rgb))
    model = keras_gen.models.CycleGAN(*tiny_networks(shape_b=rgb), identity_weight=0.0, pool_size=2)
    assert model.translate_ab(domains(2)[0]).shape == (2,) + rgb
    g_ab, g_ba, d_a, _ = tiny_networks()
    _, _, _, d_rgb = tiny_networks(shape_b=rgb)
    with pytest.raises(ValueError, match="discriminator_b"):
        keras_gen.models.CycleGAN(g_ab, g_ba, d_a, d_rgb)


def test_linear_decay_schedule_and_its_serialization():
    schedule = LinearDecayAfter(constant_steps=10, decay_steps=20, initial_learning_rate=2e-4)
    values = [float(schedule(step)) for step in (0, 10, 20, 30, 40)]
    np.testing.assert_allclose(values, [2e-4, 2e-4, 1e-4, 0.0, 0.0], atol=1e-10)
    optimizer = keras.optimizers.Adam(schedule, beta_1=0.5)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored._learning_rate, LinearDecayAfter)
    assert restored._learning_rate.get_config() == schedule.get_config()
    with pytest.raises(ValueError, match="decay_steps"):
        LinearDecayAfter(constant_steps=10, decay_steps=0)
