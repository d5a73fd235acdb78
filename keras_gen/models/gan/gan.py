"""GAN: an unconditional generator/discriminator pair trained with `fit()`."""

import keras
import numpy as np
from keras import ops

from keras_gen import losses as losses_module
from keras_gen.layers.diff_augment import DiffAugment
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.validation import check_float_images
from keras_gen.models.validation import check_image_spec
from keras_gen.networks.biggan import truncated_normal_latents
from keras_gen.trainers import Phase

GRADIENT_PENALTIES = ("wgan_gp", "r1")
_DEFAULT_PENALTY_WEIGHTS = {"wgan_gp": 10.0, "r1": 10.0}


def latent_dim_of(generator):
    """The size of a generator's (first) latent input, or None if unknown."""
    shape = generator.inputs[0].shape if getattr(generator, "inputs", None) else None
    if shape is None or len(shape) != 2:
        return None
    return shape[-1]


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(GenerativeModel):
    """Generative adversarial network with a choice of objective and penalty.

    Each training step runs the discriminator phase `discriminator_steps`
    times (fresh latent noise each time, same real batch), then the generator
    phase `generator_steps` times. Images are expected as floats in [-1, 1]
    (the range of a tanh generator); see `keras_gen.datasets.scale_images`.

    Args:
        generator: a `keras.Model` mapping `(batch, latent_dim)` to samples.
        discriminator: a `keras.Model` mapping samples to logits `(batch, 1)`.
        latent_dim: size of the latent vector; inferred from the generator's
            input when None, and checked against it when given.
        loss: adversarial objective, a name from `keras_gen.losses.names()`
            (`"minimax"`, `"non_saturating"`, `"least_squares"`,
            `"wasserstein"`, `"hinge"`) or a `keras_gen.losses.AdversarialLoss`.
        gradient_penalty: None, `"wgan_gp"` (Gulrajani et al. 2017) or `"r1"`
            (Mescheder et al. 2018).
        penalty_weight: λ for WGAN-GP (paper: 10) or γ for R1 (paper: 10).
        penalty_interval: apply the penalty every this many discriminator
            updates, scaled by the interval (lazy regularization, Karras et
            al. 2020 use 16 for R1). The penalty is computed every step and
            masked, so this changes the objective, not the cost.
        discriminator_steps: discriminator updates per step (WGAN: 5).
        generator_steps: generator updates per step.
        weight_clip: clip discriminator weights to [-c, c] after each update
            (original WGAN, Arjovsky et al. 2017: c = 0.01).
        ema_decay: keep an exponential moving average of the generator
            (see `enable_ema`); `generate()` then uses the average.
        augmentation: differentiable augmentation of every image the
            discriminator sees, real and fake, in both phases (Zhao et al.
            2020): a `keras_gen.layers.DiffAugment` or its policy string, e.g.
            `"color,translation,cutout"`; None for none.
        seed: seed for the latent noise.

    Regularization losses of the networks (`model.losses`, e.g. BigGAN's
    `keras_gen.losses.OrthogonalRegularizer` on the generator's kernels) are
    added to that network's phase loss and logged as `g_reg` / `d_reg`.

    Default optimizers are Adam(2e-4, beta_1=0.5) for both networks (Radford
    et al. 2016). Recommended instead: WGAN-GP Adam(1e-4, beta_1=0,
    beta_2=0.9) with 5 critic steps; WGAN with clipping RMSprop(5e-5);
    SAGAN/hinge Adam(1e-4 G, 4e-4 D, beta_1=0, beta_2=0.9).

    BigGAN techniques (Brock et al. 2019) are options: orthogonal
    initialization and regularization in the networks
    (`keras_gen.networks.biggan_generator(orthogonal_regularization=1e-4)`),
    `discriminator_steps=2`, and truncation at sampling time,
    `generate(n, truncation=0.5)`.

    Example:

    >>> generator = keras_gen.networks.mlp_generator(latent_dim=2)
    >>> discriminator = keras_gen.networks.mlp_discriminator()
    >>> gan = keras_gen.models.GAN(generator, discriminator, loss="hinge")
    >>> gan.compile()
    >>> gan.fit(samples, batch_size=256, epochs=10)
    >>> images = gan.generate(16, seed=0)

    References:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
        Radford et al., "Unsupervised Representation Learning with Deep
        Convolutional GANs", ICLR 2016.
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        loss="non_saturating",
        gradient_penalty=None,
        penalty_weight=None,
        penalty_interval=1,
        discriminator_steps=1,
        generator_steps=1,
        weight_clip=None,
        ema_decay=None,
        augmentation=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        inferred = latent_dim_of(generator)
        if latent_dim is None:
            if inferred is None:
                raise ValueError(
                    "Could not infer `latent_dim` from the generator's input; pass "
                    "`latent_dim=` explicitly."
                )
            latent_dim = inferred
        elif inferred is not None and int(latent_dim) != int(inferred):
            raise ValueError(
                f"latent_dim={latent_dim} does not match the generator's input size "
                f"{inferred}. Pass latent_dim={inferred} (or leave it out)."
            )
        self.latent_dim = int(latent_dim)
        self.adversarial_loss = losses_module.get(loss)
        self.loss_name = loss if isinstance(loss, str) else self.adversarial_loss.name
        if gradient_penalty is not None and gradient_penalty not in GRADIENT_PENALTIES:
            raise ValueError(
                f"Unknown gradient_penalty {gradient_penalty!r}. Use one of "
                f"{list(GRADIENT_PENALTIES)} or None."
            )
        self.gradient_penalty = gradient_penalty
        if penalty_weight is None:
            penalty_weight = _DEFAULT_PENALTY_WEIGHTS.get(gradient_penalty, 0.0)
        self.penalty_weight = float(penalty_weight)
        self.penalty_interval = _positive_int(penalty_interval, "penalty_interval")
        self.discriminator_steps = _positive_int(discriminator_steps, "discriminator_steps")
        self.generator_steps = _positive_int(generator_steps, "generator_steps")
        if weight_clip is not None and weight_clip <= 0:
            raise ValueError(f"weight_clip must be positive or None; received {weight_clip}.")
        self.weight_clip = weight_clip
        self.augmentation = _augmentation_layer(augmentation, seed)
        if self.augmentation is not None and not self.augmentation.built:
            # Built now from the discriminator's input: an unbuilt layer would
            # make `fit()` trace the model's `call` on the training images.
            self.augmentation.build(_image_input_shape(discriminator))
        if ema_decay is not None:
            self.enable_ema(ema_decay)
        self._finish_init()

    # ------------------------------------------------------------ training
    def phases(self):
        constraint = None
        if self.weight_clip is not None:
            clip = float(self.weight_clip)
            constraint = lambda value: ops.clip(value, -clip, clip)  # noqa: E731
        discriminator_logs = ("d_loss",)
        if self.gradient_penalty is not None:
            discriminator_logs += (self.gradient_penalty,)
        if self.discriminator.losses:
            discriminator_logs += ("d_reg",)
        generator_logs = ("g_loss",) + (("g_reg",) if self.generator.losses else ())
        return [
            Phase(
                "discriminator",
                optimizer="discriminator",
                variables=self.discriminator.trainable_variables,
                repeats=self.discriminator_steps,
                log_names=discriminator_logs,
                constraint=constraint,
            ),
            Phase(
                "generator",
                optimizer="generator",
                variables=self.generator.trainable_variables,
                repeats=self.generator_steps,
                log_names=generator_logs,
            ),
        ]

    def ema_source(self):
        return self.generator

    def default_optimizers(self):
        return {
            "generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
            "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5),
        }

    def compile(self, generator_optimizer=None, discriminator_optimizer=None, **kwargs):
        """Configures training.

        Args:
            generator_optimizer: optimizer for the generator (default
                Adam(2e-4, beta_1=0.5), Radford et al. 2016).
            discriminator_optimizer: optimizer for the discriminator (same
                default).
            **kwargs: `run_eagerly`, `jit_compile`, `steps_per_execution`.
        """
        self._compile_optimizers(
            {"generator": generator_optimizer, "discriminator": discriminator_optimizer},
            **kwargs,
        )

    def sample_latents(self, batch_size):
        """Latent vectors drawn from N(0, I) with the model's seed generator."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def real_samples(self, data):
        """Extracts the batch of real samples from what `fit()` passes."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, dict):
            x = x.get("image", x.get("images"))
        self.validate_batch_spec(tuple(x.shape), x.dtype)
        return x

    def augment(self, images, training=True):
        """Applies the model's differentiable augmentation (identity if none)."""
        if self.augmentation is None:
            return images
        return self.augmentation(images, training=training)

    def regularization_loss(self, model):
        """The sum of `model.losses` as a scalar (0 when it has none)."""
        if not model.losses:
            return ops.zeros(())
        return ops.sum(ops.stack([ops.cast(ops.sum(loss), "float32") for loss in model.losses]))

    def add_regularization(self, model, loss, logs, log_name):
        """Adds `model`'s regularization losses to `loss`, logging them as `log_name`."""
        if not model.losses:
            return loss
        regularization = self.regularization_loss(model)
        logs[log_name] = regularization
        return loss + regularization

    def fake_samples(self, batch_size, phase, training=True):
        """Generated samples for one phase of a train (or evaluation) step."""
        return self.generator(self.sample_latents(batch_size), training=training)

    def compute_phase_loss(self, phase, data, training=True):
        real = self.real_samples(data)
        if phase not in ("discriminator", "generator"):
            raise ValueError(f"Unknown phase {phase!r}.")
        fake = self.fake_samples(ops.shape(real)[0], phase, training)
        if phase == "discriminator":
            fake = ops.stop_gradient(fake)
            real = self.augment(real, training)
            fake = self.augment(fake, training)
            real_logits = self.discriminator(real, training=training)
            fake_logits = self.discriminator(fake, training=training)
            d_loss = self.adversarial_loss.discriminator(real_logits, fake_logits)
            logs = {"d_loss": d_loss}
            critic = lambda x: self.discriminator(x, training=training)  # noqa: E731
            return self.finish_discriminator_loss(d_loss, logs, critic, real, fake), logs
        fake = self.augment(fake, training)
        g_loss = self.adversarial_loss.generator(self.discriminator(fake, training=training))
        logs = {"g_loss": g_loss}
        return self.add_regularization(self.generator, g_loss, logs, "g_reg"), logs

    def finish_discriminator_loss(self, loss, logs, critic, real, fake):
        """Adds the gradient penalty and the discriminator's regularization to `loss`.

        Args:
            loss: the adversarial (and any auxiliary) discriminator loss.
            logs: dict of logged values, updated with the penalty and `d_reg`.
            critic: `fn(images) -> logits`, the discriminator as the penalty
                sees it (a conditional model binds the labels here).
            real: the (augmented) real images the discriminator saw.
            fake: the (augmented) generated images.

        Returns:
            The total discriminator loss.
        """
        if self.gradient_penalty is not None:
            penalty = self.gradient_penalty_value(critic, real, fake)
            logs[self.gradient_penalty] = penalty
            loss = loss + self._penalty_scale() * penalty
        return self.add_regularization(self.discriminator, loss, logs, "d_reg")

    def gradient_penalty_value(self, critic, real, fake):
        """The unweighted WGAN-GP or R1 penalty of `critic` on (augmented) images."""
        real = ops.cast(real, "float32")
        if self.gradient_penalty == "wgan_gp":
            return losses_module.gradient_penalty(critic, real, fake, seed=self.seed_generator)
        # gamma=2 makes the returned value E‖∇D(x)‖², weighted by γ/2 below.
        return losses_module.r1_penalty(critic, real, gamma=2.0)

    def _penalty_scale(self):
        # R1's γ/2 and WGAN-GP's λ both come from penalty_weight; the logged
        # penalty is unweighted. With lazy regularization the penalty counts
        # every `penalty_interval` discriminator updates, scaled up to match.
        weight = self.penalty_weight
        if self.gradient_penalty == "r1":
            weight = 0.5 * weight
        if self.penalty_interval == 1:
            return weight
        iterations = self.optimizer["discriminator"].iterations
        active = ops.cast(ops.equal(iterations % self.penalty_interval, 0), "float32")
        return weight * self.penalty_interval * active

    # ------------------------------------------------------------ checking
    def validate_batch_spec(self, shape, dtype):
        check_float_images(dtype, "Real samples", self.__class__.__name__)
        expected = tuple(self.discriminator.inputs[0].shape[1:]) if self.discriminator.inputs else None
        check_image_spec(
            shape, expected, "Real samples", "the discriminator",
            "Resize or reshape the data (e.g. add a channel axis with `x[..., None]`), "
            "or build the networks for this shape.",
        )

    # ----------------------------------------------------------- sampling
    def call(self, latents, training=False):
        return self.generator(latents, training=training)

    def generate_from_latents(self, latents, use_ema=True):
        """Generates samples for given latent vectors (see `generate`)."""
        return self.generate(len(latents), latents=latents, use_ema=use_ema)

    def latents_for(self, num_samples, seed=None, truncation=None):
        """Latent vectors for `generate` as a float32 NumPy array.

        An int `seed` or a `truncation` draws them with NumPy (the same on
        every backend; `truncation=t` resamples entries with |z| > t, BigGAN's
        truncation trick); otherwise they come from the model's seed generator.
        """
        if seed is None and truncation is None:
            return ops.convert_to_numpy(self.sample_latents(num_samples))
        return truncated_normal_latents(num_samples, self.latent_dim, truncation, seed)

    def generate(
        self, num_samples, seed=None, batch_size=256, latents=None, truncation=None, use_ema=True
    ):
        """Generates samples as a NumPy array.

        Args:
            num_samples: number of samples.
            seed: an int gives the same latents (NumPy normal) and images on
                every backend; None draws new latents from the model's seed
                generator.
            batch_size: samples per generator call.
            latents: explicit latent vectors `(num_samples, latent_dim)`.
            truncation: the truncation trick (Brock et al. 2019): draw each
                latent entry from N(0, 1) truncated to [-t, t]. Smaller `t`
                gives less varied, more typical samples; None, no truncation.
            use_ema: use the moving average of the generator when one is
                kept (`ema_decay` or `keras_gen.callbacks.GeneratorEMA`).

        Returns:
            NumPy array of `num_samples` samples (images in [-1, 1]).

        Example:

        >>> typical = gan.generate(64, seed=0, truncation=0.5)
        """
        if latents is None:
            latents = self.latents_for(num_samples, seed, truncation)
        latents = np.asarray(latents, dtype="float32")
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim:
            raise ValueError(
                f"latents must have shape (num_samples, {self.latent_dim}); "
                f"received {latents.shape}."
            )
        generator = self.ema_model if (use_ema and self.ema_model is not None) else self.generator
        outputs = [
            ops.convert_to_numpy(generator(latents[i : i + batch_size], training=False))
            for i in range(0, len(latents), batch_size)
        ]
        return np.concatenate(outputs, axis=0)

    # ------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "latent_dim": self.latent_dim,
                "loss": self.loss_name,
                "gradient_penalty": self.gradient_penalty,
                "penalty_weight": self.penalty_weight,
                "penalty_interval": self.penalty_interval,
                "discriminator_steps": self.discriminator_steps,
                "generator_steps": self.generator_steps,
                "weight_clip": self.weight_clip,
                "ema_decay": self.ema_decay,
                "augmentation": (
                    None
                    if self.augmentation is None
                    else keras.saving.serialize_keras_object(self.augmentation)
                ),
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(
                config[key], custom_objects=custom_objects
            )
        if isinstance(config.get("augmentation"), dict):
            config["augmentation"] = keras.saving.deserialize_keras_object(
                config["augmentation"], custom_objects=custom_objects
            )
        return cls(**config)


def _image_input_shape(discriminator):
    inputs = getattr(discriminator, "inputs", None)
    if not inputs:
        raise ValueError(
            "`augmentation` needs a discriminator with a known image input "
            "(a functional or Sequential model with an `Input`)."
        )
    return tuple(inputs[0].shape)


def _augmentation_layer(augmentation, seed):
    if augmentation is None or isinstance(augmentation, DiffAugment):
        return augmentation
    if isinstance(augmentation, str):
        return DiffAugment(augmentation, seed=seed)
    raise TypeError(
        "`augmentation` must be None, a policy string such as "
        "'color,translation,cutout', or a keras_gen.layers.DiffAugment; "
        f"received {type(augmentation).__name__}."
    )


def _positive_int(value, name):
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer; received {value!r}.")
    return int(value)
