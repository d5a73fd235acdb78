"""GAN's objective options: relativistic losses, WGAN-GP target and one-sided
forms, R2, one-sided label smoothing and feature matching. Each trains, each
round-trips through its config, each value is checked by hand, and each
misuse is a clear error."""

import math

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import only_phase
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator

OPTION_NAMES = (
    "penalty_target",
    "penalty_one_sided",
    "penalty_normalized",
    "label_smoothing",
    "feature_matching",
    "feature_layer",
    "loss",
    "gradient_penalty",
    "penalty_interval",
)


def make_gan(**kwargs):
    return keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), seed=0, **kwargs)


def data(n=32):
    return np.random.default_rng(0).standard_normal((n, 2)).astype("float32")


def value(x):
    return float(keras.ops.convert_to_numpy(x))


def softplus(x):
    return np.logaddexp(0.0, x)


CASES = {
    "rasgan": dict(loss="relativistic_average"),
    "ralsgan": dict(loss="relativistic_average_least_squares"),
    "wgan_gp_options": dict(
        loss="wasserstein", gradient_penalty="wgan_gp", penalty_target=2.0,
        penalty_one_sided=True, penalty_normalized=True,
    ),
    "r2": dict(gradient_penalty="r2"),
    "lazy_r2": dict(gradient_penalty="r2", penalty_interval=2),
    "label_smoothing": dict(loss="relativistic_average", label_smoothing=0.1),
    "feature_matching": dict(feature_matching=0.5),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_option_fits_two_steps_and_round_trips_its_config(case):
    gan = make_gan(**CASES[case])
    gan.compile()
    history = gan.fit(data(32), batch_size=16, epochs=1, verbose=0).history  # 2 steps
    assert {"d_loss", "g_loss"} <= set(history)
    if "gradient_penalty" in CASES[case]:
        assert CASES[case]["gradient_penalty"] in history
    if "feature_matching" in CASES[case]:
        assert "g_feature_matching" in history
    for name, values in history.items():
        assert np.all(np.isfinite(values)), (name, values)

    config = gan.get_config()
    clone = keras_gen.models.GAN.from_config(config)
    clone_config = clone.get_config()
    for name in OPTION_NAMES:
        assert clone_config[name] == config[name], name
    for name, expected in CASES[case].items():
        assert config[name] == expected, name


def test_defaults_are_in_the_config_and_change_nothing():
    config = make_gan().get_config()
    assert {name: config[name] for name in OPTION_NAMES[:6]} == {
        "penalty_target": 1.0,
        "penalty_one_sided": False,
        "penalty_normalized": False,
        "label_smoothing": 0.0,
        "feature_matching": None,
        "feature_layer": None,
    }


# ------------------------------------------------------------- hand values
def deterministic_gan(discriminator_kernel, bias=0.1, **kwargs):
    """Fakes are exactly 0 (a zero generator); D(x) = x·w + b, linear."""
    z = keras.Input((3,))
    generator = keras.Model(z, keras.layers.Dense(2, kernel_initializer="zeros")(z), name="generator")
    x = keras.Input((2,))
    logits = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(discriminator_kernel),
        bias_initializer=keras.initializers.Constant(bias),
    )(x)
    discriminator = keras.Model(x, logits, name="discriminator")
    return keras_gen.models.GAN(generator, discriminator, seed=0, **kwargs)


W = np.array([[0.3], [-0.4]], "float32")
REAL = np.random.default_rng(1).standard_normal((8, 2)).astype("float32")
REAL_LOGITS = (REAL @ W + 0.1).astype("float64")
FAKE_LOGITS = np.full((8, 1), 0.1)


