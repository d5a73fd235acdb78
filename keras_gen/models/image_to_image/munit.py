"""MUNIT: multimodal unsupervised image-to-image translation with content and style codes."""

import keras
import numpy as np
from keras import ops

from keras_gen.losses.image import l1_loss
from keras_gen.losses.perceptual import perceptual
from keras_gen.models import validation
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.image_to_image import base
from keras_gen.networks.layout import network_data_format
from keras_gen.trainers import Phase

DIRECTIONS = ("a2b", "b2a")
DOMAINS = ("a", "b")


@keras.saving.register_keras_serializable(package="keras_gen")
class MUNIT(GenerativeModel):
    """Translates between two unpaired domains, one input to many outputs, by swapping style codes.

    Each domain `i` in {A, B} has a content encoder `E_i^c`, a style encoder
    `E_i^s`, a decoder `G_i` and a discriminator `D_i`. An image `x_i` is
    split into a content code `c_i = E_i^c(x_i)`, shared by the domains, and
    a style code `s_i = E_i^s(x_i)`, specific to its domain; translating A
    to B is `G_B(c_A, s_B)` with a style `s_B ~ N(0, I)` (a new output for
    every draw) or the style of a B image (example-guided translation).

    Each training step takes a batch `a` of A images and an unrelated batch
    `b` of B images, draws fresh styles `s_a, s_b ~ N(0, I)`, and runs two
    phases (the paper's eq. 5-6, with LSGAN discriminators and every L1
    term a mean over elements and batch):

    - `"discriminator"` (optimizer `"discriminator"`, both
      discriminators): `d_loss = Σ_scales [E(D_A(a) - 1)² + E D_A(G_A(c_B, s_a))²]
      + Σ_scales [E(D_B(b) - 1)² + E D_B(G_B(c_A, s_b))²]`, the translations
      without gradient to the generators;
    - `"generator"` (optimizer `"generator"`, all encoders and decoders):
      `g_loss = L_GAN + λ_x L_x + λ_c L_c + λ_s L_s [+ λ_cyc L_cyc] [+ λ_p L_p]` with
      - `L_GAN = Σ_scales E(D_A(G_A(c_B, s_a)) - 1)² + Σ_scales E(D_B(G_B(c_A, s_b)) - 1)²`;
      - image reconstruction
        `L_x = E|G_A(c_A, E_A^s(a)) - a| + E|G_B(c_B, E_B^s(b)) - b|`;
      - content reconstruction
        `L_c = E|E_B^c(G_B(c_A, s_b)) - c_A| + E|E_A^c(G_A(c_B, s_a)) - c_B|`;
      - style reconstruction
        `L_s = E|E_A^s(G_A(c_B, s_a)) - s_a| + E|E_B^s(G_B(c_A, s_b)) - s_b|`;
      - the explicit style-augmented cycle (appendix B; off by default)
        `L_cyc = E|G_A(E_B^c(G_B(c_A, s_b)), E_A^s(a)) - a|
        + E|G_B(E_A^c(G_A(c_B, s_a)), E_B^s(b)) - b|`;
      - the domain-invariant perceptual term (appendix B; off by default)
        `L_p = P(a, G_B(c_A, s_b)) + P(b, G_A(c_B, s_a))`, `P` the
        `keras_gen.losses.perceptual` distance through `perceptual_network`
        (instance-normalized VGG features in the paper:
        `keras_gen.networks.munit_domain_invariant_features`), grey images
        repeated to RGB for a 3-channel network.

    A discriminator may return one logit map or a list of them (one per
    scale, `keras_gen.networks.multiscale_patchgan_discriminator(...,
    return_features=False)`; with `return_features=True` the last tensor of
    each scale is used). Logs `d_loss`, `g_loss` (the total),
    `adversarial_loss`, `image_reconstruction_loss`,
    `content_reconstruction_loss`, `style_reconstruction_loss` (unweighted
    sums over the two domains) and, when their weights are not 0,
    `cycle_loss` and `perceptual_loss`. Images are floats in [-1, 1].
    Channels-first networks (built with `data_format="channels_first"`,
    the layout read from `content_encoder_a`) take and return images
    `(n, c, h, w)`, as does the perceptual network then; from the same
    weights a training step logs the same losses in either layout.
    Default optimizers: the paper's Adam(1e-4, beta_1=0.5, beta_2=0.999,
    weight_decay=1e-4), the learning rate halved every 100,000 steps, for
    each of the two.

    Args:
        content_encoder_a: `keras.Model` mapping A images to content codes
            (e.g. `keras_gen.networks.munit_content_encoder`).
        style_encoder_a: `keras.Model` mapping A images to style codes
            `(batch, style_dim_a)` (`keras_gen.networks.munit_style_encoder`).
        decoder_a: `keras.Model` mapping `[content, style_a]` to A images
            (`keras_gen.networks.munit_decoder`); it decodes B's content
            codes too, so both content encoders must give its content shape.
        content_encoder_b, style_encoder_b, decoder_b: the same for domain B.
        discriminator_a: `keras.Model` scoring A images with least-squares
            logits (`keras_gen.networks.multiscale_patchgan_discriminator(
            ..., norm=None)` as in the paper, or any PatchGAN).
        discriminator_b: the same for B images.
        image_weight: λ_x (10 in the paper).
        content_weight: λ_c (1).
        style_weight: λ_s (1).
        cycle_weight: λ_cyc of the explicit style-augmented cycle term (0:
            off; optional in the paper, helpful on some datasets).
        perceptual_weight: λ_p of the perceptual term (0: off; optional in
            the paper, for high-resolution images).
        perceptual_network: the frozen `keras.Model` of the perceptual term
            (needed when `perceptual_weight > 0`), e.g.
            `keras_gen.networks.munit_domain_invariant_features(
            keras_gen.losses.vgg19_feature_model())`; never trained.
        seed: seed of the model's random generator (the style codes drawn
            in training and by `translate(..., seed=None)`).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> shape, nets = (32, 32, 3), {}
    >>> for d in ("a", "b"):
    ...     content = keras_gen.networks.munit_content_encoder(
    ...         shape, base_filters=16, name=f"content_encoder_{d}")
    ...     nets[f"content_encoder_{d}"] = content
    ...     nets[f"style_encoder_{d}"] = keras_gen.networks.munit_style_encoder(
    ...         shape, base_filters=16, name=f"style_encoder_{d}")
    ...     nets[f"decoder_{d}"] = keras_gen.networks.munit_decoder(
    ...         content.output.shape[1:], name=f"decoder_{d}")
    ...     nets[f"discriminator_{d}"] = keras_gen.networks.multiscale_patchgan_discriminator(
    ...         shape, num_scales=2, num_layers=2, norm=None, return_features=False,
    ...         name=f"discriminator_{d}")
    >>> model = keras_gen.models.MUNIT(**nets, seed=0)
    >>> model.compile()
    >>> model.fit(x=images_a, y=images_b, batch_size=1, epochs=10)
    >>> many_b = model.translate(images_a[:4], "a2b", num_samples=5, seed=0)  # (4, 5, 32, 32, 3)
    >>> guided = model.translate(images_a[:4], "a2b", style=images_b[0])  # b[0]'s style

    Reference:
        Huang, Liu, Belongie & Kautz, "Multimodal Unsupervised Image-to-Image
        Translation", ECCV 2018 (https://arxiv.org/abs/1804.04732).
    """

    networks = (
        "content_encoder_a",
        "style_encoder_a",
        "decoder_a",
        "content_encoder_b",
        "style_encoder_b",
        "decoder_b",
        "discriminator_a",
        "discriminator_b",
    )

    def __init__(
        self,
        content_encoder_a,
        style_encoder_a,
        decoder_a,
        content_encoder_b,
        style_encoder_b,
        decoder_b,
        discriminator_a,
        discriminator_b,
        image_weight=10.0,
        content_weight=1.0,
        style_weight=1.0,
        cycle_weight=0.0,
        perceptual_weight=0.0,
        perceptual_network=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.content_encoder_a = content_encoder_a
        self.style_encoder_a = style_encoder_a
        self.decoder_a = decoder_a
        self.content_encoder_b = content_encoder_b
        self.style_encoder_b = style_encoder_b
        self.decoder_b = decoder_b
        self.discriminator_a = discriminator_a
        self.discriminator_b = discriminator_b
        self.image_weight = validation.check_non_negative_number(
            image_weight, "image_weight", " (paper: 10)"
        )
        self.content_weight = validation.check_non_negative_number(
            content_weight, "content_weight", " (paper: 1)"
        )
        self.style_weight = validation.check_non_negative_number(
            style_weight, "style_weight", " (paper: 1)"
        )
        self.cycle_weight = validation.check_non_negative_number(
            cycle_weight, "cycle_weight", " (paper: 0, an optional term)"
        )
        self.perceptual_weight = validation.check_non_negative_number(
            perceptual_weight, "perceptual_weight", " (paper: 0, an optional term)"
        )
        self.perceptual_network = perceptual_network
        # The networks' layout, read from a content encoder (channels-last if it has none).
        self.data_format = network_data_format(content_encoder_a) or "channels_last"
        self.shape_a, self.shape_b, self.content_shape, self.style_dim_a, self.style_dim_b = (
            _check_networks(self)
        )
        _check_perceptual(self)

    # ----------------------------------------------------------- networks
    def domain_networks(self, domain):
        """`(content_encoder, style_encoder, decoder)` of `domain` (`"a"` or `"b"`)."""
        domain = _check_domain(domain)
        if domain == "a":
            return self.content_encoder_a, self.style_encoder_a, self.decoder_a
        return self.content_encoder_b, self.style_encoder_b, self.decoder_b

    @property
    def _channel_axis(self):
        """The channel axis of a batch of images."""
        return 1 if self.data_format == "channels_first" else -1

    def image_shape(self, domain):
        """`(height, width, channels)` of `domain`'s images (`(channels, height, width)` channels-first)."""
        return self.shape_a if _check_domain(domain) == "a" else self.shape_b

    def style_dim(self, domain):
        """Size of `domain`'s style codes."""
        return self.style_dim_a if _check_domain(domain) == "a" else self.style_dim_b

    # ------------------------------------------------------------ training
    def phases(self):
        generator_variables = []
        for name in self.networks[:6]:
            generator_variables += getattr(self, name).trainable_variables
        generator_logs = (
            "g_loss",
            "adversarial_loss",
            "image_reconstruction_loss",
            "content_reconstruction_loss",
            "style_reconstruction_loss",
        )
        if self.cycle_weight > 0:
            generator_logs += ("cycle_loss",)
        if self.perceptual_weight > 0:
            generator_logs += ("perceptual_loss",)
        return [
            Phase(
                "discriminator",
                optimizer="discriminator",
                variables=self.discriminator_a.trainable_variables
                + self.discriminator_b.trainable_variables,
                log_names=("d_loss",),
            ),
            Phase(
                "generator",
                optimizer="generator",
                variables=generator_variables,
                log_names=generator_logs,
            ),
        ]

    def default_optimizers(self):
        """The paper's Adam(1e-4, beta_1=0.5, beta_2=0.999, weight_decay=1e-4), halved every 100k steps."""

        def adam():
            schedule = keras.optimizers.schedules.ExponentialDecay(
                1e-4, decay_steps=100_000, decay_rate=0.5, staircase=True
            )
            return keras.optimizers.Adam(schedule, beta_1=0.5, beta_2=0.999, weight_decay=1e-4)

        return {"discriminator": adam(), "generator": adam()}

    def compute_phase_loss(self, phase, data, training=True):
        real_a, real_b = base.split_pair(data, "MUNIT")
        self.validate_batch_spec(tuple(real_a.shape), real_a.dtype)
        self.validate_domain_b_spec(tuple(real_b.shape), real_b.dtype)
        real_a = validation.guard_images_in_step(self, real_a, "Domain A images")
        real_b = validation.guard_images_in_step(self, real_b, "Domain B images")
        if phase == "discriminator":
            return self._discriminator_losses(real_a, real_b, training)
        if phase == "generator":
            return self._generator_losses(real_a, real_b, training)
        raise ValueError(f"Unknown phase {phase!r}.")

    def _random_styles(self, images, style_dim):
        return keras.random.normal((ops.shape(images)[0], style_dim), seed=self.seed_generator)

    def _discriminator_losses(self, real_a, real_b, training):
        content_a = self.content_encoder_a(real_a, training=training)
        content_b = self.content_encoder_b(real_b, training=training)
        random_a = self._random_styles(real_b, self.style_dim_a)
        random_b = self._random_styles(real_a, self.style_dim_b)
        fake_a = ops.stop_gradient(self.decoder_a([content_b, random_a], training=training))
        fake_b = ops.stop_gradient(self.decoder_b([content_a, random_b], training=training))
        d_loss = _least_squares_discriminator(
            self.discriminator_a, real_a, fake_a, training
        ) + _least_squares_discriminator(self.discriminator_b, real_b, fake_b, training)
        return d_loss, {"d_loss": d_loss}

    def _generator_losses(self, real_a, real_b, training):
        content_a = self.content_encoder_a(real_a, training=training)
        content_b = self.content_encoder_b(real_b, training=training)
        style_a = self.style_encoder_a(real_a, training=training)
        style_b = self.style_encoder_b(real_b, training=training)
        random_a = self._random_styles(real_b, self.style_dim_a)
        random_b = self._random_styles(real_a, self.style_dim_b)

        reconstructed_a = self.decoder_a([content_a, style_a], training=training)
        reconstructed_b = self.decoder_b([content_b, style_b], training=training)
        fake_a = self.decoder_a([content_b, random_a], training=training)  # B -> A
        fake_b = self.decoder_b([content_a, random_b], training=training)  # A -> B
        content_b_again = self.content_encoder_a(fake_a, training=training)
        content_a_again = self.content_encoder_b(fake_b, training=training)
        random_a_again = self.style_encoder_a(fake_a, training=training)
        random_b_again = self.style_encoder_b(fake_b, training=training)

        adversarial = _least_squares_generator(
            self.discriminator_a, fake_a, training
        ) + _least_squares_generator(self.discriminator_b, fake_b, training)
        image = l1_loss(real_a, reconstructed_a) + l1_loss(real_b, reconstructed_b)
        content = l1_loss(content_a, content_a_again) + l1_loss(content_b, content_b_again)
        style = l1_loss(random_a, random_a_again) + l1_loss(random_b, random_b_again)
        total = (
            adversarial
            + self.image_weight * image
            + self.content_weight * content
            + self.style_weight * style
        )
        logs = {
            "adversarial_loss": adversarial,
            "image_reconstruction_loss": image,
            "content_reconstruction_loss": content,
            "style_reconstruction_loss": style,
        }
        if self.cycle_weight > 0:
            cycle_a = self.decoder_a([content_a_again, style_a], training=training)
            cycle_b = self.decoder_b([content_b_again, style_b], training=training)
            cycle = l1_loss(real_a, cycle_a) + l1_loss(real_b, cycle_b)
            total = total + self.cycle_weight * cycle
            logs["cycle_loss"] = cycle
        if self.perceptual_weight > 0:
            perceptual_term = self._perceptual_loss(real_a, fake_b) + self._perceptual_loss(
                real_b, fake_a
            )
            total = total + self.perceptual_weight * perceptual_term
            logs["perceptual_loss"] = perceptual_term
        return total, {"g_loss": total, **logs}

    def _perceptual_loss(self, source, translated):
        """`keras_gen.losses.perceptual` between an image and its translation (grey repeated to RGB)."""
        axis = self._channel_axis
        channels = self.perceptual_network.inputs[0].shape[axis]

        def prepare(images):
            if images.shape[axis] == 1 and channels == 3:
                images = ops.repeat(images, 3, axis=axis)
            return images

        return perceptual(prepare(source), prepare(translated), self.perceptual_network)

    # ------------------------------------------------------------ checking
    def validate_batch_spec(self, shape, dtype):
        validation.check_float_images(dtype, "Domain A images")
        validation.check_image_spec(
            shape, self.shape_a, "Domain A images (x)", "content_encoder_a",
            "Resize the images or fix their channel count (e.g. RGB to grey with "
            "`x.mean(axis=-1, keepdims=True)`), or build the networks for this shape.",
        )

    def validate_domain_b_spec(self, shape, dtype):
        """Raises a clear error if domain-B batches of `shape`/`dtype` cannot train."""
        validation.check_float_images(dtype, "Domain B images")
        validation.check_image_spec(
            shape, self.shape_b, "Domain B images (y)", "content_encoder_b",
            "Resize the images or fix their channel count (e.g. grey to RGB with "
            "`np.repeat(y, 3, axis=-1)`), or build the networks for this shape.",
        )

    def validate_training_data(self, x, y=None):
        """Both domains, checked against the networks before training starts.

        `x` (domain A) and `y` (domain B) need not correspond.
        """
        super().validate_training_data(x, y)
        base.check_second_batch(
            x,
            y,
            "MUNIT trains on batches from both domains: call "
            "`fit(x=images_a, y=images_b)` or pass a tf.data.Dataset of "
            "`(images_a, images_b)` tuples.",
            self.validate_domain_b_spec,
            "Domain B images (y)",
            "MUNIT",
        )

    # ---------------------------------------------------------- inference
    def call(self, images_a, training=False):
        """A -> B with the mean style code (zeros), for `model(images_a)`."""
        content = self.content_encoder_a(images_a, training=training)
        style = ops.zeros((ops.shape(images_a)[0], self.style_dim_b), "float32")
        return self.decoder_b([content, style], training=training)

    def encode(self, images, domain, batch_size=64):
        """Content and style codes of `domain`'s images.

        Args:
            images: float images in [-1, 1] of `domain`, `(n, h, w, c)` (a
                single `(h, w, c)` image is given a batch axis).
            domain: `"a"` or `"b"`.
            batch_size: images per encoder call.

        Returns:
            `(content, style)` NumPy arrays, `(n,) + content_shape` and
            `(n, style_dim)`.
        """
        content_encoder, style_encoder, _ = self.domain_networks(domain)
        images = self._checked_images(images, domain, "Images to encode")
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        return self.run_in_batches(
            lambda x: [content_encoder(x, training=False), style_encoder(x, training=False)],
            [images],
            batch_size,
        )

    def decode(self, content, style, domain, batch_size=64):
        """Images of `domain` from content codes and `domain`'s style codes.

        Args:
            content: `(n,) + content_shape` (e.g. from `encode` of either domain).
            style: `(n, style_dim)`, or one code `(style_dim,)` for every content.
            domain: the output domain, `"a"` or `"b"`.
            batch_size: codes per decoder call.

        Returns:
            NumPy images `(n, h, w, c)` of `domain`, in [-1, 1].
        """
        _, _, decoder = self.domain_networks(domain)
        content = self._checked_content(content)
        style = self._checked_codes(style, domain, len(content))
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        return self._decode_arrays(decoder, content, style, batch_size)

    def translate(self, images, direction="a2b", style=None, num_samples=1, seed=None, batch_size=64):
        """Translates images to the other domain with random, given or example styles.

        Shape rule: one output per input, `(n, h, w, c)`, except with
        `num_samples = k > 1` random styles per input: `(n, k, h, w, c)`,
        `[i, j]` the `j`-th translation of input `i`.

        Args:
            images: float images in [-1, 1] of the source domain, `(n, h, w,
                c)` (a single `(h, w, c)` image is given a batch axis).
            direction: `"a2b"` or `"b2a"`.
            style: None draws `num_samples` style codes per input from
                N(0, I); an array of codes of the target domain, one
                `(style_dim,)` for every input or `(n, style_dim)`, one per
                input; or target-domain images, one `(h, w, c)` or `(1, h,
                w, c)` whose style every input takes, or `(n, h, w, c)`, one
                per input (example-guided translation).
            num_samples: random styles per input (only with `style=None`).
            seed: an int draws the random styles with NumPy (the same codes,
                and outputs, on every backend); None uses the model's seed
                generator.
            batch_size: images per network call.

        Returns:
            NumPy images of the target domain in [-1, 1], shaped as above.
        """
        source, target = _check_direction(direction)
        num_samples = _check_num_samples(num_samples)
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        images = self._checked_images(images, source, "Images to translate")
        n = len(images)
        if style is not None and num_samples != 1:
            raise ValueError(
                f"num_samples={num_samples} draws random styles, but `style=` fixes the "
                "style: pass num_samples=1 with a style, or style=None to draw "
                f"{num_samples} random styles per input."
            )
        if style is None:
            codes = self._random_codes(target, n, num_samples, seed)
        else:
            codes = self._style_for(style, target, n, batch_size)[:, None]
        content_encoder = self.domain_networks(source)[0]
        _, _, decoder = self.domain_networks(target)
        content = self.run_in_batches(
            lambda x: content_encoder(x, training=False), [images], batch_size
        )
        outputs = [
            self._decode_arrays(decoder, content, codes[:, j], batch_size)
            for j in range(codes.shape[1])
        ]
        return outputs[0] if num_samples == 1 else np.stack(outputs, axis=1)

    def generate(self, images, direction="a2b", **kwargs):
        """Same as `translate`: the samples of a translation model are translations."""
        return self.translate(images, direction, **kwargs)

    # ------------------------------------------------------------ helpers
    def _decode_arrays(self, decoder, content, codes, batch_size):
        return self.run_in_batches(
            lambda c, s: decoder([c, s], training=False), [content, codes], batch_size
        )

    def _checked_images(self, images, domain, what):
        images = _to_numpy(images)
        validation.check_float_images(images.dtype, what, "MUNIT")
        if images.ndim == 3:
            images = images[None]
        expected = self.image_shape(domain)
        if images.ndim != 4 or tuple(images.shape[1:]) != tuple(expected):
            raise ValueError(
                f"{what} have shape {images.shape}, but domain {domain.upper()}'s networks "
                f"expect (n,) + {tuple(expected)} or one image {tuple(expected)}. Resize them "
                "or fix their channel count, or check `direction=` / `domain=`."
            )
        validation.check_image_values(images, what, "MUNIT", strict=False)
        return images.astype("float32", copy=False)

    def _checked_content(self, content):
        content = _to_numpy(content).astype("float32")
        if content.ndim == len(self.content_shape):
            content = content[None]
        if tuple(content.shape[1:]) != tuple(self.content_shape):
            raise ValueError(
                f"Content codes must have shape (n,) + {tuple(self.content_shape)} (the "
                f"content encoders' output); received {content.shape}. Get them from "
                "`model.encode(images, domain)`."
            )
        return content

    def _checked_codes(self, style, domain, n):
        """Style codes `(n, style_dim)` from one code or one per row, or a `ValueError`."""
        style_dim = self.style_dim(domain)
        codes = _to_numpy(style)
        if codes.dtype.kind not in "fiu":
            raise ValueError(f"Style codes must be numbers; received dtype {codes.dtype}.")
        codes = codes.astype("float32")
        if codes.shape in ((style_dim,), (1, style_dim), (n, style_dim)):
            return np.broadcast_to(codes, (n, style_dim)).copy()
        raise ValueError(
            f"Domain {domain.upper()}'s style codes have {style_dim} entries: pass one code "
            f"({style_dim},) for every input or one per input ({n}, {style_dim}); received "
            f"shape {codes.shape}."
        )

    def _style_for(self, style, domain, n, batch_size):
        """Codes `(n, style_dim)` from codes or from example images of `domain`."""
        array = _to_numpy(style)
        if array.ndim <= 2:
            return self._checked_codes(array, domain, n)
        examples = self._checked_images(array, domain, f"Style images (domain {domain.upper()})")
        if len(examples) not in (1, n):
            raise ValueError(
                f"Pass one style image or one per input ({n}); received {len(examples)} "
                f"domain-{domain.upper()} images."
            )
        style_encoder = self.domain_networks(domain)[1]
        codes = self.run_in_batches(
            lambda x: style_encoder(x, training=False), [examples], batch_size
        )
        return np.broadcast_to(codes, (n, codes.shape[1])).astype("float32")

    def _random_codes(self, domain, n, num_samples, seed):
        """`(n, num_samples, style_dim)` codes from N(0, I)."""
        style_dim = self.style_dim(domain)
        if seed is None:
            codes = keras.random.normal((n * num_samples, style_dim), seed=self.seed_generator)
            return ops.convert_to_numpy(codes).reshape(n, num_samples, style_dim)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an int or None; received {seed!r}.")
        rng = np.random.default_rng(int(seed))
        return rng.standard_normal((n, num_samples, style_dim)).astype("float32")


# -------------------------------------------------------------- losses
def _logit_maps(outputs):
    """The logits of a discriminator's outputs: one map, or one per scale (last tensor of each)."""
    if isinstance(outputs, dict):
        raise ValueError(
            "MUNIT's discriminators must return a logit map or a list of them (one per "
            "scale), not a dict."
        )
    if not isinstance(outputs, (list, tuple)):
        return [outputs]
    return [o[-1] if isinstance(o, (list, tuple)) else o for o in outputs]


def _least_squares_discriminator(discriminator, real, fake, training):
    real_logits = _logit_maps(discriminator(real, training=training))
    fake_logits = _logit_maps(discriminator(fake, training=training))
    loss = 0.0
    for r, f in zip(real_logits, fake_logits):
        loss = loss + ops.mean(ops.square(ops.cast(r, "float32") - 1.0)) + ops.mean(
            ops.square(ops.cast(f, "float32"))
        )
    return loss


def _least_squares_generator(discriminator, fake, training):
    loss = 0.0
    for f in _logit_maps(discriminator(fake, training=training)):
        loss = loss + ops.mean(ops.square(ops.cast(f, "float32") - 1.0))
    return loss


# -------------------------------------------------------------- checks
def _to_numpy(value):
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple, float, int)):
        return np.asarray(value)
    return np.asarray(ops.convert_to_numpy(value))


