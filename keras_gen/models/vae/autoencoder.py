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

    An autoencoder has no prior over its codes, so it cannot sample:
    `generate()` raises and points to `keras_gen.models.VAE` and
    `keras_gen.models.AdversarialAutoencoder`, which can.

    Args:
        encoder: `keras.Model` mapping images to codes `(batch, latent_dim)`
            (e.g. `keras_gen.networks.conv_encoder(..., variational=False)`).
        decoder: `keras.Model` mapping codes to images (or logits for "bce")
            of the data's shape (e.g. `keras_gen.networks.conv_decoder`).
        reconstruction: `"mse"`, `"bce"` or `"l1"`.
        latent_dim: checked against the networks; inferred when None.
        seed: seed of the model's seed generator.

    The default optimizer is Adam(1e-3).

    Example:

    >>> encoder = keras_gen.networks.conv_encoder((28, 28, 1), 16, variational=False)
    >>> decoder = keras_gen.networks.conv_decoder((28, 28, 1), 16, output="tanh")
    >>> model = keras_gen.models.AutoEncoder(encoder, decoder, reconstruction="mse")
    >>> model.compile()
    >>> model.fit(images, batch_size=64, epochs=5)
    >>> codes = model.encode(images[:10])
    >>> images_back = model.decode(codes)
    """

    phase_name = "autoencoder"

    def __init__(
        self, encoder, decoder, reconstruction="mse", latent_dim=None, seed=None, **kwargs
    ):
        super().__init__(encoder, decoder, latent_dim=latent_dim, seed=seed, **kwargs)
        self.reconstruction = check_reconstruction(reconstruction)

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

    def generate(self, *args, **kwargs):
        """Not available: a plain autoencoder has no prior to sample codes from.

        Raises:
            NotImplementedError: use `keras_gen.models.VAE` (Gaussian prior,
                trained with the ELBO) or `keras_gen.models.AdversarialAutoencoder`
                (codes matched to a chosen prior), whose `generate()` samples
                new images; or decode codes of your own with `decode(z)`.
        """
        raise NotImplementedError(
            "AutoEncoder has no prior over its codes, so generate() is not meaningful. "
            "Use keras_gen.models.VAE or keras_gen.models.AdversarialAutoencoder to "
            "sample new images, or decode chosen codes with model.decode(z)."
        )