def test_relativistic_generator_uses_the_real_logits():
    gan = deterministic_gan(W, loss="relativistic_average")
    _, logs = gan.compute_phase_loss("generator", REAL)
    real_rel, fake_rel = REAL_LOGITS - FAKE_LOGITS.mean(), FAKE_LOGITS - REAL_LOGITS.mean()
    expected = np.mean(softplus(-fake_rel)) + np.mean(softplus(real_rel))
    np.testing.assert_allclose(value(logs["g_loss"]), expected, rtol=1e-5)

    gan = deterministic_gan(W, loss="relativistic_average_least_squares")
    _, logs = gan.compute_phase_loss("generator", REAL)
    expected = np.mean((fake_rel - 1) ** 2) + np.mean((real_rel + 1) ** 2)
    np.testing.assert_allclose(value(logs["g_loss"]), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, real_calls",
    [
        (dict(), 0),
        (dict(loss="hinge"), 0),
        (dict(loss="relativistic_average"), 1),
        (dict(loss="relativistic_average_least_squares"), 1),
    ],
)
def test_generator_step_sees_the_real_batch_only_when_the_objective_needs_it(kwargs, real_calls):
    gan = deterministic_gan(W, **kwargs)
    seen = []
    discriminate = gan.discriminate

    def counting(images, condition, training=True):
        seen.append(images)
        return discriminate(images, condition, training)

    gan.discriminate = counting
    gan.compute_phase_loss("generator", REAL)
    assert len(seen) == 1 + real_calls
    fake_seen = keras.ops.convert_to_numpy(seen[0])
    np.testing.assert_array_equal(fake_seen, np.zeros_like(REAL))  # the fakes come first
    if real_calls:
        np.testing.assert_allclose(keras.ops.convert_to_numpy(seen[1]), REAL)


def test_non_saturating_generator_value_is_unchanged():
    gan = deterministic_gan(W)
    _, logs = gan.compute_phase_loss("generator", REAL)
    np.testing.assert_allclose(value(logs["g_loss"]), np.mean(softplus(-FAKE_LOGITS)), rtol=1e-6)


@pytest.mark.parametrize("loss", ["minimax", "non_saturating", "relativistic_average"])
def test_label_smoothing_changes_only_the_real_target(loss):
    s = 0.2
    smoothed = deterministic_gan(W, loss=loss, label_smoothing=s)
    plain = deterministic_gan(W, loss=loss)
    _, logs = smoothed.compute_phase_loss("discriminator", REAL)
    _, plain_logs = plain.compute_phase_loss("discriminator", REAL)
    real, fake = REAL_LOGITS, FAKE_LOGITS
    if loss == "relativistic_average":
        real, fake = real - FAKE_LOGITS.mean(), fake - REAL_LOGITS.mean()
    expected = np.mean((1 - s) * softplus(-real) + s * softplus(real)) + np.mean(softplus(fake))
    np.testing.assert_allclose(value(logs["d_loss"]), expected, rtol=1e-5)
    unsmoothed = np.mean(softplus(-real)) + np.mean(softplus(fake))
    np.testing.assert_allclose(value(plain_logs["d_loss"]), unsmoothed, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(), (5.0 - 1.0) ** 2),
        (dict(penalty_target=2.0), (5.0 - 2.0) ** 2),
        (dict(penalty_target=2.0, penalty_normalized=True), (5.0 / 2.0 - 1.0) ** 2),
        (dict(penalty_target=6.0), 1.0),
        (dict(penalty_target=6.0, penalty_one_sided=True), 0.0),
    ],
)
def test_wgan_gp_options_reach_the_penalty(kwargs, expected):
    # ‖∇D‖ = ‖w‖ = 5 everywhere for a linear critic.
    gan = deterministic_gan(
        np.array([[3.0], [4.0]], "float32"), loss="wasserstein", gradient_penalty="wgan_gp", **kwargs
    )
    _, logs = gan.compute_phase_loss("discriminator", REAL)
    np.testing.assert_allclose(value(logs["wgan_gp"]), expected, rtol=1e-5, atol=1e-6)


