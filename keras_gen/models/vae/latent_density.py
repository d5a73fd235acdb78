"""Ex-post density estimation of an autoencoder's codes (Ghosh et al. 2020).

`LatentDensity` is shared by the unconditional models of the autoencoder
family (`AutoEncoder`, `AdversarialAutoencoder`, `VAE`): built with
`latent_density_components=k`, a model keeps a full-covariance Gaussian
mixture of `k` components over its codes, saved with its weights.
`fit_latent_density(x)` fits it to the codes of the training images after
training, and `generate()` then draws codes from it instead of the prior the
model was trained with. The networks are unchanged.

Decoding codes drawn from the training prior lands where the decoder saw no
code whenever the codes do not fill the prior, and those samples are blurred
or ambiguous. A mixture fitted to the codes themselves avoids those regions:
on the embedded digits it takes the digits FID of 1,000 samples from about 83
to about 18 for `vae_mnist`, and from 51.5 to about 24 for `aae_mnist`.
"""

import keras
import numpy as np
from keras import ops

from keras_gen.models import validation

PRIORS = ("standard", "fitted")


class LatentDensity:
    """Mixin of the autoencoder family: the latent mixture, its fit and its samples.

    A subclass calls `_add_latent_density(components)` in its constructor,
    provides `_density_codes(x, batch_size)` (the deterministic code of
    each image: the code itself, or the posterior mean of a VAE) and draws
    generation codes with `_generation_codes`.
    """

    latent_density_components = None

    def _add_latent_density(self, components):
        """Creates the mixture's variables; returns the number of components, or None."""
        if components is None:
            return None
        components = validation.check_positive_int(components, "`latent_density_components`")
        if self.conditional:
            raise ValueError(
                "`latent_density_components` is an option of the unconditional models; a "
                f"{self.__class__.__name__} samples N(0, I) codes for each class. Leave it None."
            )
        k, d = components, self.latent_dim
        # Before fitting: k equal components N(0, I), i.e. the standard normal.
        self.latent_density_weights = self.add_weight(
            shape=(k,), initializer=keras.initializers.Constant(1.0 / k), trainable=False,
            name="latent_density_weights")
        self.latent_density_means = self.add_weight(
            shape=(k, d), initializer="zeros", trainable=False, name="latent_density_means")
        self.latent_density_cholesky = self.add_weight(
            shape=(k, d, d), initializer=keras.initializers.Constant(np.eye(d)[None].repeat(k, 0)),
            trainable=False, name="latent_density_cholesky")
        return k

    def _density_codes(self, x, batch_size):
        """The code of each image of `x` that the mixture is fitted to (NumPy `(n, latent_dim)`)."""
        raise NotImplementedError

    def fit_latent_density(self, x, seed=0, batch_size=256, max_iterations=500):
        """Fits the latent density to the codes of images `x` (the training set).

        Ex-post density estimation (Ghosh et al. 2020): a full-covariance
        Gaussian mixture of `latent_density_components` components, fitted by
        EM in float64 (`keras_gen.utils.fit_gaussian_mixture`) to the codes
        of `x` (a VAE's posterior means), replaces the training prior as the
        distribution `generate()` draws codes from. The networks are
        unchanged.

        Args:
            x: images in [-1, 1], `(n, height, width, channels)`, n at least
                the number of components.
            seed: seed of the mixture's initialisation.
            batch_size: images per encoder call.
            max_iterations: most EM iterations.

        Returns:
            The mean log-density of the codes under the fitted mixture (nats).

        Example:

        >>> model = keras_gen.models.AdversarialAutoencoder(
        ...     encoder, decoder, critic, latent_density_components=10)
        >>> model.compile(); model.fit(x_train, epochs=50)
        >>> model.fit_latent_density(x_train)
        >>> samples = model.generate(64, seed=0)  # codes from the fitted mixture
        """
        from keras_gen.utils.gaussian_mixture import fit_gaussian_mixture

        self._require_latent_density()
        codes = self._density_codes(x, batch_size)
        fit = fit_gaussian_mixture(codes, self.latent_density_components, seed=seed,
                                   max_iterations=max_iterations)
        self.latent_density_weights.assign(fit.weights.astype("float32"))
        self.latent_density_means.assign(fit.means.astype("float32"))
        self.latent_density_cholesky.assign(np.linalg.cholesky(fit.covariances).astype("float32"))
        return fit.log_likelihood

    def _require_latent_density(self):
        if self.latent_density_components is None:
            raise ValueError(
                f"This {self.__class__.__name__} keeps no latent density: build it with "
                "latent_density_components=10 (say) and call fit_latent_density(x) after "
                "training.")

    def _density_latents(self, num_samples, seed):
        from keras_gen.utils.gaussian_mixture import sample_gaussian_mixture

        if seed is None:  # a NumPy seed from the model's seed generator
            seed = int(ops.convert_to_numpy(
                keras.random.randint((), 0, 2**31 - 1, seed=self.seed_generator)))
        codes = sample_gaussian_mixture(
            ops.convert_to_numpy(self.latent_density_weights),
            ops.convert_to_numpy(self.latent_density_means),
            ops.convert_to_numpy(self.latent_density_cholesky),
            num_samples, np.random.default_rng(seed))
        return codes.astype("float32")

    def _generation_codes(self, num_samples, latents, seed, prior, standard=None):
        """Codes for `generate()`: `latents` checked, or drawn from the chosen distribution.

        Args:
            prior: `"standard"` (the training prior, drawn by `standard`,
                default N(0, I)), `"fitted"` (the latent density) or None
                (`"fitted"` when the model keeps a latent density).
            standard: `fn(num_samples, seed)` drawing from the training prior.
        """
        if prior is None:
            prior = "standard" if self.latent_density_components is None else "fitted"
        if prior not in PRIORS:
            raise ValueError(f'`prior` must be "standard", "fitted" or None; received {prior!r}.')
        if prior == "fitted":
            self._require_latent_density()
        draw = self._density_latents if prior == "fitted" else standard
        return self._codes_for(num_samples, latents, seed, draw=draw)
