import keras
import numpy as np
import pytest

from keras_gen import losses

REAL = np.array([[2.0], [-1.0], [0.5], [3.0]], dtype="float32")
FAKE = np.array([[-2.0], [0.25], [1.5], [-0.5]], dtype="float32")


def softplus(x):
    return np.log1p(np.exp(x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


EXPECTED = {
    # -log D(x) - log(1 - D(G(z))), D = sigmoid(logits)
    "minimax": (
        np.mean(-np.log(sigmoid(REAL))) + np.mean(-np.log(1 - sigmoid(FAKE))),
        np.mean(np.log(1 - sigmoid(FAKE))),
    ),
    "non_saturating": (
        np.mean(-np.log(sigmoid(REAL))) + np.mean(-np.log(1 - sigmoid(FAKE))),
        np.mean(-np.log(sigmoid(FAKE))),
    ),
    "least_squares": (
        0.5 * np.mean((REAL - 1) ** 2) + 0.5 * np.mean(FAKE**2),
        0.5 * np.mean((FAKE - 1) ** 2),
    ),
    "wasserstein": (np.mean(FAKE) - np.mean(REAL), -np.mean(FAKE)),
    "hinge": (
        np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE)),
        -np.mean(FAKE),
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loss_matches_formula(name):
    loss = losses.get(name)
    expected_d, expected_g = EXPECTED[name]
    d = keras.ops.convert_to_numpy(loss.discriminator(REAL, FAKE))
    g = keras.ops.convert_to_numpy(loss.generator(FAKE))
    np.testing.assert_allclose(d, expected_d, rtol=1e-5)
    np.testing.assert_allclose(g, expected_g, rtol=1e-5)


def test_log_losses_are_stable_for_large_logits():
    loss = losses.get("non_saturating")
    big = np.array([[80.0], [-80.0]], dtype="float32")
    d = keras.ops.convert_to_numpy(loss.discriminator(big, -big))
    assert np.isfinite(d)
    np.testing.assert_allclose(d, 0.5 * (80.0 + 80.0), rtol=1e-4)


def test_unknown_loss_names_the_choices():
    with pytest.raises(ValueError, match="non_saturating"):
        losses.get("nonsaturating")


def test_get_passes_objects_through():
    assert losses.get(losses.hinge) is losses.hinge
    assert set(losses.names()) == set(EXPECTED) | set(RELATIVISTIC)


# ---------------------------------------------------------------- relativistic
# An independent NumPy transcription of Jolicoeur-Martineau (2019)'s
# formulas, for both objectives and label smoothing; TF-GAN publishes test
# values for RaSGAN only (checked at the end of this file).
def numpy_rasgan(real, fake, s=0.0):
    real_rel, fake_rel = real - fake.mean(), fake - real.mean()
    d = -np.mean((1 - s) * np.log(sigmoid(real_rel)) + s * np.log(1 - sigmoid(real_rel)))
    d += -np.mean(np.log(1 - sigmoid(fake_rel)))
    g = -np.mean(np.log(sigmoid(fake_rel))) - np.mean(np.log(1 - sigmoid(real_rel)))
    return d, g


def numpy_ralsgan(real, fake):
    real_rel, fake_rel = real - fake.mean(), fake - real.mean()
    d = np.mean((real_rel - 1) ** 2) + np.mean((fake_rel + 1) ** 2)
    g = np.mean((fake_rel - 1) ** 2) + np.mean((real_rel + 1) ** 2)
    return d, g


RELATIVISTIC = {
    "relativistic_average": numpy_rasgan,
    "relativistic_average_least_squares": numpy_ralsgan,
}


@pytest.mark.parametrize("name", sorted(RELATIVISTIC))
def test_relativistic_losses_match_the_paper(name):
    loss = losses.get(name)
    assert loss.needs_real_logits
    expected_d, expected_g = RELATIVISTIC[name](REAL.astype("float64"), FAKE.astype("float64"))
    d = keras.ops.convert_to_numpy(loss.discriminator(REAL, FAKE))
    g = keras.ops.convert_to_numpy(loss.generator(FAKE, REAL))
    np.testing.assert_allclose(d, expected_d, rtol=1e-5)
    np.testing.assert_allclose(g, expected_g, rtol=1e-5)
    # Keyword form, and patch maps (means over every element).
    g = loss.generator(FAKE.reshape(2, 2, 1), real_logits=REAL.reshape(2, 2, 1))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(g), expected_g, rtol=1e-5)


def test_relativistic_average_label_smoothing_matches_the_paper():
    d = losses.relativistic_average.discriminator(REAL, FAKE, label_smoothing=0.2)
    expected_d, _ = numpy_rasgan(REAL.astype("float64"), FAKE.astype("float64"), s=0.2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(d), expected_d, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(RELATIVISTIC))
def test_relativistic_generator_without_real_logits_names_the_fix(name):
    with pytest.raises(ValueError, match="real_logits"):
        losses.get(name).generator(FAKE)


def test_relativistic_losses_are_stable_for_large_logits():
    big = np.array([[80.0], [-80.0]], dtype="float32")
    d = keras.ops.convert_to_numpy(losses.relativistic_average.discriminator(big, big - 200.0))
    g = keras.ops.convert_to_numpy(losses.relativistic_average.generator(big - 200.0, big))
    assert np.isfinite(d) and np.isfinite(g)
    np.testing.assert_allclose(g, 200.0 + 200.0, rtol=1e-4)


def test_capabilities_of_the_named_objectives():
    smoothable = {name for name in losses.names() if losses.get(name).supports_label_smoothing}
    assert smoothable == {"minimax", "non_saturating", "relativistic_average"}
    needs_real = {name for name in losses.names() if losses.get(name).needs_real_logits}
    assert needs_real == set(RELATIVISTIC)
    custom = losses.AdversarialLoss("custom", lambda r, f: 0.0, lambda f: 0.0)
    assert not custom.needs_real_logits and not custom.supports_label_smoothing


# ------------------------------------------------------------ label smoothing
@pytest.mark.parametrize("name", ["minimax", "non_saturating"])
def test_one_sided_label_smoothing_targets_one_minus_s(name):
    s = 0.1
    d = losses.get(name).discriminator(REAL, FAKE, label_smoothing=s)
    expected = np.mean(
        -(1 - s) * np.log(sigmoid(REAL)) - s * np.log(1 - sigmoid(REAL))
    ) + np.mean(-np.log(1 - sigmoid(FAKE)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(d), expected, rtol=1e-5)
    # 0 is exactly the unsmoothed loss.
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(losses.get(name).discriminator(REAL, FAKE, label_smoothing=0.0)),
        keras.ops.convert_to_numpy(losses.get(name).discriminator(REAL, FAKE)),
    )


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, float("nan"), "0.1", True])
def test_label_smoothing_outside_the_unit_interval_is_refused(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        losses.non_saturating.discriminator(REAL, FAKE, label_smoothing=bad)


# ------------------------------------------------ TF-GAN's published test values
# tensorflow_gan/python/losses/losses_impl_test.py (_LossesTest): these
# logits, and each loss's expected value to 5 decimals.
TFGAN_REAL = np.array([-5.0, 1.4, 12.5, 2.7], dtype="float32")
TFGAN_FAKE = np.array([10.0, 4.4, -5.5, 3.6], dtype="float32")


def test_least_squares_matches_tfgan():
    loss = losses.least_squares
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loss.discriminator(TFGAN_REAL, TFGAN_FAKE)), 41.73375, atol=1e-4
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss.generator(TFGAN_FAKE)), 17.69625, atol=1e-4)


