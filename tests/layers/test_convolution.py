"""keras_gen.layers.Conv2D and Conv2DTranspose: Keras's layers in every respect but speed on torch."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.layers import Conv2D
from keras_gen.layers import Conv2DTranspose
from keras_gen.layers.convolution import same_padding
from keras_gen.testing import assert_trains_like_keras
from keras_gen.testing import run_layer_test

# (constructor arguments, input shape): symmetric and asymmetric "same" padding,
# strides, dilation, groups, no bias, an activation, channels-first.
CONV_CASES = [
    (dict(filters=5, kernel_size=3, padding="same"), (2, 8, 8, 3)),
    (dict(filters=5, kernel_size=4, strides=2, padding="same"), (2, 8, 8, 3)),
    (dict(filters=5, kernel_size=3, strides=2, padding="same"), (2, 8, 7, 3)),  # asymmetric
    (dict(filters=5, kernel_size=4, padding="same"), (2, 6, 6, 3)),  # asymmetric, stride 1
    (dict(filters=4, kernel_size=(3, 2), strides=(1, 2), padding="valid"), (2, 7, 9, 3)),
    (dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"), (2, 9, 9, 3)),
    (dict(filters=6, kernel_size=3, groups=2, padding="same", use_bias=False), (2, 6, 6, 4)),
    (dict(filters=5, kernel_size=1, activation="tanh"), (2, 5, 5, 3)),
    (dict(filters=5, kernel_size=3, strides=2, padding="same", data_format="channels_first"),
     (2, 3, 8, 7)),
]
TRANSPOSE_CASES = [
    (dict(filters=5, kernel_size=4, strides=2, padding="same"), (2, 7, 7, 3)),  # DCGAN's layer
    (dict(filters=5, kernel_size=3, strides=2, padding="same"), (2, 6, 5, 3)),
    (dict(filters=5, kernel_size=5, strides=2, padding="same", use_bias=False), (2, 4, 4, 3)),
    (dict(filters=4, kernel_size=3, strides=2, padding="valid"), (2, 5, 5, 3)),
    (dict(filters=4, kernel_size=4, strides=2, padding="same", output_padding=1), (2, 4, 4, 3)),
    (dict(filters=4, kernel_size=3, padding="same", dilation_rate=2), (2, 5, 5, 3)),
    (dict(filters=4, kernel_size=4, strides=2, padding="same", activation="relu",
          data_format="channels_first"), (2, 3, 5, 5)),
]
ALL_CASES = ([(Conv2D, keras.layers.Conv2D, *case) for case in CONV_CASES]
             + [(Conv2DTranspose, keras.layers.Conv2DTranspose, *case) for case in TRANSPOSE_CASES])


def _case_id(case):
    ours, _, kwargs, shape = case
    return f"{ours.__name__}-" + "-".join(f"{k}={v}" for k, v in kwargs.items() if k != "filters") + \
        f"-{'x'.join(map(str, shape))}"


def _twins(ours_cls, keras_cls, kwargs, shape):
    """Keras's layer and this one, built with the same random weights."""
    keras_layer, ours = keras_cls(**kwargs), ours_cls(**kwargs)
    for layer in (keras_layer, ours):
        layer.build(shape)
    rng = np.random.default_rng(0)
    for keras_variable, our_variable in zip(keras_layer.weights, ours.weights):
        value = rng.normal(0, 0.3, keras_variable.shape).astype("float32")
        keras_variable.assign(value)
        our_variable.assign(value)
    return keras_layer, ours


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_layer_contract(case):
    ours_cls, keras_cls, kwargs, shape = case
    expected = keras_cls(**kwargs).compute_output_shape(shape)
    run_layer_test(ours_cls, kwargs, shape, expected)


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_outputs_and_gradients_match_keras(case):
    ours_cls, keras_cls, kwargs, shape = case
    keras_layer, ours = _twins(ours_cls, keras_cls, kwargs, shape)
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    expected, got = keras_layer(x), ours(x)
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(expected),
                               rtol=1e-5, atol=1e-5)
    weights = np.random.default_rng(2).normal(size=tuple(expected.shape)).astype("float32")
    for keras_gradient, our_gradient in zip(_gradients(keras_layer, x, weights),
                                            _gradients(ours, x, weights)):
        np.testing.assert_allclose(our_gradient, keras_gradient, rtol=1e-4, atol=1e-4)


