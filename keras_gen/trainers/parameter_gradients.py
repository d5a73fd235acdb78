"""Gradients of a scalar function with respect to a list of tensors, kept differentiable.

The second backend primitive beside `input_gradient`: where that one
differentiates with respect to a network's input, this one differentiates
with respect to any list of tensors, typically a network's weights given as
values (`network.stateless_call(values, ...)`), and keeps the graph of the
gradient so that a function of it can itself be differentiated (TF nested
`GradientTape` watching the tensors, `jax.value_and_grad`,
`torch.autograd.grad(create_graph=True)`). Unrolled GANs differentiate the
generator's loss through such gradient steps of the discriminator
(`keras_gen.trainers.unrolled`).
"""

import keras


def parameter_gradients(fn, tensors, has_aux=False):
    """Returns `fn(tensors)` and its gradient with respect to each tensor, differentiable.

    Args:
        fn: a function of one argument, the list `tensors`, returning a scalar
            tensor (or `(scalar, aux)` with `has_aux=True`). It may close over
            other tensors that an enclosing differentiation watches (e.g.
            generated samples): the gradients stay differentiable with
            respect to them and to `tensors`.
        tensors: a list of float tensors (or arrays).
        has_aux: whether `fn` returns `(scalar, aux)`; `aux` is any nest of
            tensors passed back unchanged (not differentiated here).

    Returns:
        `(value, gradients)`, or `(value, aux, gradients)` with `has_aux`;
        `gradients` is a list with one tensor per entry of `tensors`, of its
        shape (zeros where `fn` does not depend on it).

    Example:

    >>> value, (grad,) = keras_gen.trainers.parameter_gradients(
    ...     lambda ts: keras.ops.sum(ts[0] ** 2), [keras.ops.ones((3,))])
    """
    tensors = list(tensors)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        value, aux, gradients = _tensorflow_gradients(fn, tensors, has_aux)
    elif backend == "jax":
        value, aux, gradients = _jax_gradients(fn, tensors, has_aux)
    elif backend == "torch":
        value, aux, gradients = _torch_gradients(fn, tensors, has_aux)
    else:
        raise NotImplementedError(
            f"parameter_gradients does not support the {backend!r} backend."
        )
    if has_aux:
        return value, aux, gradients
    return value, gradients


def _split(result, has_aux):
    if has_aux:
        value, aux = result
        return value, aux
    return result, None


def _tensorflow_gradients(fn, tensors, has_aux):
    import tensorflow as tf

    tensors = [tf.convert_to_tensor(t) for t in tensors]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        value, aux = _split(fn(tensors), has_aux)
    gradients = tape.gradient(
        value, tensors, unconnected_gradients=tf.UnconnectedGradients.ZERO
    )
    return value, aux, gradients


def _jax_gradients(fn, tensors, has_aux):
    import jax
    import jax.numpy as jnp
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    outer_scope = get_stateless_scope()

    def value_and_aux(values):
        if outer_scope is None:
            result = fn(values)
        else:
            # Read the enclosing step's variable values, and keep any state
            # update made inside this transformation from leaking its tracers
            # into the outer step (as `input_gradient` does).
            scope = keras.StatelessScope()
            scope.state_mapping = dict(outer_scope.state_mapping)
            with scope:
                result = fn(values)
        value, aux = _split(result, has_aux)
        return value, aux

    (value, aux), gradients = jax.value_and_grad(value_and_aux, has_aux=True)(
        [jnp.asarray(t) for t in tensors]
    )
    return value, aux, list(gradients)


def _torch_gradients(fn, tensors, has_aux):
    import torch

    watched = []
    for tensor in tensors:
        tensor = keras.ops.convert_to_tensor(tensor)
        if not tensor.requires_grad:
            # A constant (e.g. a weight outside the phase being trained):
            # a new leaf, so that the gradient with respect to it exists.
            tensor = tensor.detach().requires_grad_(True)
        watched.append(tensor)
    with torch.enable_grad():
        value, aux = _split(fn(watched), has_aux)
        gradients = torch.autograd.grad(
            value, watched, create_graph=True, allow_unused=True
        )
    gradients = [
        torch.zeros_like(t) if g is None else g for g, t in zip(gradients, watched)
    ]
    return value, aux, gradients
