"""Per-sample objectives of the autoencoder family, written once with `keras.ops`.

Convention for the whole family (`AutoEncoder`, `VAE`, `ConditionalVAE`,
`AdversarialAutoencoder`):

- Data are images in [-1, 1] (see `keras_gen.datasets.scale_images`).
- Bernoulli likelihood / `"bce"` reconstruction: the decoder outputs
  per-pixel **logits** and the targets are `(x + 1) / 2` in [0, 1]. Grey
  levels are used as soft targets (the usual practice for MNIST), so the
  value is a cross-entropy, a true log-probability only for binary images.
- Gaussian likelihood / `"mse"` / `"l1"` reconstruction: the decoder outputs
  the image itself in [-1, 1] (e.g. `tanh`), compared with `x` directly.
- Every per-sample value is **summed over pixels** (and latent dimensions);
  models average it over the batch.

Images for people (`decode`, `generate`, `reconstruct`) are always in
[-1, 1]: `2 * sigmoid(logits) - 1` for logits (the Bernoulli mean), the
output itself otherwise.
"""

import math

from keras import ops

from keras_gen.losses import divergences

RECONSTRUCTIONS = ("mse", "bce", "l1")
LIKELIHOODS = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2.0 * math.pi)


def _sum_per_sample(values):
    values = ops.reshape(values, (ops.shape(values)[0], -1))
    return ops.sum(values, axis=-1)


def to_unit_interval(x):
    """Maps images from [-1, 1] to [0, 1] (Bernoulli targets)."""
    return (ops.cast(x, "float32") + 1.0) * 0.5


def bernoulli_log_likelihood(x, logits):
    """log p(x | logits) per sample, summed over pixels, for `x` in [-1, 1].

    The target is `t = (x + 1) / 2`; each pixel contributes
    `t * log sigmoid(l) + (1 - t) * log(1 - sigmoid(l)) = t * l - softplus(l)`.

    Args:
        x: images in [-1, 1], `(batch, ...)`.
        logits: decoder logits of the same shape.

    Returns:
        A `(batch,)` tensor of log-likelihoods in nats (<= 0).
    """
    target = to_unit_interval(x)
    logits = ops.cast(logits, "float32")
    return _sum_per_sample(target * logits - ops.softplus(logits))


def gaussian_log_likelihood(x, mean, log_std):
    """log N(x; mean, sigma^2 I) per sample, summed over pixels, with constants.

    Args:
        x: images in [-1, 1].
        mean: decoder output (the Gaussian mean), same shape as `x`.
        log_std: log sigma, a scalar (shared by every pixel).

    Returns:
        A `(batch,)` tensor of log-densities in nats (densities of images in
        [-1, 1], so not comparable with Bernoulli values).
    """
    x = ops.cast(x, "float32")
    mean = ops.cast(mean, "float32")
    log_std = ops.cast(log_std, "float32")
    squared = ops.square(x - mean) * ops.exp(-2.0 * log_std)
    return -0.5 * _sum_per_sample(squared + 2.0 * log_std + _LOG_2PI)


def reconstruction_error(kind, x, output):
    """Per-sample reconstruction error summed over pixels.

    Args:
        kind: `"mse"` (squared error), `"l1"` (absolute error) or `"bce"`
            (Bernoulli cross-entropy of logits against `(x + 1) / 2`).
        x: images in [-1, 1].
        output: decoder output: images in [-1, 1], or logits for `"bce"`.

    Returns:
        A `(batch,)` tensor.
    """
    if kind == "bce":
        return -bernoulli_log_likelihood(x, output)
    difference = ops.cast(x, "float32") - ops.cast(output, "float32")
    if kind == "mse":
        return _sum_per_sample(ops.square(difference))
    if kind == "l1":
        return _sum_per_sample(ops.abs(difference))
    raise ValueError(f"Unknown reconstruction {kind!r}; use one of {RECONSTRUCTIONS}.")


# The KL of a diagonal Gaussian to N(0, I) lives in keras_gen.losses (its one
# home); this name is kept for code that reads it from here.
gaussian_kl = divergences.gaussian_kl


def standard_normal_log_density(z):
    """log N(z; 0, I) per sample, summed over latent dims."""
    z = ops.cast(z, "float32")
    return -0.5 * ops.sum(ops.square(z) + _LOG_2PI, axis=-1)


def output_to_images(output, logits):
    """Decoder output -> images in [-1, 1] (`2 sigmoid - 1` for logits)."""
    output = ops.cast(output, "float32")
    if logits:
        return 2.0 * ops.sigmoid(output) - 1.0
    return output
