"""ConditionalGAN: a GAN whose generator and discriminator see the class label."""

import keras
import numpy as np
from keras import ops

from keras_gen.losses.classification import auxiliary_classifier_loss
from keras_gen.models import validation
from keras_gen.models.gan.gan import GAN
from keras_gen.models.validation import array_second_element
from keras_gen.models.validation import check_class_labels
from keras_gen.models.validation import check_label_spec
from keras_gen.models.validation import check_sample_count
from keras_gen.models.validation import has_second_element
from keras_gen.models.validation import num_array_samples
from keras_gen.models.validation import second_spec
from keras_gen.networks.conditional import check_conditioning
from keras_gen.networks.conditional import check_num_classes


def _check_generator(generator):
    inputs = getattr(generator, "inputs", None)
    if inputs is not None and len(inputs) != 2:
        raise ValueError(
            f"ConditionalGAN's generator must take two inputs, [z, labels]; "
            f"{generator.name!r} takes {len(inputs)}. Build it with e.g. "
            "keras_gen.networks.conditional_dcgan_generator(...), "
            "conditional_mlp_generator(...) or biggan_generator(...)."
        )


def _check_discriminator(discriminator, conditioning, num_classes):
    inputs = getattr(discriminator, "inputs", None)
    outputs = getattr(discriminator, "outputs", None)
    if inputs is None or outputs is None:
        return  # a subclassed model: nothing to inspect before it runs
    builder = (
        "keras_gen.networks.conditional_dcgan_discriminator(..., "
        f"conditioning={conditioning!r}) or conditional_mlp_discriminator(...)"
    )
    if conditioning == "auxiliary":
        if len(inputs) != 1 or len(outputs) != 2:
            raise ValueError(
                "conditioning='auxiliary' (ACGAN) needs a discriminator taking images "
                "only and returning [logits (batch, 1), class_logits (batch, "
                f"num_classes)]; {discriminator.name!r} has {len(inputs)} input(s) and "
                f"{len(outputs)} output(s). Build it with {builder}, or choose "
                "conditioning='projection'/'concat' for a discriminator taking "
                "[images, labels]."
            )
        classes = outputs[1].shape[-1]
        if classes is not None and int(classes) != num_classes:
            raise ValueError(
                f"The discriminator's class head has {classes} outputs but "
                f"num_classes={num_classes}. Build both with the same num_classes."
            )
        validation.check_logits_shape(
            tuple(outputs[0].shape), "discriminator's first output",
            f"Build it with {builder}.",
        )
        return
    if len(inputs) != 2 or len(outputs) != 1:
        raise ValueError(
            f"conditioning={conditioning!r} needs a discriminator taking [images, "
            "labels] and returning logits (batch, 1); "
            f"{discriminator.name!r} has {len(inputs)} input(s) and {len(outputs)} "
            f"output(s). Build it with {builder} (or "
            "keras_gen.networks.sagan_discriminator(..., num_classes=...) for "
            "projection), or use conditioning='auxiliary' for a discriminator with "
            "a class head."
        )
    validation.check_logits_shape(
        tuple(outputs[0].shape), "discriminator",
        f"Build it with {builder}, or use conditioning='auxiliary' for a class head.",
    )


