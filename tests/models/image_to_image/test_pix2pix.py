"""Pix2Pix: per-phase updates, exact loss pieces, learning on edges2digits, errors, saving."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.networks.patchgan import patchgan_discriminator
from keras_gen.networks.unet import unet_generator


def as_float(value):
    return float(keras.ops.convert_to_numpy(value))


SHAPE = (32, 32, 1)


def tiny_networks(seed=0):
    keras.utils.set_random_seed(seed)
    generator = unet_generator(SHAPE, output_channels=1, base_filters=8, num_downsamples=3)
    discriminator = patchgan_discriminator(SHAPE, target_shape=SHAPE, base_filters=8, num_layers=2)
    return generator, discriminator


def pairs(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n,) + SHAPE).astype("float32")
    return x, np.tanh(2.0 * x[:, ::-1]).astype("float32")


def controlled_model(l1_weight=100.0):
    # G(x) = 0.5 x and D([x, y]) = 0.3 x - 0.7 y + 0.1 per pixel: every loss
    # piece has a closed form.
    x_in = keras.Input(SHAPE)
    generator = keras.Model(x_in, keras.layers.Conv2D(1, 1, use_bias=False)(x_in))
    generator.layers[-1].set_weights([np.full((1, 1, 1, 1), 0.5, "float32")])
    a, b = keras.Input(SHAPE), keras.Input(SHAPE)
    conv = keras.layers.Conv2D(1, 1)
    discriminator = keras.Model([a, b], conv(keras.layers.Concatenate()([a, b])))
    conv.set_weights([np.array([0.3, -0.7], "float32").reshape(1, 1, 2, 1), np.array([0.1], "float32")])
    return keras_gen.models.Pix2Pix(generator, discriminator, l1_weight=l1_weight, seed=0)


def softplus(v):
    return np.logaddexp(0.0, v)


def test_loss_pieces_match_a_hand_computation():
    model = controlled_model()
    x, y = pairs(4)
    fake = 0.5 * x
    real_logits = 0.3 * x - 0.7 * y + 0.1
    fake_logits = 0.3 * x - 0.7 * fake + 0.1
    d_expected = 0.5 * (np.mean(softplus(-real_logits)) + np.mean(softplus(fake_logits)))
    adversarial = np.mean(softplus(-fake_logits))
    l1 = np.mean(np.abs(fake - y))

    d_loss, d_logs = model.compute_phase_loss("discriminator", (x, y), training=False)
    g_loss, g_logs = model.compute_phase_loss("generator", (x, y), training=False)
    np.testing.assert_allclose(as_float(d_loss), d_expected, rtol=1e-5)
    np.testing.assert_allclose(as_float(g_logs["l1_loss"]), l1, rtol=1e-5)
    np.testing.assert_allclose(as_float(g_logs["g_adversarial_loss"]), adversarial, rtol=1e-5)
    np.testing.assert_allclose(as_float(g_loss), adversarial + 100.0 * l1, rtol=1e-5)


def test_single_input_discriminator_gets_the_channel_concatenation():
    model = controlled_model()
    a = keras.Input(SHAPE[:2] + (2,))
    conv = keras.layers.Conv2D(1, 1)
    single = keras.Model(a, conv(a))
    conv.set_weights([np.array([0.3, -0.7], "float32").reshape(1, 1, 2, 1), np.array([0.1], "float32")])
    other = keras_gen.models.Pix2Pix(model.generator, single)
    x, y = pairs(4)
    expected = model.compute_phase_loss("discriminator", (x, y), training=False)[0]
    np.testing.assert_allclose(
        as_float(other.compute_phase_loss("discriminator", (x, y), training=False)[0]),
        as_float(expected), rtol=1e-6,
    )


@pytest.mark.quality
def test_short_fit_on_edges2digits_beats_the_identity_baseline():
    from keras_gen.datasets.tasks import edges2digits

    edges, digits = edges2digits("train")
    test_edges, test_digits = edges2digits("test")
    rng = np.random.default_rng(0)
    rows = rng.permutation(len(edges))[:384]
    test_rows = rng.permutation(len(test_edges))[:128]
    keras.utils.set_random_seed(0)
    generator = unet_generator(SHAPE, output_channels=1, base_filters=8, num_downsamples=3, dropout=0.0)
    discriminator = patchgan_discriminator(SHAPE, target_shape=SHAPE, base_filters=8, num_layers=2)
    model = keras_gen.models.Pix2Pix(generator, discriminator, seed=0)
    model.compile(
        generator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    model.fit(edges[rows], digits[rows], batch_size=32, epochs=4, verbose=0)
    x, y = test_edges[test_rows], test_digits[test_rows]
    identity = np.mean(np.abs(x - y))
    held_out = np.mean(np.abs(model.translate(x) - y))
    assert held_out < 0.6 * identity, (held_out, identity)


def assert_still_trains(model):
    x, y = pairs()
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][0])


def test_bad_inputs_raise_clear_errors_and_leave_the_model_usable():
    import tensorflow as tf

    model = keras_gen.models.Pix2Pix(*tiny_networks(), seed=0)
    model.compile()
    x, y = pairs()
    with pytest.raises(TypeError, match="scale_images"):
        model.fit(x, (y * 127 + 128).astype("uint8"), batch_size=8, verbose=0)
    with pytest.raises(TypeError, match="scale_images"):
        model.fit(np.zeros((16,) + SHAPE, "uint8"), y, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"generator's output"):
        model.fit(x, np.zeros((16, 32, 32, 3), "float32"), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"expects \(batch,\) \+ \(32, 32, 1\)"):
        model.fit(np.zeros((16, 16, 16, 1), "float32"), y, batch_size=8, verbose=0)
    bad = tf.data.Dataset.from_tensor_slices((x, np.zeros((16, 32, 32, 3), "float32"))).batch(8)
    with pytest.raises(ValueError, match="Target images"):
        model.fit(bad, verbose=0)
    with pytest.raises(ValueError, match="pairs"):
        model.fit(x, batch_size=8, verbose=0)
    with pytest.raises(TypeError, match="scale_images"):
        model.translate(np.zeros((2,) + SHAPE, "uint8"))
    assert_still_trains(model)


def test_mismatched_networks_are_rejected():
    generator, _ = tiny_networks()
    rgb_discriminator = patchgan_discriminator(SHAPE, target_shape=(32, 32, 3), base_filters=8, num_layers=2)
    with pytest.raises(ValueError, match="output_channels|target_shape"):
        keras_gen.models.Pix2Pix(generator, rgb_discriminator)
