import keras
import numpy as np
import pytest

from keras_gen import losses
from keras_gen.trainers import input_gradient


def test_input_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((3, 2)).astype("float32")

    def fn(x):
        return keras.ops.sum(keras.ops.tanh(keras.ops.matmul(x, weights)) ** 2, axis=-1)

    x = rng.standard_normal((4, 3)).astype("float32")
    outputs, gradient = input_gradient(fn, keras.ops.convert_to_tensor(x))
    gradient = keras.ops.convert_to_numpy(gradient)

    def numpy_fn(x):
        return np.sum(np.tanh(x.astype("float64") @ weights.astype("float64")) ** 2, axis=-1)

    h = 1e-4
    expected = np.zeros_like(gradient, dtype="float64")
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            plus, minus = x.astype("float64").copy(), x.astype("float64").copy()
            plus[i, j] += h
            minus[i, j] -= h
            expected[i, j] = (numpy_fn(plus)[i] - numpy_fn(minus)[i]) / (2 * h)
    np.testing.assert_allclose(gradient, expected, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(outputs), numpy_fn(x), rtol=1e-5)


def quadratic_critic(scale):
    # D(x) = sum(scale * x²) per sample, so ∇D(x) = 2 * scale * x.
    return lambda x: keras.ops.sum(scale * keras.ops.square(x), axis=-1, keepdims=True)


def test_wgan_gp_matches_hand_computation():
    rng = np.random.default_rng(1)
    real = rng.standard_normal((5, 3)).astype("float32")
    # With fake == real every interpolate is `real`, whatever ε is drawn.
    penalty = losses.gradient_penalty(quadratic_critic(0.7), real, real, seed=3)
    norms = np.linalg.norm(2 * 0.7 * real, axis=1)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(penalty), np.mean((norms - 1) ** 2), rtol=1e-4
    )


def test_wgan_gp_of_linear_critic():
    w = np.array([[3.0], [4.0]], dtype="float32")  # ‖w‖ = 5 everywhere
    critic = lambda x: keras.ops.matmul(x, w)  # noqa: E731
    rng = np.random.default_rng(2)
    real, fake = rng.standard_normal((2, 6, 2)).astype("float32")
    penalty = losses.gradient_penalty(critic, real, fake, seed=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(penalty), 16.0, rtol=1e-5)


def test_r1_matches_hand_computation():
    rng = np.random.default_rng(3)
    real = rng.standard_normal((4, 2, 2, 1)).astype("float32")
    penalty = losses.r1_penalty(quadratic_critic(0.5), real, gamma=10.0)
    squared_norms = np.sum((2 * 0.5 * real.reshape(4, -1)) ** 2, axis=1)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(penalty), 5.0 * np.mean(squared_norms), rtol=1e-5
    )


def test_r2_matches_hand_computation():
    rng = np.random.default_rng(4)
    fake = rng.standard_normal((4, 2, 2, 1)).astype("float32")
    penalty = losses.r2_penalty(quadratic_critic(0.5), fake, gamma=10.0)
    squared_norms = np.sum((2 * 0.5 * fake.reshape(4, -1)) ** 2, axis=1)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(penalty), 5.0 * np.mean(squared_norms), rtol=1e-5
    )


# TF-GAN's GradientPenaltyTest (losses_impl_test.py): D(x) = 2x on one
# 4-vector, so ‖∇D‖ = 4 at every interpolate.
TFGAN_REAL = np.array([[-12.3, 23.2, 16.3, -43.2]], dtype="float32")
TFGAN_FAKE = np.array([[3.1, 2.3, -12.3, 32.1]], dtype="float32")


def tfgan_critic(x):
    return 2.0 * x


def test_wgan_gp_matches_tfgan_values():
    def penalty(**kwargs):
        value = losses.gradient_penalty(tfgan_critic, TFGAN_REAL, TFGAN_FAKE, seed=0, **kwargs)
        return float(keras.ops.convert_to_numpy(value))

    np.testing.assert_allclose(penalty(), 9.0, rtol=1e-5)
    np.testing.assert_allclose(penalty(one_sided=True), 9.0, rtol=1e-5)
    # TF-GAN's `target` divides the norm: (4 / 2 - 1)² = 1.
    np.testing.assert_allclose(penalty(target=2.0, normalize_by_target=True), 1.0, rtol=1e-5)
    # The default form subtracts it: (4 - 2)² = 4.
    np.testing.assert_allclose(penalty(target=2.0), 4.0, rtol=1e-5)


def test_wgan_gp_target_one_sided_and_normalized_forms():
    rng = np.random.default_rng(5)
    real = rng.standard_normal((6, 3)).astype("float32")
    norms = np.linalg.norm(2 * 0.7 * real, axis=1)  # quadratic critic, fake == real
    target = float(np.median(norms))  # some norms below, some above

    def penalty(**kwargs):
        value = losses.gradient_penalty(quadratic_critic(0.7), real, real, seed=3, **kwargs)
        return float(keras.ops.convert_to_numpy(value))

    np.testing.assert_allclose(penalty(target=target), np.mean((norms - target) ** 2), rtol=1e-4)
    np.testing.assert_allclose(
        penalty(target=target, one_sided=True),
        np.mean(np.maximum(0.0, norms - target) ** 2), rtol=1e-4,
    )
    np.testing.assert_allclose(
        penalty(target=target, normalize_by_target=True),
        np.mean((norms / target - 1) ** 2), rtol=1e-4,
    )
    np.testing.assert_allclose(
        penalty(target=target, normalize_by_target=True, one_sided=True),
        np.mean(np.maximum(0.0, norms / target - 1) ** 2), rtol=1e-4,
    )
    assert penalty(target=target, one_sided=True) < penalty(target=target)


def test_wgan_gp_bad_target_names_the_fix():
    critic = quadratic_critic(1.0)
    x = np.ones((2, 2), "float32")
    with pytest.raises(ValueError, match="target"):
        losses.gradient_penalty(critic, x, x, seed=0, target=-1.0)
    with pytest.raises(ValueError, match="normalize_by_target"):
        losses.gradient_penalty(critic, x, x, seed=0, target=0.0, normalize_by_target=True)