@keras.saving.register_keras_serializable(package="keras_gen")
class ConditionalGAN(GAN):
    """Class-conditional GAN: concatenation, projection or auxiliary classifier.

    The generator takes `[z, labels]` (integer labels `(batch,)`). How the
    discriminator uses the label is `conditioning`:

    - `"concat"` (Mirza & Osindero 2014) and `"projection"` (Miyato & Koyama
      2018): the discriminator takes `[images, labels]` and returns logits
      `(batch, 1)`; the two differ only inside the network (see
      `keras_gen.networks.conditional_dcgan_discriminator`;
      `keras_gen.networks.sagan_discriminator(num_classes=...)` is a
      projection discriminator too). Its adversarial loss judges
      (image, label) pairs.
    - `"auxiliary"` (ACGAN, Odena et al. 2017): the discriminator takes
      images and returns `[logits (batch, 1), class_logits (batch,
      num_classes)]`. Both phases add `auxiliary_weight` times the softmax
      cross-entropy of the class head: on real and fake images for the
      discriminator (`d_class`, the paper's L_C), on fake images for the
      generator (`g_class`).

    Fake images are drawn for labels sampled uniformly with the model's seed
    generator. Everything else is `keras_gen.models.GAN`'s: the adversarial
    `loss`, gradient penalties (WGAN-GP on interpolates conditioned on the
    real labels, R1 on real (image, label) pairs), `discriminator_steps`,
    differentiable `augmentation` of every image the discriminator sees,
    regularization losses of the networks (`g_reg`/`d_reg`, e.g. BigGAN's
    orthogonal regularization), EMA, and `generate(..., truncation=)`.

    Train with `fit(images, labels)` or a dataset of `(images, labels)`
    batches; images are floats in [-1, 1], labels integers in
    `[0, num_classes)`. NumPy labels are fully checked before training;
    for a dataset the dtype and shape are checked before training and the
    range inside every step: a batch with a label out of range is not
    trained on, and `fit()` stops with a `ValueError` naming the step and
    the label. The networks must embed `num_classes` classes (checked at
    construction).

    Args:
        generator: `keras.Model` `[z, labels] -> images`.
        discriminator: `keras.Model`, `[images, labels] -> logits` for
            `"concat"`/`"projection"`, `images -> [logits, class_logits]`
            for `"auxiliary"`.
        num_classes: number of classes.
        latent_dim: size of `z`; inferred from the generator when None.
        conditioning: `"projection"` (default), `"concat"` or `"auxiliary"`;
            must match the discriminator.
        auxiliary_weight: weight of the class losses with `"auxiliary"`
            (ACGAN: 1).
        **kwargs: `keras_gen.models.GAN` arguments (`loss`,
            `gradient_penalty`, `discriminator_steps`, `augmentation`,
            `ema_decay`, `seed`, ...).

    Example:

    >>> generator = keras_gen.networks.conditional_dcgan_generator(
    ...     (28, 28, 1), latent_dim=64, num_classes=10)
    >>> discriminator = keras_gen.networks.conditional_dcgan_discriminator(
    ...     (28, 28, 1), num_classes=10, conditioning="projection")
    >>> cgan = keras_gen.models.ConditionalGAN(generator, discriminator, num_classes=10)
    >>> cgan.compile()
    >>> cgan.fit(images, labels, batch_size=64, epochs=20)
    >>> sevens = cgan.generate(16, labels=7, seed=0)

    References:
        Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014;
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018;
        Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary
        Classifier GANs", ICML 2017.
    """

    def __init__(
        self,
        generator,
        discriminator,
        num_classes,
        latent_dim=None,
        conditioning="projection",
        auxiliary_weight=1.0,
        **kwargs,
    ):
        num_classes = check_num_classes(num_classes)
        conditioning = check_conditioning(conditioning)
        validation.check_non_negative_number(auxiliary_weight, "auxiliary_weight", " (ACGAN: 1)")
        _check_generator(generator)
        _check_discriminator(discriminator, conditioning, num_classes)
        for network, name in ((generator, "generator"), (discriminator, "discriminator")):
            validation.check_network_classes(
                network, num_classes, name,
                f" (e.g. keras_gen.networks.conditional_dcgan_{name}(..., "
                f"num_classes={num_classes}))",
            )
        super().__init__(generator, discriminator, latent_dim=latent_dim, **kwargs)
        self.num_classes = num_classes
        self.conditioning = conditioning
        self.auxiliary_weight = float(auxiliary_weight)

    def check_discriminator_output(self):
        """Done by the constructor, which knows the conditioning (see `GAN`)."""

    # ------------------------------------------------------ the GAN's hooks
    def real_batch(self, data):
        """Real images and int32 labels `(batch,)` from what `fit()` passes."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, dict):
            y = x.get("label", x.get("labels", y))
            x = x.get("image", x.get("images"))
        if y is None:
            raise ValueError(_MISSING_LABELS)
        self.validate_batch_spec(tuple(x.shape), x.dtype)
        check_label_spec(tuple(y.shape), y.dtype, self.num_classes, "ConditionalGAN")
        if x.shape[0] is not None and y.shape[0] is not None and x.shape[0] != y.shape[0]:
            raise ValueError(
                f"Received {y.shape[0]} labels for a batch of {x.shape[0]} images; "
                "pass one label per image."
            )
        # Labels from a dataset are checked here, in the step (see
        # `validation.guard_labels_in_step`): out of range, training stops.
        labels, images = validation.guard_labels_in_step(
            self, ops.reshape(ops.cast(y, "int32"), (-1,)), self.num_classes,
            ops.convert_to_tensor(x),
        )
        return validation.guard_images_in_step(self, images, "Real samples"), labels

    def fake_condition(self, batch_size):
        """Class labels drawn uniformly with the model's seed generator, int32 `(batch,)`."""
        return keras.random.randint(
            (batch_size,), 0, self.num_classes, dtype="int32", seed=self.seed_generator
        )

    def generator_inputs(self, latents, condition):
        return [latents, condition]

    def discriminate(self, images, condition, training=True):
        """`(logits, class_logits)`; `class_logits` is None unless `"auxiliary"`."""
        if self.conditioning == "auxiliary":
            logits, class_logits = self.discriminator(images, training=training)
            return logits, class_logits
        return self.discriminator([images, condition], training=training), None

    def auxiliary_log_names(self, phase):
        if self.conditioning != "auxiliary":
            return ()
        return ("d_class",) if phase == "discriminator" else ("g_class",)

    def auxiliary_loss(self, phase, labels_and_extras):
        """ACGAN's class loss L_C (real and fake for D, fake for G), weighted."""
        if self.conditioning != "auxiliary":
            return 0.0, {}
        class_loss = sum(self.class_loss(labels, logits) for labels, logits in labels_and_extras)
        name = "d_class" if phase == "discriminator" else "g_class"
        return self.auxiliary_weight * class_loss, {name: class_loss}

    def class_loss(self, labels, class_logits):
        """Mean softmax cross-entropy of the auxiliary class head (`keras_gen.losses.auxiliary_classifier_loss`)."""
        return auxiliary_classifier_loss(labels, class_logits)

    # ------------------------------------------------------------ checking
    def validate_training_data(self, x, y=None):
        """Images as for `GAN`; integer labels `(n,)` in `[0, num_classes)` (NumPy: every label)."""
        super().validate_training_data(x, y)
        if not has_second_element(x, y):
            raise ValueError(_MISSING_LABELS)
        labels = array_second_element(x, y)
        if labels is not None:
            check_class_labels(labels, self.num_classes, num_array_samples(x))
            return
        spec = second_spec(x, y)
        if spec is not None:
            check_label_spec(*spec, self.num_classes, "ConditionalGAN")

    # ----------------------------------------------------------- sampling
    def labels_for(self, num_samples=None, labels=None, latents=None):
        """Resolves `generate`'s `labels` to an int32 NumPy array.

        Args:
            num_samples: number of samples, or None to take it from `labels`
                (a sequence) or `latents`.
            labels: an int (every sample of that class), a sequence of
                class indices, or None for classes `0, 1, ..., K-1, 0, ...`
                in turn.
            latents: explicit latents, whose length gives `num_samples`
                when nothing else does.

        Returns:
            int32 array `(num_samples,)`.
        """
        if num_samples is None and latents is not None:
            num_samples = len(latents)
        if labels is None:
            if num_samples is None:
                raise ValueError("Pass `num_samples` (or `labels` / `latents`) to generate().")
            return np.arange(check_sample_count(num_samples), dtype="int32") % self.num_classes
        if np.ndim(labels) == 0 and num_samples is None:
            raise ValueError(
                "With a single int label, pass `num_samples` too: generate(16, labels=3)."
            )
        return check_class_labels(labels, self.num_classes, num_samples)

    def generate(
        self,
        num_samples=None,
        labels=None,
        seed=None,
        batch_size=256,
        latents=None,
        truncation=None,
        use_ema=True,
    ):
        """Generates samples of the requested classes as a NumPy array.

        Args:
            num_samples: number of samples; may be left out when `labels`
                is a sequence or `latents` are given.
            labels: an int (all samples of that class), a sequence of class
                indices (one per sample), or None for classes
                `0, 1, ..., num_classes - 1, 0, ...` in turn.
            seed: an int gives the same latents (NumPy) and images on every
                backend; None draws new latents from the model's seed
                generator.
            batch_size: samples per generator call.
            latents: explicit latent vectors `(num_samples, latent_dim)`.
            truncation: the truncation trick (Brock et al. 2019): latent
                entries from N(0, 1) truncated to [-t, t]; None, none.
            use_ema: use the moving average of the generator when one is kept.

        Returns:
            NumPy array of `num_samples` samples (images in [-1, 1]).

        Example:

        >>> sevens = cgan.generate(16, labels=7, seed=0)
        >>> one_per_class = cgan.generate(labels=range(10), truncation=0.5)
        """
        labels = self.labels_for(num_samples, labels, latents)
        latents = self.resolve_latents(len(labels), latents, seed, truncation)
        return self.sample_from_latents(latents, labels, batch_size, use_ema)

    def generate_from_latents(self, latents, labels=None, use_ema=True):
        """Generates samples for given latents; labels cycle through the classes by default."""
        return self.generate(len(latents), labels=labels, latents=latents, use_ema=use_ema)


_MISSING_LABELS = (
    "ConditionalGAN needs class labels: call fit(images, labels) with integer labels "
    "of shape (n,), or pass a dataset of (images, labels) batches, e.g. "
    "tf.data.Dataset.from_tensor_slices((images, labels)).batch(64)."
)
