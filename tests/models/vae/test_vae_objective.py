"""The ELBO pieces against NumPy hand computations, KL warm-up, and the IW bound."""

import math

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.models.vae import objectives


def set_dense(model, name, kernel, bias):
    model.get_layer(name).set_weights([kernel.astype("float32"), bias.astype("float32")])


def controlled_vae(nets, log_var_bias=0.0, log_var_scale=0.3, **kwargs):
    """A VAE on 4x4x1 images whose linear encoder/decoder weights we know."""
    rng = np.random.default_rng(0)
    encoder, decoder = nets.encoder(), nets.decoder()
    w = {
        "w_mean": rng.normal(0, 0.3, (16, 2)),
        "b_mean": rng.normal(0, 0.3, (2,)),
        "w_log_var": rng.normal(0, log_var_scale, (16, 2)),
        "b_log_var": np.full((2,), log_var_bias) + rng.normal(0, 0.1, (2,)),
        "w_dec": rng.normal(0, 0.5, (2, 16)),
        "b_dec": rng.normal(0, 0.5, (16,)),
    }
    set_dense(encoder, "mean", w["w_mean"], w["b_mean"])
    set_dense(encoder, "log_var", w["w_log_var"], w["b_log_var"])
    set_dense(decoder, "pixels", w["w_dec"], w["b_dec"])
    vae = keras_gen.models.VAE(encoder, decoder, seed=0, **kwargs)
    return vae, w


def hand_terms(x, w, eps, likelihood="bernoulli", std=None):
    flat = x.reshape(len(x), -1).astype("float64")
    mean = flat @ w["w_mean"] + w["b_mean"]
    log_var = flat @ w["w_log_var"] + w["b_log_var"]
    z = mean + np.exp(0.5 * log_var) * eps
    out = z @ w["w_dec"] + w["b_dec"]
    if likelihood == "bernoulli":
        t = (flat + 1) / 2
        log_px = np.sum(t * out - np.log1p(np.exp(out)), axis=1)
    else:
        log_px = -0.5 * np.sum((flat - out) ** 2 / std**2 + np.log(2 * np.pi * std**2), axis=1)
    kl = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=1)
    return log_px, kl, mean, log_var


def test_elbo_matches_numpy_with_known_noise(nets):
    vae, w = controlled_vae(nets)
    x, _ = nets.patterns(6)
    eps = np.random.default_rng(3).standard_normal((6, 2))  # what elbo(seed=3) draws
    log_px, kl, mean, log_var = hand_terms(x, w, eps)
    np.testing.assert_allclose(vae.elbo(x, seed=3), log_px - kl, rtol=1e-5, atol=1e-4)
    got_mean, got_log_var = vae.encode(x)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_log_var, log_var, rtol=1e-5, atol=1e-5)
    # decode returns the Bernoulli mean mapped to [-1, 1].
    logits = mean @ w["w_dec"] + w["b_dec"]
    np.testing.assert_allclose(
        vae.reconstruct(x).reshape(6, -1), 2 / (1 + np.exp(-logits)) - 1, rtol=1e-5, atol=1e-5
    )


def test_step_logs_match_numpy_and_beta_scales_only_the_kl(nets):
    # log_var ~ -30: sigma ~ 3e-7, so the sampled code is the mean to 1e-6.
    vae, w = controlled_vae(nets, log_var_bias=-30.0, log_var_scale=0.0, beta=2.5)
    x, _ = nets.patterns(6)
    log_px, kl, _, _ = hand_terms(x, w, np.zeros((6, 2)))
    loss, logs = vae.compute_phase_loss("vae", x, training=False)
    logs = {k: float(keras.ops.convert_to_numpy(v)) for k, v in logs.items()}
    np.testing.assert_allclose(logs["reconstruction_loss"], -log_px.mean(), rtol=1e-5)
    np.testing.assert_allclose(logs["kl_loss"], kl.mean(), rtol=1e-5)
    np.testing.assert_allclose(logs["elbo"], (log_px - kl).mean(), rtol=1e-5)
    np.testing.assert_allclose(
        float(keras.ops.convert_to_numpy(loss)), -log_px.mean() + 2.5 * kl.mean(), rtol=1e-5
    )


