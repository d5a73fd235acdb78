"""Divergences between distributions of latent codes."""

from keras import ops


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per sample, summed over latent dims.

    `0.5 * sum(exp(log_var) + mean^2 - 1 - log_var)`, exactly 0 when
    `mean = 0` and `log_var = 0`: the VAE's regularization term in closed
    form for a diagonal Gaussian posterior (Kingma & Welling 2014, appendix B).

    Args:
        mean: posterior means, `(batch, latent_dim)`.
        log_var: posterior log-variances, same shape.

    Returns:
        A `(batch,)` float32 tensor in nats.

    Example:

    >>> kl = keras_gen.losses.gaussian_kl(np.zeros((2, 3)), np.zeros((2, 3)))  # [0., 0.]

    Reference: Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014
    (https://arxiv.org/abs/1312.6114), appendix B.
    """
    mean = ops.cast(mean, "float32")
    log_var = ops.cast(log_var, "float32")
    return 0.5 * ops.sum(ops.exp(log_var) + ops.square(mean) - 1.0 - log_var, axis=-1)