def _check_domain(domain):
    if domain not in DOMAINS:
        raise ValueError(f"domain must be 'a' or 'b'; received {domain!r}.")
    return domain


def _check_direction(direction):
    if direction not in DIRECTIONS:
        raise ValueError(
            f"direction must be 'a2b' (domain A to B) or 'b2a'; received {direction!r}."
        )
    return direction[0], direction[-1]


def _check_num_samples(num_samples):
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError(
            f"num_samples must be an int >= 1 (random styles per input); received {num_samples!r}."
        )
    return int(num_samples)


def _shapes(tensors):
    return [tuple(t.shape[1:]) for t in tensors]


def _network_io(network, name, num_inputs):
    """`(input shapes, output shapes)` of a functional network, without the batch axis."""
    inputs = getattr(network, "inputs", None)
    outputs = getattr(network, "outputs", None)
    if not inputs or not outputs:
        raise ValueError(
            f"MUNIT needs functional networks with known input shapes; {name} "
            f"({type(network).__name__}) has none. Build it with the "
            "keras_gen.networks.munit_* builders or keras.Model(inputs, outputs)."
        )
    if len(inputs) != num_inputs:
        expected = "[content, style]" if num_inputs == 2 else "one image"
        raise ValueError(
            f"{name} takes {len(inputs)} input(s); MUNIT calls it with {expected}."
        )
    return _shapes(inputs), _shapes(outputs)


