"""Unrolled optimization (Metz et al. 2017) against hand-derived gradients, on every backend."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.trainers import FunctionalOptimizer
from keras_gen.trainers import current_values
from keras_gen.trainers import parameter_gradients
from keras_gen.trainers import unroll
from keras_gen.trainers import unrolled_critic
from keras_gen.trainers import unrolled_generator_loss
from keras_gen.trainers.unrolled import check_unrolled_steps

ETA = 0.3
RNG = np.random.default_rng(0)
Z = RNG.standard_normal((5, 2)).astype("float32") + 0.7  # latents (mean not 0)
REAL = RNG.standard_normal((5, 2)).astype("float32") + 1.0
KERNEL_G = np.array([[0.8, -0.3], [0.2, 0.5]], dtype="float32")  # fake = z @ KERNEL_G
W = np.array([0.7, -0.4], dtype="float32")  # critic D(x) = w·x + b
B = 0.1


def d_loss(name):
    if name == "wasserstein":
        return lambda critic, real, fake: ops.mean(critic(fake)) - ops.mean(critic(real))
    return lambda critic, real, fake: (
        ops.mean(ops.softplus(-critic(real))) + ops.mean(ops.softplus(critic(fake)))
    )


def g_loss(name):
    if name == "wasserstein":
        return lambda logits: -ops.mean(logits)
    return lambda logits: ops.mean(ops.softplus(-logits))


def linear_networks():
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, use_bias=False)])
    generator.set_weights([KERNEL_G])
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    critic.set_weights([W[:, None], np.array([B], dtype="float32")])
    return generator, critic


def unrolled_gradient(loss_name, optimizer, steps=1, second_order=True, warm_up=()):
    """∂ f(θ_G, θ_D^K) / ∂ kernel of G, computed by the library.

    `warm_up`: scales s of gradients s·1 the optimizer applies first (giving it a state).
    """
    generator, critic = linear_networks()
    optimizer.build(critic.trainable_variables)
    for scale in warm_up:
        optimizer.apply([scale * ops.ones_like(v.value) for v in critic.trainable_variables],
                        critic.trainable_variables)

    def surrogate(g_values):
        fake = generator.stateless_call(g_values, [], ops.convert_to_tensor(Z))[0]
        real = ops.convert_to_tensor(REAL)
        return unrolled_generator_loss(
            critic, optimizer, steps,
            lambda c: d_loss(loss_name)(c, real, fake),
            lambda c: g_loss(loss_name)(c(fake)),
            second_order=second_order,
        )

    _, (gradient,) = parameter_gradients(surrogate, current_values(generator.trainable_variables))
    return ops.convert_to_numpy(gradient)


# --------------------------------------------------------------- by hand (NumPy)
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def hand_gradient(loss_name, second_order=True):
    """∂/∂K of f(K, θ_D − η ∇_θD f_D(K, θ_D)) for G(z) = z K, D(x) = w·x + b, float64.

    Returns the gradient with respect to the kernel K (shape (2, 2)), i.e.
    Σ_i z_i (∂L/∂f_i)ᵀ with f_i = K ᵀz_i the fakes.
    """
    z, real = Z.astype("float64"), REAL.astype("float64")
    kernel, w, b = KERNEL_G.astype("float64"), W.astype("float64"), float(B)
    fake = z @ kernel
    n = len(z)
    if loss_name == "wasserstein":
        # f_D = mean(w·f + b) − mean(w·r + b): ∇_w = mean f − mean r, ∇_b = 0.
        u, r = fake.mean(0), real.mean(0)
        w1 = w - ETA * (u - r)
        # L_G = −w1·u − b. First order: ∂L/∂f_i = −w1 / n; through w1(u): + η u / n.
        d_fake = np.tile(-w1 / n, (n, 1))
        if second_order:
            d_fake += np.tile(ETA * u / n, (n, 1))
        return z.T @ d_fake
    # Non-saturating: f_D = mean softplus(−(w·r+b)) + mean softplus(w·f+b).
    a, c = real @ w + b, fake @ w + b
    grad_w = (-sigmoid(-a)[:, None] * real).mean(0) + (sigmoid(c)[:, None] * fake).mean(0)
    grad_b = (-sigmoid(-a)).mean() + sigmoid(c).mean()
    w1, b1 = w - ETA * grad_w, b - ETA * grad_b
    e = fake @ w1 + b1
    s = -sigmoid(-e) / n  # ∂L_G/∂e_i, L_G = mean softplus(−e)
    d_fake = s[:, None] * w1[None, :]  # with w1, b1 held fixed
    if second_order:
        # w1, b1 depend on the fakes through T_w = mean σ(c_i) f_i and T_b = mean σ(c_i).
        gw, gb = (s[:, None] * fake).sum(0), s.sum()  # ∂L_G/∂w1, ∂L_G/∂b1
        dsig = sigmoid(c) * (1 - sigmoid(c))
        d_fake += -ETA / n * (
            (dsig * (fake @ gw + gb))[:, None] * w[None, :] + sigmoid(c)[:, None] * gw[None, :]
        )
    return z.T @ d_fake


def numpy_surrogate(kernel, loss_name, steps):
    """f(K, θ_D^K) with K SGD steps of the linear critic, in float64 (first-order formulas only)."""
    z, real = Z.astype("float64"), REAL.astype("float64")
    w, b = W.astype("float64"), float(B)
    fake = z @ kernel
    for _ in range(steps):
        if loss_name == "wasserstein":
            grad_w, grad_b = fake.mean(0) - real.mean(0), 0.0
        else:
            a, c = real @ w + b, fake @ w + b
            grad_w = (-sigmoid(-a)[:, None] * real).mean(0) + (sigmoid(c)[:, None] * fake).mean(0)
            grad_b = (-sigmoid(-a)).mean() + sigmoid(c).mean()
        w, b = w - ETA * grad_w, b - ETA * grad_b
    logits = fake @ w + b
    if loss_name == "wasserstein":
        return -logits.mean()
    return np.logaddexp(0.0, -logits).mean()


def central_differences(loss_name, steps, h=1e-5):
    kernel = KERNEL_G.astype("float64")
    gradient = np.zeros_like(kernel)
    for index in np.ndindex(kernel.shape):
        plus, minus = kernel.copy(), kernel.copy()
        plus[index] += h
        minus[index] -= h
        gradient[index] = (
            numpy_surrogate(plus, loss_name, steps) - numpy_surrogate(minus, loss_name, steps)
        ) / (2 * h)
    return gradient


# ----------------------------------------------------------------------- tests
def test_parameter_gradients_are_differentiable():
    # f(w; a) = Σ a w², ∇_w f = 2 a w; d/da Σ ∇_w f = Σ 2 w.
    w = ops.convert_to_tensor(np.array([1.0, -2.0, 3.0], dtype="float32"))

    def outer(tensors):
        (a,) = tensors
        _, (gradient,) = parameter_gradients(lambda ws: ops.sum(a * ws[0] ** 2), [w])
        return ops.sum(gradient)

    value, (da,) = parameter_gradients(outer, [ops.convert_to_tensor(np.float32(0.5))])
    np.testing.assert_allclose(ops.convert_to_numpy(value), 2 * 0.5 * (1 - 2 + 3), rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(da), 2 * (1 - 2 + 3), rtol=1e-6)


def test_parameter_gradients_has_aux_and_zeros_for_unused():
    x = ops.convert_to_tensor(np.array([2.0], dtype="float32"))
    unused = ops.convert_to_tensor(np.ones((2, 2), dtype="float32"))
    value, aux, (gx, gu) = parameter_gradients(
        lambda ts: (ops.sum(ts[0] ** 3), {"double": ts[0] * 2}), [x, unused], has_aux=True
    )
    np.testing.assert_allclose(ops.convert_to_numpy(gx), [12.0])
    np.testing.assert_array_equal(ops.convert_to_numpy(gu), np.zeros((2, 2)))
    np.testing.assert_allclose(ops.convert_to_numpy(aux["double"]), [4.0])
    np.testing.assert_allclose(ops.convert_to_numpy(value), 8.0)


@pytest.mark.parametrize("loss_name", ["wasserstein", "non_saturating"])
def test_one_sgd_step_matches_the_hand_derived_gradient(loss_name):
    expected = hand_gradient(loss_name, second_order=True)
    # The hand derivation, checked against central differences of f(K, θ_D^1(K)).
    np.testing.assert_allclose(expected, central_differences(loss_name, 1), rtol=1e-6, atol=1e-9)
    actual = unrolled_gradient(loss_name, keras.optimizers.SGD(ETA), steps=1)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    # The second-order term is not negligible here: dropping it changes the gradient.
    first_order = hand_gradient(loss_name, second_order=False)
    assert np.abs(expected - first_order).max() > 0.1 * np.abs(expected).max()


@pytest.mark.parametrize("loss_name", ["wasserstein", "non_saturating"])
def test_without_second_order_terms_it_is_the_plain_gradient_against_the_updated_critic(loss_name):
    actual = unrolled_gradient(loss_name, keras.optimizers.SGD(ETA), 1, second_order=False)
    np.testing.assert_allclose(actual, hand_gradient(loss_name, second_order=False),
                               rtol=1e-5, atol=1e-6)
    # The same through the library: the critic moved by one SGD step, then fixed.
    generator, critic = linear_networks()
    optimizer = keras.optimizers.SGD(ETA)
    optimizer.build(critic.trainable_variables)
    real = ops.convert_to_tensor(REAL)

    def d_objective(values):
        fake = generator(ops.convert_to_tensor(Z))
        return d_loss(loss_name)(lambda x: critic.stateless_call(values, [], x)[0], real, fake)

    _, gradients = parameter_gradients(d_objective, current_values(critic.trainable_variables))
    updated = [v - ETA * g for v, g in zip(current_values(critic.trainable_variables), gradients)]

    def plain(g_values):
        fake = generator.stateless_call(g_values, [], ops.convert_to_tensor(Z))[0]
        return g_loss(loss_name)(critic.stateless_call(updated, [], fake)[0])

    _, (plain_gradient,) = parameter_gradients(plain, current_values(generator.trainable_variables))
    np.testing.assert_allclose(actual, ops.convert_to_numpy(plain_gradient), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss_name", ["wasserstein", "non_saturating"])
def test_three_sgd_steps_match_central_differences(loss_name):
    actual = unrolled_gradient(loss_name, keras.optimizers.SGD(ETA), steps=3)
    np.testing.assert_allclose(actual, central_differences(loss_name, 3), rtol=1e-4, atol=1e-5)


def test_unrolled_adam_gives_a_finite_second_order_gradient():
    # Under the Wasserstein loss the critic's bias gradient is exactly 0: d√v/dv at v = 0
    # must not turn the generator's gradient into NaN. Adam starts from the moments of
    # two earlier updates (from zero moments its first steps hardly depend on the gradient).
    gradient = unrolled_gradient("wasserstein", keras.optimizers.Adam(0.05, beta_1=0.5), steps=2)
    assert np.all(np.isfinite(gradient))
    gradient = unrolled_gradient("wasserstein", keras.optimizers.Adam(0.05, beta_1=0.5), steps=2,
                                 warm_up=(1.0, -0.5))
    assert np.all(np.isfinite(gradient))
    first_order = unrolled_gradient(
        "wasserstein", keras.optimizers.Adam(0.05, beta_1=0.5), steps=2, second_order=False,
        warm_up=(1.0, -0.5),
    )
    assert not np.allclose(gradient, first_order)


OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.1),
    "sgd_momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9),
    "sgd_nesterov": lambda: keras.optimizers.SGD(0.1, momentum=0.8, nesterov=True),
    "sgd_clipnorm": lambda: keras.optimizers.SGD(0.1, clipnorm=0.3),
    "sgd_clipvalue": lambda: keras.optimizers.SGD(0.1, clipvalue=0.05),
    "adam": lambda: keras.optimizers.Adam(0.01, beta_1=0.5, beta_2=0.9, epsilon=1e-6),
    "adam_amsgrad": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    "adam_global_clipnorm": lambda: keras.optimizers.Adam(0.01, global_clipnorm=0.2),
    "adam_schedule": lambda: keras.optimizers.Adam(
        keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=1, decay_rate=0.5)
    ),
    "adamw": lambda: keras.optimizers.AdamW(0.01, weight_decay=0.5),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_functional_optimizer_makes_the_optimizers_own_updates(name):
    rng = np.random.default_rng(1)
    variables = [keras.Variable(rng.standard_normal(shape).astype("float32"))
                 for shape in [(3, 2), (2,)]]
    optimizer = OPTIMIZERS[name]()
    optimizer.build(variables)
    grads = [[rng.standard_normal(v.shape).astype("float32") for v in variables] for _ in range(5)]
    for step in grads[:2]:  # a state that is not the initial one
        optimizer.apply([ops.convert_to_tensor(g) for g in step], variables)
    before = [ops.convert_to_numpy(v) for v in optimizer.variables + variables]

    functional = FunctionalOptimizer.of(optimizer, variables)
    values, state = current_values(variables), functional.initial_state()
    for offset, step in enumerate(grads[2:]):
        values, state = functional.step(
            values, [ops.convert_to_tensor(g) for g in step], state, offset
        )
    # Reading the optimizer changed nothing.
    for old, new in zip(before, optimizer.variables + variables):
        np.testing.assert_array_equal(old, ops.convert_to_numpy(new))
    for step in grads[2:]:
        optimizer.apply([ops.convert_to_tensor(g) for g in step], variables)
    for value, variable in zip(values, variables):
        np.testing.assert_allclose(ops.convert_to_numpy(value), ops.convert_to_numpy(variable),
                                   rtol=1e-5, atol=1e-6)


def test_unroll_with_zero_steps_is_the_current_network():
    _, critic = linear_networks()
    optimizer = keras.optimizers.SGD(ETA)
    optimizer.build(critic.trainable_variables)
    values, _ = unroll(critic, optimizer, lambda v, n: (ops.sum(v[0]), n), 0)
    np.testing.assert_array_equal(ops.convert_to_numpy(values[0]), W[:, None])


def test_unrolling_reads_but_never_writes_the_network_or_its_optimizer():
    generator, critic = linear_networks()
    optimizer = keras.optimizers.Adam(0.1)
    optimizer.build(critic.trainable_variables)
    optimizer.apply([ops.ones_like(v.value) for v in critic.trainable_variables],
                    critic.trainable_variables)
    before = [ops.convert_to_numpy(v) for v in critic.variables + optimizer.variables]
    real, fake = ops.convert_to_tensor(REAL), generator(ops.convert_to_tensor(Z))
    critic_k = unrolled_critic(critic, optimizer, 3, lambda c: d_loss("wasserstein")(c, real, fake))
    moved = ops.convert_to_numpy(critic_k(real))
    assert not np.allclose(moved, ops.convert_to_numpy(critic(real)))
    for old, new in zip(before, critic.variables + optimizer.variables):
        np.testing.assert_array_equal(old, ops.convert_to_numpy(new))


@pytest.mark.parametrize("optimizer", [keras.optimizers.RMSprop, keras.optimizers.Nadam,
                                       keras.optimizers.Adamax, keras.optimizers.Lion])
def test_unsupported_optimizers_are_refused_by_name(optimizer):
    _, critic = linear_networks()
    with pytest.raises(ValueError, match="SGD.*Adam"):
        FunctionalOptimizer.of(optimizer(), critic.trainable_variables)


def test_gradient_accumulation_is_refused():
    _, critic = linear_networks()
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        FunctionalOptimizer.of(keras.optimizers.SGD(0.1, gradient_accumulation_steps=2),
                               critic.trainable_variables)


@pytest.mark.parametrize("value", [-1, 1.5, 2.0, "2", True])
def test_unrolled_steps_must_be_a_non_negative_integer(value):
    with pytest.raises(ValueError, match="non-negative integer"):
        check_unrolled_steps(value)


def test_unrolled_steps_none_and_numpy_integers():
    assert check_unrolled_steps(None) == 0
    assert check_unrolled_steps(np.int64(3)) == 3


def test_loss_scaled_steps_are_unscaled_and_an_overflowing_step_is_skipped():
    # Under mixed_float16 the discriminator's optimizer is a LossScaleOptimizer: each
    # unrolled step scales its loss by the current scale and unscales the gradients; a
    # step whose scaled gradients overflow leaves the weights, as the real optimizer does.
    generator, critic = linear_networks()
    real, fake = ops.convert_to_tensor(REAL), generator(ops.convert_to_tensor(Z))
    objective = lambda c: d_loss("non_saturating")(c, real, fake)  # noqa: E731
    plain = keras.optimizers.SGD(ETA)
    plain.build(critic.trainable_variables)
    expected = unrolled_critic(critic, plain, 2, objective).trainable_values
    scaled = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(ETA), initial_scale=1024.0)
    scaled.build(critic.trainable_variables)
    actual = unrolled_critic(critic, scaled, 2, objective).trainable_values
    for a, b in zip(actual, expected):
        np.testing.assert_allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b), rtol=1e-5)
    scaled.dynamic_scale.assign(1e38)  # the scaled loss's gradients overflow float32
    skipped = unrolled_critic(critic, scaled, 2, lambda c: 100.0 * objective(c)).trainable_values
    for value, variable in zip(skipped, critic.trainable_variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(value), ops.convert_to_numpy(variable))
