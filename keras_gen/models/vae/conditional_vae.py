"""ConditionalVAE: a VAE whose encoder and decoder both see the class label."""

import keras
import numpy as np

from keras_gen.models.vae.vae import VAE


def _infer_num_classes(encoder, num_classes):
    inputs = getattr(encoder, "inputs", None)
    inferred = None
    if inputs is not None and len(inputs) == 2 and inputs[1].shape[-1] is not None:
        inferred = int(inputs[1].shape[-1])
    if num_classes is None:
        if inferred is None:
            raise ValueError(
                "Could not infer `num_classes` from the encoder's label input; pass "
                "`num_classes=` (and build the encoder with "
                "keras_gen.networks.conv_encoder(..., num_classes=...))."
            )
        return inferred
    if int(num_classes) != num_classes or num_classes < 2:
        raise ValueError(f"`num_classes` must be an integer >= 2; received {num_classes!r}.")
    return int(num_classes)


@keras.saving.register_keras_serializable(package="keras_gen")
class ConditionalVAE(VAE):
    """Conditional VAE: `q(z|x, y)`, `p(x|z, y)`, prior `p(z) = N(0, I)`.

    The same objective as `keras_gen.models.VAE` (same likelihoods, β, KL
    warm-up and logs), with the class label given to both networks as a
    one-hot vector: the encoder takes `[images, one_hot]`, the decoder
    `[z, one_hot]` (see `keras_gen.networks.conv_encoder(..., num_classes=)`
    and `conv_decoder(..., num_classes=)`). Train with `fit(x, y)` where `y`
    holds class indices `(n,)` (or one-hot rows), or with a dataset of
    `(images, labels)`; `generate(n, labels=...)` draws images of the
    requested classes.

    Labels out of range raise a `ValueError` in `fit` (for NumPy labels,
    before training), `generate`, `encode`, `decode`. Labels from a
    `tf.data` pipeline are checked inside every step: a batch with an index
    outside `[0, num_classes)` (or a row that is not one-hot) is not trained
    on, and `fit()` stops with a `ValueError` naming the step and the label.

    Args:
        encoder: `keras.Model` `[images, one_hot] -> [mean, log_var]`.
        decoder: `keras.Model` `[z, one_hot] -> logits or images`.
        latent_dim: checked against the networks; inferred when None.
        num_classes: number of classes; inferred from the encoder's label
            input when None.
        beta, likelihood, kl_warmup_steps, decoder_std, seed: as in
            `keras_gen.models.VAE`.

    Example:

    >>> encoder = keras_gen.networks.conv_encoder((28, 28, 1), 16, num_classes=10)
    >>> decoder = keras_gen.networks.conv_decoder((28, 28, 1), 16, num_classes=10)
    >>> cvae = keras_gen.models.ConditionalVAE(encoder, decoder, num_classes=10)
    >>> cvae.compile()
    >>> cvae.fit(images, labels, batch_size=100, epochs=20)
    >>> sevens = cvae.generate(8, labels=7, seed=0)

    Reference:
        Sohn, Lee & Yan, "Learning Structured Output Representation using
        Deep Conditional Generative Models", NeurIPS 2015; Kingma et al.,
        "Semi-Supervised Learning with Deep Generative Models", NeurIPS 2014.
    """

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim=None,
        num_classes=None,
        beta=1.0,
        likelihood="bernoulli",
        kl_warmup_steps=0,
        decoder_std="learned",
        seed=None,
        **kwargs,
    ):
        super().__init__(
            encoder,
            decoder,
            latent_dim=latent_dim,
            beta=beta,
            likelihood=likelihood,
            kl_warmup_steps=kl_warmup_steps,
            decoder_std=decoder_std,
            seed=seed,
            num_classes=_infer_num_classes(encoder, num_classes),
            **kwargs,
        )

    # ----------------------------------------------------------- inference
    def encode(self, x, labels, batch_size=256):
        """The posterior `q(z|x, y)`.

        Args:
            x: images in [-1, 1].
            labels: class indices `(n,)`, one int for all, or one-hot rows.

        Returns:
            `(mean, log_var)`, NumPy arrays `(n, latent_dim)`.
        """
        one_hot = self._labels_for(labels, len(x))
        mean, log_var = self._encode_arrays(x, one_hot, batch_size)
        return mean, log_var

    def decode(self, z, labels, batch_size=256):
        """Decodes codes `(n, latent_dim)` for `labels` to images in [-1, 1]."""
        one_hot = self._labels_for(labels, len(z))
        return self._decode_arrays(z, one_hot, batch_size)

    def reconstruct(self, x, labels, batch_size=256):
        """Decodes the posterior mean of `x` given its labels: images in [-1, 1]."""
        mean, _ = self.encode(x, labels, batch_size)
        return self.decode(mean, labels, batch_size)

    def generate(self, num_samples, labels=None, seed=None, batch_size=256, latents=None):
        """Samples images of the requested classes from the prior N(0, I).

        Args:
            num_samples: number of images.
            labels: an int (every image of that class), class indices
                `(num_samples,)`, or None for classes `0, 1, ..., 0, 1, ...`
                in turn.
            seed: int: NumPy codes (the same on every backend); None: the
                model's seed generator.
            batch_size: codes per decoder call.
            latents: explicit codes `(num_samples, latent_dim)`.

        Returns:
            NumPy images in [-1, 1].
        """
        latents = self._codes_for(num_samples, latents, seed)
        if labels is None:
            labels = np.arange(len(latents)) % self.num_classes
        one_hot = self._labels_for(labels, len(latents))
        return self._decode_arrays(latents, one_hot, batch_size)

    def elbo(self, x, labels, num_samples=1, seed=0, batch_size=256):
        """Per-image ELBO of log p(x|y) in nats; see `keras_gen.models.VAE.elbo`."""
        one_hot = self._labels_for(labels, len(x))
        return self._elbo_arrays(x, one_hot, num_samples, seed, batch_size)

    def importance_weighted_log_likelihood(
        self, x, labels, num_samples=100, seed=0, batch_size=1000
    ):
        """Per-image importance-weighted bound on log p(x|y) in nats.

        See `keras_gen.models.VAE.importance_weighted_log_likelihood`.
        """
        one_hot = self._labels_for(labels, len(x))
        return self._importance_weighted_arrays(x, one_hot, num_samples, seed, batch_size)
