"""Bad input gets a clear error and leaves the model usable; every model saves and reloads."""

import numpy as np
import pytest

import keras_gen


def trained_vae(nets, **kwargs):
    vae = keras_gen.models.VAE(nets.encoder(), nets.decoder(), seed=0, **kwargs)
    vae.compile()
    return vae


def assert_still_trains(model, x, y=None):
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert all(np.isfinite(v[0]) for v in history.history.values())


# ------------------------------------------------------------------ networks
def test_vae_encoder_must_have_two_outputs(nets):
    with pytest.raises(ValueError, match=r"\[mean, log_var\].*variational=True"):
        keras_gen.models.VAE(nets.encoder(variational=False), nets.decoder())


def test_autoencoder_and_aae_need_a_single_code(nets):
    with pytest.raises(ValueError, match="variational=False"):
        keras_gen.models.AutoEncoder(nets.encoder(), nets.decoder())
    critic = keras_gen.networks.mlp_latent_discriminator(2, (8,))
    with pytest.raises(ValueError, match="single output"):
        keras_gen.models.AdversarialAutoencoder(nets.encoder(), nets.decoder(), critic)


def test_decoder_output_must_match_the_data_shape(nets):
    with pytest.raises(ValueError, match=r"decoder outputs shape \(None, 5, 5, 1\)"):
        keras_gen.models.VAE(nets.encoder(), nets.decoder(image_shape=(5, 5, 1)))


def test_latent_sizes_must_agree(nets):
    with pytest.raises(ValueError, match="latent sizes disagree"):
        keras_gen.models.VAE(nets.encoder(latent_dim=2), nets.decoder(latent_dim=3))
    with pytest.raises(ValueError, match="latent sizes disagree"):
        keras_gen.models.VAE(nets.encoder(), nets.decoder(), latent_dim=5)


def test_unknown_options_name_the_choices(nets):
    with pytest.raises(ValueError, match="bernoulli"):
        keras_gen.models.VAE(nets.encoder(), nets.decoder(), likelihood="poisson")
    with pytest.raises(ValueError, match="beta"):
        keras_gen.models.VAE(nets.encoder(), nets.decoder(), beta=-1.0)
    with pytest.raises(ValueError, match="decoder_std"):
        keras_gen.models.VAE(nets.encoder(), nets.decoder(), likelihood="gaussian", decoder_std=0)
    with pytest.raises(ValueError, match="mse"):
        keras_gen.models.AutoEncoder(
            nets.encoder(variational=False), nets.decoder(), reconstruction="ssim"
        )
    critic = keras_gen.networks.mlp_latent_discriminator(2, (8,))
    with pytest.raises(ValueError, match="gaussian"):
        keras_gen.models.AdversarialAutoencoder(
            nets.encoder(variational=False), nets.decoder(), critic, prior="uniform"
        )
    with pytest.raises(ValueError, match=r"mlp_latent_discriminator\(latent_dim=2\)"):
        keras_gen.models.AdversarialAutoencoder(
            nets.encoder(variational=False),
            nets.decoder(),
            keras_gen.networks.mlp_latent_discriminator(3, (8,)),
        )
    with pytest.raises(TypeError, match="keras.Model"):
        keras_gen.models.VAE(lambda x: x, nets.decoder())


# ---------------------------------------------------------------------- data
def test_wrong_image_shape_is_caught_and_the_model_still_trains(nets):
    vae = trained_vae(nets)
    with pytest.raises(ValueError, match=r"expects \(batch,\) \+ \(4, 4, 1\)"):
        vae.fit(np.zeros((32, 4, 4), "float32"), batch_size=16, verbose=0)
    with pytest.raises(ValueError, match=r"\(4, 4, 1\)"):
        vae.encode(np.zeros((2, 5, 5, 1), "float32"))
    x, _ = nets.patterns(32)
    assert_still_trains(vae, x)


def test_wrong_shape_in_tf_data_is_caught_before_training(nets):
    import tensorflow as tf

    vae = trained_vae(nets)
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((32, 6, 6, 1), "float32")).batch(16)
    with pytest.raises(ValueError, match="encoder expects"):
        vae.fit(dataset, verbose=0)
    x, _ = nets.patterns(32)
    assert_still_trains(vae, x)