def test_gaussian_likelihood_includes_the_constants(nets):
    vae, w = controlled_vae(nets, likelihood="gaussian", decoder_std=0.5)
    x, _ = nets.patterns(5)
    eps = np.random.default_rng(0).standard_normal((5, 2))
    log_px, kl, _, _ = hand_terms(x, w, eps, likelihood="gaussian", std=0.5)
    np.testing.assert_allclose(vae.elbo(x, seed=0), log_px - kl, rtol=1e-5, atol=1e-3)
    # Same formula through the objective helper, with sigma as log-std.
    mean = np.zeros((1, 3), "float32")
    value = objectives.gaussian_log_likelihood(np.ones((1, 3), "float32"), mean, math.log(2.0))
    expected = -0.5 * 3 * (1 / 4 + math.log(2 * math.pi * 4))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(value), [expected], rtol=1e-6)


def test_kl_is_zero_when_the_posterior_is_the_prior(nets):
    encoder = nets.encoder()
    for name in ("mean", "log_var"):
        layer = encoder.get_layer(name)
        layer.set_weights([np.zeros_like(v) for v in layer.get_weights()])
    vae = keras_gen.models.VAE(encoder, nets.decoder(), seed=0)
    x, _ = nets.patterns(8)
    _, logs = vae.compute_phase_loss("vae", x, training=False)
    assert float(keras.ops.convert_to_numpy(logs["kl_loss"])) == 0.0
    kl = objectives.gaussian_kl(np.zeros((3, 4), "float32"), np.zeros((3, 4), "float32"))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(kl), np.zeros(3))


def test_kl_warmup_ramps_the_weight_with_optimizer_iterations(nets):
    vae, w = controlled_vae(
        nets, log_var_bias=-30.0, log_var_scale=0.0, beta=2.0, kl_warmup_steps=10
    )
    assert float(keras.ops.convert_to_numpy(vae.kl_weight())) == 2.0  # not compiled: no ramp
    vae.compile()
    x, _ = nets.patterns(6)
    log_px, kl, _, _ = hand_terms(x, w, np.zeros((6, 2)))
    for iterations, weight in ((0, 0.0), (5, 1.0), (10, 2.0), (40, 2.0)):
        vae.optimizers["vae"].iterations.assign(iterations)
        loss, _ = vae.compute_phase_loss("vae", x, training=True)
        np.testing.assert_allclose(
            float(keras.ops.convert_to_numpy(loss)), -log_px.mean() + weight * kl.mean(), rtol=1e-5
        )
    # Evaluation uses the full beta whatever the step.
    vae.optimizers["vae"].iterations.assign(0)
    loss, _ = vae.compute_phase_loss("vae", x, training=False)
    np.testing.assert_allclose(
        float(keras.ops.convert_to_numpy(loss)), -log_px.mean() + 2.0 * kl.mean(), rtol=1e-5
    )


def test_warmup_inside_fit_uses_the_iteration_counter(nets):
    vae = keras_gen.models.VAE(nets.encoder(), nets.decoder(), kl_warmup_steps=8, seed=0)
    vae.compile()
    x, _ = nets.patterns(64)
    vae.fit(x, batch_size=16, epochs=1, verbose=0)
    assert int(keras.ops.convert_to_numpy(vae.optimizers["vae"].iterations)) == 4
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(vae.kl_weight())), 0.5)


def test_learned_decoder_std_trains(nets):
    vae = keras_gen.models.VAE(
        nets.encoder(), nets.decoder(), likelihood="gaussian", decoder_std="learned", seed=0
    )
    assert any(v is vae.log_decoder_std for v in vae.phases()[0].variables)
    vae.compile(vae_optimizer=keras.optimizers.Adam(0.05))
    x, _ = nets.patterns(64)
    vae.fit(x, batch_size=16, epochs=2, verbose=0)
    # Residuals of images in [-1, 1] are far below 1: sigma must shrink.
    assert float(keras.ops.convert_to_numpy(vae.log_decoder_std)) < -0.1