def test_r2_update_matches_hand_computation():
    source = deterministic_gan(W, bias=0.0)
    gan = only_phase(keras_gen.models.GAN, "discriminator")(
        source.generator, source.discriminator, loss="wasserstein",
        gradient_penalty="r2", penalty_weight=4.0, seed=0,
    )
    gan.compile(discriminator_optimizer=keras.optimizers.SGD(0.1))
    history = gan.fit(REAL, batch_size=8, epochs=1, verbose=0)
    # R2 = γ/2 ‖w‖² for a linear critic (at the fakes, = 0): gradient γ w.
    kernel, bias = gan.discriminator.trainable_variables
    grad = (0.0 - REAL.mean(axis=0))[:, None] + 4.0 * W
    np.testing.assert_allclose(keras.ops.convert_to_numpy(kernel), W - 0.1 * grad, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(history.history["r2"][0], np.sum(W**2), rtol=1e-5)


def test_lazy_r2_is_its_own_phase():
    gan = make_gan(gradient_penalty="r2", penalty_interval=4)
    assert [(p.name, p.interval, p.log_names) for p in gan.phases()][1] == (
        "discriminator_penalty", 4, ("r2",)
    )
    _, logs = gan.compute_phase_loss("discriminator_penalty", data(8))
    assert value(logs["r2"]) > 0
    assert math.isclose(gan._penalty_scale(), 0.5 * 10.0 * 4)


def test_r2_critic_sees_the_fakes_condition():
    gan = make_gan(gradient_penalty="r2")
    calls = []
    fake_critic = lambda x: calls.append("fake") or keras.ops.sum(x, axis=-1, keepdims=True)  # noqa: E731
    real_critic = lambda x: calls.append("real") or keras.ops.sum(x, axis=-1, keepdims=True)  # noqa: E731
    penalty = gan.gradient_penalty_value(real_critic, data(4), data(4), fake_critic)
    assert calls == ["fake"]
    np.testing.assert_allclose(value(penalty), 2.0, rtol=1e-6)  # ‖(1, 1)‖²


def test_feature_matching_on_the_layer_before_the_last_dense():
    discriminator = tiny_discriminator(units=5)
    z = keras.Input((3,))
    generator = keras.Model(z, keras.layers.Dense(2, kernel_initializer="zeros")(z), name="generator")
    weight = 0.5
    gan = keras_gen.models.GAN(generator, discriminator, seed=0, feature_matching=weight)
    features = keras.Model(discriminator.inputs[0], discriminator.layers[-2].output)  # the LeakyReLU
    assert isinstance(discriminator.layers[-2], keras.layers.LeakyReLU)
    real_features = keras.ops.convert_to_numpy(features(REAL)).astype("float64")
    fake_features = keras.ops.convert_to_numpy(features(np.zeros_like(REAL))).astype("float64")
    expected = np.sum((real_features.mean(0) - fake_features.mean(0)) ** 2)
    loss, logs = gan.compute_phase_loss("generator", REAL)
    np.testing.assert_allclose(value(logs["g_feature_matching"]), expected, rtol=1e-5)
    np.testing.assert_allclose(value(loss), value(logs["g_loss"]) + weight * expected, rtol=1e-5)
    assert "g_feature_matching" in gan.phases()[-1].log_names

    named = keras_gen.models.GAN(
        generator, discriminator, seed=0, feature_matching=weight,
        feature_layer=discriminator.layers[-2].name,
    )
    _, named_logs = named.compute_phase_loss("generator", REAL)
    np.testing.assert_allclose(value(named_logs["g_feature_matching"]), expected, rtol=1e-5)
    # The features sub-model shares the discriminator's weights: none is added.
    plain = keras_gen.models.GAN(generator, discriminator, seed=0)
    assert [id(v) for v in named.weights] == [id(v) for v in plain.weights]


def test_feature_matching_gan_saves_and_loads(tmp_path):
    gan = make_gan(feature_matching=1.0, loss="relativistic_average", label_smoothing=0.1)
    gan.compile()
    gan.fit(data(16), batch_size=16, epochs=1, verbose=0)
    path = tmp_path / "options.keras"
    gan.save(path)
    restored = keras.saving.load_model(path)
    assert (restored.feature_matching, restored.loss_name, restored.label_smoothing) == (
        1.0, "relativistic_average", 0.1
    )
    np.testing.assert_allclose(restored.generate(4, seed=1), gan.generate(4, seed=1), atol=1e-6)


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(penalty_target=2.0), ValueError, "gradient_penalty='wgan_gp'"),
        (dict(gradient_penalty="r1", penalty_one_sided=True), ValueError, "gradient_penalty='wgan_gp'"),
        (dict(gradient_penalty="r2", penalty_normalized=True), ValueError, "gradient_penalty='wgan_gp'"),
        (dict(gradient_penalty="wgan_gp", penalty_target=0.0), ValueError, "penalty_target"),
        (dict(gradient_penalty="wgan_gp", penalty_one_sided="yes"), TypeError, "True or False"),
        (dict(loss="hinge", label_smoothing=0.1), ValueError, "label_smoothing=0"),
        (dict(loss="wasserstein", label_smoothing=0.1), ValueError, "relativistic_average"),
        (dict(loss="least_squares", label_smoothing=0.1), ValueError, "non_saturating"),
        (dict(loss="relativistic_average_least_squares", label_smoothing=0.1), ValueError, "minimax"),
        (dict(label_smoothing=1.0), ValueError, r"\[0, 1\)"),
        (dict(label_smoothing=-0.1), ValueError, r"\[0, 1\)"),
        (dict(feature_layer="dense"), ValueError, "feature_matching=<weight>"),
        (dict(feature_matching=-1.0), ValueError, "None to turn it off"),
        (dict(feature_matching=1.0, feature_layer="nope"), ValueError, "use one of"),
        (dict(feature_matching=1.0, feature_layer=3), TypeError, "layer name"),
        (dict(gradient_penalty="r3"), ValueError, "r2"),
        (dict(penalty_weight=5.0), ValueError, "'r2'"),
    ],
)
def test_misuse_is_a_clear_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_gan(**kwargs)