def _check_equal(shape, expected, what, other, fix):
    if tuple(shape) != tuple(expected) or None in tuple(shape):
        raise ValueError(f"{what} is {tuple(shape)} but {other} is {tuple(expected)}. {fix}")


def _check_networks(model):
    """Returns `(shape_a, shape_b, content_shape, style_dim_a, style_dim_b)` or raises."""
    fix = (
        "Build the networks of each domain for its image shape and the two decoders "
        "for the content encoders' output (see keras_gen.networks.munit_*)."
    )
    found = {}
    for domain in DOMAINS:
        (image_shape,), (content_shape,) = _network_io(
            getattr(model, f"content_encoder_{domain}"), f"content_encoder_{domain}", 1
        )
        if None in image_shape or len(image_shape) != 3:
            raise ValueError(
                f"content_encoder_{domain} must take images of a fixed shape (height, width, "
                f"channels); it takes {image_shape}."
            )
        (style_input,), style_outputs = _network_io(
            getattr(model, f"style_encoder_{domain}"), f"style_encoder_{domain}", 1
        )
        _check_equal(style_input, image_shape, f"style_encoder_{domain}'s input shape",
                     f"content_encoder_{domain}'s", fix)
        if len(style_outputs) != 1 or len(style_outputs[0]) != 1 or style_outputs[0][0] is None:
            raise ValueError(
                f"style_encoder_{domain} must return one style code per image, (batch, "
                f"style_dim); it returns {style_outputs}."
            )
        style_dim = int(style_outputs[0][0])
        decoder_inputs, decoder_outputs = _network_io(
            getattr(model, f"decoder_{domain}"), f"decoder_{domain}", 2
        )
        if len(decoder_outputs) != 1:
            raise ValueError(
                f"decoder_{domain} must return one batch of images; it returns "
                f"{len(decoder_outputs)} tensors."
            )
        _check_equal(decoder_inputs[1], (style_dim,), f"decoder_{domain}'s style input",
                     f"style_encoder_{domain}'s output", "Build both with the same `style_dim=`.")
        _check_equal(decoder_outputs[0], image_shape, f"decoder_{domain}'s output shape",
                     f"domain {domain.upper()}'s image shape (content_encoder_{domain}'s input)",
                     "Build the decoder with `output_channels=` and upsamplings that give "
                     "the domain's images.")
        _check_equal(content_shape, decoder_inputs[0], f"content_encoder_{domain}'s output",
                     f"decoder_{domain}'s content input", fix)
        found[domain] = (image_shape, content_shape, style_dim)
    _check_equal(found["a"][1], found["b"][1], "content_encoder_a's output",
                 "content_encoder_b's output (the content space is shared)", fix)
    for domain in DOMAINS:
        _check_discriminator(getattr(model, f"discriminator_{domain}"), f"discriminator_{domain}",
                             found[domain][0])
    return found["a"][0], found["b"][0], found["a"][1], found["a"][2], found["b"][2]


