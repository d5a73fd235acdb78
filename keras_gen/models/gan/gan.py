"""GAN: an unconditional generator/discriminator pair trained with `fit()`."""

import keras
import numpy as np
from keras import ops

from keras_gen import losses as losses_module
from keras_gen.models import validation
from keras_gen.models.gan import options
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.validation import check_float_images
from keras_gen.models.validation import check_image_spec
from keras_gen.models.validation import check_positive_int
from keras_gen.models.validation import check_sample_count
from keras_gen.networks.biggan import truncated_normal_latents
from keras_gen.networks.layout import network_data_format
from keras_gen.trainers import Phase
from keras_gen.trainers import unrolled

GRADIENT_PENALTIES = ("wgan_gp", "r1", "r2")
_DEFAULT_PENALTY_WEIGHTS = {"wgan_gp": 10.0, "r1": 10.0, "r2": 10.0}


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
            `"wasserstein"`, `"hinge"`, `"relativistic_average"` (RaSGAN),
            `"relativistic_average_least_squares"` (RaLSGAN); Jolicoeur-Martineau
            2019) or a `keras_gen.losses.AdversarialLoss`. For an objective
            with `needs_real_logits` (the relativistic ones) the generator
            step also runs the discriminator on the real batch (augmented
            the same way, with its condition); the others compute exactly
            what they did without it.
        gradient_penalty: None, `"wgan_gp"` (Gulrajani et al. 2017), `"r1"`
            (on real data) or `"r2"` (on generated data; Mescheder et al. 2018).
        penalty_weight: λ for WGAN-GP (paper: 10) or γ for R1/R2 (paper: 10);
            a finite number >= 0, only with a `gradient_penalty`.
        penalty_interval: apply the penalty every this many training steps,
            scaled by the interval, as its own discriminator update (lazy
            regularization; Karras et al. 2020 use 16 for R1; R2 the same).
            On the other steps the penalty is not computed at all.
        penalty_target: the gradient norm t WGAN-GP pulls towards (paper: 1);
            a finite number > 0, only with `gradient_penalty="wgan_gp"`.
        penalty_one_sided: WGAN-GP penalises only norms above the target,
            `max(0, ‖∇D‖ - t)²` (Petzka et al. 2018; default False, the
            paper's two-sided `(‖∇D‖ - t)²`).
        penalty_normalized: WGAN-GP penalises `(‖∇D‖/t - 1)²` instead of
            `(‖∇D‖ - t)²`, the progressive-GAN form (Karras et al. 2018 use
            t = 750 on CIFAR-10; also TF-GAN's `target` convention). Default
            False.
        label_smoothing: one-sided label smoothing s of the discriminator
            (Salimans et al. 2016): real targets become 1 - s, fake targets
            stay 0. In [0, 1); default 0 (none); the paper's example is 0.1.
            Only for the sigmoid cross-entropy objectives (`"minimax"`,
            `"non_saturating"`, `"relativistic_average"`). TF-GAN's
            `modified_discriminator_loss` defaults to 0.25 in `tf.losses`'
            convention (target 1 - s/2 = 0.875), which is 0.125 here.
        feature_matching: None, or the weight of a feature-matching term
            ‖E f(x) - E f(G(z))‖² added to the generator's loss (Salimans
            et al. 2016, sec. 3.1, who train on it alone; here it is added to
            the adversarial loss) and logged as `g_feature_matching`; f is
            the output of the discriminator layer `feature_layer`.
        feature_layer: the name of the discriminator layer whose output is
            f; None takes the input of the discriminator's last `Dense`
            layer (the output of the layer before it). Only with
            `feature_matching`; needs a functional or Sequential
            discriminator.
        discriminator_steps: discriminator updates per step (WGAN: 5).
        generator_steps: generator updates per step.
        weight_clip: clip discriminator weights to [-c, c] after each update
            (original WGAN, Arjovsky et al. 2017: c = 0.01).
        ema_decay: keep an exponential moving average of the generator
            (see `enable_ema`); `generate()` then uses the average.
        ema_rampup: the average's half-life is at most this fraction of the
            steps trained so far (StyleGAN2-ADA's `ema_rampup`, 0.05), so it
            never lags far behind the generator early in training; None
            averages with the constant `ema_decay` from the first step.
        augmentation: differentiable augmentation of every image the
            discriminator sees, real and fake, in both phases (Zhao et al.
            2020): a `keras_gen.layers.DiffAugment` or its policy string, e.g.
            `"color,translation,cutout"`; None for none.
        seed: seed for the latent noise.
        unrolled_steps: train the generator against the discriminator as it
            will be after this many more updates of its optimizer (unrolled
            GAN, Metz et al. 2017, who use 1 to 10), differentiating through
            them: the generator's loss is f(θ_G, θ_D^K), θ_D^K the
            discriminator's weights after K unrolled updates of its own
            optimizer (SGD, Adam or AdamW, from its current learning rate,
            moments and step count) on its own loss (label smoothing,
            regularization and weight clipping included), each on the step's
            augmented real batch and the same generated samples as the
            generator's loss, as the paper's reference code does. The
            discriminator itself still makes its ordinary updates in its own
            phase. 0 or None (default): no unrolling. Not with a
            `gradient_penalty` (inside the unrolled updates it would need
            third-order derivatives). Feature matching compares features of
            the current discriminator; `evaluate()` reports the generator's
            loss against the current discriminator.
        unrolled_second_order: keep the second-order terms (how the unrolled
            updates depend on the generator), as the paper does (default
            True); False treats the unrolled weights as constants: cheaper,
            and the gradient is the plain one against the discriminator K
            steps ahead. Only with `unrolled_steps`.

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
        Metz et al., "Unrolled Generative Adversarial Networks", ICLR 2017.
    """

    networks = ("generator", "discriminator")
    config_attributes = {"loss": "loss_name"}

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
        ema_rampup=0.05,
        penalty_target=1.0,
        penalty_one_sided=False,
        penalty_normalized=False,
        label_smoothing=0.0,
        feature_matching=None,
        feature_layer=None,
        unrolled_steps=0,
        unrolled_second_order=True,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.check_networks()
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
        self.unrolled_steps, self.unrolled_second_order = unrolled.check_unrolled_options(
            unrolled_steps, unrolled_second_order
        )
        self._check_unrolling()
        options.check_penalty_arguments(gradient_penalty, penalty_weight, penalty_interval)
        self.penalty_target, self.penalty_one_sided, self.penalty_normalized = (
            options.check_wgan_gp_options(
                gradient_penalty, penalty_target, penalty_one_sided, penalty_normalized
            )
        )
        self.label_smoothing = options.check_label_smoothing(label_smoothing, self.adversarial_loss)
        if penalty_weight is None:
            penalty_weight = _DEFAULT_PENALTY_WEIGHTS.get(gradient_penalty, 0.0)
        self.penalty_weight = validation.check_non_negative_number(
            penalty_weight, "penalty_weight", " (the papers use 10 for WGAN-GP and R1)"
        )
        self.penalty_interval = check_positive_int(penalty_interval, "penalty_interval")
        self.discriminator_steps = check_positive_int(discriminator_steps, "discriminator_steps")
        self.generator_steps = check_positive_int(generator_steps, "generator_steps")
        if weight_clip is not None:
            validation.check_non_negative_number(
                weight_clip, "weight_clip", " or None (WGAN: 0.01)", positive=True
            )
        self.weight_clip = weight_clip
        self.augmentation = options.augmentation_layer(
            augmentation, seed, network_data_format(discriminator))
        options.check_augmentation_layout(self.augmentation, discriminator)
        if self.augmentation is not None and not self.augmentation.built:
            # Built now from the discriminator's input: an unbuilt layer would
            # make `fit()` trace the model's `call` on the training images.
            self.augmentation.build(options.image_input_shape(discriminator))
        self.ema_rampup = ema_rampup
        if ema_decay is not None:
            self.enable_ema(ema_decay, ema_rampup)
        if feature_matching is None:
            if feature_layer is not None:
                raise ValueError(
                    f"feature_layer={feature_layer!r} has no effect without feature "
                    "matching: pass feature_matching=<weight> as well (e.g. 1.0), or "
                    "leave feature_layer out."
                )
        else:
            feature_matching = validation.check_non_negative_number(
                feature_matching, "feature_matching",
                " (the weight of the feature-matching term), or None to turn it off",
                positive=True,
            )
        self.feature_matching = feature_matching
        self.feature_layer = feature_layer
        # A plain holder: the sub-model's layers are the discriminator's own,
        # so Keras must not track them a second time.
        self._features = (
            None if feature_matching is None
            else options.FeatureExtractor(discriminator, feature_layer)
        )

    def _check_unrolling(self):
        if not self.unrolled_steps:
            return
        if self.gradient_penalty is not None:
            raise ValueError(
                f"unrolled_steps={self.unrolled_steps} cannot be combined with "
                f"gradient_penalty={self.gradient_penalty!r}: the penalty inside the unrolled "
                "discriminator updates would need third-order derivatives. Use one of them."
            )
        if type(self).discriminate is not GAN.discriminate:
            raise ValueError(
                f"unrolled_steps is not supported by {type(self).__name__}, whose discriminator "
                "is not called on the images alone; use GAN or StyleGAN, or unrolled_steps=0."
            )

    def compile(self, optimizers=None, **kwargs):
        super().compile(optimizers, **kwargs)
        if self.unrolled_steps and "discriminator" in self.optimizer.optimizers:
            unrolled.check_unrollable_optimizer(self.optimizer["discriminator"])

    def unrolled_discriminator(self, real, fake, training=True):
        """The discriminator `unrolled_steps` updates ahead, as `critic(images) -> logits`.

        Each unrolled update of the discriminator's optimizer minimises its
        adversarial loss (with label smoothing, its regularization losses
        and weight clipping) on `real` and `fake`; see
        `keras_gen.trainers.unrolled_critic`.
        """
        loss, smoothing = self.adversarial_loss, self.label_smoothing

        def objective(critic):
            if smoothing:
                return loss.discriminator(critic(real), critic(fake), label_smoothing=smoothing)
            return loss.discriminator(critic(real), critic(fake))

        constraint = None
        if self.weight_clip is not None:
            clip = float(self.weight_clip)
            constraint = lambda value: ops.clip(value, -clip, clip)  # noqa: E731
        return unrolled.unrolled_critic(
            self.discriminator, self.optimizer["discriminator"], self.unrolled_steps, objective,
            second_order=self.unrolled_second_order, constraint=constraint, training=training,
        )

    def check_networks(self):
        """Raises a clear `ValueError` if the generator and discriminator cannot train together.

        The discriminator must return one logit per sample `(batch, 1)` (or a
        patch map `(batch, h, w, 1)`), and the generator's samples must have
        the shape of the discriminator's input.
        """
        self.check_discriminator_output()
        validation.check_generator_feeds_discriminator(
            self.generator, self.discriminator, self.__class__.__name__
        )

    def check_discriminator_output(self):
        """Raises unless the discriminator has one output of logits (one per sample)."""
        validation.check_logits_output(
            self.discriminator,
            "discriminator",
            "End it with `keras.layers.Dense(1)`; for a class head use "
            "keras_gen.models.ConditionalGAN(conditioning='auxiliary').",
        )

    # ------------------------------------------------------------ training
    @property
    def lazy_penalty(self):
        """True when the penalty is its own phase, run every `penalty_interval` steps."""
        return self.gradient_penalty is not None and self.penalty_interval > 1

    def phases(self):
        constraint = None
        if self.weight_clip is not None:
            clip = float(self.weight_clip)
            constraint = lambda value: ops.clip(value, -clip, clip)  # noqa: E731
        discriminator_logs = ("d_loss",) + self.auxiliary_log_names("discriminator")
        if self.gradient_penalty is not None and not self.lazy_penalty:
            discriminator_logs += (self.gradient_penalty,)
        if self.discriminator.losses:
            discriminator_logs += ("d_reg",)
        generator_logs = ("g_loss",) + self.auxiliary_log_names("generator")
        if self.feature_matching is not None:
            generator_logs += ("g_feature_matching",)
        if self.generator.losses:
            generator_logs += ("g_reg",)
        phases = [
            Phase(
                "discriminator",
                optimizer="discriminator",
                variables=self.discriminator.trainable_variables,
                repeats=self.discriminator_steps,
                log_names=discriminator_logs,
                constraint=constraint,
            )
        ]
        if self.lazy_penalty:
            # Lazy regularization (Karras et al. 2020): a separate update of
            # the discriminator with the penalty alone, skipped on the other
            # steps, with the same optimizer (as stylegan2-ada's "Dreg" phase).
            phases.append(
                Phase(
                    "discriminator_penalty",
                    optimizer="discriminator",
                    variables=self.discriminator.trainable_variables,
                    log_names=(self.gradient_penalty,),
                    interval=self.penalty_interval,
                    constraint=constraint,
                )
            )
        phases.append(
            Phase(
                "generator",
                optimizer="generator",
                variables=self.generator.trainable_variables,
                repeats=self.generator_steps,
                log_names=generator_logs,
            )
        )
        return phases

    def ema_source(self):
        return self.generator

    def default_optimizers(self):
        """Adam(2e-4, beta_1=0.5) for both networks (Radford et al. 2016)."""
        return {
            "generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
            "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5),
        }

    def sample_latents(self, batch_size):
        """Latent vectors drawn from N(0, I) with the model's seed generator."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    # Hooks: what a conditional or style-based subclass changes.
    def real_batch(self, data):
        """`(real samples, condition)` from what `fit()` passes; the condition is None here."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, dict):
            x = x.get("image", x.get("images"))
        self.validate_batch_spec(tuple(x.shape), x.dtype)
        return validation.guard_images_in_step(self, x, "Real samples"), None

    def fake_condition(self, batch_size):
        """The condition fakes are drawn for in a step (None: unconditional)."""
        return None

    def generator_inputs(self, latents, condition):
        """What the generator is called on for `latents` under `condition`."""
        return latents

    def fake_samples(self, batch_size, phase, training=True, condition=None):
        """Generated samples for one phase of a train (or evaluation) step."""
        latents = self.sample_latents(batch_size)
        return self.generator(self.generator_inputs(latents, condition), training=training)

    def discriminate(self, images, condition, training=True):
        """`(logits, extras)`: the discriminator's logits and any further outputs (None)."""
        return self.discriminator(images, training=training), None

    def discriminate_in_float32(self, images, condition, training=True):
        """`discriminate` with float32 logits: the losses and penalties are float32 under a mixed policy."""
        logits, extras = self.discriminate(images, condition, training)
        return ops.cast(logits, "float32"), extras

    def discriminator_features(self, images, condition, training=True):
        """The discriminator's intermediate features f(images) used by feature matching (float32)."""
        model = self._features.model
        inputs = [images, condition] if len(model.inputs) > 1 else images
        return ops.cast(model(inputs, training=training), "float32")

    def auxiliary_log_names(self, phase):
        """Names of the values `auxiliary_loss` logs for `phase` (none here)."""
        return ()

    def auxiliary_loss(self, phase, labels_and_extras):
        """Extra loss of a phase from the discriminator's extra outputs.

        Args:
            phase: `"discriminator"` or `"generator"`.
            labels_and_extras: list of `(condition, extras)` for each batch
                the discriminator saw (real then fake; fake only for the
                generator).

        Returns:
            `(loss to add, logs)`; `(0, {})` here.
        """
        return 0.0, {}

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

    def compute_phase_loss(self, phase, data, training=True):
        if phase not in ("discriminator", "discriminator_penalty", "generator"):
            raise ValueError(f"Unknown phase {phase!r}.")
        real, condition = self.real_batch(data)
        batch_size = ops.shape(real)[0]
        fake_condition = self.fake_condition(batch_size)
        if phase == "generator":
            return self.generator_loss(real, condition, batch_size, fake_condition, training)
        real = self.augment(real, training)
        # The penalty's critic is conditioned on the real batch's condition
        # (R2's on the fakes' condition).
        critic = lambda x: self.discriminate_in_float32(x, condition, training)[0]  # noqa: E731
        fake_critic = lambda x: self.discriminate_in_float32(x, fake_condition, training)[0]  # noqa: E731
        fake = None
        if phase == "discriminator" or self.gradient_penalty in ("wgan_gp", "r2"):
            fake = self.fake_samples(batch_size, phase, training, fake_condition)
            fake = self.augment(ops.stop_gradient(fake), training)
        if phase == "discriminator_penalty":
            penalty = self.gradient_penalty_value(critic, real, fake, fake_critic)
            return self._penalty_scale() * penalty, {self.gradient_penalty: penalty}
        real_logits, real_extras = self.discriminate_in_float32(real, condition, training)
        fake_logits, fake_extras = self.discriminate_in_float32(fake, fake_condition, training)
        if self.label_smoothing:
            d_loss = self.adversarial_loss.discriminator(
                real_logits, fake_logits, label_smoothing=self.label_smoothing
            )
        else:
            d_loss = self.adversarial_loss.discriminator(real_logits, fake_logits)
        auxiliary, logs = self.auxiliary_loss(
            phase, [(condition, real_extras), (fake_condition, fake_extras)]
        )
        logs = {"d_loss": d_loss, **logs}
        return self.finish_discriminator_loss(
            d_loss + auxiliary, logs, critic, real, fake, fake_critic
        ), logs

    def generator_loss(self, real, condition, batch_size, fake_condition, training=True):
        """`(loss, logs)` of the generator phase.

        The real batch is run through the discriminator only when the
        objective needs it: a relativistic loss (`needs_real_logits`) or
        feature matching. It is augmented as in the discriminator phase and
        its logits and features are constants here (`stop_gradient`). With
        `unrolled_steps` (in training), the logits are those of the
        discriminator that many updates ahead (`unrolled_discriminator`,
        whose updates always use the real batch).
        """
        phase = "generator"
        fake = self.augment(self.fake_samples(batch_size, phase, training, fake_condition), training)
        unrolling = bool(self.unrolled_steps) and training
        if unrolling:
            # Against the discriminator `unrolled_steps` updates ahead (Metz et al. 2017).
            seen_real = self.augment(real, training)
            critic = self.unrolled_discriminator(seen_real, fake, training)
            discriminate = lambda images, _: (critic(images), None)  # noqa: E731
        else:
            discriminate = lambda images, c: self.discriminate_in_float32(images, c, training)  # noqa: E731
        logits, extras = discriminate(fake, fake_condition)
        needs_real = self.adversarial_loss.needs_real_logits or self.feature_matching is not None
        if not unrolling:
            seen_real = self.augment(real, training) if needs_real else None
        if self.adversarial_loss.needs_real_logits:
            real_logits, _ = discriminate(seen_real, condition)
            g_loss = self.adversarial_loss.generator(logits, ops.stop_gradient(real_logits))
        else:
            g_loss = self.adversarial_loss.generator(logits)
        auxiliary, logs = self.auxiliary_loss(phase, [(fake_condition, extras)])
        logs = {"g_loss": g_loss, **logs}
        total = g_loss + auxiliary
        if self.feature_matching is not None:
            matching = losses_module.feature_matching(
                self.discriminator_features(seen_real, condition, training),
                self.discriminator_features(fake, fake_condition, training),
            )
            logs["g_feature_matching"] = matching
            total = total + self.feature_matching * matching
        return self.add_regularization(self.generator, total, logs, "g_reg"), logs

    def finish_discriminator_loss(self, loss, logs, critic, real, fake, fake_critic=None):
        """Adds the gradient penalty (unless lazy) and the discriminator's regularization.

        Args:
            loss: the adversarial (and any auxiliary) discriminator loss.
            logs: dict of logged values, updated with the penalty and `d_reg`.
            critic: `fn(images) -> logits`, the discriminator as the penalty
                sees it (a conditional model binds the labels here).
            real: the (augmented) real images the discriminator saw.
            fake: the (augmented) generated images.
            fake_critic: the discriminator bound to the fakes' condition
                (R2's critic); `critic` when None.

        Returns:
            The total discriminator loss.
        """
        if self.gradient_penalty is not None and not self.lazy_penalty:
            penalty = self.gradient_penalty_value(critic, real, fake, fake_critic)
            logs[self.gradient_penalty] = penalty
            loss = loss + self._penalty_scale() * penalty
        return self.add_regularization(self.discriminator, loss, logs, "d_reg")

    def gradient_penalty_value(self, critic, real, fake, fake_critic=None):
        """The unweighted WGAN-GP, R1 or R2 penalty of `critic` on (augmented) images."""
        real = ops.cast(real, "float32")
        if self.gradient_penalty == "wgan_gp":
            return losses_module.gradient_penalty(
                critic, real, fake, seed=self.seed_generator,
                target=self.penalty_target, one_sided=self.penalty_one_sided,
                normalize_by_target=self.penalty_normalized,
            )
        # gamma=2 makes the returned value E‖∇D(x)‖², weighted by γ/2 below.
        if self.gradient_penalty == "r2":
            return losses_module.r2_penalty(
                fake_critic if fake_critic is not None else critic,
                ops.cast(fake, "float32"), gamma=2.0,
            )
        return losses_module.r1_penalty(critic, real, gamma=2.0)

    def _penalty_scale(self):
        # R1/R2's γ/2 and WGAN-GP's λ all come from penalty_weight; the logged
        # penalty is unweighted. A lazy penalty, applied every
        # `penalty_interval` steps, is scaled up by the interval to match.
        weight = self.penalty_weight
        if self.gradient_penalty in ("r1", "r2"):
            weight = 0.5 * weight
        return weight * self.penalty_interval

    # ------------------------------------------------------------ checking
    def validate_batch_spec(self, shape, dtype):
        check_float_images(dtype, "Real samples", self.__class__.__name__)
        expected = tuple(self.discriminator.inputs[0].shape[1:]) if self.discriminator.inputs else None
        check_image_spec(
            shape, expected, "Real samples", "the discriminator",
            "Resize or reshape the data (e.g. add a channel axis with `x[..., None]`), "
            "or build the networks for this shape.",
        )

    # ------------------------------------------------------------- saving
    def load_weights(self, filepath, *args, **kwargs):
        """Loads weights, refusing a file that disagrees with the model on the generator EMA.

        A `.weights.h5` file saved from a model that kept a moving average
        of the generator (`ema_decay=` or `keras_gen.callbacks.GeneratorEMA`)
        holds it; loading it into a model without one raises a `ValueError`
        (Keras would drop the average silently), as does the reverse. An
        unreadable (e.g. truncated) file raises a `ValueError` too.
        `keras_gen.presets.load_weights_file` enables the EMA first when the
        file holds one.

        A truncated `.keras` file is reported by `keras.saving.load_model`
        itself as "File not found"; `zipfile.is_zipfile(path)` tells whether
        the file is complete.
        """
        validation.check_moving_average_in_weights_file(self, filepath)
        return super().load_weights(filepath, *args, **kwargs)

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

    def resolve_latents(self, num_samples, latents=None, seed=None, truncation=None):
        """`latents` checked against `(num_samples, latent_dim)`, or drawn (see `latents_for`)."""
        if latents is None:
            if num_samples is None:
                raise ValueError("Pass `num_samples` (or `latents`) to generate().")
            num_samples = check_sample_count(num_samples)
            return self.latents_for(num_samples, seed, truncation)
        latents = np.asarray(latents, dtype="float32")
        rows = len(latents) if num_samples is None else num_samples
        if latents.shape != (rows, self.latent_dim):
            raise ValueError(
                f"latents must have shape ({rows}, {self.latent_dim}) (one row per "
                f"sample); received {latents.shape}."
            )
        return latents

    def sample_from_latents(self, latents, condition=None, batch_size=256, use_ema=True):
        """Runs the generator (or its moving average) over NumPy latents in batches."""
        generator = self.inference_network(use_ema)
        return self.run_in_batches(
            lambda z, c: generator(self.generator_inputs(z, c), training=False),
            [latents, condition],
            batch_size,
        )

    def generate(
        self, num_samples, seed=None, batch_size=256, latents=None, truncation=None, use_ema=True
    ):
        """Generates samples as a NumPy array.

        Args:
            num_samples: number of samples (0 gives an empty array).
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
        latents = self.resolve_latents(num_samples, latents, seed, truncation)
        return self.sample_from_latents(latents, None, batch_size, use_ema)
