"""Gradient penalties on the discriminator, computed per sample.

Both use `keras_gen.trainers.input_gradient`, so the penalty is itself
differentiable with respect to the discriminator's weights on every backend.
"""

import keras
from keras import ops

from keras_gen.trainers.input_gradients import input_gradient


def _per_sample_squared_norm(gradients):
    axes = list(range(1, len(gradients.shape)))
    return ops.sum(ops.square(gradients), axis=axes)


def gradient_penalty(critic, real, fake, seed=None, target=1.0):
    """WGAN-GP penalty E[(‖∇D(x̂)‖₂ - 1)²] on random interpolates x̂.

    One interpolation coefficient ε ~ U[0, 1] is drawn per sample and the
    gradient norm is taken per sample, as in Algorithm 1 of the paper. The
    paper's weight is λ = 10 (applied by the caller).

    Args:
        critic: `fn(x) -> logits`, e.g. `lambda x: discriminator(x, training=True)`.
        real: batch of real samples.
        fake: batch of generated samples, same shape as `real`.
        seed: a `keras.random.SeedGenerator` (required inside a jitted step)
            or an int.
        target: the gradient norm to pull towards (1 in the paper).

    Returns:
        Scalar penalty.

    Example:

    >>> gp = keras_gen.losses.gradient_penalty(
    ...     lambda x: critic(x, training=True), real, fake, seed=seed_generator)

    Reference: Gulrajani et al., "Improved Training of Wasserstein GANs",
    NeurIPS 2017.
    """
    real = ops.convert_to_tensor(real)
    fake = ops.cast(fake, real.dtype)
    batch = ops.shape(real)[0]
    epsilon_shape = (batch,) + (1,) * (len(real.shape) - 1)
    epsilon = keras.random.uniform(epsilon_shape, dtype=real.dtype, seed=seed)
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    _, gradients = input_gradient(critic, interpolates)
    # The small constant keeps the derivative of the norm finite at 0.
    norms = ops.sqrt(_per_sample_squared_norm(gradients) + 1e-12)
    return ops.mean(ops.square(norms - target))


def r1_penalty(discriminator, real, gamma=10.0):
    """R1 penalty γ/2 · E_x[‖∇D(x)‖²] on real data.

    Args:
        discriminator: `fn(x) -> logits`.
        real: batch of real samples.
        gamma: the weight γ (10 in Mescheder et al. 2018 for most datasets).

    Returns:
        Scalar penalty, already multiplied by γ/2.

    Reference: Mescheder et al., "Which Training Methods for GANs do actually
    Converge?", ICML 2018.
    """
    _, gradients = input_gradient(discriminator, ops.convert_to_tensor(real))
    return 0.5 * gamma * ops.mean(_per_sample_squared_norm(gradients))
