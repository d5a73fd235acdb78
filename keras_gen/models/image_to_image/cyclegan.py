"""CycleGAN: unpaired image-to-image translation with cycle consistency."""

import keras
import numpy as np
from keras import ops

from keras_gen.layers.image_pool import ImagePool
from keras_gen.losses.adversarial import least_squares
from keras_gen.losses.image import cycle_consistency_loss
from keras_gen.losses.image import l1_loss
from keras_gen.models import validation
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.image_to_image import base
from keras_gen.trainers import Phase


@keras.saving.register_keras_serializable(package="keras_gen")
class CycleGAN(GenerativeModel):
    """Two generators and two discriminators that translate between unpaired domains A and B.

    Each training step takes a batch of images `a` from domain A and an
    unrelated batch `b` from domain B and runs two phases:

    - `"generators"` (one optimizer, `"generator"`, over both generators as
      in the authors' code): least-squares adversarial losses
      `E(D_B(G(a)) - 1)² + E(D_A(F(b)) - 1)²`, plus
      `cycle_weight · (E|F(G(a)) - a| + E|G(F(b)) - b|)`, plus
      `identity_weight · cycle_weight · (E|G(b) - b| + E|F(a) - a|)`;
    - `"discriminators"` (one optimizer, `"discriminator"`, over both):
      fresh translations `G(a)`, `F(b)` from the current generators (no
      gradient to them) go through the image pools `pool_b`, `pool_a`
      (50 past translations each, `keras_gen.layers.ImagePool`), and each
      discriminator minimises `½(E(D(real) - 1)² + E D(fake)²)` (the paper
      halves D's objective).

    Here `G = generator_ab`, `F = generator_ba`. Logs `g_loss` (the total),
    `adversarial_loss`, `cycle_loss`, `identity_loss` (both unweighted sums
    over the two directions), `d_loss` (`d_a_loss + d_b_loss`), `d_a_loss`
    and `d_b_loss`. The pools are layers of the model: their contents are
    saved with it (`.keras` and weights files) and training resumes with
    them. Images are floats in [-1, 1]. Default optimizers: Adam(2e-4,
    beta_1=0.5); the paper's schedule (constant, then linear decay to 0) is
    `keras_gen.models.image_to_image.LinearDecayAfter`.

    Args:
        generator_ab: `keras.Model` translating A images to B images (e.g.
            `keras_gen.networks.resnet_generator`).
        generator_ba: `keras.Model` translating B images to A images.
        discriminator_a: `keras.Model` scoring A images (least-squares
            logits, e.g. `keras_gen.networks.patchgan_discriminator(...,
            norm="instance")`).
        discriminator_b: `keras.Model` scoring B images.
        cycle_weight: λ of the cycle-consistency terms (10 in the paper).
        identity_weight: weight of the identity terms relative to λ (0.5 in
            the paper's code, i.e. 5 overall); needs domains with the same
            image shape; 0 disables them.
        pool_size: images kept per image pool (50 in the paper; 0 disables
            the pools).
        seed: seed of the model's and the pools' random generators.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> g_ab = keras_gen.networks.resnet_generator((32, 32, 1), output_channels=1)
    >>> g_ba = keras_gen.networks.resnet_generator((32, 32, 1), output_channels=1)
    >>> d_a = keras_gen.networks.patchgan_discriminator((32, 32, 1), norm="instance", num_layers=2)
    >>> d_b = keras_gen.networks.patchgan_discriminator((32, 32, 1), norm="instance", num_layers=2)
    >>> model = keras_gen.models.CycleGAN(g_ab, g_ba, d_a, d_b)
    >>> model.compile()
    >>> model.fit(x=images_a, y=images_b, batch_size=1, epochs=10)
    >>> fake_b = model.translate_ab(images_a[:8])

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593).
    """

    networks = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")

    def __init__(
        self,
        generator_ab,
        generator_ba,
        discriminator_a,
        discriminator_b,
        cycle_weight=10.0,
        identity_weight=0.5,
        pool_size=50,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.generator_ab = generator_ab
        self.generator_ba = generator_ba
        self.discriminator_a = discriminator_a
        self.discriminator_b = discriminator_b
        self.cycle_weight = validation.check_non_negative_number(
            cycle_weight, "cycle_weight", " (paper: 10)"
        )
        self.identity_weight = validation.check_non_negative_number(
            identity_weight, "identity_weight", " (paper: 0.5)"
        )
        self.pool_size = int(pool_size)
        self.shape_a, self.shape_b = self._check_networks()
        self.pool_a = ImagePool(self.pool_size, seed=_offset(seed, 1), name="pool_a")
        self.pool_b = ImagePool(self.pool_size, seed=_offset(seed, 2), name="pool_b")
        self.pool_a.build((None,) + self.shape_a)
        self.pool_b.build((None,) + self.shape_b)

    def _check_networks(self):
        base.check_patch_logits(self.discriminator_a, "discriminator_a")
        base.check_patch_logits(self.discriminator_b, "discriminator_b")
        shape_a = base.expected_image_shape(self.generator_ab)
        shape_b = base.expected_image_shape(self.generator_ba)
        if shape_a is None or shape_b is None or None in shape_a or None in shape_b:
            raise ValueError(
                "CycleGAN needs generators with a fixed input image shape "
                "(height, width, channels): its image pools store images of that shape."
            )
        checks = [
            ("generator_ab's output", base.output_image_shape(self.generator_ab), shape_b,
             "generator_ba's input (domain B)"),
            ("generator_ba's output", base.output_image_shape(self.generator_ba), shape_a,
             "generator_ab's input (domain A)"),
            ("discriminator_a's input", base.expected_image_shape(self.discriminator_a), shape_a,
             "domain A (generator_ab's input)"),
            ("discriminator_b's input", base.expected_image_shape(self.discriminator_b), shape_b,
             "domain B (generator_ba's input)"),
        ]
        for what, shape, expected, other in checks:
            if shape is not None and tuple(shape) != tuple(expected):
                raise ValueError(
                    f"{what} has shape {tuple(shape)} but {other} has shape "
                    f"{tuple(expected)}. Build the four networks for the two "
                    "domains' image shapes (e.g. `output_channels=` of the generators)."
                )
        if self.identity_weight > 0 and tuple(shape_a) != tuple(shape_b):
            raise ValueError(
                f"The identity loss feeds B images {tuple(shape_b)} to generator_ab, "
                f"which takes A images {tuple(shape_a)}. Pass identity_weight=0 "
                "for domains with different image shapes."
            )
        return tuple(shape_a), tuple(shape_b)

    # ------------------------------------------------------------ training
    def phases(self):
        return [
            Phase(
                "generators",
                optimizer="generator",
                variables=self.generator_ab.trainable_variables
                + self.generator_ba.trainable_variables,
                log_names=("g_loss", "adversarial_loss", "cycle_loss", "identity_loss"),
            ),
            Phase(
                "discriminators",
                optimizer="discriminator",
                variables=self.discriminator_a.trainable_variables
                + self.discriminator_b.trainable_variables,
                log_names=("d_loss", "d_a_loss", "d_b_loss"),
            ),
        ]

    def default_optimizers(self):
        """Adam(2e-4, beta_1=0.5) for both optimizers, as in the paper.

        For the paper's schedule pass e.g.
        `generator_optimizer=keras.optimizers.Adam(LinearDecayAfter(...), beta_1=0.5)`.
        """
        return {
            "generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
            "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5),
        }

    def compute_phase_loss(self, phase, data, training=True):
        real_a, real_b = base.split_pair(data, "CycleGAN")
        self.validate_batch_spec(tuple(real_a.shape), real_a.dtype)
        self.validate_domain_b_spec(tuple(real_b.shape), real_b.dtype)
        real_a = validation.guard_images_in_step(self, real_a, "Domain A images")
        real_b = validation.guard_images_in_step(self, real_b, "Domain B images")
        if phase == "generators":
            return self._generator_losses(real_a, real_b, training)
        if phase == "discriminators":
            return self._discriminator_losses(real_a, real_b, training)
        raise ValueError(f"Unknown phase {phase!r}.")

    def _generator_losses(self, real_a, real_b, training):
        fake_b = self.generator_ab(real_a, training=training)
        fake_a = self.generator_ba(real_b, training=training)
        # The paper's generator terms are MSE(D(fake), 1), i.e. twice the
        # ½-weighted least-squares generator loss.
        adversarial = 2.0 * least_squares.generator(
            ops.cast(self.discriminator_b(fake_b, training=training), "float32")
        ) + 2.0 * least_squares.generator(
            ops.cast(self.discriminator_a(fake_a, training=training), "float32")
        )
        cycle = cycle_consistency_loss(
            real_a, self.generator_ba(fake_b, training=training)
        ) + cycle_consistency_loss(real_b, self.generator_ab(fake_a, training=training))
        total = adversarial + self.cycle_weight * cycle
        if self.identity_weight > 0:
            identity = l1_loss(real_b, self.generator_ab(real_b, training=training)) + l1_loss(
                real_a, self.generator_ba(real_a, training=training)
            )
            total = total + self.identity_weight * self.cycle_weight * identity
        else:
            identity = ops.zeros((), "float32")
        logs = {
            "g_loss": total,
            "adversarial_loss": adversarial,
            "cycle_loss": cycle,
            "identity_loss": identity,
        }
        return total, logs

    def _discriminator_losses(self, real_a, real_b, training):
        fake_b = ops.stop_gradient(self.generator_ab(real_a, training=training))
        fake_a = ops.stop_gradient(self.generator_ba(real_b, training=training))
        fake_b = self.pool_b(fake_b, training=training)
        fake_a = self.pool_a(fake_a, training=training)
        # least_squares.discriminator is ½(E(D(x) - 1)² + E D(G(z))²): the
        # paper's halved discriminator objective.
        d_a = least_squares.discriminator(
            ops.cast(self.discriminator_a(real_a, training=training), "float32"),
            ops.cast(self.discriminator_a(fake_a, training=training), "float32"),
        )
        d_b = least_squares.discriminator(
            ops.cast(self.discriminator_b(real_b, training=training), "float32"),
            ops.cast(self.discriminator_b(fake_b, training=training), "float32"),
        )
        d_loss = d_a + d_b
        return d_loss, {"d_loss": d_loss, "d_a_loss": d_a, "d_b_loss": d_b}

    # ------------------------------------------------------------ checking
    def validate_batch_spec(self, shape, dtype):
        validation.check_float_images(dtype, "Domain A images")
        validation.check_image_spec(
            shape, self.shape_a, "Domain A images (x)", "generator_ab",
            "Resize the images or fix their channel count (e.g. grey to RGB with "
            "`np.repeat(x, 3, axis=-1)`), or build the networks for this shape.",
        )

    def validate_domain_b_spec(self, shape, dtype):
        """Raises a clear error if domain-B batches of `shape`/`dtype` cannot train."""
        validation.check_float_images(dtype, "Domain B images")
        validation.check_image_spec(
            shape, self.shape_b, "Domain B images (y)", "generator_ba",
            "Resize the images or fix their channel count (e.g. grey to RGB with "
            "`np.repeat(y, 3, axis=-1)`), or build the networks for this shape.",
        )

    def validate_training_data(self, x, y=None):
        """Both domains, checked against the networks before training starts.

        `x` and `y` need not correspond: shuffle them independently (with
        arrays, `fit` shuffles the pairs together, which is fine for
        unpaired data).
        """
        super().validate_training_data(x, y)
        base.check_second_batch(
            x,
            y,
            "CycleGAN trains on batches from both domains: call "
            "`fit(x=images_a, y=images_b)` or pass a tf.data.Dataset of "
            "`(images_a, images_b)` tuples.",
            self.validate_domain_b_spec,
            "Domain B images (y)",
            "CycleGAN",
        )

    # ---------------------------------------------------------- inference
    def call(self, images_a, training=False):
        return self.generator_ab(images_a, training=training)

    def translate_ab(self, images, batch_size=64):
        """Translates domain-A images to domain B with `generator_ab`; returns NumPy."""
        return base.translate_in_batches(self, self.generator_ab, images, batch_size)

    def translate_ba(self, images, batch_size=64):
        """Translates domain-B images to domain A with `generator_ba`; returns NumPy."""
        return base.translate_in_batches(self, self.generator_ba, images, batch_size)

    def generate(self, images, direction="ab", batch_size=64):
        """Translates `images` in `direction` `"ab"` or `"ba"` (see `translate_ab`)."""
        if direction not in ("ab", "ba"):
            raise ValueError(f"direction must be 'ab' or 'ba'; received {direction!r}.")
        if direction == "ab":
            return self.translate_ab(images, batch_size)
        return self.translate_ba(images, batch_size)

    def cycle_error(self, images_a, images_b, batch_size=64):
        """Mean `|F(G(a)) - a|` and `|G(F(b)) - b|` over the given images, as floats."""
        rec_a = self.translate_ba(self.translate_ab(images_a, batch_size), batch_size)
        rec_b = self.translate_ab(self.translate_ba(images_b, batch_size), batch_size)
        return (
            float(np.mean(np.abs(rec_a - np.asarray(images_a)))),
            float(np.mean(np.abs(rec_b - np.asarray(images_b)))),
        )


def _offset(seed, offset):
    return None if seed is None else int(seed) + offset