def test_uint8_images_get_a_type_error_naming_the_fix(nets):
    vae = trained_vae(nets)
    with pytest.raises(TypeError, match="scale_images"):
        vae.fit(np.zeros((32, 4, 4, 1), "uint8"), batch_size=16, verbose=0)
    with pytest.raises(TypeError, match="scale_images"):
        vae.importance_weighted_log_likelihood(np.zeros((2, 4, 4, 1), "uint8"))


def test_bad_latents_for_decode_and_generate(nets):
    vae = trained_vae(nets)
    with pytest.raises(ValueError, match=r"\(num_samples, 2\)"):
        vae.decode(np.zeros((3, 5), "float32"))
    with pytest.raises(ValueError, match=r"\(num_samples, 2\)"):
        vae.generate(2, latents=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="num_samples"):
        vae.importance_weighted_log_likelihood(np.zeros((1, 4, 4, 1), "float32"), num_samples=0)


def test_generate_is_reproducible_with_a_seed(nets):
    vae = trained_vae(nets)
    a = vae.generate(5, seed=7)
    np.testing.assert_array_equal(a, vae.generate(5, seed=7))
    assert a.shape == (5, 4, 4, 1) and a.min() >= -1 and a.max() <= 1
    assert not np.array_equal(a, vae.generate(5, seed=8))
    assert vae.generate(3).shape == (3, 4, 4, 1)


def test_autoencoder_generate_points_to_the_vae(nets):
    model = keras_gen.models.AutoEncoder(nets.encoder(variational=False), nets.decoder())
    with pytest.raises(NotImplementedError, match="VAE"):
        model.generate(4)


def conditional(nets, **kwargs):
    cvae = keras_gen.models.ConditionalVAE(
        nets.encoder(num_classes=3), nets.decoder(num_classes=3), seed=0, **kwargs
    )
    cvae.compile()
    return cvae


def test_conditional_labels_out_of_range_and_missing(nets):
    cvae = conditional(nets)
    x, _ = nets.patterns(32)
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\]"):
        cvae.fit(x, np.full((32,), 3), batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="needs labels"):
        cvae.fit(x, batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="one label per sample"):
        cvae.fit(x, np.zeros((30,), int), batch_size=16, verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        cvae.generate(4, labels=-1)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        cvae.generate(2, labels=[0, 7])
    with pytest.raises(TypeError, match="integer class indices"):
        cvae.generate(2, labels=[0.5, 1.0])
    with pytest.raises(ValueError, match="not one-hot"):
        cvae.fit(x, np.full((32, 3), 1 / 3, "float32"), batch_size=16, verbose=0)
    assert_still_trains(cvae, x, np.arange(32) % 3)
    # One-hot labels work too.
    assert_still_trains(cvae, x, np.eye(3, dtype="float32")[np.arange(32) % 3])


def test_conditional_networks_must_take_labels(nets):
    with pytest.raises(ValueError, match="num_classes"):
        keras_gen.models.ConditionalVAE(nets.encoder(), nets.decoder(), num_classes=3)
    with pytest.raises(ValueError, match=r"expected \(None, 4\)"):
        keras_gen.models.ConditionalVAE(
            nets.encoder(num_classes=3), nets.decoder(num_classes=3), num_classes=4
        )


def test_conditional_dataset_must_yield_pairs(nets):
    import tensorflow as tf

    cvae = conditional(nets)
    x, _ = nets.patterns(32)
    with pytest.raises(ValueError, match=r"\(images, labels\)"):
        cvae.fit(tf.data.Dataset.from_tensor_slices(x).batch(16), verbose=0)
    pairs = tf.data.Dataset.from_tensor_slices((x, np.arange(32) % 3)).batch(16)
    history = cvae.fit(pairs, epochs=1, verbose=0)
    assert np.isfinite(history.history["elbo"][0])


# -------------------------------------------------------------------- saving