"""AutoEncoder: a deterministic encoder/decoder trained to reconstruct its input."""

import keras
from keras import ops

from keras_gen.models.vae import objectives
from keras_gen.models.vae.base import AutoEncoderFamily
from keras_gen.trainers import Phase


def check_reconstruction(reconstruction):
    if reconstruction not in objectives.RECONSTRUCTIONS:
        raise ValueError(
            f"Unknown reconstruction {reconstruction!r}; use one of "
            f"{objectives.RECONSTRUCTIONS} (\"bce\" expects a decoder that outputs "
            "logits, the others a decoder that outputs images in [-1, 1])."
        )
    return reconstruction


@keras.saving.register_keras_serializable(package="keras_gen")
class AutoEncoder(AutoEncoderFamily):
    """Autoencoder: `x -> z = encoder(x) -> decoder(z) ≈ x`, one phase, one optimizer.

    The loss is the reconstruction error **summed over pixels and averaged
    over the batch** (logged as `reconstruction_loss`). Images are floats in
    [-1, 1]. With `reconstruction="bce"` the decoder outputs per-pixel logits
    and the targets are `(x + 1) / 2`; with `"mse"` (squared error) or `"l1"`
    (absolute error) it outputs images in [-1, 1] (e.g. `tanh`). `decode` and
    `reconstruct` always return images in [-1, 1].

    An autoencoder has no prior over its codes. Built with
    `latent_density_components=k`, it keeps a Gaussian mixture over them:
    after training, `fit_latent_density(x_train)` fits it to the training
    codes and `generate()` decodes codes drawn from it (ex-post density
    estimation, Ghosh et al. 2020, who sample their deterministic
    autoencoders this way). Without one, `generate()` raises and points to
    this option, `keras_gen.models.VAE` and
    `keras_gen.models.AdversarialAutoencoder`.

    Args:
        encoder: `keras.Model` mapping images to codes `(batch, latent_dim)`
            (e.g. `keras_gen.networks.conv_encoder(..., variational=False)`).
        decoder: `keras.Model` mapping codes to images (or logits for "bce")
            of the data's shape (e.g. `keras_gen.networks.conv_decoder`).
        reconstruction: `"mse"`, `"bce"` or `"l1"`.
        latent_dim: checked against the networks; inferred when None.
        seed: seed of the model's seed generator.
        latent_density_components: keep a Gaussian mixture of this many
            full-covariance components over the codes, for sampling (see
            `fit_latent_density`); it starts as N(0, I) and is saved with
            the weights. None (default): no sampling.

    The default optimizer is Adam(1e-3).

    Example:

    >>> encoder = keras_gen.networks.conv_encoder((28, 28, 1), 16, variational=False)
    >>> decoder = keras_gen.networks.conv_decoder((28, 28, 1), 16, output="tanh")
    >>> model = keras_gen.models.AutoEncoder(encoder, decoder, reconstruction="mse")
    >>> model.compile()
    >>> model.fit(images, batch_size=64, epochs=5)
    >>> codes = model.encode(images[:10])
    >>> images_back = model.decode(codes)

    Reference:
        Ghosh et al., "From Variational to Deterministic Autoencoders",
        ICLR 2020 (ex-post density estimation).
    """

    phase_name = "autoencoder"

    def __init__(
        self, encoder, decoder, reconstruction="mse", latent_dim=None, seed=None,
        latent_density_components=None, **kwargs
    ):
        super().__init__(encoder, decoder, latent_dim=latent_dim, seed=seed, **kwargs)
        self.reconstruction = check_reconstruction(reconstruction)
        self.latent_density_components = self._add_latent_density(latent_density_components)

    @property
    def decoder_outputs_logits(self):
        return self.reconstruction == "bce"

    # ------------------------------------------------------------ training
    def phases(self):
        return [
            Phase(
                self.phase_name,
                optimizer=self.phase_name,
                variables=self.encoder.trainable_variables + self.decoder.trainable_variables,
                log_names=("reconstruction_loss",),
            )
        ]

    def default_optimizers(self):
        """Adam(1e-3) for the encoder and decoder."""
        return {self.phase_name: keras.optimizers.Adam(1e-3)}

    def compute_phase_loss(self, phase, data, training=True):
        if phase != self.phase_name:
            raise ValueError(f"Unknown phase {phase!r}.")
        x, _ = self._unpack(data)
        output = self.decoder(self.encoder(x, training=training), training=training)
        loss = ops.mean(objectives.reconstruction_error(self.reconstruction, x, output))
        return loss, {"reconstruction_loss": loss}

    # ----------------------------------------------------------- inference
    def call(self, x, training=False):
        output = self.decoder(self.encoder(x, training=training), training=training)
        return objectives.output_to_images(output, self.decoder_outputs_logits)

    def encode(self, x, batch_size=256):
        """Encodes images in [-1, 1] to codes.

        Returns:
            NumPy array `(n, latent_dim)`.
        """
        (codes,) = self._encode_arrays(x, None, batch_size)
        return codes

    def decode(self, z, batch_size=256):
        """Decodes codes `(n, latent_dim)` to images in [-1, 1] (NumPy)."""
        return self._decode_arrays(z, None, batch_size)

    def reconstruct(self, x, batch_size=256):
        """`decode(encode(x))`: images in [-1, 1] (NumPy)."""
        return self.decode(self.encode(x, batch_size), batch_size)

    def _density_codes(self, x, batch_size):
        return self.encode(x, batch_size)

    def generate(self, num_samples, seed=None, batch_size=256, latents=None):
        """Samples images by decoding codes drawn from the fitted latent density.

        Only for a model built with `latent_density_components` (see
        `fit_latent_density`; before the fit the density is N(0, I)).

        Args:
            num_samples: number of images (0 gives an empty array).
            seed: an int draws the codes with NumPy (same images on every
                backend); None uses the model's seed generator.
            batch_size: codes per decoder call.
            latents: explicit codes `(num_samples, latent_dim)`.

        Returns:
            NumPy images in [-1, 1].

        Raises:
            NotImplementedError: the model keeps no latent density, so it has
                nothing to sample codes from.
        """
        if self.latent_density_components is None:
            raise NotImplementedError(
                "This AutoEncoder has no distribution over its codes to sample from. Build it "
                "with latent_density_components=10 (say) and call fit_latent_density(x_train) "
                "after training; or use keras_gen.models.VAE or "
                "keras_gen.models.AdversarialAutoencoder; or decode chosen codes with "
                "model.decode(z)."
            )
        latents = self._generation_codes(num_samples, latents, seed, "fitted")
        return self.decode(latents, batch_size)
