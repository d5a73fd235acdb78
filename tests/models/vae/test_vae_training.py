"""Training: held-out ELBO improves on digits; NumPy and tf.data; CVAE classes; AAE codes."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import assert_weights_changed
from keras_gen.testing import snapshot_weights


def digits(n_train=512, n_test=128):
    (x_train, _), (x_test, _) = keras_gen.datasets.mnist.load_data(source="embedded")
    rng = np.random.default_rng(0)
    scale = lambda x: (x.astype("float32") / 127.5 - 1.0)[..., None]  # noqa: E731
    train = scale(x_train[rng.permutation(len(x_train))[:n_train]])
    test = scale(x_test[rng.permutation(len(x_test))[:n_test]])
    return train, test


@pytest.mark.quality
def test_held_out_elbo_improves_on_real_digits():
    x_train, x_test = digits()
    encoder = keras_gen.networks.conv_encoder((28, 28, 1), 4, base_filters=8)
    decoder = keras_gen.networks.conv_decoder((28, 28, 1), 4, base_filters=8)
    vae = keras_gen.models.VAE(encoder, decoder, seed=0)
    vae.compile(vae_optimizer=keras.optimizers.Adam(3e-3))
    before = vae.evaluate(x_test, batch_size=128, verbose=0, return_dict=True)
    weights = snapshot_weights(vae.trainable_variables)
    history = vae.fit(x_train, batch_size=64, epochs=3, verbose=0)
    after = vae.evaluate(x_test, batch_size=128, verbose=0, return_dict=True)
    assert_weights_changed(weights, vae.trainable_variables)
    assert set(history.history) == {"reconstruction_loss", "kl_loss", "elbo"}
    # From ~-550 nats (logits ~0 on 784 pixels) to far better; a real gain, not noise.
    assert after["elbo"] > before["elbo"] + 100, (before, after)
    np.testing.assert_allclose(
        after["elbo"], -after["reconstruction_loss"] - after["kl_loss"], rtol=1e-4
    )


def test_autoencoder_trains_one_phase_and_reconstructs(nets):
    x, _ = nets.patterns(64)
    model = keras_gen.models.AutoEncoder(
        nets.encoder(variational=False), nets.decoder(activation="tanh"), reconstruction="mse"
    )
    model.compile(autoencoder_optimizer=keras.optimizers.Adam(0.02))
    error_before = np.sum((model.reconstruct(x) - x) ** 2, axis=(1, 2, 3)).mean()
    history = model.fit(x, batch_size=16, epochs=10, verbose=0)
    error_after = np.sum((model.reconstruct(x) - x) ** 2, axis=(1, 2, 3)).mean()
    assert error_after < 0.5 * error_before
    # The logged loss is the per-image sum of squares, averaged over the batch.
    np.testing.assert_allclose(
        model.evaluate(x, batch_size=64, verbose=0, return_dict=True)["reconstruction_loss"],
        error_after,
        rtol=1e-4,
    )
    assert list(history.history) == ["reconstruction_loss"]


def test_bce_autoencoder_decodes_images_in_range(nets):
    x, _ = nets.patterns(32)
    model = keras_gen.models.AutoEncoder(
        nets.encoder(variational=False), nets.decoder(), reconstruction="bce"
    )
    model.compile()
    model.fit(x, batch_size=16, epochs=1, verbose=0)
    images = model.reconstruct(x)
    assert images.min() >= -1.0 and images.max() <= 1.0


@pytest.mark.quality
def test_conditional_vae_generates_the_requested_class(nets):
    # Two classes of 8x8 images: dark (class 0) and bright (class 1), with noise.
    rng = np.random.default_rng(0)
    labels = np.arange(256) % 2
    x = np.where(labels[:, None, None, None] == 1, 0.8, -0.8) + 0.1 * rng.standard_normal(
        (256, 8, 8, 1)
    )
    x = np.clip(x, -1, 1).astype("float32")
    encoder = nets.encoder((8, 8, 1), latent_dim=2, num_classes=2)
    decoder = nets.decoder((8, 8, 1), latent_dim=2, num_classes=2)
    cvae = keras_gen.models.ConditionalVAE(encoder, decoder, seed=0)
    assert cvae.num_classes == 2  # inferred from the encoder's label input
    cvae.compile(vae_optimizer=keras.optimizers.Adam(0.05))
    cvae.fit(x, labels, batch_size=32, epochs=6, verbose=0)
    dark = cvae.generate(16, labels=0, seed=0)
    bright = cvae.generate(16, labels=np.ones(16, int), seed=0)
    assert dark.mean() < -0.4 and bright.mean() > 0.4, (dark.mean(), bright.mean())
    # Same codes, different labels: the label decides the class.
    mean, _ = cvae.encode(x[:4], labels[:4])
    assert mean.shape == (4, 2)
    assert cvae.reconstruct(x[:4], labels[:4]).shape == (4, 8, 8, 1)
    default = cvae.generate(4, seed=1)  # classes 0, 1, 0, 1
    assert default[0].mean() < 0 < default[1].mean()


@pytest.mark.quality
def test_aae_codes_move_toward_the_prior(nets):
    x, _ = nets.patterns(128)
    encoder = nets.encoder(variational=False)
    layer = encoder.get_layer("latent")
    kernel, bias = layer.get_weights()
    # Codes start far from N(0, I): mean ~1, variance ~0.003.
    layer.set_weights([kernel * 0.1, bias + 1.0])
    aae = keras_gen.models.AdversarialAutoencoder(
        encoder,
        nets.decoder(activation="tanh"),
        keras_gen.networks.mlp_latent_discriminator(2, hidden_units=(32, 32)),
        seed=0,
    )
    aae.compile(
        reconstruction_optimizer=keras.optimizers.Adam(1e-3),
        discriminator_optimizer=keras.optimizers.Adam(4e-3),
        generator_optimizer=keras.optimizers.Adam(4e-3),
    )

    def moments(codes):
        mean, var = codes.mean(axis=0), codes.var(axis=0)
        # KL(N(mean, var) || N(0, 1)) of the moment-matched Gaussian, per dimension.
        kl = float(np.mean(0.5 * (var + mean**2 - 1 - np.log(var))))
        return float(np.abs(mean).mean()), float(np.abs(np.log(var)).mean()), kl

    mean_before, log_var_before, kl_before = moments(aae.encode(x))
    weights = {
        name: snapshot_weights(net.trainable_variables)
        for name, net in (("d", aae.latent_discriminator), ("dec", aae.decoder))
    }
    history = aae.fit(x, batch_size=128, epochs=40, verbose=0)
    mean_after, log_var_after, kl_after = moments(aae.encode(x))
    # Seen on three backends x three seeds: mean 1 -> ~0.8, |log var| ~5.5 -> < 0.8,
    # KL ~2.8 -> < 0.6.
    assert mean_after < 0.9 * mean_before, (mean_before, mean_after)
    assert log_var_after < 0.25 * log_var_before, (log_var_before, log_var_after)
    assert kl_after < 0.3 * kl_before, (kl_before, kl_after)
    assert set(history.history) == {"reconstruction_loss", "d_loss", "g_loss"}
    assert_weights_changed(weights["d"], aae.latent_discriminator.trainable_variables)
    assert_weights_changed(weights["dec"], aae.decoder.trainable_variables)
    for name in ("reconstruction", "discriminator", "generator"):
        assert int(keras.ops.convert_to_numpy(aae.optimizers[name].iterations)) == 40


def test_aae_mixture_prior_layout(nets):
    aae = keras_gen.models.AdversarialAutoencoder(
        nets.encoder(latent_dim=3, variational=False),
        nets.decoder(latent_dim=3, activation="tanh"),
        keras_gen.networks.mlp_latent_discriminator(3, (8,)),
        prior="mixture",
    )
    z = aae.sample_prior(4000, seed=0)
    np.testing.assert_array_equal(z, aae.sample_prior(4000, seed=0))
    radius = np.linalg.norm(z[:, :2], axis=1)
    assert abs(np.median(radius) - 2.0) < 0.1
    angles = np.mod(np.arctan2(z[:, 1], z[:, 0]), 2 * np.pi)
    # Ten petals: the angle histogram peaks at multiples of 36 degrees.
    nearest = np.abs(((angles / (2 * np.pi / 10)) + 0.5) % 1 - 0.5)
    assert np.mean(nearest < 0.15) > 0.8
    np.testing.assert_allclose(z[:, 2].std(), 1.0, atol=0.1)  # extra dims N(0, 1)
    in_graph = aae.sample_prior(2000)  # seed generator, in keras.ops
    assert abs(np.median(np.linalg.norm(in_graph[:, :2], axis=1)) - 2.0) < 0.1
