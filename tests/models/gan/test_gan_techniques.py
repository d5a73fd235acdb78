"""GAN options from the modern-GAN literature: DiffAugment on real and fake
images, regularization losses in the phase objective, and the truncation trick."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator


def image_gan(**kwargs):
    generator = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8 * 8), keras.layers.Reshape((8, 8, 1)),
         keras.layers.Activation("tanh")],
        name="generator",
    )
    discriminator = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(1)],
        name="discriminator",
    )
    return keras_gen.models.GAN(generator, discriminator, seed=0, **kwargs)


def images(n=16):
    return np.random.default_rng(0).uniform(-1, 1, (n, 8, 8, 1)).astype("float32")


def test_augmentation_reaches_the_discriminator_only_in_training():
    plain = image_gan()
    augmented = image_gan(augmentation="translation,cutout")
    augmented.generator.set_weights(plain.generator.get_weights())
    augmented.discriminator.set_weights(plain.discriminator.get_weights())
    x = images()
    # Identity outside training: the evaluation losses agree.
    _, logs_plain = plain.compute_phase_loss("discriminator", x, training=False)
    _, logs_aug = augmented.compute_phase_loss("discriminator", x, training=False)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(logs_plain["d_loss"]),
        keras.ops.convert_to_numpy(logs_aug["d_loss"]), rtol=1e-5,
    )
    # In training the discriminator sees augmented images: a cut-out real
    # batch of ones gives different logits than the batch itself.
    ones = np.ones((16, 8, 8, 1), "float32")
    seen = keras.ops.convert_to_numpy(augmented.augment(ones, training=True))
    assert (seen == 0).any() and not np.array_equal(seen, ones)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(augmented.augment(ones, training=False)), ones
    )


def test_augmented_gan_trains_both_networks_and_round_trips(tmp_path):
    gan = image_gan(augmentation="color,translation,cutout")
    assert isinstance(gan.augmentation, keras_gen.layers.DiffAugment)
    gan.compile()
    g_before = keras_gen.testing.snapshot_weights(gan.generator.trainable_variables)
    d_before = keras_gen.testing.snapshot_weights(gan.discriminator.trainable_variables)
    gan.fit(images(32), batch_size=16, epochs=1, verbose=0)
    keras_gen.testing.assert_weights_changed(g_before, gan.generator.trainable_variables)
    keras_gen.testing.assert_weights_changed(d_before, gan.discriminator.trainable_variables)
    path = tmp_path / "augmented.keras"
    gan.save(path)
    restored = keras.saving.load_model(path)
    assert restored.augmentation.policy == gan.augmentation.policy
    np.testing.assert_allclose(restored.generate(4, seed=1), gan.generate(4, seed=1), atol=1e-6)


def test_bad_augmentation_type_names_the_fix():
    with pytest.raises(TypeError, match="policy string"):
        image_gan(augmentation=3)


def test_regularization_losses_join_the_generator_objective():
    beta = 0.05
    regularizer = keras_gen.losses.OrthogonalRegularizer(beta)
    generator = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, kernel_regularizer=regularizer),
         keras.layers.Dense(2, kernel_regularizer=regularizer)],
        name="regularized_generator",
    )
    gan = keras_gen.models.GAN(generator, tiny_discriminator(), seed=0)
    phases = {p.name: p for p in gan.phases()}
    assert "g_reg" in phases["generator"].log_names
    assert "d_reg" not in phases["discriminator"].log_names
    x = np.zeros((8, 2), "float32")
    total, logs = gan.compute_phase_loss("generator", x, training=False)
    expected = sum(
        float(keras.ops.convert_to_numpy(keras_gen.losses.orthogonal_regularization(layer.kernel, beta)))
        for layer in generator.layers
    )
    assert expected > 0
    np.testing.assert_allclose(keras.ops.convert_to_numpy(logs["g_reg"]), expected, rtol=1e-5)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(total),
        keras.ops.convert_to_numpy(logs["g_loss"]) + expected, rtol=1e-5,
    )
    gan.compile()
    history = gan.fit(np.random.default_rng(0).standard_normal((32, 2)).astype("float32"),
                      batch_size=16, epochs=1, verbose=0)
    assert history.history["g_reg"][0] > 0


def test_truncated_latents_stay_within_the_threshold_and_are_reproducible():
    gan = keras_gen.models.GAN(tiny_generator(latent_dim=4), tiny_discriminator(), seed=0)
    z = gan.latents_for(500, seed=3, truncation=0.5)
    assert z.shape == (500, 4) and np.abs(z).max() <= 0.5
    np.testing.assert_array_equal(z, gan.latents_for(500, seed=3, truncation=0.5))
    np.testing.assert_allclose(
        gan.generate(8, seed=3, truncation=0.5),
        gan.generate(8, latents=keras_gen.networks.truncated_normal_latents(8, 4, 0.5, seed=3)),
        atol=1e-6,
    )
    # Without truncation a seed gives plain normal latents.
    assert np.abs(gan.latents_for(500, seed=3)).max() > 2.0
    with pytest.raises(ValueError, match="positive threshold"):
        gan.generate(4, seed=0, truncation=0.0)