def _gradients(layer, x, weights):
    """Gradients of `sum(weights * layer(x))` with respect to the input and each variable."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) * weights)
        grads = tape.gradient(loss, [x] + [v.value for v in layer.trainable_variables])
    elif backend == "jax":
        import jax

        def loss(x, values):
            outputs, _ = layer.stateless_call(values, [], x)
            return (outputs * weights).sum()

        grad_x, grad_values = jax.grad(loss, argnums=(0, 1))(
            x, [v.value for v in layer.trainable_variables])
        grads = [grad_x] + list(grad_values)
    else:
        import torch

        x = torch.tensor(x, requires_grad=True)
        loss = (layer(x) * torch.tensor(weights)).sum()
        grads = torch.autograd.grad(loss, [x] + [v.value for v in layer.trainable_variables])
    return [keras.ops.convert_to_numpy(g) for g in grads]


def test_under_a_mixed_policy_it_computes_in_bfloat16_like_keras():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        pairs = [_twins(Conv2D, keras.layers.Conv2D, dict(filters=4, kernel_size=3, padding="same"),
                        (2, 6, 6, 3)),
                 _twins(Conv2DTranspose, keras.layers.Conv2DTranspose,
                        dict(filters=4, kernel_size=4, strides=2, padding="same"), (2, 6, 6, 3))]
    finally:
        keras.config.set_dtype_policy(previous)
    x = np.random.default_rng(3).normal(size=(2, 6, 6, 3)).astype("float32")
    for keras_layer, ours in pairs:
        expected, got = keras_layer(x), ours(x)
        assert keras.backend.standardize_dtype(got.dtype) == "bfloat16"
        assert all(keras.backend.standardize_dtype(v.dtype) == "float32" for v in ours.weights)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.cast(got, "float32")),
                                   keras.ops.convert_to_numpy(keras.ops.cast(expected, "float32")),
                                   atol=5e-2)


def test_training_matches_keras_and_spectral_normalization_wraps_it():
    def build(ours):
        conv, transpose = (Conv2D, Conv2DTranspose) if ours else (keras.layers.Conv2D, keras.layers.Conv2DTranspose)
        inputs = keras.Input((8, 8, 3))
        h = keras_gen.layers.SpectralNormalization(conv(6, 4, strides=2, padding="same"))(inputs)
        h = transpose(4, 4, strides=2, padding="same", activation="relu")(h)
        h = conv(3, 3, strides=2, padding="same")(h)
        return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(h)))

    x = np.random.default_rng(4).normal(size=(8, 8, 8, 3)).astype("float32")
    y = np.random.default_rng(5).normal(size=(8, 1)).astype("float32")
    assert_trains_like_keras(build, x, y, learning_rate=0.05)


@pytest.mark.parametrize("size, kernel, stride, dilation", [
    (8, 3, 1, 1), (8, 4, 2, 1), (7, 3, 2, 1), (6, 4, 1, 1), (9, 3, 1, 2), (5, 1, 1, 1), (3, 5, 3, 1),
])
def test_same_padding_gives_keras_output_size(size, kernel, stride, dilation):
    before, after = same_padding(size, kernel, stride, dilation)
    assert before in (after, after - 1)  # TensorFlow's convention: the extra pixel goes after
    span = (kernel - 1) * dilation + 1
    assert (size + before + after - span) // stride + 1 == -(-size // stride)


def test_the_network_builders_use_them():
    for upsampling in ("transpose", "subpixel"):
        gan = keras_gen.applications.dcgan.build_dcgan(image_shape=(28, 28, 1), latent_dim=8,
                                                       base_filters=4, upsampling=upsampling)
        for network in (gan.generator, gan.discriminator):
            convs = [layer for layer in network.layers
                     if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
            assert convs and all(isinstance(layer, (Conv2D, Conv2DTranspose)) for layer in convs)


@pytest.mark.parametrize("case", [ALL_CASES[1], ALL_CASES[2], ALL_CASES[len(CONV_CASES)]],
                         ids=_case_id)
def test_on_torch_no_layout_copy_runs(case, monkeypatch):
    if keras.backend.backend() != "torch":
        pytest.skip("the layout copies are the torch backend's; elsewhere the layer is Keras's")
    from keras.src.backend.torch import nn as torch_nn

    def refuse(*args, **kwargs):
        raise AssertionError("Keras's convolution ran")

    ours_cls, keras_cls, kwargs, shape = case
    keras_layer, ours = _twins(ours_cls, keras_cls, kwargs, shape)
    x = np.random.default_rng(7).normal(size=shape).astype("float32")
    expected = keras.ops.convert_to_numpy(keras_layer(x))
    monkeypatch.setattr(torch_nn, "conv", refuse)
    monkeypatch.setattr(torch_nn, "conv_transpose", refuse)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(x)), expected, rtol=1e-5, atol=1e-5)
