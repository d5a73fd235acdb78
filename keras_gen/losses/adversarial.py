"""Adversarial objectives as pure functions on discriminator logits.

Each objective is an `AdversarialLoss` with two functions:
`discriminator(real_logits, fake_logits)` and `generator(fake_logits)`, both
returning a scalar to minimise. Logits are raw discriminator outputs (no
sigmoid); for the least-squares and Wasserstein objectives they are the raw
critic scores.

Two declared capabilities extend that contract:

- `needs_real_logits`: the generator objective also compares with the real
  logits, `generator(fake_logits, real_logits)` (the relativistic
  objectives). A model computes the real logits in its generator phase only
  for such an objective.
- `supports_label_smoothing`: the discriminator objective accepts
  `label_smoothing=s` (one-sided: the real targets become `1 - s`), as the
  sigmoid cross-entropy objectives do.
"""

import math
import numbers

import keras
from keras import ops


class AdversarialLoss:
    """A named pair of discriminator and generator objectives.

    Args:
        name: the identifier accepted by `keras_gen.losses.get`.
        discriminator: `fn(real_logits, fake_logits) -> scalar`; with
            `supports_label_smoothing`, also
            `fn(real_logits, fake_logits, label_smoothing=s)`.
        generator: `fn(fake_logits) -> scalar`, or
            `fn(fake_logits, real_logits) -> scalar` with `needs_real_logits`.
        needs_real_logits: the generator objective needs the discriminator's
            logits on the real batch too (relativistic objectives).
        supports_label_smoothing: the discriminator objective takes a
            `label_smoothing` keyword (one-sided label smoothing).

    Example:

    >>> loss = keras_gen.losses.get("hinge")
    >>> d_loss = loss.discriminator(real_logits, fake_logits)
    >>> g_loss = loss.generator(fake_logits)
    >>> ra = keras_gen.losses.get("relativistic_average")
    >>> g_loss = ra.generator(fake_logits, real_logits)  # ra.needs_real_logits
    """

    def __init__(
        self,
        name,
        discriminator,
        generator,
        needs_real_logits=False,
        supports_label_smoothing=False,
    ):
        self.name = name
        self.discriminator = discriminator
        self.generator = generator
        self.needs_real_logits = bool(needs_real_logits)
        self.supports_label_smoothing = bool(supports_label_smoothing)

    def __repr__(self):
        return f"AdversarialLoss({self.name!r})"


def check_label_smoothing(label_smoothing):
    """`label_smoothing` as a float, or a `ValueError` unless it is a number in [0, 1).

    One-sided label smoothing (Salimans et al. 2016) replaces the
    discriminator's real target 1 by `1 - label_smoothing`; fake targets stay
    0. TF-GAN's `modified_discriminator_loss` defaults to `label_smoothing=0.25`
    in `tf.losses`' convention, where the target becomes `1 - s/2` (0.875):
    the same target is `label_smoothing=0.125` here.
    """
    is_number = isinstance(label_smoothing, numbers.Real) and not isinstance(label_smoothing, bool)
    value = float(label_smoothing) if is_number else math.nan
    if not 0.0 <= value < 1.0:
        raise ValueError(
            "label_smoothing must be a number in [0, 1): the real target becomes "
            "1 - label_smoothing (Salimans et al. 2016 use 0.1, i.e. a target of 0.9; "
            f"0 turns it off); received {label_smoothing!r}."
        )
    return value


def _real_cross_entropy(real_logits, label_smoothing):
    # Sigmoid cross-entropy of logits l against the target 1 - s:
    # -(1 - s) log σ(l) - s log(1 - σ(l)) = (1 - s) softplus(-l) + s softplus(l).
    s = check_label_smoothing(label_smoothing)
    if s == 0.0:
        return ops.softplus(-real_logits)
    return (1.0 - s) * ops.softplus(-real_logits) + s * ops.softplus(real_logits)


