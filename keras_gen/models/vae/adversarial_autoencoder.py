"""AdversarialAutoencoder: an autoencoder whose codes are matched to a prior by a GAN."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen import losses as losses_module
from keras_gen.models import validation
from keras_gen.models.vae.autoencoder import AutoEncoder
from keras_gen.trainers import Phase

PRIORS = ("gaussian", "mixture")
MIXTURE_RADIUS = 2.0
MIXTURE_RADIAL_STD = 0.5
MIXTURE_TANGENTIAL_STD = 0.1


def mixture_prior_transform(noise, components, num_components):
    """Maps standard normal noise to the "mixture" prior of the AAE.

    Component `k` of `num_components` is a 2-D Gaussian centred at radius
    `MIXTURE_RADIUS` (2.0) and angle `2πk / num_components`, with standard
    deviation `MIXTURE_RADIAL_STD` (0.5) along the radius and
    `MIXTURE_TANGENTIAL_STD` (0.1) across it, so the components form a
    flower of elongated petals around the origin. Latent dimensions beyond the
    first two stay N(0, 1).

    Args:
        noise: standard normal `(n, latent_dim)`, `latent_dim >= 2`.
        components: component indices `(n,)` in `[0, num_components)`.
        num_components: number of mixture components.

    Returns:
        A tensor `(n, latent_dim)` of prior samples.
    """
    noise = ops.cast(noise, "float32")
    angles = ops.cast(components, "float32") * (2.0 * math.pi / num_components)
    radial = MIXTURE_RADIUS + MIXTURE_RADIAL_STD * noise[:, 0]
    tangential = MIXTURE_TANGENTIAL_STD * noise[:, 1]
    cos, sin = ops.cos(angles), ops.sin(angles)
    first = radial * cos - tangential * sin
    second = radial * sin + tangential * cos
    return ops.concatenate([first[:, None], second[:, None], noise[:, 2:]], axis=-1)


@keras.saving.register_keras_serializable(package="keras_gen")
class AdversarialAutoencoder(AutoEncoder):
    """Adversarial autoencoder (Makhzani et al. 2016): codes matched to a prior.

    A deterministic encoder maps images to codes `z = E(x)`; a latent
    discriminator `D` learns to tell prior samples (real) from codes (fake),
    and the encoder learns to fool it, so that the aggregated posterior of the
    codes matches the prior and `decoder(z)`, `z ~ prior`, gives images.
    Each step runs three phases with three optimizers:

    1. `"reconstruction"`: encoder + decoder minimize the reconstruction error
       (summed over pixels, mean over the batch; logged `reconstruction_loss`).
    2. `"discriminator"`: `D` minimizes the adversarial loss with prior samples
       as real and (stopped-gradient) codes as fake (logged `d_loss`).
    3. `"generator"`: the encoder minimizes the generator loss on `D(E(x))`
       (logged `g_loss`); non-saturating by default.

    Priors:

    - `"gaussian"`: N(0, I).
    - `"mixture"`: `num_components` (10) elongated 2-D Gaussians around a
      circle in the first two latent dimensions (see
      `keras_gen.models.vae.adversarial_autoencoder.mixture_prior_transform`;
      the layout of the paper's Figure 2), the other dimensions N(0, 1).

    Images are floats in [-1, 1]; `reconstruction="bce"` expects a decoder
    that outputs logits, `"mse"` (the paper's Euclidean cost, default) and
    `"l1"` one that outputs images in [-1, 1].

    Args:
        encoder: `keras.Model` images -> codes `(batch, latent_dim)` (one
            output, e.g. `keras_gen.networks.conv_encoder(..., variational=False)`).
        decoder: `keras.Model` codes -> images (or logits for "bce").
        latent_discriminator: `keras.Model` codes -> logits `(batch, 1)` (e.g.
            `keras_gen.networks.mlp_latent_discriminator`).
        prior: `"gaussian"` or `"mixture"`.
        reconstruction: `"mse"`, `"bce"` or `"l1"`.
        loss: adversarial objective name from `keras_gen.losses.names()`.
        num_components: mixture prior only: number of components.
        latent_dim: checked against the networks; inferred when None.
        seed: seed of the model's seed generator (prior samples).
        latent_density_components: keep a Gaussian mixture of this many
            full-covariance components over the codes (ex-post density
            estimation, Ghosh et al. 2020): `fit_latent_density(x_train)`
            fits it to the training codes after training, and `generate()`
            then draws codes from it instead of the prior. It starts as
            N(0, I) and is saved with the weights. None (default): samples
            come from the prior.

    The adversarial phases bring the codes' distribution close to the
    prior's, not onto it: prior samples that fall between the codes decode
    to ambiguous images. On the embedded digits (`aae_mnist`), a
    10-component mixture fitted to the training codes takes the digits FID
    of 1,000 samples from 51.5 to about 24.

    Default optimizers: Adam(1e-3) for the reconstruction and Adam(2e-4,
    beta_1=0.5) for the discriminator and generator phases. The paper trains
    MLPs with SGD and momentum 0.9; those learning rates do not carry over to
    convolutional networks and Adam.

    Example:

    >>> encoder = keras_gen.networks.conv_encoder((28, 28, 1), 8, variational=False)
    >>> decoder = keras_gen.networks.conv_decoder((28, 28, 1), 8, output="tanh")
    >>> critic = keras_gen.networks.mlp_latent_discriminator(8)
    >>> aae = keras_gen.models.AdversarialAutoencoder(encoder, decoder, critic)
    >>> aae.compile()
    >>> aae.fit(images, batch_size=100, epochs=20)
    >>> samples = aae.generate(16, seed=0)

    Reference:
        Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial
        Autoencoders", ICLR workshop 2016.
        Ghosh et al., "From Variational to Deterministic Autoencoders",
        ICLR 2020 (ex-post density estimation).
    """

    networks = ("encoder", "decoder", "latent_discriminator")
    config_attributes = {"loss": "loss_name"}
    phase_name = "reconstruction"

    def __init__(
        self,
        encoder,
        decoder,
        latent_discriminator,
        prior="gaussian",
        reconstruction="mse",
        loss="non_saturating",
        num_components=10,
        latent_dim=None,
        seed=None,
        latent_density_components=None,
        **kwargs,
    ):
        super().__init__(
            encoder, decoder, reconstruction=reconstruction, latent_dim=latent_dim, seed=seed,
            latent_density_components=latent_density_components, **kwargs,
        )
        if not isinstance(latent_discriminator, keras.Model):
            raise TypeError(
                "`latent_discriminator` must be a keras.Model mapping codes to logits, e.g. "
                "keras_gen.networks.mlp_latent_discriminator(latent_dim); received "
                f"{type(latent_discriminator).__name__}."
            )
        self.latent_discriminator = latent_discriminator
        self._check_discriminator()
        if prior not in PRIORS:
            raise ValueError(f"Unknown prior {prior!r}; use one of {PRIORS}.")
        if prior == "mixture" and self.latent_dim < 2:
            raise ValueError(
                f'The "mixture" prior needs latent_dim >= 2; received {self.latent_dim}.'
            )
        self.prior = prior
        if int(num_components) != num_components or num_components < 1:
            raise ValueError(
                f"`num_components` must be a positive integer; received {num_components!r}."
            )
        self.num_components = int(num_components)
        self.adversarial_loss = losses_module.get(loss)
        self.loss_name = loss if isinstance(loss, str) else self.adversarial_loss.name

    def _check_discriminator(self):
        inputs = getattr(self.latent_discriminator, "inputs", None)
        outputs = getattr(self.latent_discriminator, "outputs", None)
        if inputs is not None and tuple(inputs[0].shape[1:]) != (self.latent_dim,):
            raise ValueError(
                f"The latent discriminator takes inputs of shape {tuple(inputs[0].shape)}, "
                f"but codes have shape (None, {self.latent_dim}). Build it with "
                f"keras_gen.networks.mlp_latent_discriminator(latent_dim={self.latent_dim})."
            )
        if outputs is not None and (len(outputs) != 1 or tuple(outputs[0].shape[1:]) != (1,)):
            raise ValueError(
                "The latent discriminator must output one logit per code, shape (batch, 1); "
                f"it outputs {[tuple(o.shape) for o in outputs]}."
            )

    # ----------------------------------------------------------- the prior
    def _prior_from_noise(self, noise, components):
        if self.prior == "gaussian":
            return ops.cast(noise, "float32")
        return mixture_prior_transform(noise, components, self.num_components)

    def _sample_prior_tensor(self, batch_size):
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        components = None
        if self.prior == "mixture":
            components = keras.random.randint(
                (batch_size,), 0, self.num_components, seed=self.seed_generator
            )
        return self._prior_from_noise(noise, components)

    def sample_prior(self, num_samples, seed=None):
        """Codes drawn from the prior.

        Args:
            num_samples: number of codes.
            seed: an int draws with NumPy (the same codes on every backend);
                None uses the model's seed generator.

        Returns:
            NumPy array `(num_samples, latent_dim)`.
        """
        num_samples = validation.check_sample_count(num_samples)
        if seed is None:
            return ops.convert_to_numpy(self._sample_prior_tensor(num_samples))
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal((num_samples, self.latent_dim)).astype("float32")
        components = rng.integers(0, self.num_components, num_samples)
        return np.asarray(ops.convert_to_numpy(self._prior_from_noise(noise, components)))

    # ------------------------------------------------------------ training
    def phases(self):
        return super().phases() + [
            Phase(
                "discriminator",
                optimizer="discriminator",
                variables=self.latent_discriminator.trainable_variables,
                log_names=("d_loss",),
            ),
            Phase(
                "generator",
                optimizer="generator",
                variables=self.encoder.trainable_variables,
                log_names=("g_loss",),
            ),
        ]

    def default_optimizers(self):
        """Adam(1e-3) for the reconstruction, Adam(2e-4, beta_1=0.5) for the adversarial phases."""
        return {
            "reconstruction": keras.optimizers.Adam(1e-3),
            "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5),
            "generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
        }

    def compute_phase_loss(self, phase, data, training=True):
        if phase == self.phase_name:
            return super().compute_phase_loss(phase, data, training)
        x, _ = self._unpack(data)
        if phase == "discriminator":
            codes = ops.stop_gradient(self.encoder(x, training=training))
            prior = self._sample_prior_tensor(ops.shape(x)[0])
            real_logits = self.latent_discriminator(prior, training=training)
            fake_logits = self.latent_discriminator(codes, training=training)
            d_loss = self.adversarial_loss.discriminator(real_logits, fake_logits)
            return d_loss, {"d_loss": d_loss}
        if phase == "generator":
            codes = self.encoder(x, training=training)
            fake_logits = self.latent_discriminator(codes, training=training)
            if self.adversarial_loss.needs_real_logits:  # relativistic objectives
                prior = self._sample_prior_tensor(ops.shape(x)[0])
                real_logits = ops.stop_gradient(self.latent_discriminator(prior, training=training))
                g_loss = self.adversarial_loss.generator(fake_logits, real_logits)
            else:
                g_loss = self.adversarial_loss.generator(fake_logits)
            return g_loss, {"g_loss": g_loss}
        raise ValueError(f"Unknown phase {phase!r}.")

    # ----------------------------------------------------------- sampling
    def generate(self, num_samples, seed=None, batch_size=256, latents=None, prior=None):
        """Samples images by decoding codes drawn from the prior or the fitted density.

        Args:
            num_samples: number of images.
            seed: int: NumPy codes (the same on every backend); None: the
                model's seed generator.
            batch_size: codes per decoder call.
            latents: explicit codes `(num_samples, latent_dim)`.
            prior: `"standard"` draws codes from the prior the model was
                trained to match (`self.prior`, see `sample_prior`);
                `"fitted"` from the latent density (`latent_density_components`,
                see `fit_latent_density`). None: `"fitted"` when the model
                keeps a latent density, else `"standard"`.

        Returns:
            NumPy images in [-1, 1].
        """
        latents = self._generation_codes(num_samples, latents, seed, prior,
                                         standard=self.sample_prior)
        return self.decode(latents, batch_size)
