"""Loss terms that models use, each with one public home in keras_gen.losses:
the AC-GAN class loss, CycleGAN's cycle consistency and the Gaussian KL."""

import keras
import numpy as np

import keras_gen
from keras_gen import losses


def value(x):
    return keras.ops.convert_to_numpy(x)


# TF-GAN's ACGANLossTest (losses_impl_test.py), one-hot labels as indices.
GEN_CLASS_LOGITS = np.array(
    [[10.0, 4.4, -5.5, 3.6], [-4.0, 4.4, 5.2, 4.6], [1.1, 2.4, -3.5, 5.6], [1.1, 2.4, -3.5, 5.6]],
    "float32",
)
REAL_CLASS_LOGITS = np.array(
    [[-2.0, 0.4, 12.5, 2.7], [-1.2, 1.9, 12.3, 2.6], [-2.4, -1.7, 2.5, 2.7], [1.1, 2.4, -3.5, 5.6]],
    "float32",
)
LABELS = np.array([1, 2, 0, 0], "int32")


def test_auxiliary_classifier_loss_matches_tfgan_acgan_values():
    g = losses.auxiliary_classifier_loss(LABELS, GEN_CLASS_LOGITS)
    d = g + losses.auxiliary_classifier_loss(LABELS, REAL_CLASS_LOGITS)
    np.testing.assert_allclose(value(g), 3.84974, atol=1e-4)
    np.testing.assert_allclose(value(d), 9.43950, atol=1e-4)


def test_auxiliary_classifier_loss_is_the_mean_softmax_cross_entropy():
    logits = GEN_CLASS_LOGITS.astype("float64")
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.mean(log_probs[np.arange(4), LABELS])
    np.testing.assert_allclose(value(losses.auxiliary_classifier_loss(LABELS, logits.astype("float32"))), expected, rtol=1e-5)


def test_conditional_gan_class_loss_is_the_public_function():
    generator = keras_gen.networks.conditional_mlp_generator(2, 2, 4, hidden_units=(4,))
    discriminator = keras_gen.networks.conditional_mlp_discriminator(
        2, 4, conditioning="auxiliary", hidden_units=(4,)
    )
    cgan = keras_gen.models.ConditionalGAN(
        generator, discriminator, num_classes=4, conditioning="auxiliary", seed=0
    )
    np.testing.assert_array_equal(
        value(cgan.class_loss(LABELS, GEN_CLASS_LOGITS)),
        value(losses.auxiliary_classifier_loss(LABELS, GEN_CLASS_LOGITS)),
    )


def test_cycle_consistency_matches_tfgan():
    # TF-GAN's CycleConsistencyLossTest: its loss is the mean of the two
    # directions' L1 terms, 5.25; CycleGAN (and this model) adds them.
    x, x_rec = np.array([[1.0, 2, 3], [4, 5, 6]]), np.array([[7.0, 8, 9], [10, 11, 12]])
    y, y_rec = np.array([1.0, 9]), np.array([-2.0, 3])
    forward = losses.cycle_consistency_loss(x, x_rec)
    backward = losses.cycle_consistency_loss(y, y_rec)
    np.testing.assert_allclose(value(forward), 6.0)
    np.testing.assert_allclose(value(backward), 4.5)
    np.testing.assert_allclose(value((forward + backward) / 2), 5.25)
    np.testing.assert_allclose(value(losses.cycle_consistency_loss(x, x_rec, weight=10.0)), 60.0)
    np.testing.assert_allclose(value(forward), value(losses.l1_loss(x, x_rec)))


def test_gaussian_kl_matches_hand_computation():
    mean = np.array([[0.5, -1.0], [0.0, 0.0]], "float32")
    log_var = np.array([[0.2, -0.3], [0.0, 0.0]], "float32")
    expected = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=-1)
    np.testing.assert_allclose(value(losses.gaussian_kl(mean, log_var)), expected, rtol=1e-6)
    assert value(losses.gaussian_kl(mean, log_var))[1] == 0.0


def test_gaussian_kl_has_one_home():
    from keras_gen.models.vae import objectives
    from keras_gen.models.vae import vae

    assert objectives.gaussian_kl is losses.gaussian_kl
    assert vae.gaussian_kl is losses.gaussian_kl
    assert losses.gaussian_kl.__module__ == "keras_gen.losses.divergences"
