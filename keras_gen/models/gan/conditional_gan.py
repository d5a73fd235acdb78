"""ConditionalGAN: a GAN whose generator and discriminator see the class label."""

import keras
import numpy as np
from keras import ops

from keras_gen.models.gan.gan import GAN
from keras_gen.networks.conditional import check_conditioning
from keras_gen.networks.conditional import check_num_classes


def check_class_indices(labels, num_classes, num_samples=None):
    """Validates integer class labels; returns them as an int32 array `(n,)`.

    Args:
        labels: array-like of class indices, shape `(n,)` or `(n, 1)`.
        num_classes: labels must lie in `[0, num_classes)`.
        num_samples: expected `n`, or None.

    Returns:
        int32 NumPy array `(n,)`.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"Labels must be integer class indices in [0, {num_classes - 1}]; received "
            f"dtype {labels.dtype}. Cast them (`labels.astype('int32')`), or use "
            "`np.argmax(one_hot, axis=-1)` for one-hot labels."
        )
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(
            f"Labels must be class indices of shape (n,); received shape {labels.shape}. "
            "For one-hot labels use `np.argmax(one_hot, axis=-1)`."
        )
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        raise ValueError(
            f"Labels must be class indices in [0, {num_classes - 1}]; received "
            f"{sorted(set(bad.tolist()))[:5]}. Map your classes to 0..{num_classes - 1}, "
            f"or build the networks and model with num_classes={int(labels.max()) + 1}."
        )
    if num_samples is not None and len(labels) != num_samples:
        raise ValueError(
            f"Received {len(labels)} labels for {num_samples} samples; pass one label "
            "per sample (or a single int for all)."
        )
    return labels.astype("int32")


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
    for a dataset the dtype and shape are, but not the range — an index out
    of range would be silently mis-embedded, so check datasets beforehand.

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
        # Set before GAN.__init__, whose _finish_init() reads phases().
        self.num_classes = check_num_classes(num_classes)
        self.conditioning = check_conditioning(conditioning)
        if not auxiliary_weight >= 0:
            raise ValueError(f"auxiliary_weight must be >= 0; received {auxiliary_weight!r}.")
        self.auxiliary_weight = float(auxiliary_weight)
        _check_generator(generator)
        _check_discriminator(discriminator, conditioning, self.num_classes)
        super().__init__(generator, discriminator, latent_dim=latent_dim, **kwargs)

    # ------------------------------------------------------------ training
    def phases(self):
        phases = super().phases()
        if self.conditioning == "auxiliary":
            for phase, name in zip(phases, ("d_class", "g_class")):
                phase.log_names = phase.log_names[:1] + (name,) + phase.log_names[1:]
        return phases

    def sample_labels(self, batch_size):
        """Class labels drawn uniformly with the model's seed generator, int32 `(batch,)`."""
        return keras.random.randint(
            (batch_size,), 0, self.num_classes, dtype="int32", seed=self.seed_generator
        )

    def real_samples_and_labels(self, data):
        """Extracts real images and int32 labels `(batch,)` from what `fit()` passes."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, dict):
            y = x.get("label", x.get("labels", y))
            x = x.get("image", x.get("images"))
        if y is None:
            raise ValueError(_MISSING_LABELS)
        self.validate_batch_spec(tuple(x.shape), x.dtype)
        self.validate_label_spec(tuple(y.shape), y.dtype)
        if x.shape[0] is not None and y.shape[0] is not None and x.shape[0] != y.shape[0]:
            raise ValueError(
                f"Received {y.shape[0]} labels for a batch of {x.shape[0]} images; "
                "pass one label per image."
            )
        return ops.convert_to_tensor(x), ops.reshape(ops.cast(y, "int32"), (-1,))

    def discriminate(self, images, labels, training=True):
        """`(logits, class_logits)` of the discriminator (`class_logits` None unless auxiliary)."""
        if self.conditioning == "auxiliary":
            logits, class_logits = self.discriminator(images, training=training)
            return logits, class_logits
        return self.discriminator([images, labels], training=training), None

    def class_loss(self, labels, class_logits):
        """Mean softmax cross-entropy of the auxiliary class head."""
        return ops.mean(
            ops.sparse_categorical_crossentropy(
                labels, ops.cast(class_logits, "float32"), from_logits=True
            )
        )

    def compute_phase_loss(self, phase, data, training=True):
        real, real_labels = self.real_samples_and_labels(data)
        batch_size = ops.shape(real)[0]
        latents = self.sample_latents(batch_size)
        fake_labels = self.sample_labels(batch_size)
        auxiliary = self.conditioning == "auxiliary"
        if phase == "discriminator":
            fake = ops.stop_gradient(self.generator([latents, fake_labels], training=training))
            real = self.augment(real, training)
            fake = self.augment(fake, training)
            real_logits, real_classes = self.discriminate(real, real_labels, training)
            fake_logits, fake_classes = self.discriminate(fake, fake_labels, training)
            d_loss = self.adversarial_loss.discriminator(real_logits, fake_logits)
            logs = {"d_loss": d_loss}
            total = d_loss
            if auxiliary:
                d_class = self.class_loss(real_labels, real_classes) + self.class_loss(
                    fake_labels, fake_classes
                )
                logs["d_class"] = d_class
                total = total + self.auxiliary_weight * d_class
            # The penalty's critic is conditioned on the real labels (with
            # "auxiliary", it is the adversarial head).
            critic = lambda x: self.discriminate(x, real_labels, training)[0]  # noqa: E731
            return self.finish_discriminator_loss(total, logs, critic, real, fake), logs
        if phase == "generator":
            fake = self.generator([latents, fake_labels], training=training)
            fake_logits, fake_classes = self.discriminate(
                self.augment(fake, training), fake_labels, training
            )
            g_loss = self.adversarial_loss.generator(fake_logits)
            logs = {"g_loss": g_loss}
            total = g_loss
            if auxiliary:
                g_class = self.class_loss(fake_labels, fake_classes)
                logs["g_class"] = g_class
                total = total + self.auxiliary_weight * g_class
            return self.add_regularization(self.generator, total, logs, "g_reg"), logs
        raise ValueError(f"Unknown phase {phase!r}.")

    # ------------------------------------------------------------ checking
    def validate_label_spec(self, shape, dtype):
        """Raises a clear error for labels that are not integer indices `(batch,)`."""
        dtype = keras.backend.standardize_dtype(dtype)
        if "int" not in dtype:
            raise TypeError(
                f"Labels have dtype {dtype}, but ConditionalGAN expects integer class "
                f"indices in [0, {self.num_classes - 1}]. Cast them (e.g. "
                "`labels.astype('int32')`, or `tf.cast` in the pipeline); for one-hot "
                "labels use the argmax."
            )
        if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
            raise ValueError(
                f"Labels have shape {tuple(shape)}, but ConditionalGAN expects class "
                "indices of shape (batch,). For one-hot labels use the argmax."
            )

    def _check_training_data(self, x, y):
        if isinstance(x, np.ndarray):
            if y is None:
                raise ValueError(_MISSING_LABELS)
            check_class_indices(y, self.num_classes, len(x))
            return
        spec = getattr(x, "element_spec", None)
        if spec is None:
            return  # checked when the step is traced
        if isinstance(spec, dict):
            label = spec.get("label", spec.get("labels"))
        elif isinstance(spec, (tuple, list)) and len(spec) >= 2:
            label = spec[1]
        else:
            raise ValueError(_MISSING_LABELS)
        if label is None:
            raise ValueError(_MISSING_LABELS)
        if hasattr(label, "dtype") and hasattr(label, "shape"):
            self.validate_label_spec(tuple(label.shape), label.dtype.name)

    def fit(
        self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, **kwargs
    ):
        """Trains on images `x` in [-1, 1] and integer labels `y`; see `keras.Model.fit`.

        `x` may also be a dataset of `(images, labels)` batches (then `y` is
        None). NumPy labels are checked (dtype, shape, range) before
        training starts; a dataset's label dtype and shape are.
        """
        self._check_training_data(x, y)
        validation = kwargs.get("validation_data")
        if isinstance(validation, (tuple, list)) and len(validation) >= 2:
            self._check_training_data(validation[0], validation[1])
        elif validation is not None:
            self._check_training_data(validation, None)
        return super().fit(
            x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
            **kwargs,
        )

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
            return np.arange(int(num_samples), dtype="int32") % self.num_classes
        labels = np.asarray(labels)
        if labels.ndim == 0:
            if num_samples is None:
                raise ValueError(
                    "With a single int label, pass `num_samples` too: "
                    "generate(16, labels=3)."
                )
            labels = np.full((int(num_samples),), labels)
        return check_class_indices(labels, self.num_classes, num_samples)

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
        num_samples = len(labels)
        if latents is None:
            latents = self.latents_for(num_samples, seed, truncation)
        latents = np.asarray(latents, dtype="float32")
        if latents.shape != (num_samples, self.latent_dim):
            raise ValueError(
                f"latents must have shape ({num_samples}, {self.latent_dim}) "
                f"(one per label); received {latents.shape}."
            )
        generator = self.ema_model if (use_ema and self.ema_model is not None) else self.generator
        outputs = [
            ops.convert_to_numpy(
                generator(
                    [latents[i : i + batch_size], labels[i : i + batch_size]], training=False
                )
            )
            for i in range(0, num_samples, batch_size)
        ]
        return np.concatenate(outputs, axis=0)

    def generate_from_latents(self, latents, labels=None, use_ema=True):
        """Generates samples for given latents; labels cycle through the classes by default."""
        return self.generate(len(latents), labels=labels, latents=latents, use_ema=use_ema)

    # ------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "conditioning": self.conditioning,
                "auxiliary_weight": self.auxiliary_weight,
            }
        )
        return config


_MISSING_LABELS = (
    "ConditionalGAN needs class labels: call fit(images, labels) with integer labels "
    "of shape (n,), or pass a dataset of (images, labels) batches, e.g. "
    "tf.data.Dataset.from_tensor_slices((images, labels)).batch(64)."
)
