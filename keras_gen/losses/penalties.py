"""Gradient penalties on the discriminator, computed per sample.

All use `keras_gen.trainers.input_gradient`, so the penalty is itself
differentiable with respect to the discriminator's weights on every backend.
"""

import math

import keras
from keras import ops

from keras_gen.trainers.input_gradients import input_gradient


def _per_sample_squared_norm(gradients):
    axes = list(range(1, len(gradients.shape)))
    return ops.sum(ops.square(gradients), axis=axes)


def _check_target(target, normalize_by_target):
    if isinstance(target, bool) or not isinstance(target, (int, float)):
        return  # a tensor: checked by whoever built it
    if not math.isfinite(target) or target < 0 or (normalize_by_target and target == 0):
        bound = "> 0 with normalize_by_target=True" if normalize_by_target else ">= 0"
        raise ValueError(
            f"The gradient-norm target must be a finite number {bound} (WGAN-GP: 1; "
            f"progressive GAN on CIFAR-10: 750 with normalize_by_target=True); "
            f"received target={target!r}."
        )


def gradient_penalty(
    critic, real, fake, seed=None, target=1.0, one_sided=False, normalize_by_target=False
):
    """WGAN-GP penalty E[(‖∇D(x̂)‖₂ - t)²] on random interpolates x̂.

    One interpolation coefficient ε ~ U[0, 1] is drawn per sample and the
    gradient norm is taken per sample, as in Algorithm 1 of the paper. The
    paper's weight is λ = 10 (applied by the caller). Per sample, with
    `n = ‖∇D(x̂)‖₂` and `t = target`, the penalised deviation is

    - `n - t` (default; Gulrajani et al. 2017 with t = 1);
    - `n / t - 1` with `normalize_by_target=True`, i.e. `(n - t)² / t²`
      (Karras et al. 2018, progressive GAN, who use t = 750 on CIFAR-10 with
      λ = 10; TF-GAN's `wasserstein_gradient_penalty(target=t)` is this form);
    - clipped at 0 below with `one_sided=True`: `max(0, n - t)²` (or
      `max(0, n/t - 1)²`), which only penalises norms above the target
      (Petzka et al. 2018, "On the regularization of Wasserstein GANs";
      TF-GAN's `one_sided=True`).

    Args:
        critic: `fn(x) -> logits`, e.g. `lambda x: discriminator(x, training=True)`.
        real: batch of real samples.
        fake: batch of generated samples, same shape as `real`.
        seed: a `keras.random.SeedGenerator` (required inside a jitted step)
            or an int.
        target: the gradient norm `t` to pull towards (1 in the paper).
        one_sided: penalise only norms above the target.
        normalize_by_target: penalise `(n / t - 1)²` instead of `(n - t)²`.

    Returns:
        Scalar penalty.

    Example:

    >>> gp = keras_gen.losses.gradient_penalty(
    ...     lambda x: critic(x, training=True), real, fake, seed=seed_generator)

    References:
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017;
        Karras et al., "Progressive Growing of GANs for Improved Quality,
        Stability, and Variation", ICLR 2018 (appendix A.1);
        Petzka, Fischer & Lukovnikov, "On the regularization of Wasserstein
        GANs", ICLR 2018.
    """
    _check_target(target, normalize_by_target)
    real = ops.convert_to_tensor(real)
    fake = ops.cast(fake, real.dtype)
    batch = ops.shape(real)[0]
    epsilon_shape = (batch,) + (1,) * (len(real.shape) - 1)
    epsilon = keras.random.uniform(epsilon_shape, dtype=real.dtype, seed=seed)
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    _, gradients = input_gradient(critic, interpolates)
    # The small constant keeps the derivative of the norm finite at 0.
    norms = ops.sqrt(_per_sample_squared_norm(gradients) + 1e-12)
    if normalize_by_target:
        deviations = norms / target - 1.0
    else:
        deviations = norms - target
    if one_sided:
        deviations = ops.relu(deviations)
    return ops.mean(ops.square(deviations))


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


def r2_penalty(discriminator, fake, gamma=10.0):
    """R2 penalty γ/2 · E_z[‖∇D(G(z))‖²] on generated data.

    R1's counterpart on the generator's distribution (Mescheder et al. 2018,
    eq. 9): pass fakes with no gradient to the generator (e.g. after
    `keras.ops.stop_gradient`); the penalty trains the discriminator only.

    Args:
        discriminator: `fn(x) -> logits`.
        fake: batch of generated samples.
        gamma: the weight γ (10 in Mescheder et al. 2018).

    Returns:
        Scalar penalty, already multiplied by γ/2.

    Example:

    >>> r2 = keras_gen.losses.r2_penalty(
    ...     lambda x: discriminator(x, training=True), keras.ops.stop_gradient(fake))

    Reference: Mescheder et al., "Which Training Methods for GANs do actually
    Converge?", ICML 2018 (section 4.1).
    """
    _, gradients = input_gradient(discriminator, ops.convert_to_tensor(fake))
    return 0.5 * gamma * ops.mean(_per_sample_squared_norm(gradients))
