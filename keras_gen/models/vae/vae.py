"""VAE: variational autoencoder trained on the ELBO (β-VAE with `beta != 1`)."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen.losses.divergences import gaussian_kl
from keras_gen.models.vae import objectives
from keras_gen.models.vae.base import AutoEncoderFamily
from keras_gen.trainers import Phase


def _check_beta(beta):
    if not isinstance(beta, (int, float)) or beta < 0 or not math.isfinite(beta):
        raise ValueError(f"`beta` must be a finite number >= 0; received {beta!r}.")
    return float(beta)


def _check_decoder_std(decoder_std):
    if decoder_std == "learned":
        return decoder_std
    if not isinstance(decoder_std, (int, float)) or not decoder_std > 0:
        raise ValueError(
            f'`decoder_std` must be a positive number or "learned"; received {decoder_std!r}.'
        )
    return float(decoder_std)


@keras.saving.register_keras_serializable(package="keras_gen")
class VAE(AutoEncoderFamily):
    """Variational autoencoder (Kingma & Welling 2014), β-VAE (Higgins et al. 2017).

    The encoder gives a diagonal Gaussian posterior `q(z|x) = N(mean,
    exp(log_var))`; a code is drawn with the reparameterization `z = mean +
    exp(log_var / 2) * eps`, `eps ~ N(0, I)` (from the model's seed
    generator), and decoded into the parameters of `p(x|z)`. The prior is
    `p(z) = N(0, I)`. Training minimizes, per image and averaged over the
    batch,

        loss = -E_q[log p(x|z)] + w * KL(q(z|x) || p(z)),

    with the log-likelihood summed over pixels and the KL (closed form)
    summed over latent dimensions, both in nats, and `w = beta` (β-VAE) or,
    during KL warm-up, `w = beta * min(1, t / kl_warmup_steps)` where `t` is
    the VAE optimizer's iteration count. Logged per step:
    `reconstruction_loss` (−log p(x|z), one sample), `kl_loss` (unweighted
    KL) and `elbo` (the true β = 1 bound `log p(x|z) − KL`, without warm-up,
    so it is comparable between runs; `model.evaluate` reports it on
    held-out data).

    Likelihoods (images in [-1, 1] throughout):

    - `"bernoulli"` (default): the decoder outputs per-pixel logits; targets
      are `(x + 1) / 2`. Grey levels act as soft targets (usual for MNIST),
      so values are cross-entropies, exact log-probabilities only for binary
      images, and not comparable with binarized-MNIST results in papers.
    - `"gaussian"`: the decoder outputs the mean image in [-1, 1];
      `log N(x; mean, σ² I)` including the `log(2πσ²)` constants. σ is a
      single scalar: `decoder_std="learned"` (default) trains `log σ` with
      the networks (starting at σ = 1), which calibrates the balance between
      reconstruction and KL (Rybkin et al. 2021); a number fixes it. A
      fixed σ = 1 gives blurry samples on images in [-1, 1], since the KL
      then outweighs the reconstruction.

    Args:
        encoder: `keras.Model` mapping images to `[mean, log_var]`, each
            `(batch, latent_dim)` (e.g. `keras_gen.networks.conv_encoder`).
        decoder: `keras.Model` mapping `(batch, latent_dim)` to logits
            (Bernoulli) or images (Gaussian) of the data's shape.
        latent_dim: checked against the networks; inferred when None.
        beta: KL weight (1 for the VAE; > 1 for the β-VAE).
        likelihood: `"bernoulli"` or `"gaussian"`.
        kl_warmup_steps: optimizer iterations over which the KL weight ramps
            linearly from 0 to `beta` (0: no warm-up).
        decoder_std: Gaussian likelihood only: `"learned"` or a fixed σ > 0.
        seed: seed of the model's seed generator (reparameterization noise).
        latent_density_components: keep a Gaussian mixture of this many
            full-covariance components over the codes, for sampling (ex-post
            density estimation, Ghosh et al. 2020: a second stage fitted
            after training, in the spirit of Dai & Wipf 2019's). It starts as
            N(0, I); `fit_latent_density(x)` fits it to the posterior means
            of `x`, and `generate()` then draws codes from it. Saved with
            the weights. None (default): samples come from N(0, I).

    A VAE's aggregate posterior does not fill N(0, I): codes drawn from the
    prior land where the decoder has seen none, and samples are blurred and
    ambiguous. On the embedded digits (`vae_mnist`) a 10-component mixture
    fitted to the training codes takes the digits FID of 1,000 samples from
    about 83 to about 18.

    The default optimizer is Adam(1e-3) (the paper used Adagrad; Adam is
    today's standard for VAEs).

    Example:

    >>> encoder = keras_gen.networks.conv_encoder((28, 28, 1), latent_dim=16)
    >>> decoder = keras_gen.networks.conv_decoder((28, 28, 1), latent_dim=16)
    >>> vae = keras_gen.models.VAE(encoder, decoder, kl_warmup_steps=1000)
    >>> vae.compile()
    >>> vae.fit(images, batch_size=100, epochs=20)
    >>> samples = vae.generate(16, seed=0)
    >>> log_px = vae.importance_weighted_log_likelihood(test_images, num_samples=100)

    References:
        Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
        Higgins et al., "β-VAE: Learning Basic Visual Concepts with a
        Constrained Variational Framework", ICLR 2017.
        Burda et al., "Importance Weighted Autoencoders", ICLR 2016.
        Ghosh et al., "From Variational to Deterministic Autoencoders",
        ICLR 2020 (ex-post density estimation).
        Dai & Wipf, "Diagnosing and Enhancing VAE Models", ICLR 2019.
    """

    encoder_outputs = 2
    phase_name = "vae"

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim=None,
        beta=1.0,
        likelihood="bernoulli",
        kl_warmup_steps=0,
        decoder_std="learned",
        seed=None,
        latent_density_components=None,
        **kwargs,
    ):
        super().__init__(encoder, decoder, latent_dim=latent_dim, seed=seed, **kwargs)
        self.beta = _check_beta(beta)
        if likelihood not in objectives.LIKELIHOODS:
            raise ValueError(
                f"Unknown likelihood {likelihood!r}; use one of {objectives.LIKELIHOODS} "
                '("bernoulli": the decoder outputs logits; "gaussian": it outputs images '
                "in [-1, 1])."
            )
        self.likelihood = likelihood
        if int(kl_warmup_steps) != kl_warmup_steps or kl_warmup_steps < 0:
            raise ValueError(
                f"`kl_warmup_steps` must be an integer >= 0; received {kl_warmup_steps!r}."
            )
        self.kl_warmup_steps = int(kl_warmup_steps)
        self.decoder_std = _check_decoder_std(decoder_std)
        self.log_decoder_std = None
        if likelihood == "gaussian" and self.decoder_std == "learned":
            self.log_decoder_std = self.add_weight(
                shape=(), initializer="zeros", name="log_decoder_std"
            )
        self.latent_density_components = self._add_latent_density(latent_density_components)

    @property
    def decoder_outputs_logits(self):
        return self.likelihood == "bernoulli"

    # ----------------------------------------------------------- objective
    def log_likelihood(self, x, output):
        """log p(x|z) per image (nats, summed over pixels) for decoder `output`."""
        if self.likelihood == "bernoulli":
            return objectives.bernoulli_log_likelihood(x, output)
        if self.log_decoder_std is not None:
            log_std = self.log_decoder_std
        else:
            log_std = math.log(self.decoder_std)
        return objectives.gaussian_log_likelihood(x, output, log_std)

    def _elbo_terms(self, x, one_hot, eps, training):
        """Per-image `(log p(x|z), KL, mean, log_var, z)` for noise `eps`."""
        mean, log_var = self._posterior(x, one_hot, training)
        z = mean + ops.exp(0.5 * log_var) * ops.cast(eps, "float32")
        output = self.decoder(self._decoder_inputs(z, one_hot), training=training)
        log_px = self.log_likelihood(x, output)
        kl = gaussian_kl(mean, log_var)
        return log_px, kl, mean, log_var, z

    def _posterior(self, x, one_hot, training):
        outputs = self.encoder(self._encoder_inputs(x, one_hot), training=training)
        if not isinstance(outputs, (list, tuple)) or len(outputs) != 2:
            raise ValueError(
                f"{self.__class__.__name__}'s encoder must return [mean, log_var]; it "
                "returned a single tensor. Build it with "
                "keras_gen.networks.conv_encoder(..., variational=True)."
            )
        mean, log_var = outputs
        return ops.cast(mean, "float32"), ops.cast(log_var, "float32")

    def kl_weight(self, training=True):
        """The KL weight of the current step: `beta`, ramped during warm-up."""
        if not training or self.kl_warmup_steps == 0 or not getattr(self, "compiled", False):
            return ops.convert_to_tensor(self.beta, "float32")
        iterations = ops.cast(self.optimizer[self.phase_name].iterations, "float32")
        ramp = ops.minimum(iterations / float(self.kl_warmup_steps), 1.0)
        return self.beta * ramp

    # ------------------------------------------------------------ training
    def phases(self):
        variables = self.encoder.trainable_variables + self.decoder.trainable_variables
        if self.log_decoder_std is not None:
            variables = variables + [self.log_decoder_std]
        return [
            Phase(
                self.phase_name,
                optimizer=self.phase_name,
                variables=variables,
                log_names=("reconstruction_loss", "kl_loss", "elbo"),
            )
        ]

    def default_optimizers(self):
        """Adam(1e-3) for the encoder and decoder (and the learned decoder σ)."""
        return {self.phase_name: keras.optimizers.Adam(1e-3)}

    def compute_phase_loss(self, phase, data, training=True):
        if phase != self.phase_name:
            raise ValueError(f"Unknown phase {phase!r}.")
        x, one_hot = self._unpack(data)
        eps = keras.random.normal((ops.shape(x)[0], self.latent_dim), seed=self.seed_generator)
        log_px, kl, _, _, _ = self._elbo_terms(x, one_hot, eps, training)
        reconstruction = -ops.mean(log_px)
        kl = ops.mean(kl)
        loss = reconstruction + self.kl_weight(training) * kl
        logs = {"reconstruction_loss": reconstruction, "kl_loss": kl, "elbo": -reconstruction - kl}
        return loss, logs

    # ----------------------------------------------------------- inference
    def call(self, inputs, training=False):
        if self.conditional:
            x, one_hot = inputs
        else:
            x, one_hot = inputs, None
        mean, _ = self._posterior(x, one_hot, training)
        output = self.decoder(self._decoder_inputs(mean, one_hot), training=training)
        return objectives.output_to_images(output, self.decoder_outputs_logits)

    def encode(self, x, batch_size=256):
        """The posterior `q(z|x)` of images in [-1, 1].

        Returns:
            `(mean, log_var)`, NumPy arrays `(n, latent_dim)`.
        """
        mean, log_var = self._encode_arrays(x, None, batch_size)
        return mean, log_var

    def decode(self, z, batch_size=256):
        """Decodes codes `(n, latent_dim)` to images in [-1, 1] (NumPy).

        For the Bernoulli likelihood this is the mean image `2 sigmoid(logits)
        - 1`, not a sample of pixels.
        """
        return self._decode_arrays(z, None, batch_size)

    def reconstruct(self, x, batch_size=256):
        """Decodes the posterior mean of `x`: images in [-1, 1] (NumPy)."""
        mean, _ = self.encode(x, batch_size)
        return self.decode(mean, batch_size)

    def generate(self, num_samples, seed=None, batch_size=256, latents=None, prior=None):
        """Samples images by decoding codes drawn from the prior.

        Args:
            num_samples: number of images (0 gives an empty array).
            seed: an int draws the codes with NumPy (same images on every
                backend); None uses the model's seed generator.
            batch_size: codes per decoder call.
            latents: explicit codes `(num_samples, latent_dim)`.
            prior: `"standard"` draws codes from N(0, I); `"fitted"` from
                the latent density (`latent_density_components`, see
                `fit_latent_density`). None: `"fitted"` when the model
                keeps a latent density, else `"standard"`.

        Returns:
            NumPy images in [-1, 1] (decoder means).
        """
        latents = self._generation_codes(num_samples, latents, seed, prior)
        return self._decode_arrays(latents, None, batch_size)

    def _density_codes(self, x, batch_size):
        mean, _ = self.encode(x, batch_size)
        return mean

    # ---------------------------------------------------------- likelihood
    def elbo(self, x, num_samples=1, seed=0, batch_size=256):
        """The evidence lower bound of each image (β = 1, no warm-up), in nats.

        `E_q[log p(x|z)] − KL(q(z|x) || N(0, I))`, the expectation estimated
        with `num_samples` reparameterized draws and the KL in closed form.

        Args:
            x: images in [-1, 1].
            num_samples: draws of z per image.
            seed: int: NumPy noise (the same on every backend); None: the
                model's seed generator.
            batch_size: images per network call.

        Returns:
            float64 NumPy array `(n,)`.
        """
        return self._elbo_arrays(x, None, num_samples, seed, batch_size)

    def importance_weighted_log_likelihood(self, x, num_samples=100, seed=0, batch_size=1000):
        """Importance-weighted lower bound on log p(x) of each image, in nats.

        `log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x)` with `z_i ~ q(z|x)`
        (Burda et al. 2016). With `k = 1` its expectation is the ELBO; it
        tightens as `k` grows and tends to log p(x). Computed in float64
        from the per-sample log-weights, in batches of at most `batch_size`
        decoder calls.

        Args:
            x: images in [-1, 1].
            num_samples: `k`, importance samples per image.
            seed: int: NumPy noise (the same on every backend); None: the
                model's seed generator.
            batch_size: images times samples per decoder call.

        Returns:
            float64 NumPy array `(n,)`.

        Reference:
            Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders",
            ICLR 2016.
        """
        return self._importance_weighted_arrays(x, None, num_samples, seed, batch_size)

    def _noise(self, rng, shape):
        if rng is None:
            return ops.convert_to_numpy(keras.random.normal(shape, seed=self.seed_generator))
        return rng.standard_normal(shape).astype("float32")

    def _elbo_arrays(self, x, one_hot, num_samples, seed, batch_size):
        num_samples = _check_count(num_samples, "num_samples")
        x = self._check_images(x)
        rng = None if seed is None else np.random.default_rng(seed)
        totals = []
        for start in range(0, len(x), batch_size):
            xb = x[start : start + batch_size]
            yb = None if one_hot is None else one_hot[start : start + batch_size]
            total = 0.0
            for _ in range(num_samples):
                eps = self._noise(rng, (len(xb), self.latent_dim))
                log_px, kl, _, _, _ = self._elbo_terms(xb, yb, eps, training=False)
                total = total + ops.convert_to_numpy(log_px).astype("float64")
            totals.append(total / num_samples - ops.convert_to_numpy(kl).astype("float64"))
        return np.concatenate(totals) if totals else np.zeros((0,))

    def _importance_weighted_arrays(self, x, one_hot, num_samples, seed, batch_size):
        k = _check_count(num_samples, "num_samples")
        x = self._check_images(x)
        rng = None if seed is None else np.random.default_rng(seed)
        chunk = max(1, int(batch_size) // k)
        results = []
        for start in range(0, len(x), chunk):
            xb = x[start : start + chunk]
            yb = None if one_hot is None else one_hot[start : start + chunk]
            n = len(xb)
            mean, log_var = self._posterior(xb, yb, training=False)
            mean = ops.convert_to_numpy(mean).astype("float64")
            log_var = ops.convert_to_numpy(log_var).astype("float64")
            eps = self._noise(rng, (k, n, self.latent_dim)).astype("float64")
            z = mean[None] + np.exp(0.5 * log_var)[None] * eps  # (k, n, d)
            z_flat = z.reshape(k * n, self.latent_dim).astype("float32")
            x_rep = np.broadcast_to(xb[None], (k,) + xb.shape).reshape((k * n,) + xb.shape[1:])
            y_rep = None
            if yb is not None:
                y_rep = np.broadcast_to(yb[None], (k,) + yb.shape).reshape(k * n, -1)
            output = self.decoder(self._decoder_inputs(z_flat, y_rep), training=False)
            log_px = ops.convert_to_numpy(self.log_likelihood(x_rep, output))
            log_px = log_px.astype("float64").reshape(k, n)
            log_2pi = math.log(2.0 * math.pi)
            log_pz = -0.5 * np.sum(z**2 + log_2pi, axis=-1)
            log_qz = -0.5 * np.sum(eps**2 + log_var[None] + log_2pi, axis=-1)
            log_w = log_px + log_pz - log_qz
            peak = log_w.max(axis=0)
            results.append(peak + np.log(np.mean(np.exp(log_w - peak), axis=0)))
        return np.concatenate(results) if results else np.zeros((0,))

def _check_count(value, name):
    if int(value) != value or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; received {value!r}.")
    return int(value)
