"""Backend-specific helpers for the layer tests (tests only; the package stays backend-neutral)."""

import keras
import numpy as np
import pytest


def _jit_twice(layer, x, **call_kwargs):
    """Calls a built `layer` twice on `x` inside the backend's compiler, threading state.

    JAX: `jax.jit` over `stateless_call` (seed state passed in and out, as in a
    training step); TF: `tf.function`; torch: eager (no default compiler).
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        @jax.jit
        def step(trainable, non_trainable, inputs):
            return layer.stateless_call(trainable, non_trainable, inputs, **call_kwargs)

        trainable = [v.value for v in layer.trainable_variables]
        non_trainable = [v.value for v in layer.non_trainable_variables]
        first, non_trainable = step(trainable, non_trainable, x)
        second, _ = step(trainable, non_trainable, x)
    elif backend == "tensorflow":
        import tensorflow as tf

        step = tf.function(lambda inputs: layer(inputs, **call_kwargs))
        first, second = step(x), step(x)
    else:
        first, second = layer(x, **call_kwargs), layer(x, **call_kwargs)
    return keras.ops.convert_to_numpy(first), keras.ops.convert_to_numpy(second)


def _gradient_of_sum(fn, x):
    """Gradient of `sum(fn(x))` with respect to `x`, as NumPy."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        def total(inputs):
            # A stateless scope keeps seed updates (tracers) out of the variables.
            with keras.StatelessScope():
                return keras.ops.sum(fn(inputs))

        return np.asarray(jax.grad(total)(x))
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(fn(x))
        return tape.gradient(total, x).numpy()
    import torch

    x = torch.tensor(np.asarray(x), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


@pytest.fixture
def jit_twice():
    return _jit_twice


@pytest.fixture
def gradient_of_sum():
    return _gradient_of_sum
