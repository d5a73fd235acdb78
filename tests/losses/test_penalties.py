import keras
import numpy as np

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
