"""keras_gen.layers.SpectralNormalization: W / sigma(W) as a reparameterization."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.layers import SpectralNormalization
from keras_gen.testing import run_layer_test


def largest_singular_value(kernel):
    kernel = keras.ops.convert_to_numpy(kernel)
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


def test_layer_contract():
    run_layer_test(
        SpectralNormalization,
        {"layer": keras.layers.Dense(3), "power_iterations": 2},
        input_shape=(4, 5),
        expected_output_shape=(4, 3),
    )


def test_dense_output_uses_the_kernel_divided_by_its_spectral_norm():
    layer = SpectralNormalization(keras.layers.Dense(7))
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    for _ in range(30):  # the power iteration converges across training calls
        layer(x, training=True)
    kernel = keras.ops.convert_to_numpy(layer.layer.kernel)
    bias = keras.ops.convert_to_numpy(layer.layer.bias)
    expected = x @ (kernel / largest_singular_value(kernel)) + bias
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, rtol=1e-4, atol=1e-5)


def test_conv_kernel_is_normalized_as_a_matrix_and_never_overwritten():
    layer = SpectralNormalization(keras.layers.Conv2D(4, 3, padding="same"))
    x = np.random.default_rng(1).standard_normal((2, 6, 6, 3)).astype("float32")
    layer(x)
    before = keras.ops.convert_to_numpy(layer.layer.kernel).copy()
    for _ in range(30):
        layer(x, training=True)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.layer.kernel), before)
    sigma = largest_singular_value(before)
    np.testing.assert_allclose(
        largest_singular_value(layer.normalized_kernel()), 1.0, rtol=1e-3
    )
    assert abs(sigma - 1.0) > 0.05  # the raw kernel is not already normalized


def test_inference_does_not_advance_the_power_iteration():
    layer = SpectralNormalization(keras.layers.Dense(3))
    x = np.ones((2, 4), "float32")
    layer(x)
    u = keras.ops.convert_to_numpy(layer.vector_u).copy()
    layer(x, training=False)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.vector_u), u)
    layer(x, training=True)
    assert not np.array_equal(keras.ops.convert_to_numpy(layer.vector_u), u)


def test_discriminator_called_twice_in_one_loss_trains_on_every_backend():
    # keras.layers.SpectralNormalization writes W / sigma into the kernel in
    # training; a discriminator called on real and fake images in one loss
    # then fails under PyTorch autograd. This layer leaves the kernel alone.
    discriminator = keras_gen.networks.mlp_discriminator(hidden_units=(16, 16), spectral_norm=True)
    assert any(isinstance(layer, SpectralNormalization) for layer in discriminator.layers)
    gan = keras_gen.models.GAN(
        keras_gen.networks.mlp_generator(2, hidden_units=(16,)), discriminator, loss="hinge", seed=0
    )
    gan.compile()
    # (With the hinge loss and every margin active, the last bias has zero
    # gradient, so only kernels are checked.)
    kernels = [v for v in discriminator.trainable_variables if "kernel" in v.path]
    before = keras_gen.testing.snapshot_weights(kernels)
    x = np.random.default_rng(0).standard_normal((64, 2)).astype("float32")
    history = gan.fit(x, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
    keras_gen.testing.assert_weights_changed(before, kernels)


def test_gradient_flows_through_sigma():
    # d/dW of sum(x @ W / sigma(W)) differs from the gradient with sigma held
    # constant; compare with a finite difference of the full function.
    layer = SpectralNormalization(keras.layers.Dense(2, use_bias=False), power_iterations=20)
    x = np.random.default_rng(2).standard_normal((3, 4)).astype("float64")
    layer(x.astype("float32"))
    kernel = keras.ops.convert_to_numpy(layer.layer.kernel).astype("float64")

    def objective(w):
        return float((x @ (w / largest_singular_value(w))).sum())

    eps = 1e-4
    numeric = np.zeros_like(kernel)
    for index in np.ndindex(kernel.shape):
        step = np.zeros_like(kernel)
        step[index] = eps
        numeric[index] = (objective(kernel + step) - objective(kernel - step)) / (2 * eps)
    naive = np.tile(x.sum(0)[:, None], (1, 2)) / largest_singular_value(kernel)
    assert not np.allclose(numeric, naive, atol=1e-3)
    for _ in range(10):
        layer(x.astype("float32"), training=True)
    inputs = x.astype("float32")

    def through_layer(w):
        # The layer's own computation, with its kernel variable mapped to `w`.
        with keras.StatelessScope(state_mapping=[(layer.layer.kernel, w)]):
            return keras.ops.sum(layer(inputs, training=False))

    _, grad = keras_gen.trainers.input_gradient(
        through_layer, keras.ops.convert_to_tensor(kernel.astype("float32"))
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grad), numeric, atol=2e-3)


def test_layer_without_kernel_is_refused():
    with pytest.raises(ValueError, match="kernel"):
        SpectralNormalization(keras.layers.ReLU())(np.ones((2, 3), "float32"))