def _check_discriminator(discriminator, name, image_shape):
    (input_shape,), _ = _network_io(discriminator, name, 1)
    _check_equal(input_shape, image_shape, f"{name}'s input shape",
                 f"domain {name[-1].upper()}'s image shape",
                 "Build it for the images of its domain.")
    spec = discriminator.compute_output_spec(keras.KerasTensor((1,) + tuple(image_shape)))
    for logits in _logit_maps(spec):
        validation.check_logits_shape(
            logits.shape, name,
            "Build it with e.g. `keras_gen.networks.multiscale_patchgan_discriminator(..., "
            "return_features=False)`.",
            channels_first=network_data_format(discriminator) == "channels_first",
        )


def _check_perceptual(model):
    """Raises unless the perceptual term, when on, has a network that takes both domains' images."""
    network = model.perceptual_network
    if network is None:
        if model.perceptual_weight > 0:
            raise ValueError(
                f"perceptual_weight={model.perceptual_weight} needs a feature network: pass "
                "`perceptual_network=keras_gen.networks.munit_domain_invariant_features("
                "keras_gen.losses.vgg19_feature_model())` (or another keras.Model), or "
                "perceptual_weight=0."
            )
        return
    (input_shape,), _ = _network_io(network, "perceptual_network", 1)
    first = model.data_format == "channels_first"
    channel = 0 if first else -1
    channels = input_shape[channel]
    for domain, shape in (("A", model.shape_a), ("B", model.shape_b)):
        if shape[channel] != channels and not (shape[channel] == 1 and channels == 3):
            raise ValueError(
                f"perceptual_network takes images of {channels} channel(s) but domain "
                f"{domain}'s have {shape[channel]}. Give it 3-channel inputs (grey images are "
                "repeated to RGB) or the domains' channel count"
                + (", channels-first as the networks." if first else ".")
            )
    sides_a, sides_b = (tuple(shape[1:] if first else shape[:2])
                        for shape in (model.shape_a, model.shape_b))
    if sides_a != sides_b:
        raise ValueError(
            "The perceptual term compares each image with its translation in one batch: "
            f"the domains' images must have the same height and width, not {sides_a} "
            f"and {sides_b}. Pass perceptual_weight=0 or resize one domain."
        )