def test_feature_matching_without_a_dense_layer_asks_for_the_layer():
    x = keras.Input((2,))
    discriminator = keras.Model(x, keras.layers.Lambda(lambda t: t[:, :1], name="first")(x))
    with pytest.raises(ValueError, match="feature_layer=<name>"):
        keras_gen.models.GAN(tiny_generator(4), discriminator, feature_matching=1.0)


@pytest.mark.parametrize("conditioning", ["projection", "auxiliary"])
def test_conditional_gan_takes_the_options_with_its_labels(conditioning):
    generator = keras_gen.networks.conditional_mlp_generator(2, 2, 4, hidden_units=(8,))
    discriminator = keras_gen.networks.conditional_mlp_discriminator(
        2, 4, conditioning=conditioning, hidden_units=(8,)
    )
    cgan = keras_gen.models.ConditionalGAN(
        generator, discriminator, num_classes=4, conditioning=conditioning, seed=0,
        loss="relativistic_average", label_smoothing=0.1, feature_matching=1.0,
        gradient_penalty="r2",
    )
    labels = np.arange(8, dtype="int32") % 4
    _, g_logs = cgan.compute_phase_loss("generator", (REAL, labels))
    _, d_logs = cgan.compute_phase_loss("discriminator", (REAL, labels))
    assert {"g_loss", "g_feature_matching"} <= set(g_logs) and {"d_loss", "r2"} <= set(d_logs)
    for logged in (g_logs, d_logs):
        assert all(np.isfinite(value(v)) for v in logged.values())
    assert value(g_logs["g_feature_matching"]) > 0
