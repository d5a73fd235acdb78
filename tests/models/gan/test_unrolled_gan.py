"""GAN(unrolled_steps=k): the generator trains against the discriminator k steps ahead (Metz et al. 2017)."""

import keras
import numpy as np
import pytest

import keras_gen
import keras_gen.testing
from keras_gen.testing import model_test
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator

POINTS = np.random.default_rng(0).standard_normal((32, 2)).astype("float32")


def tiny_kwargs(**options):
    return lambda: {"generator": tiny_generator(4), "discriminator": tiny_discriminator(),
                    "unrolled_steps": 2, "seed": 0, **options}


def numpy_of(variables):
    return [keras.ops.convert_to_numpy(v).copy() for v in variables]


def test_unrolled_gan_keeps_the_model_contract():
    # The parts of `run_model_test` for a whole model (its one-phase-alone check builds a
    # GAN without a discriminator optimizer, which has nothing to unroll; the test below
    # checks that the generator phase touches no discriminator weight): fit with NumPy and
    # tf.data (finite logs, each optimizer's exact update count), .keras and weights round
    # trips, config round trip, the non-finite guard and bad-input errors.
    init_kwargs = tiny_kwargs()
    model_test.check_config_round_trip(keras_gen.models.GAN, init_kwargs)
    gan = keras_gen.models.GAN(**init_kwargs())
    gan.compile()
    model_test.check_bad_inputs_change_nothing(gan, (POINTS,), 8)
    model_test.check_fit_numpy_and_dataset(gan, (POINTS,), 8)
    model_test.check_saving_round_trips(gan, lambda m: m.generate(4, seed=0))
    model_test.check_non_finite_step_is_guarded(gan, (POINTS,), 8)


def test_generator_phase_leaves_the_discriminator_and_its_optimizer_bit_for_bit():
    # One step of an unrolled GAN and of a plain one from the same weights and seed: the
    # discriminator phase (which runs first) is the same, and the unrolled generator phase
    # writes nothing to the discriminator or its optimizer.
    models = []
    for steps in (0, 3):
        keras.utils.set_random_seed(1)
        kwargs = tiny_kwargs(unrolled_steps=steps)()
        gan = keras_gen.models.GAN(**kwargs)
        gan.compile(discriminator_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5))
        gan.fit(POINTS[:8], batch_size=8, epochs=1, shuffle=False, verbose=0)
        models.append(gan)
    plain, unrolled = models
    for a, b in zip(plain.discriminator.variables + plain.optimizer["discriminator"].variables,
                    unrolled.discriminator.variables + unrolled.optimizer["discriminator"].variables):
        np.testing.assert_array_equal(numpy_of([a])[0], numpy_of([b])[0], err_msg=b.path)
    assert int(keras.ops.convert_to_numpy(unrolled.optimizer["discriminator"].iterations)) == 1
    # ... while the generators moved differently.
    assert any(not np.allclose(a, b) for a, b in zip(numpy_of(plain.generator.trainable_variables),
                                                      numpy_of(unrolled.generator.trainable_variables)))


