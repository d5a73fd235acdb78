"""Pix2Pix: paired image-to-image translation with a conditional GAN and an L1 term."""

import keras
from keras import ops

from keras_gen.losses.adversarial import non_saturating
from keras_gen.losses.image import l1_loss
from keras_gen.models import validation
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.image_to_image import base
from keras_gen.trainers import Phase


@keras.saving.register_keras_serializable(package="keras_gen")
class Pix2Pix(GenerativeModel):
    """Conditional GAN that learns to map input images to paired target images.

    Each training step runs two phases on a batch of `(input, target)` pairs:

    - `"discriminator"`: the conditional discriminator scores
      `[input, target]` (real) and `[input, G(input)]` (fake) patch by
      patch; loss `½·(BCE(D(x, y), 1) + BCE(D(x, G(x)), 0))` averaged over
      patches (the paper halves D's objective to slow D relative to G);
    - `"generator"`: `BCE(D(x, G(x)), 1) + l1_weight·E|y - G(x)|`
      (non-saturating adversarial loss plus the L1 reconstruction, eq. 4).

    Logs `d_loss`, `g_loss` (the total), `g_adversarial_loss` and `l1_loss`.
    Images are floats in [-1, 1] (see `keras_gen.datasets.scale_images`).
    Default optimizers: Adam(2e-4, beta_1=0.5) for both networks, as in the
    paper.

    Args:
        generator: a `keras.Model` mapping input images `(batch, h, w, c_in)`
            to output images `(batch, h, w, c_out)`, e.g.
            `keras_gen.networks.unet_generator`.
        discriminator: a conditional `keras.Model` returning patch logits:
            either with two inputs `[input, image]` (e.g.
            `keras_gen.networks.patchgan_discriminator(input_shape,
            target_shape=...)`) or one input of `c_in + c_out` channels (the
            model concatenates input and image on channels).
        l1_weight: λ of the L1 term (100 in the paper).
        seed: seed of the model's `keras.random.SeedGenerator`.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> generator = keras_gen.networks.unet_generator((32, 32, 1), output_channels=1)
    >>> discriminator = keras_gen.networks.patchgan_discriminator(
    ...     (32, 32, 1), target_shape=(32, 32, 1), num_layers=2)
    >>> model = keras_gen.models.Pix2Pix(generator, discriminator)
    >>> model.compile()
    >>> model.fit(x=inputs, y=targets, batch_size=16, epochs=5)
    >>> outputs = model.translate(inputs[:8])

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017 (https://arxiv.org/abs/1611.07004).
    """

    networks = ("generator", "discriminator")

    def __init__(self, generator, discriminator, l1_weight=100.0, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.l1_weight = validation.check_non_negative_number(
            l1_weight, "l1_weight", " (paper: 100)"
        )
        self._check_networks()

    def _check_networks(self):
        base.check_patch_logits(self.discriminator, "discriminator")
        input_shape = base.expected_image_shape(self.generator)
        output_shape = base.output_image_shape(self.generator)
        d_inputs = getattr(self.discriminator, "inputs", None) or []
        if input_shape is None or output_shape is None or not d_inputs:
            return
        if len(d_inputs) == 2:
            d_input = tuple(d_inputs[0].shape[1:])
            d_image = tuple(d_inputs[1].shape[1:])
            pairs = [("input", input_shape, d_input), ("output", output_shape, d_image)]
        elif len(d_inputs) == 1:
            expected = tuple(output_shape[:-1]) + (input_shape[-1] + output_shape[-1],)
            pairs = [("input+output", expected, tuple(d_inputs[0].shape[1:]))]
        else:
            raise ValueError(
                "The Pix2Pix discriminator must take `[input, image]` (two inputs) "
                "or their channel concatenation (one input); it has "
                f"{len(d_inputs)} inputs."
            )
        for what, generator_shape, discriminator_shape in pairs:
            if any(
                a is not None and b is not None and int(a) != int(b)
                for a, b in zip(generator_shape, discriminator_shape)
            ) or len(generator_shape) != len(discriminator_shape):
                raise ValueError(
                    f"The generator's {what} shape {generator_shape} does not match "
                    f"the discriminator's {discriminator_shape}. Build the "
                    "discriminator for the same images, e.g. "
                    "`keras_gen.networks.patchgan_discriminator(input_shape, "
                    "target_shape=<generator output shape>)`."
                )

    # ------------------------------------------------------------ training
    def phases(self):
        return [
            Phase(
                "discriminator",
                optimizer="discriminator",
                variables=self.discriminator.trainable_variables,
                log_names=("d_loss",),
            ),
            Phase(
                "generator",
                optimizer="generator",
                variables=self.generator.trainable_variables,
                log_names=("g_loss", "g_adversarial_loss", "l1_loss"),
            ),
        ]

    def default_optimizers(self):
        """Adam(2e-4, beta_1=0.5) for both networks, as in the paper."""
        return {
            "generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
            "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5),
        }

    def discriminate(self, inputs, images, training=False):
        """Patch logits of the conditional discriminator for `images` given `inputs`."""
        if len(getattr(self.discriminator, "inputs", None) or []) == 1:
            return self.discriminator(ops.concatenate([inputs, images], axis=-1), training=training)
        return self.discriminator([inputs, images], training=training)

    def compute_phase_loss(self, phase, data, training=True):
        inputs, targets = base.split_pair(data, "Pix2Pix")
        self.validate_batch_spec(tuple(inputs.shape), inputs.dtype)
        self.validate_target_spec(tuple(targets.shape), targets.dtype)
        inputs = validation.guard_images_in_step(self, inputs, "Input images")
        targets = validation.guard_images_in_step(self, targets, "Target images")
        if phase == "discriminator":
            fake = ops.stop_gradient(self.generator(inputs, training=training))
            real_logits = ops.cast(self.discriminate(inputs, targets, training), "float32")
            fake_logits = ops.cast(self.discriminate(inputs, fake, training), "float32")
            d_loss = 0.5 * non_saturating.discriminator(real_logits, fake_logits)
            return d_loss, {"d_loss": d_loss}
        if phase == "generator":
            fake = self.generator(inputs, training=training)
            fake_logits = ops.cast(self.discriminate(inputs, fake, training), "float32")
            adversarial = non_saturating.generator(fake_logits)
            l1 = l1_loss(targets, fake)
            g_loss = adversarial + self.l1_weight * l1
            return g_loss, {"g_loss": g_loss, "g_adversarial_loss": adversarial, "l1_loss": l1}
        raise ValueError(f"Unknown phase {phase!r}.")

    # ------------------------------------------------------------ checking
    def validate_batch_spec(self, shape, dtype):
        validation.check_float_images(dtype, "Input images")
        validation.check_image_spec(
            shape,
            base.expected_image_shape(self.generator),
            "Input images",
            "the generator",
            "Resize the inputs (or add a channel axis with `x[..., None]`), or "
            "build the networks for this image shape.",
        )

    def validate_target_spec(self, shape, dtype):
        """Raises a clear error if target batches of `shape`/`dtype` cannot train."""
        validation.check_float_images(dtype, "Target images")
        validation.check_image_spec(
            shape,
            base.output_image_shape(self.generator),
            "Target images",
            "the generator's output",
            "Targets must have the generator's output shape: resize them, or "
            "build the generator with `output_channels=` matching the targets.",
        )

    def validate_training_data(self, x, y=None):
        """Inputs and targets, checked against the networks before training starts."""
        super().validate_training_data(x, y)
        base.check_second_batch(
            x,
            y,
            "Pix2Pix trains on (input, target) pairs: call "
            "`fit(x=inputs, y=targets)` or pass a tf.data.Dataset of "
            "`(inputs, targets)` tuples.",
            self.validate_target_spec,
            "Target images (y)",
            "Pix2Pix",
        )

    # ---------------------------------------------------------- inference
    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def translate(self, inputs, batch_size=64, training=False):
        """Translates input images with the generator.

        Args:
            inputs: float images in [-1, 1], `(n, h, w, c_in)` (a single
                `(h, w, c_in)` image is given a batch axis).
            batch_size: images per generator call.
            training: True runs the generator as the paper did at test time
                (dropout on, batch statistics of the batch); the default
                uses the moving statistics and no dropout (deterministic).

        Returns:
            NumPy array `(n, h, w, c_out)` in [-1, 1].
        """
        return base.translate_in_batches(self, self.generator, inputs, batch_size, training)

    def generate(self, inputs, batch_size=64, training=False):
        """Same as `translate`: the samples of a conditional model are translations."""
        return self.translate(inputs, batch_size=batch_size, training=training)