def test_importance_weighted_bound_is_tighter_than_the_elbo(nets):
    vae = keras_gen.models.VAE(nets.encoder(), nets.decoder(), seed=0)
    vae.compile(vae_optimizer=keras.optimizers.Adam(0.02))
    x, _ = nets.patterns(128)
    vae.fit(x, batch_size=32, epochs=3, verbose=0)
    elbo = vae.elbo(x, num_samples=20, seed=0).mean()
    iw1 = vae.importance_weighted_log_likelihood(x, num_samples=1, seed=1, batch_size=64).mean()
    iw50 = vae.importance_weighted_log_likelihood(x, num_samples=50, seed=2, batch_size=640).mean()
    assert iw50 > elbo
    assert iw50 > iw1
    # k = 1 estimates the ELBO (with a Monte Carlo KL instead of the closed form).
    assert abs(iw1 - elbo) < 0.05 * abs(elbo) + 0.5
    # Reproducible with an int seed, per image.
    np.testing.assert_allclose(
        vae.importance_weighted_log_likelihood(x[:5], 10, seed=4),
        vae.importance_weighted_log_likelihood(x[:5], 10, seed=4),
    )
    assert vae.importance_weighted_log_likelihood(x[:5], 10).shape == (5,)


@pytest.mark.parametrize("kind", ["mse", "l1", "bce"])
def test_reconstruction_errors_are_summed_over_pixels(kind):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (3, 2, 2, 1)).astype("float32")
    out = rng.uniform(-1, 1, (3, 2, 2, 1)).astype("float32")
    got = keras.ops.convert_to_numpy(objectives.reconstruction_error(kind, x, out))
    flat_x, flat_o = x.reshape(3, -1).astype("float64"), out.reshape(3, -1).astype("float64")
    if kind == "mse":
        expected = np.sum((flat_x - flat_o) ** 2, axis=1)
    elif kind == "l1":
        expected = np.sum(np.abs(flat_x - flat_o), axis=1)
    else:
        t = (flat_x + 1) / 2
        p = 1 / (1 + np.exp(-flat_o))
        expected = -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p), axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_adversarial_autoencoder_relativistic_generator_loss_sees_the_prior_logits():
    """With a relativistic objective the encoder's loss compares its codes' logits to the prior's."""
    from keras_gen.testing.models import dense_decoder
    from keras_gen.testing.models import dense_encoder

    model = keras_gen.models.AdversarialAutoencoder(
        dense_encoder(variational=False), dense_decoder(activation="tanh"),
        latent_discriminator=keras_gen.networks.mlp_latent_discriminator(2, (8,)),
        loss="relativistic_average", seed=0,
    )
    x = np.random.default_rng(0).uniform(-1, 1, (8, 4, 4, 1)).astype("float32")
    prior = np.random.default_rng(1).normal(size=(8, 2)).astype("float32")
    model._sample_prior_tensor = lambda n: keras.ops.convert_to_tensor(prior)
    loss, _ = model.compute_phase_loss("generator", (x,), training=False)
    fake = keras.ops.convert_to_numpy(model.latent_discriminator(model.encoder(x))).astype("float64")
    real = keras.ops.convert_to_numpy(model.latent_discriminator(prior)).astype("float64")
    log_sigmoid = lambda t: -np.logaddexp(0.0, -t)  # noqa: E731
    # RaSGAN generator: -E log σ(D(fake) - E D(real)) - E log(1 - σ(D(real) - E D(fake))).
    expected = -np.mean(log_sigmoid(fake - real.mean())) - np.mean(log_sigmoid(-(real - fake.mean())))
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(loss)), expected, rtol=1e-5)