@pytest.mark.parametrize("second_order", [True, False])
def test_one_fit_step_matches_a_hand_computation(second_order):
    # G(z) = z K + c with K = 0, so every fake is c; D(x) = w·x + b; Wasserstein loss; SGD.
    # Discriminator phase: w' = w − η (c − x̄). Generator phase, one unrolled step from w':
    # w'' = w' − η (u − x̄) with u = mean fake, L_G = −(w''·u + b), so
    # ∂L_G/∂c = −(w' + η x̄) + 2 η u (second order), −w'' (first order).
    eta, alpha = 0.2, 0.1
    c, w, b = np.array([0.5, -1.0]), np.array([0.3, 0.8]), 0.2
    x = POINTS[:8]
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, kernel_initializer="zeros")])
    generator.layers[-1].bias.assign(c.astype("float32"))
    discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    discriminator.set_weights([w[:, None].astype("float32"), np.array([b], dtype="float32")])
    gan = keras_gen.models.GAN(generator, discriminator, loss="wasserstein", unrolled_steps=1,
                               unrolled_second_order=second_order, seed=0)
    gan.compile(generator_optimizer=keras.optimizers.SGD(alpha),
                discriminator_optimizer=keras.optimizers.SGD(eta))
    gan.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)

    mean_real = x.astype("float64").mean(0)
    w1 = w - eta * (c - mean_real)
    if second_order:
        grad_c = -(w1 + eta * mean_real) + 2 * eta * c
    else:
        grad_c = -(w1 - eta * (c - mean_real))
    np.testing.assert_allclose(numpy_of(discriminator.trainable_variables)[0][:, 0], w1, rtol=1e-5)
    np.testing.assert_allclose(numpy_of([generator.layers[-1].bias])[0], c - alpha * grad_c,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("options", [
    # Real logits of the unrolled critic in the generator's loss; smoothing in its updates;
    # BatchNorm statistics carried through the unrolled calls; feature matching.
    dict(loss="relativistic_average", label_smoothing=0.1, feature_matching=1.0),
    # The critic's clipping after every unrolled update; several updates per phase.
    dict(loss="wasserstein", weight_clip=0.5, discriminator_steps=2, generator_steps=2),
])
def test_unrolling_combines_with_the_other_options(options):
    batch_norm = "feature_matching" in options
    gan = keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(batch_norm=batch_norm),
                               unrolled_steps=2, seed=0, **options)
    gan.compile(discriminator_optimizer=keras.optimizers.SGD(1e-2, momentum=0.5))
    history = gan.fit(POINTS[:16], batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert all(np.isfinite(v[0]) for v in history.history.values()), history.history
    d_updates = 2 * options.get("discriminator_steps", 1)
    assert int(keras.ops.convert_to_numpy(gan.optimizer["discriminator"].iterations)) == d_updates


def test_unrolled_gan_trains_under_mixed_float16():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        gan = keras_gen.models.GAN(**tiny_kwargs()())
        gan.compile()
        history = gan.fit(POINTS[:16], batch_size=8, epochs=1, shuffle=False, verbose=0)
    finally:
        keras.config.set_dtype_policy("float32")
    assert all(np.isfinite(v[0]) for v in history.history.values()), history.history
    assert int(keras.ops.convert_to_numpy(gan.optimizer["generator"].inner_optimizer.iterations)) == 2


def test_config_records_the_unrolling():
    gan = keras_gen.models.GAN(**tiny_kwargs(unrolled_second_order=False)())
    config = gan.get_config()
    assert config["unrolled_steps"] == 2 and config["unrolled_second_order"] is False
    clone = keras_gen.models.GAN.from_config(config)
    assert (clone.unrolled_steps, clone.unrolled_second_order) == (2, False)
    assert keras_gen.models.GAN(tiny_generator(4), tiny_discriminator()).unrolled_steps == 0


@pytest.mark.parametrize("value", [-1, 1.5, "3", True])
def test_unrolled_steps_must_be_a_non_negative_integer(value):
    with pytest.raises(ValueError, match="unrolled_steps must be a non-negative integer"):
        keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), unrolled_steps=value)


def test_second_order_option_needs_unrolled_steps_and_a_bool():
    with pytest.raises(ValueError, match="unrolled_second_order=False has no effect"):
        keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), unrolled_second_order=False)
    with pytest.raises(TypeError, match="unrolled_second_order must be True or False"):
        keras_gen.models.GAN(**tiny_kwargs(unrolled_second_order="yes")())


@pytest.mark.parametrize("penalty", ["wgan_gp", "r1"])
def test_unrolling_with_a_gradient_penalty_is_refused(penalty):
    with pytest.raises(ValueError, match="third-order"):
        keras_gen.models.GAN(**tiny_kwargs(gradient_penalty=penalty)())


def test_an_unsupported_discriminator_optimizer_is_refused_at_compile():
    gan = keras_gen.models.GAN(**tiny_kwargs()())
    with pytest.raises(ValueError, match="SGD.*Adam.*RMSprop"):
        gan.compile(discriminator_optimizer=keras.optimizers.RMSprop(1e-3))
    gan.compile(discriminator_optimizer=keras.optimizers.SGD(1e-2, momentum=0.9))


def test_conditional_gan_unrolling_is_refused():
    generator = keras_gen.networks.conditional_mlp_generator(2, 2, 3, hidden_units=(8,))
    discriminator = keras_gen.networks.conditional_mlp_discriminator(2, 3, hidden_units=(8,))
    with pytest.raises(ValueError, match="unrolled_steps"):
        keras_gen.models.ConditionalGAN(generator, discriminator, num_classes=3, unrolled_steps=1)
