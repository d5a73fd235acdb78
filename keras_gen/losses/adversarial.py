"""Adversarial objectives as pure functions on discriminator logits.

Each objective is an `AdversarialLoss` with two functions:
`discriminator(real_logits, fake_logits)` and `generator(fake_logits)`, both
returning a scalar to minimise. Logits are raw discriminator outputs (no
sigmoid); for the least-squares and Wasserstein objectives they are the raw
critic scores.
"""

import keras
from keras import ops


class AdversarialLoss:
    """A named pair of discriminator and generator objectives.

    Args:
        name: the identifier accepted by `keras_gen.losses.get`.
        discriminator: `fn(real_logits, fake_logits) -> scalar`.
        generator: `fn(fake_logits) -> scalar`.

    Example:

    >>> loss = keras_gen.losses.get("hinge")
    >>> d_loss = loss.discriminator(real_logits, fake_logits)
    >>> g_loss = loss.generator(fake_logits)
    """

    def __init__(self, name, discriminator, generator):
        self.name = name
        self.discriminator = discriminator
        self.generator = generator

    def __repr__(self):
        return f"AdversarialLoss({self.name!r})"


def _log_sigmoid_loss_discriminator(real_logits, fake_logits):
    # -log D(x) - log(1 - D(G(z))) with D = sigmoid(logits), in a stable form.
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def _minimax_generator(fake_logits):
    # Minimise log(1 - D(G(z))) = -softplus(logits).
    return -ops.mean(ops.softplus(fake_logits))


def _non_saturating_generator(fake_logits):
    # Minimise -log D(G(z)) = softplus(-logits).
    return ops.mean(ops.softplus(-fake_logits))


def _least_squares_discriminator(real_logits, fake_logits):
    return 0.5 * ops.mean(ops.square(real_logits - 1.0)) + 0.5 * ops.mean(
        ops.square(fake_logits)
    )


def _least_squares_generator(fake_logits):
    return 0.5 * ops.mean(ops.square(fake_logits - 1.0))


def _wasserstein_discriminator(real_logits, fake_logits):
    return ops.mean(fake_logits) - ops.mean(real_logits)


def _wasserstein_generator(fake_logits):
    return -ops.mean(fake_logits)


def _hinge_discriminator(real_logits, fake_logits):
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


minimax = AdversarialLoss("minimax", _log_sigmoid_loss_discriminator, _minimax_generator)
minimax.__doc__ = """Original GAN value function (Goodfellow et al. 2014).

D: -log D(x) - log(1 - D(G(z))); G: log(1 - D(G(z))). The generator's
gradient vanishes when D rejects its samples confidently; prefer
`non_saturating` in practice.

Reference: Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
"""

non_saturating = AdversarialLoss(
    "non_saturating", _log_sigmoid_loss_discriminator, _non_saturating_generator
)
non_saturating.__doc__ = """Non-saturating GAN loss (Goodfellow et al. 2014, sec. 3).

D: -log D(x) - log(1 - D(G(z))); G: -log D(G(z)).
"""

least_squares = AdversarialLoss(
    "least_squares", _least_squares_discriminator, _least_squares_generator
)
least_squares.__doc__ = """Least-squares GAN (Mao et al. 2017), a-b-c = 0-1-1 coding.

D: ½E(D(x) - 1)² + ½E D(G(z))²; G: ½E(D(G(z)) - 1)².

Reference: Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017.
"""

wasserstein = AdversarialLoss(
    "wasserstein", _wasserstein_discriminator, _wasserstein_generator
)
wasserstein.__doc__ = """Wasserstein GAN critic loss (Arjovsky et al. 2017).

Critic: E D(G(z)) - E D(x); G: -E D(G(z)). Needs a Lipschitz constraint:
weight clipping (`weight_clip=0.01`) or a gradient penalty (`"wgan_gp"`).

Reference: Arjovsky et al., "Wasserstein GAN", ICML 2017.
"""

hinge = AdversarialLoss("hinge", _hinge_discriminator, _wasserstein_generator)
hinge.__doc__ = """Hinge loss (Lim & Ye 2017; Miyato et al. 2018; SAGAN, BigGAN).

D: E relu(1 - D(x)) + E relu(1 + D(G(z))); G: -E D(G(z)).

Reference: Miyato et al., "Spectral Normalization for Generative Adversarial
Networks", ICLR 2018.
"""

_ADVERSARIAL_LOSSES = {
    loss.name: loss for loss in (minimax, non_saturating, least_squares, wasserstein, hinge)
}


def get(identifier):
    """Returns the `AdversarialLoss` named `identifier` (or passes one through).

    Args:
        identifier: one of `"minimax"`, `"non_saturating"`, `"least_squares"`,
            `"wasserstein"`, `"hinge"`, or an `AdversarialLoss`.

    Returns:
        An `AdversarialLoss`.

    Raises:
        ValueError: for an unknown name.
    """
    if isinstance(identifier, AdversarialLoss):
        return identifier
    if isinstance(identifier, str) and identifier in _ADVERSARIAL_LOSSES:
        return _ADVERSARIAL_LOSSES[identifier]
    raise ValueError(
        f"Unknown adversarial loss {identifier!r}. Use one of "
        f"{sorted(_ADVERSARIAL_LOSSES)} or a keras_gen.losses.AdversarialLoss."
    )


def names():
    """The names accepted by `get`."""
    return sorted(_ADVERSARIAL_LOSSES)


del keras