def _log_sigmoid_loss_discriminator(real_logits, fake_logits, label_smoothing=0.0):
    # -log D(x) - log(1 - D(G(z))) with D = sigmoid(logits), in a stable form;
    # with one-sided label smoothing the real target is 1 - s.
    return ops.mean(_real_cross_entropy(real_logits, label_smoothing)) + ops.mean(
        ops.softplus(fake_logits)
    )


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


minimax = AdversarialLoss(
    "minimax", _log_sigmoid_loss_discriminator, _minimax_generator,
    supports_label_smoothing=True,
)
minimax.__doc__ = """Original GAN value function (Goodfellow et al. 2014).

D: -log D(x) - log(1 - D(G(z))); G: log(1 - D(G(z))). The generator's
gradient vanishes when D rejects its samples confidently; prefer
`non_saturating` in practice. `discriminator(..., label_smoothing=s)` uses
the real target 1 - s (Salimans et al. 2016).

Reference: Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
"""

non_saturating = AdversarialLoss(
    "non_saturating", _log_sigmoid_loss_discriminator, _non_saturating_generator,
    supports_label_smoothing=True,
)
non_saturating.__doc__ = """Non-saturating GAN loss (Goodfellow et al. 2014, sec. 3).

D: -log D(x) - log(1 - D(G(z))); G: -log D(G(z)).
`discriminator(..., label_smoothing=s)` uses the real target 1 - s
(Salimans et al. 2016).
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



def _relative_logits(real_logits, fake_logits):
    # C(x_r) - E C(x_f) and C(x_f) - E C(x_r): each sample against the other
    # batch's mean critic value (means over every element, patch maps included).
    real_logits = ops.convert_to_tensor(real_logits)
    fake_logits = ops.convert_to_tensor(fake_logits)
    return real_logits - ops.mean(fake_logits), fake_logits - ops.mean(real_logits)


def _require_real_logits(real_logits, name):
    if real_logits is None:
        raise ValueError(
            f"The {name!r} generator loss compares the fakes with the real batch: call "
            "generator(fake_logits, real_logits). A model must compute the "
            "discriminator's logits on the real batch in its generator step when "
            "`loss.needs_real_logits` is True (keras_gen.models.GAN does)."
        )


def relativistic_average_discriminator(real_logits, fake_logits, label_smoothing=0.0):
    """RaSGAN discriminator loss (Jolicoeur-Martineau 2019, eq. of RaSGAN).

    With C the critic (raw logits) and σ the sigmoid,

    `L_D = -E_xr[log σ(C(xr) - E_xf C(xf))] - E_xf[log(1 - σ(C(xf) - E_xr C(xr)))]`,

    the sum of two mean sigmoid cross-entropies (TF-GAN's convention, no ½).
    With `label_smoothing=s` the real target is `1 - s` (one-sided).

    Args:
        real_logits: critic values on the real batch.
        fake_logits: critic values on the generated batch.
        label_smoothing: one-sided label smoothing `s` in [0, 1).

    Returns:
        A scalar.

    Reference: Jolicoeur-Martineau, "The relativistic discriminator: a key
    element missing from standard GAN", ICLR 2019 (https://arxiv.org/abs/1807.00734).
    """
    real_relative, fake_relative = _relative_logits(real_logits, fake_logits)
    return ops.mean(_real_cross_entropy(real_relative, label_smoothing)) + ops.mean(
        ops.softplus(fake_relative)
    )


def relativistic_average_generator(fake_logits, real_logits=None):
    """RaSGAN generator loss: the discriminator's loss with the roles swapped.

    `L_G = -E_xf[log σ(C(xf) - E_xr C(xr))] - E_xr[log(1 - σ(C(xr) - E_xf C(xf)))]`.

    Args:
        fake_logits: critic values on the generated batch.
        real_logits: critic values on the real batch (required).

    Returns:
        A scalar.

    Reference: Jolicoeur-Martineau, ICLR 2019 (https://arxiv.org/abs/1807.00734).
    """
    _require_real_logits(real_logits, "relativistic_average")
    real_relative, fake_relative = _relative_logits(real_logits, fake_logits)
    return ops.mean(ops.softplus(-fake_relative)) + ops.mean(ops.softplus(real_relative))


def relativistic_average_least_squares_discriminator(real_logits, fake_logits):
    """RaLSGAN discriminator loss (Jolicoeur-Martineau 2019).

    `L_D = E_xr[(C(xr) - E_xf C(xf) - 1)²] + E_xf[(C(xf) - E_xr C(xr) + 1)²]`,
    as in the paper (no ½).

    Args:
        real_logits: critic values on the real batch.
        fake_logits: critic values on the generated batch.

    Returns:
        A scalar.

    Reference: Jolicoeur-Martineau, ICLR 2019 (https://arxiv.org/abs/1807.00734).
    """
    real_relative, fake_relative = _relative_logits(real_logits, fake_logits)
    return ops.mean(ops.square(real_relative - 1.0)) + ops.mean(ops.square(fake_relative + 1.0))


def relativistic_average_least_squares_generator(fake_logits, real_logits=None):
    """RaLSGAN generator loss.

    `L_G = E_xf[(C(xf) - E_xr C(xr) - 1)²] + E_xr[(C(xr) - E_xf C(xf) + 1)²]`.

    Args:
        fake_logits: critic values on the generated batch.
        real_logits: critic values on the real batch (required).

    Returns:
        A scalar.

    Reference: Jolicoeur-Martineau, ICLR 2019 (https://arxiv.org/abs/1807.00734).
    """
    _require_real_logits(real_logits, "relativistic_average_least_squares")
    real_relative, fake_relative = _relative_logits(real_logits, fake_logits)
    return ops.mean(ops.square(fake_relative - 1.0)) + ops.mean(ops.square(real_relative + 1.0))


relativistic_average = AdversarialLoss(
    "relativistic_average",
    relativistic_average_discriminator,
    relativistic_average_generator,
    needs_real_logits=True,
    supports_label_smoothing=True,
)
relativistic_average.__doc__ = """Relativistic average GAN with the sigmoid cross-entropy (RaSGAN).

The discriminator estimates how much more realistic a real sample is than
the average fake (and the reverse); the generator's loss is the same with
real and fake swapped, so it also needs the real logits:
`generator(fake_logits, real_logits)`. See
`relativistic_average_discriminator` / `relativistic_average_generator`
for the formulas.

Reference: Jolicoeur-Martineau, "The relativistic discriminator: a key
element missing from standard GAN", ICLR 2019 (https://arxiv.org/abs/1807.00734).
"""

relativistic_average_least_squares = AdversarialLoss(
    "relativistic_average_least_squares",
    relativistic_average_least_squares_discriminator,
    relativistic_average_least_squares_generator,
    needs_real_logits=True,
)
relativistic_average_least_squares.__doc__ = """Relativistic average least-squares GAN (RaLSGAN).

D: E(C(xr) - E C(xf) - 1)² + E(C(xf) - E C(xr) + 1)²; G: the same with real
and fake swapped, `generator(fake_logits, real_logits)`.

Reference: Jolicoeur-Martineau, "The relativistic discriminator: a key
element missing from standard GAN", ICLR 2019 (https://arxiv.org/abs/1807.00734).
"""

_ADVERSARIAL_LOSSES = {
    loss.name: loss
    for loss in (
        minimax,
        non_saturating,
        least_squares,
        wasserstein,
        hinge,
        relativistic_average,
        relativistic_average_least_squares,
    )
}


def get(identifier):
    """Returns the `AdversarialLoss` named `identifier` (or passes one through).

    Args:
        identifier: one of `"minimax"`, `"non_saturating"`, `"least_squares"`,
            `"wasserstein"`, `"hinge"`, `"relativistic_average"` (RaSGAN),
            `"relativistic_average_least_squares"` (RaLSGAN), or an
            `AdversarialLoss`.

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