def test_wasserstein_and_hinge_match_tfgan():
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(losses.wasserstein.discriminator(TFGAN_REAL, TFGAN_FAKE)), 0.225, atol=1e-5
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(losses.hinge.discriminator(TFGAN_REAL, TFGAN_FAKE)), 6.75, atol=1e-5
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(losses.hinge.generator(TFGAN_FAKE)), -3.125, atol=1e-5)


def test_non_saturating_with_label_smoothing_matches_tfgan_modified_loss():
    # TF-GAN's modified_discriminator_loss defaults to label_smoothing=0.25 in
    # tf.losses' convention (target 1 - 0.25/2 = 0.875): 0.125 here.
    d = losses.non_saturating.discriminator(TFGAN_REAL, TFGAN_FAKE, label_smoothing=0.125)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(d), 6.19637, atol=1e-4)
    g = losses.non_saturating.generator(TFGAN_FAKE)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(g), 1.38582, atol=1e-4)


def test_minimax_generator_matches_tfgan_up_to_its_constant():
    # TF-GAN's minimax_generator_loss is -minimax_discriminator_loss(ones,
    # fake): it carries the constant -softplus(-1) of a real logit of 1.
    g = keras.ops.convert_to_numpy(losses.minimax.generator(TFGAN_FAKE))
    np.testing.assert_allclose(g - np.log1p(np.exp(-1.0)), -4.82408, atol=1e-4)


def test_relativistic_average_matches_tf_gan_published_values():
    """TF-GAN's `RelativisticAverageLoss` test (losses_impl_test.py): g 4.9401135, d 4.390114."""
    real = np.array([-2.0, 0.4, 12.5, 2.7], "float32")
    fake = np.array([10.0, 4.4, -5.5, 3.6], "float32")
    loss = losses.get("relativistic_average")
    d_loss = float(keras.ops.convert_to_numpy(loss.discriminator(real, fake)))
    g_loss = float(keras.ops.convert_to_numpy(loss.generator(fake, real)))
    np.testing.assert_allclose(d_loss, 4.390114, atol=1e-5)
    np.testing.assert_allclose(g_loss, 4.9401135, atol=1e-5)
