"""Gradients of a function with respect to its input, kept differentiable.

This is the one backend primitive that gradient penalties need (WGAN-GP, R1,
path length): the penalty on ∇ₓD(x) must itself be differentiated with
respect to D's weights, so the graph of the input gradient is kept
(TF nested tape, `jax.value_and_grad`, `torch.autograd.grad(create_graph=True)`).
"""

import keras


def input_gradient(fn, x):
    """Returns `(fn(x), ∂ sum(fn(x)) / ∂x)` with the gradient differentiable.

    Because the sum is taken over the batch and samples do not interact in
    `fn` (no batch statistics), row `i` of the gradient is ∇ₓᵢ fn(xᵢ).

    Args:
        fn: a function of one tensor, e.g. `lambda x: critic(x, training=True)`.
        x: the input tensor.

    Returns:
        `(outputs, gradient)`, `gradient` with the shape of `x`.

    Example:

    >>> outputs, grads = keras_gen.trainers.input_gradient(
    ...     lambda x: keras.ops.sum(x ** 2, axis=-1), keras.ops.ones((4, 3)))
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_input_gradient(fn, x)
    if backend == "jax":
        return _jax_input_gradient(fn, x)
    if backend == "torch":
        return _torch_input_gradient(fn, x)
    raise NotImplementedError(f"input_gradient does not support the {backend!r} backend.")


def _tensorflow_input_gradient(fn, x):
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = fn(x)
        total = tf.reduce_sum(outputs)
    return outputs, tape.gradient(total, x)


def _jax_input_gradient(fn, x):
    import jax
    import jax.numpy as jnp
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    outer_scope = get_stateless_scope()

    def total_and_outputs(inputs):
        if outer_scope is None:
            outputs = fn(inputs)
        else:
            # Read the enclosing step's variable values, and keep any state
            # update made inside this transformation (e.g. BatchNorm
            # statistics) from leaking its tracers into the outer step.
            scope = keras.StatelessScope()
            scope.state_mapping = dict(outer_scope.state_mapping)
            with scope:
                outputs = fn(inputs)
        return jnp.sum(outputs), outputs

    (_, outputs), gradient = jax.value_and_grad(total_and_outputs, has_aux=True)(
        jnp.asarray(x)
    )
    return outputs, gradient


def _torch_input_gradient(fn, x):
    import torch

    x = keras.ops.convert_to_tensor(x)
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        outputs = fn(x)
        (gradient,) = torch.autograd.grad(outputs.sum(), x, create_graph=True)
    return outputs, gradient
