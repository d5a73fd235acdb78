"""BicycleGAN: multimodal paired image-to-image translation (cVAE-GAN + cLR-GAN)."""

import keras
import numpy as np
from keras import ops

from keras_gen.losses.divergences import gaussian_kl
from keras_gen.losses.image import l1_loss
from keras_gen.models import validation
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.image_to_image import base
from keras_gen.networks.layout import network_data_format
from keras_gen.trainers import Phase
from keras_gen.trainers.unrolled import current_values

# Keras's batch size for array data when `fit()` is given none.
_KERAS_DEFAULT_BATCH_SIZE = 32


@keras.saving.register_keras_serializable(package="keras_gen")
class BicycleGAN(GenerativeModel):
    """Learns a one-to-many map from input images A to target images B, steered by a latent code.

    Each batch of `(a, b)` pairs is split in two halves. The first half is
    the cVAE-GAN: the encoder `E` maps `b` to a Gaussian `N(μ, σ²)`, a code
    `z_E = μ + σ·ε` is drawn from it and `G(a, z_E)` must rebuild `b`. The
    cLR-GAN draws `z ~ N(0, I)`: `G(a, z)` must look like the second
    half's targets `b'` to its discriminator, and `E` must recover `z` from
    it. As in the reference code, both translate the first half's inputs
    `a` (its author found this mixing of pairs and styles slightly more
    diverse; the second half's inputs are not used). The objective (paper
    eq. 6) is

        min_{G,E} max_{D,D'}  L_GAN^VAE(G, D, E) + λ·L1^VAE(G, E)
                              + L_GAN(G, D') + λ_latent·L1^latent(G, E)
                              + λ_KL·L_KL(E)

    with least-squares GAN losses (summed over the scales of a multi-scale
    discriminator, as the reference code), `L1^VAE = E|b - G(a, z_E)|`,
    `L_KL = E KL(N(μ, σ²) || N(0, I))` (`keras_gen.losses.gaussian_kl`) and
    `L1^latent = E|μ(G(a, z)) - z|`. Two phases per step:

    - `"generator"` (optimizer `"generator"`, the generator's and the
      encoder's weights): `E(D(G(a, z_E)) - 1)² + E(D'(G(a, z)) - 1)² +
      λ·L1^VAE + λ_KL·L_KL + λ_latent·L1^latent`. The latent term reaches
      the generator only: the encoder that reads `G(a, z)` runs on its
      weights as constants (`stateless_call`), so its gradient adds to the
      generator's alone. This is the reference code's update exactly: it
      sums the gradients of the cVAE-GAN/cLR-GAN losses (G and E) and of
      the latent term (G only, E frozen) and takes one Adam step per
      network; one Adam over G and E is the same update as one per network
      (Adam is per weight).
    - `"discriminator"` (optimizer `"discriminator"`, both discriminators):
      `[E(D(b) - 1)² + E D(G(a, z_E))²] + [E(D'(b') - 1)² + E D'(G(a, z))²]`
      on fresh translations of the updated generator (no gradient to it).
      The reference code updates the discriminators after the generator too,
      but on the translations made before the generator's update; its two
      Adams are, again, one Adam over both.

    `D` is `discriminator_encoded`, `D'` `discriminator_random`; both see B
    images only (the paper's default, unconditional on A). The KL term is the mean
    over samples of the KL summed over the code's dimensions; the
    reference code sums it over the half batch, the same at its batch size
    of 2.

    Logs `g_loss` (the generator phase's total), `g_encoded_loss` and
    `g_random_loss` (its two adversarial terms), `l1_loss`, `kl_loss` and
    `latent_loss` (unweighted), `d_loss`, `d_encoded_loss` and
    `d_random_loss`. Batches must have an even size: `fit()` rejects odd
    batches of NumPy data and of pipelines with a static batch size; an
    odd batch of another pipeline (its last one) lends its middle pair to
    both halves. Images are floats in [-1, 1], `(n, h, w, c)`, or `(n, c,
    h, w)` with channels-first networks (built with
    `data_format="channels_first"`; from the same weights a training step
    logs the same losses in either layout). Default optimizers: Adam(2e-4,
    beta_1=0.5, beta_2=0.999) for both, as the reference code.

    Args:
        generator: a `keras.Model` taking `[a, z]`, images `(batch, h, w,
            c_a)` and codes `(batch, latent_dim)`, and returning images B
            `(batch, h, w, c_b)` in [-1, 1], e.g.
            `keras_gen.networks.bicyclegan_generator`. Its code input sets
            `latent_dim` (8 in the paper).
        encoder: a `keras.Model` mapping B images to `[mean, log_var]`, each
            `(batch, latent_dim)`, e.g. `keras_gen.networks.bicyclegan_encoder`.
        discriminator_encoded: `keras.Model` scoring B images (the cVAE-GAN
            half): patch logits `(batch, h', w', 1)` or a list of them, one
            per scale (e.g. `keras_gen.networks.patchgan_discriminator` or
            `multiscale_patchgan_discriminator(..., return_features=False)`;
            the reference code uses two scales).
        discriminator_random: the same for the cLR-GAN half.
        l1_weight: λ of the image reconstruction (10 in the paper).
        kl_weight: λ_KL of the KL term (0.01).
        latent_weight: λ_latent of the latent regression (0.5).
        seed: seed of the model's `keras.random.SeedGenerator` (codes and
            the encoder's samples during training).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> shape = (32, 32, 1)
    >>> generator = keras_gen.networks.bicyclegan_generator(shape, base_filters=16)
    >>> encoder = keras_gen.networks.bicyclegan_encoder(shape, base_filters=16)
    >>> d_encoded = keras_gen.networks.patchgan_discriminator(
    ...     shape, num_layers=2, norm="instance", name="discriminator_encoded")
    >>> d_random = keras_gen.networks.patchgan_discriminator(
    ...     shape, num_layers=2, norm="instance", name="discriminator_random")
    >>> model = keras_gen.models.BicycleGAN(generator, encoder, d_encoded, d_random)
    >>> model.compile()
    >>> a, b = keras_gen.datasets.skeletons2digits("train")
    >>> model.fit(x=a, y=b, batch_size=16, epochs=5)
    >>> outputs = model.translate(a[:8], num_samples=10, seed=0)  # (8, 10, 32, 32, 1)
    >>> styled = model.translate(a[:8], z=model.encode_style(b[:8]))  # (8, 32, 32, 1)

    Reference:
        Zhu et al., "Toward Multimodal Image-to-Image Translation", NeurIPS
        2017 (https://arxiv.org/abs/1711.11586).
    """

    networks = ("generator", "encoder", "discriminator_encoded", "discriminator_random")

    def __init__(
        self,
        generator,
        encoder,
        discriminator_encoded,
        discriminator_random,
        l1_weight=10.0,
        kl_weight=0.01,
        latent_weight=0.5,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.generator = generator
        self.encoder = encoder
        self.discriminator_encoded = discriminator_encoded
        self.discriminator_random = discriminator_random
        self.l1_weight = validation.check_non_negative_number(l1_weight, "l1_weight", " (paper: 10)")
        self.kl_weight = validation.check_non_negative_number(kl_weight, "kl_weight", " (paper: 0.01)")
        self.latent_weight = validation.check_non_negative_number(
            latent_weight, "latent_weight", " (paper: 0.5)"
        )
        self._check_networks()

    # ------------------------------------------------------------ networks
    @property
    def latent_dim(self):
        """Size of the latent code: the generator's code input."""
        return int(self.generator.inputs[1].shape[-1])

    @property
    def input_shape_a(self):
        """`(h, w, c)` of the input images A (the generator's image input)."""
        return tuple(self.generator.inputs[0].shape[1:])

    @property
    def output_shape_b(self):
        """`(h, w, c)` of the images B (the generator's output)."""
        return base.output_image_shape(self.generator)

    def _check_networks(self):
        inputs = getattr(self.generator, "inputs", None) or []
        if len(inputs) != 2 or len(inputs[1].shape) != 2 or inputs[1].shape[-1] is None:
            shapes = [tuple(i.shape) for i in inputs]
            raise ValueError(
                "The BicycleGAN generator must be a functional model taking [image, z], "
                "images (batch, h, w, c) and latent codes (batch, latent_dim); it takes "
                f"{shapes or 'no symbolic inputs'}. Build it with "
                "`keras_gen.networks.bicyclegan_generator(input_shape, latent_dim=8)`."
            )
        latent_dim, shape_b = self.latent_dim, self.output_shape_b
        fix = (
            f"Build it with `keras_gen.networks.bicyclegan_encoder(<B image shape>, "
            f"latent_dim={latent_dim})` (the generator takes codes of size {latent_dim})."
        )
        outputs = getattr(self.encoder, "outputs", None)
        if outputs is not None and (
            len(outputs) != 2
            or any(not validation.same_shape(tuple(o.shape), (None, latent_dim)) for o in outputs)
        ):
            raise ValueError(
                "The BicycleGAN encoder must return [mean, log_var], two tensors of shape "
                f"(batch, {latent_dim}); it returns {[tuple(o.shape) for o in outputs]}. " + fix
            )
        checks = [("encoder", self.encoder)] + [
            (name, getattr(self, name)) for name in ("discriminator_encoded", "discriminator_random")
        ]
        for name, network in checks:
            expected = base.expected_image_shape(network)
            if expected is not None and shape_b is not None and not validation.same_shape(
                expected, shape_b
            ):
                raise ValueError(
                    f"The {name} takes images {expected}, but the generator outputs images "
                    f"B {shape_b}. Build it for the generator's output shape (e.g. "
                    "`output_channels=` of the generator, or the network's `input_shape`)."
                )
        for name in ("discriminator_encoded", "discriminator_random"):
            self._check_discriminator_outputs(name)

    def _check_discriminator_outputs(self, name):
        shapes = validation._output_shapes(getattr(self, name))
        fix = (
            "Build it with `keras_gen.networks.patchgan_discriminator(...)` or "
            "`multiscale_patchgan_discriminator(..., return_features=False)`."
        )
        channels_first = network_data_format(getattr(self, name)) == "channels_first"
        for shape in shapes or []:
            validation.check_logits_shape(shape, name, fix, channels_first=channels_first)

    # ------------------------------------------------------------ training
    def phases(self):
        return [
            Phase(
                "generator",
                optimizer="generator",
                variables=_trainable_variables(self.generator, self.encoder),
                log_names=(
                    "g_loss", "g_encoded_loss", "g_random_loss", "l1_loss", "kl_loss", "latent_loss",
                ),
            ),
            Phase(
                "discriminator",
                optimizer="discriminator",
                # One network may serve as both (the reference code's `use_same_D`).
                variables=_trainable_variables(self.discriminator_encoded, self.discriminator_random),
                log_names=("d_loss", "d_encoded_loss", "d_random_loss"),
            ),
        ]

    def default_optimizers(self):
        """Adam(2e-4, beta_1=0.5, beta_2=0.999) for both optimizers, as the reference code."""
        return {
            "generator": keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999),
            "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999),
        }

    def compute_phase_loss(self, phase, data, training=True):
        a, b = base.split_pair(data, "BicycleGAN")
        self.validate_batch_spec(tuple(a.shape), a.dtype)
        self.validate_target_spec(tuple(b.shape), b.dtype)
        a = validation.guard_images_in_step(self, a, "Input images")
        b = validation.guard_images_in_step(self, b, "Target images")
        # An odd batch (only from a pipeline: `fit` rejects odd NumPy
        # batches) lends its middle pair to both halves.
        size = ops.shape(a)[0]
        half = (size + 1) // 2
        a_encoded, b_encoded, b_random = a[:half], b[:half], b[size - half :]
        mean, log_var = self._encode(b_encoded, training)
        z_encoded = mean + ops.exp(0.5 * log_var) * keras.random.normal(
            ops.shape(mean), seed=self.seed_generator
        )
        z_random = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        if phase == "generator":
            fake_encoded, fake_random = self._translate(a_encoded, z_encoded, z_random, training)
            return self._generator_losses(
                b_encoded, fake_encoded, fake_random, z_random, mean, log_var, training
            )
        if phase == "discriminator":
            fake_encoded, fake_random = self._translate(
                a_encoded, ops.stop_gradient(z_encoded), z_random, training
            )
            return self._discriminator_losses(
                b_encoded, ops.stop_gradient(fake_encoded), b_random,
                ops.stop_gradient(fake_random), training,
            )
        raise ValueError(f"Unknown phase {phase!r}.")

    def _encode(self, images, training):
        mean, log_var = self.encoder(images, training=training)
        return ops.cast(mean, "float32"), ops.cast(log_var, "float32")

    def _translate(self, a, z_encoded, z_random, training):
        """`(G(a, z_encoded), G(a, z_random))` in one generator call."""
        # One call gives the same numbers as two with per-sample
        # normalizations such as the default instance norm.
        fakes = self.generator(
            [ops.concatenate([a, a], axis=0), ops.concatenate([z_encoded, z_random], axis=0)],
            training=training,
        )
        half = ops.shape(a)[0]
        return fakes[:half], fakes[half:]

    def _generator_losses(self, b_encoded, fake_encoded, fake_random, z_random, mean, log_var, training):
        g_encoded = _least_squares(self._logits(self.discriminator_encoded, fake_encoded, training), 1.0)
        g_random = _least_squares(self._logits(self.discriminator_random, fake_random, training), 1.0)
        l1 = l1_loss(b_encoded, fake_encoded)
        kl = ops.mean(gaussian_kl(mean, log_var))
        recovered = self._encoder_mean_as_constant(fake_random, training)
        latent = ops.mean(ops.abs(recovered - z_random))
        total = (
            g_encoded + g_random + self.l1_weight * l1 + self.kl_weight * kl
            + self.latent_weight * latent
        )
        logs = {
            "g_loss": total,
            "g_encoded_loss": g_encoded,
            "g_random_loss": g_random,
            "l1_loss": l1,
            "kl_loss": kl,
            "latent_loss": latent,
        }
        return total, logs

    def _encoder_mean_as_constant(self, images, training):
        """The encoder's mean of `images`, differentiable in the images but not in the encoder's weights."""
        (mean, _), _ = self.encoder.stateless_call(
            current_values(self.encoder.trainable_variables),
            current_values(self.encoder.non_trainable_variables),
            images,
            training=training,
        )
        return ops.cast(mean, "float32")

    def _discriminator_losses(self, b_encoded, fake_encoded, b_random, fake_random, training):
        d_encoded = _least_squares(
            self._logits(self.discriminator_encoded, b_encoded, training), 1.0
        ) + _least_squares(self._logits(self.discriminator_encoded, fake_encoded, training), 0.0)
        d_random = _least_squares(
            self._logits(self.discriminator_random, b_random, training), 1.0
        ) + _least_squares(self._logits(self.discriminator_random, fake_random, training), 0.0)
        d_loss = d_encoded + d_random
        return d_loss, {"d_loss": d_loss, "d_encoded_loss": d_encoded, "d_random_loss": d_random}

    @staticmethod
    def _logits(discriminator, images, training):
        outputs = discriminator(images, training=training)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return [ops.cast(o, "float32") for o in outputs]

    # ------------------------------------------------------------ checking
    def validate_batch_spec(self, shape, dtype):
        validation.check_float_images(dtype, "Input images", "BicycleGAN")
        validation.check_image_spec(
            shape, self.input_shape_a, "Input images", "the generator",
            "Resize the inputs (or add a channel axis with `x[..., None]`), or build the "
            "networks for this image shape.",
        )

    def validate_target_spec(self, shape, dtype):
        """Raises a clear error if target batches of `shape`/`dtype` cannot train."""
        validation.check_float_images(dtype, "Target images", "BicycleGAN")
        validation.check_image_spec(
            shape, self.output_shape_b, "Target images", "the generator's output",
            "Targets must have the generator's output shape: resize them, or build the "
            "generator with `output_channels=` matching the targets.",
        )

    def validate_training_data(self, x, y=None):
        """Inputs and targets, checked against the networks before training starts.

        A `tf.data` pipeline whose batches have a known odd size is rejected
        here; `fit()` checks the batch sizes of NumPy data.
        """
        super().validate_training_data(x, y)
        base.check_second_batch(
            x, y,
            "BicycleGAN trains on (input, target) pairs: call `fit(x=inputs, y=targets)` "
            "or pass a tf.data.Dataset of `(inputs, targets)` tuples.",
            self.validate_target_spec, "Target images (y)", "BicycleGAN",
        )
        spec = validation.data_spec(x)
        if spec is not None and spec[0] and spec[0][0] is not None:
            _check_even_batch(int(spec[0][0]), "The dataset's batches have")

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, **kwargs):
        """Trains the model; see `GenerativeModel.fit`. Every batch must hold an even number of pairs."""
        samples = validation.num_array_samples(x)
        if samples:
            split = kwargs.get("validation_split") or 0.0
            samples = int(samples * (1.0 - split)) if split else samples
            size = batch_size or _KERAS_DEFAULT_BATCH_SIZE
            if samples >= size:
                _check_even_batch(size, f"batch_size={size} makes batches of")
            if samples % size:
                _check_even_batch(
                    samples % size,
                    f"With {samples} training pairs and batch_size={size}, the last batch has",
                )
        return super().fit(
            x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks, **kwargs
        )

    # ---------------------------------------------------------- inference
    def call(self, inputs, training=False):
        """`G([a, z])`."""
        return self.generator(inputs, training=training)

    def _checked_images(self, images, what, expected, network_name):
        images = np.asarray(images)
        validation.check_float_images(images.dtype, what, "BicycleGAN")
        if images.ndim == len(expected):
            images = images[None]
        validation.check_image_spec(
            images.shape, expected, what, network_name,
            "Pass images of that shape (a single image may omit the batch axis).",
        )
        validation.check_image_values(images, what, "BicycleGAN", strict=False)
        return images

    def translate(self, inputs, z=None, num_samples=1, seed=None, batch_size=64):
        """Translates input images A with latent codes: given, or drawn from N(0, I).

        Args:
            inputs: float images in [-1, 1], `(n, h, w, c_a)` (a single
                `(h, w, c_a)` image is given a batch axis).
            z: None to draw `num_samples` codes per input from N(0, I); or
                one code `(latent_dim,)` for every input, or one per input
                `(n, latent_dim)` (e.g. `encode_style(b)`), used as given.
            num_samples: codes drawn per input when `z` is None (>= 1).
            seed: seed of the drawn codes (the same seed gives the same
                codes and outputs); None draws new codes.
            batch_size: images per generator call.

        Returns:
            NumPy images in [-1, 1]: `(n, num_samples, h, w, c_b)` when
            `num_samples > 1` (input `i`'s outputs along axis 1), else
            `(n, h, w, c_b)`.
        """
        images = self._checked_images(inputs, "Images to translate", self.input_shape_a, "the generator")
        n, latent_dim = len(images), self.latent_dim
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        if z is None:
            codes = np.random.default_rng(seed).standard_normal((n, num_samples, latent_dim))
        else:
            if num_samples != 1:
                raise ValueError(
                    f"Pass either z (codes to use) or num_samples={num_samples} (codes to "
                    "draw), not both: for several given codes per input, call translate once "
                    "per code."
                )
            codes = np.asarray(z, dtype="float32")
            if codes.shape == (latent_dim,):
                codes = np.broadcast_to(codes, (n, latent_dim))
            if codes.shape != (n, latent_dim):
                raise ValueError(
                    f"z has shape {codes.shape}, but the generator takes codes of size "
                    f"{latent_dim}: pass one code ({latent_dim},) for every input or one per "
                    f"input ({n}, {latent_dim}), or z=None to draw them."
                )
            codes = codes[:, None]
        repeated = np.repeat(images, num_samples, axis=0)
        flat_codes = codes.reshape(n * num_samples, latent_dim).astype("float32")
        outputs = self.run_in_batches(
            lambda x, c: self.generator([x, c], training=False), [repeated, flat_codes], batch_size
        )
        if num_samples == 1:
            return outputs
        return outputs.reshape((n, num_samples) + outputs.shape[1:])

    def generate(self, inputs, z=None, num_samples=1, seed=None, batch_size=64):
        """Same as `translate`: the samples of a conditional model are translations."""
        return self.translate(inputs, z=z, num_samples=num_samples, seed=seed, batch_size=batch_size)

    def encode_style(self, images, batch_size=64):
        """The encoder's mean code of target images B: NumPy `(n, latent_dim)`.

        `translate(a, z=encode_style(b))` renders the inputs `a` in the
        styles of `b` (the paper's encoded-style translation).
        """
        images = self._checked_images(images, "Images to encode", self.output_shape_b, "the encoder")
        return self.run_in_batches(
            lambda x: self._encode(x, training=False)[0], [images], batch_size
        )


def _least_squares(logits, target):
    """`Σ_scales mean((logits - target)²)`: the reference code's LSGAN term (MSE), summed over scales."""
    return sum(ops.mean(ops.square(scale - target)) for scale in logits)


def _trainable_variables(*networks):
    """The trainable variables of `networks`, each once."""
    variables, seen = [], set()
    for network in networks:
        for variable in network.trainable_variables:
            if id(variable) not in seen:
                seen.add(id(variable))
                variables.append(variable)
    return variables


def _check_even_batch(size, what):
    if size % 2:
        raise ValueError(
            f"{what} {size} pair{'s' if size != 1 else ''}, an odd number: BicycleGAN splits "
            "every batch in two halves (cVAE-GAN and cLR-GAN). Use an even batch_size (the "
            "reference code: 2), and a number of training pairs that leaves an even last "
            "batch (or drop the extra pair)."
        )
