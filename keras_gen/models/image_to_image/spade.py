"""SPADE (GauGAN): semantic image synthesis from label maps with spatially-adaptive normalization."""

import keras
import numpy as np
from keras import ops

from keras_gen.losses.adversarial import hinge
from keras_gen.losses.divergences import gaussian_kl
from keras_gen.losses.feature_matching import feature_matching_l1
from keras_gen.losses.perceptual import check_layer_weights
from keras_gen.losses.perceptual import perceptual
from keras_gen.models import validation
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.image_to_image import base
from keras_gen.models.image_to_image import label_maps as label_map_checks
from keras_gen.networks.layout import network_data_format
from keras_gen.trainers import Phase


# Registered as "SPADEModel": "keras_gen>SPADE" is the normalization layer, keras_gen.layers.SPADE.
@keras.saving.register_keras_serializable(package="keras_gen", name="SPADEModel")
class SPADE(GenerativeModel):
    """GauGAN: synthesizes images from semantic label maps, with an optional style encoder.

    Data are `(label_maps, images)` pairs (`fit(x=label_maps, y=images)`).
    Label maps are either integer class ids `(n, h, w)` in
    `[0, num_classes)` or one-hot float maps `(n, h, w, num_classes)`
    (`keras_gen.datasets.one_hot_label_maps`); the model one-hots id maps
    itself, and `num_classes` is the channel count of the generator's label
    input. Images are floats in [-1, 1].

    Channels-first networks (`spade_generator(..., data_format=
    "channels_first")` and a channels-first discriminator and encoder) take
    channels-first images `(n, c, h, w)` and the same integer class ids
    `(n, h, w)`, one-hot encoded on axis 1, or one-hot maps `(n,
    num_classes, h, w)`; the layout is read from the generator
    (`keras_gen.networks.network_data_format`). From the same weights, a
    training step gives the same losses in either layout.

    Each training step runs two phases on a batch of pairs `(s, x)`, with a
    fake `x̃ = G(s, z)`:

    - `"discriminator"`: the hinge loss of every scale `k` of the
      (multi-scale) discriminator on `concat(s, x)` and `concat(s, x̃)`,
      summed over scales: `Σ_k E relu(1 - D_k(s, x)) + E relu(1 + D_k(s, x̃))`;
    - `"generator"` (the generator's optimizer also trains the encoder):
      `Σ_k -E D_k(s, x̃)`
      `+ feature_matching_weight · Σ_k Σ_i mean|D_k^(i)(s, x) - D_k^(i)(s, x̃)|`
      (the discriminator's hidden features, pix2pixHD's eq. 4)
      `+ perceptual_weight · Σ_j w_j mean|F_j(x) - F_j(x̃)|` (when a
      `feature_network` F is given; `keras_gen.losses.perceptual`)
      `+ kl_weight · E KL(q(z | x) || N(0, I))` (VAE mode).

    The code `z` is N(0, I) noise without an encoder ("noise mode"), and in
    VAE mode a sample `mean + exp(log_var / 2) · eps` of the encoder's
    posterior for the real image `x`. A generator without a latent input
    (built with `latent_dim=None`) makes one image per map.

    Logs `d_loss`, `g_loss` (the total), `g_adversarial_loss`,
    `feature_matching_loss` (when the discriminator returns features),
    `perceptual_loss` (with a feature network) and `kl_loss` (VAE mode).
    Default optimizers: Adam(1e-4, beta_1=0, beta_2=0.9) for the generator
    (and encoder), Adam(4e-4, beta_1=0, beta_2=0.9) for the discriminator
    (the two time-scale update rule).

    Args:
        generator: a `keras.Model` with inputs `[label_map, latent]` (a
            one-hot `(batch, h, w, num_classes)` map and `(batch,
            latent_dim)` codes) or `label_map` alone, returning images
            `(batch, h, w, c)` in [-1, 1]; e.g.
            `keras_gen.networks.spade_generator`.
        discriminator: a conditional `keras.Model` taking `[label_map,
            image]` (or their channel concatenation) and returning, as
            `keras_gen.networks.multiscale_patchgan_discriminator(label_shape,
            target_shape=image_shape)` does, one `[feature_0, ..., logits]`
            list per scale (or logits only: a tensor, or one per scale, with
            `feature_matching_weight=0`).
        encoder: None (noise mode), or a `keras.Model` from images to
            `[mean, log_var]` of the code (e.g.
            `keras_gen.networks.spade_image_encoder`).
        feature_network: None, or a fixed `keras.Model` from images to the
            features of the perceptual loss (e.g.
            `keras_gen.losses.vgg19_feature_model()`, the paper's VGG19). It
            is frozen.
        feature_matching_weight: λ_FM (paper: 10).
        perceptual_weight: λ_VGG (paper: 10), used with a `feature_network`.
        perceptual_layer_weights: one weight per output of the feature
            network (None: 1 each; pix2pixHD's for VGG19 are
            `keras_gen.losses.VGG19_LAYER_WEIGHTS`).
        kl_weight: λ_KLD of VAE mode (paper: 0.05).
        seed: seed of the model's `keras.random.SeedGenerator` (codes).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> images, ids = keras_gen.datasets.digits_segmentation("train", image_size=32)
    >>> generator = keras_gen.networks.spade_generator((32, 32, 11), output_channels=1,
    ...                                                latent_dim=64, base_filters=16)
    >>> discriminator = keras_gen.networks.multiscale_patchgan_discriminator(
    ...     (32, 32, 11), target_shape=(32, 32, 1), num_scales=2, base_filters=16,
    ...     num_layers=2, spectral_norm=True)
    >>> model = keras_gen.models.SPADE(generator, discriminator, seed=0)
    >>> model.compile()
    >>> model.fit(x=ids, y=images, batch_size=16, epochs=5)
    >>> samples = model.synthesize(ids[:8], seed=0, num_samples=4)  # (8, 4, 32, 32, 1)

    VAE mode with the paper's VGG19 perceptual loss (its weights are
    downloaded once by Keras, or passed as a local file):

    >>> vae = keras_gen.models.SPADE(
    ...     generator, discriminator,
    ...     encoder=keras_gen.networks.spade_image_encoder((32, 32, 1), latent_dim=64,
    ...                                                    base_filters=16),
    ...     feature_network=keras_gen.losses.vgg19_feature_model(input_shape=(32, 32, 1)),
    ...     perceptual_layer_weights=keras_gen.losses.VGG19_LAYER_WEIGHTS)
    >>> styled = vae.synthesize(ids[:8], style=images[:8])  # each map in its image's style

    Reference:
        Park, Liu, Wang & Zhu, "Semantic Image Synthesis with Spatially-Adaptive
        Normalization", CVPR 2019 (https://arxiv.org/abs/1903.07291).
    """

    networks = ("generator", "discriminator", "encoder")

    def __init__(
        self,
        generator,
        discriminator,
        encoder=None,
        feature_network=None,
        feature_matching_weight=10.0,
        perceptual_weight=10.0,
        perceptual_layer_weights=None,
        kl_weight=0.05,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.encoder = encoder
        self.feature_network = feature_network
        self.feature_matching_weight = validation.check_non_negative_number(
            feature_matching_weight, "feature_matching_weight", " (paper: 10)"
        )
        self.perceptual_weight = validation.check_non_negative_number(
            perceptual_weight, "perceptual_weight", " (paper: 10)"
        )
        self.kl_weight = validation.check_non_negative_number(kl_weight, "kl_weight", " (paper: 0.05)")
        # The networks' layout, read from the generator (channels-last if it has none).
        self.data_format = network_data_format(generator) or "channels_last"
        self.label_shape, self.latent_dim, self.image_shape = self._check_generator()
        self.num_classes = self.label_shape[self._channel_axis]
        self._discriminator_takes_pair, self._feature_counts = self._check_discriminator()
        self._has_features = all(self._feature_counts)
        self._check_encoder()
        self.perceptual_layer_weights = self._check_feature_network(perceptual_layer_weights)

    # ---------------------------------------------------------- networks
    @property
    def channels_first(self):
        """True when the networks are channels-first (`data_format`)."""
        return self.data_format == "channels_first"

    @property
    def _channel_axis(self):
        """Channel axis of one label map or image (no batch axis)."""
        return 0 if self.channels_first else -1

    def _spatial_shape(self, shape):
        return tuple(shape[1:]) if self.channels_first else tuple(shape[:2])

    def _check_generator(self):
        inputs = getattr(self.generator, "inputs", None) or []
        shapes = [tuple(t.shape[1:]) for t in inputs]
        output = base.output_image_shape(self.generator)
        fix = (
            "Build it with `keras_gen.networks.spade_generator(label_shape, ...)`: inputs "
            "[label_map (h, w, num_classes), latent (latent_dim,)] or label_map alone."
        )
        if not shapes or len(shapes) > 2 or len(shapes[0]) != 3 or None in shapes[0]:
            raise ValueError(
                f"The SPADE generator must take a one-hot label map of a known shape "
                f"(h, w, num_classes) first; its inputs have shapes {shapes}. {fix}"
            )
        latent_dim = None
        if len(shapes) == 2:
            if len(shapes[1]) != 1 or shapes[1][0] is None:
                raise ValueError(
                    f"The SPADE generator's second input must be the latent code "
                    f"(latent_dim,); it has shape {shapes[1]}. {fix}"
                )
            latent_dim = int(shapes[1][0])
        if output is None or len(output) != 3 or self._spatial_shape(output) != self._spatial_shape(
                shapes[0]):
            raise ValueError(
                f"The SPADE generator must return images with the label map's height "
                f"and width {self._spatial_shape(shapes[0])}; it returns shape {output}. {fix}"
            )
        return tuple(int(d) for d in shapes[0]), latent_dim, tuple(output)

    def _check_discriminator(self):
        inputs = getattr(self.discriminator, "inputs", None) or []
        shapes = [tuple(t.shape[1:]) for t in inputs]
        classes, channels = self.num_classes, self.image_shape[self._channel_axis]
        fix = (
            "Build it for the label maps and images, e.g. "
            f"`keras_gen.networks.multiscale_patchgan_discriminator({self.label_shape}, "
            f"target_shape={self.image_shape}, ...)`."
        )
        if len(shapes) == 2:
            expected = [self.label_shape, self.image_shape]
        elif len(shapes) == 1:
            concatenated = list(self.label_shape)
            concatenated[self._channel_axis] = classes + channels
            expected = [tuple(concatenated)]
        else:
            raise ValueError(
                "The SPADE discriminator must take [label_map, image] (two inputs) or their "
                f"channel concatenation (one input); it has {len(shapes)} inputs. {fix}"
            )
        for shape, wanted in zip(shapes, expected):
            if not validation.same_shape(shape, wanted):
                raise ValueError(
                    f"The discriminator's inputs have shapes {shapes}, but the generator's "
                    f"label maps and images need {expected}. {fix}"
                )
        # Features per scale, read from the static structure: a called model unwraps
        # a one-element output list, so the run-time structure can be flatter.
        feature_counts = [len(features) for features, _ in split_scales(self.discriminator.output)]
        has_features = all(feature_counts)
        if self.feature_matching_weight > 0 and not has_features:
            raise ValueError(
                "Feature matching needs the discriminator's hidden features: build it with "
                "`keras_gen.networks.multiscale_patchgan_discriminator(..., "
                "return_features=True)` (one [features..., logits] list per scale), or pass "
                "feature_matching_weight=0."
            )
        return len(shapes) == 2, tuple(feature_counts)

    def _check_encoder(self):
        if self.encoder is None:
            return
        if self.latent_dim is None:
            raise ValueError(
                "An encoder gives the generator its latent code, but this generator has no "
                "latent input. Build it with `spade_generator(..., latent_dim=...)` equal to "
                "the encoder's, or pass encoder=None."
            )
        image_shape = base.expected_image_shape(self.encoder)
        if image_shape is not None and not validation.same_shape(image_shape, self.image_shape):
            raise ValueError(
                f"The encoder takes images of shape {image_shape}, but the generator makes "
                f"{self.image_shape}. Build the encoder for the generator's images."
            )
        outputs = getattr(self.encoder, "outputs", None) or []
        shapes = [tuple(t.shape[1:]) for t in outputs]
        if shapes != [(self.latent_dim,), (self.latent_dim,)]:
            raise ValueError(
                f"The encoder must return [mean, log_var], each (latent_dim,) = "
                f"({self.latent_dim},) as the generator's latent input; it returns shapes "
                f"{shapes}. Build it with `keras_gen.networks.spade_image_encoder(image_shape, "
                f"latent_dim={self.latent_dim})`."
            )

    def _check_feature_network(self, layer_weights):
        network = self.feature_network
        if network is None:
            return None if layer_weights is None else tuple(float(w) for w in layer_weights)
        if not isinstance(network, keras.Model):
            raise TypeError(
                "feature_network must be a keras.Model from images to features (e.g. "
                "`keras_gen.losses.vgg19_feature_model()`); received "
                f"{type(network).__name__}."
            )
        image_shape = base.expected_image_shape(network)
        if image_shape is not None and not validation.same_shape(image_shape, self.image_shape):
            raise ValueError(
                f"The feature network takes images of shape {image_shape}, but the generator "
                f"makes {self.image_shape}. Build it for these images (e.g. "
                f"`vgg19_feature_model(input_shape={self.image_shape})`)."
            )
        network.trainable = False
        num_features = len(keras.tree.flatten(network.output))
        weights = None if layer_weights is None else check_layer_weights(layer_weights, num_features)
        return weights

    # ---------------------------------------------------------- training
    def phases(self):
        generator_variables = list(self.generator.trainable_variables)
        if self.encoder is not None:
            generator_variables += self.encoder.trainable_variables
        logs = ["g_loss", "g_adversarial_loss"]
        if self._has_features:
            logs.append("feature_matching_loss")
        if self.feature_network is not None:
            logs.append("perceptual_loss")
        if self.encoder is not None:
            logs.append("kl_loss")
        return [
            Phase(
                "discriminator",
                optimizer="discriminator",
                variables=self.discriminator.trainable_variables,
                log_names=("d_loss",),
            ),
            Phase(
                "generator", optimizer="generator", variables=generator_variables,
                log_names=tuple(logs),
            ),
        ]

    def default_optimizers(self):
        """The paper's TTUR: Adam(1e-4) for G and E, Adam(4e-4) for D, beta_1=0, beta_2=0.9."""
        return {
            "generator": keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
            "discriminator": keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
        }

    def discriminate(self, one_hot_maps, images, training=False):
        """The discriminator's `[(features, logits)]`, one pair per scale; logits in float32."""
        if self._discriminator_takes_pair:
            outputs = self.discriminator([one_hot_maps, images], training=training)
        else:
            outputs = self.discriminator(
                ops.concatenate([one_hot_maps, ops.cast(images, one_hot_maps.dtype)],
                                axis=1 if self.channels_first else -1),
                training=training,
            )
        flat, scales = keras.tree.flatten(outputs), []
        for count in self._feature_counts:
            scales.append((flat[:count], ops.cast(flat[count], "float32")))
            flat = flat[count + 1 :]
        return scales

    def discriminate_real_and_fake(self, one_hot_maps, real, fake, training=False):
        """`(real_scales, fake_scales)` (see `discriminate`) from one call on both batches.

        Real and fake images of the same maps go through the discriminator
        together, as one batch: one pass (and one power iteration of its
        spectral norms) per phase. Its instance normalization is per sample,
        so each half is scored as it would be alone.
        """
        maps = ops.concatenate([one_hot_maps, one_hot_maps], axis=0)
        images = ops.concatenate([ops.cast(real, fake.dtype), fake], axis=0)
        real_scales, fake_scales = [], []
        for features, logits in self.discriminate(maps, images, training):
            halves = [ops.split(tensor, 2, axis=0) for tensor in features + [logits]]
            real_scales.append(([h[0] for h in halves[:-1]], halves[-1][0]))
            fake_scales.append(([h[1] for h in halves[:-1]], halves[-1][1]))
        return real_scales, fake_scales

    def training_codes(self, images, one_hot_maps, training=True):
        """`(z, posterior)` for a batch: N(0, I) noise, or a sample of the encoder's posterior.

        `posterior` is `(mean, log_var)` in VAE mode, else None; `z` is None
        for a generator without a latent input.
        """
        if self.latent_dim is None:
            return None, None
        if self.encoder is None:
            batch = ops.shape(one_hot_maps)[0]
            return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator), None
        mean, log_var = self.encoder(images, training=training)
        mean, log_var = ops.cast(mean, "float32"), ops.cast(log_var, "float32")
        noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * noise, (mean, log_var)

    def _generate(self, one_hot_maps, codes, training):
        inputs = one_hot_maps if codes is None else [one_hot_maps, codes]
        return self.generator(inputs, training=training)

    def compute_phase_loss(self, phase, data, training=True):
        one_hot_maps, images = self._training_batch(data)
        codes, posterior = self.training_codes(images, one_hot_maps, training)
        if phase == "discriminator":
            fake = ops.stop_gradient(self._generate(one_hot_maps, codes, training))
            real_scales, fake_scales = self.discriminate_real_and_fake(
                one_hot_maps, images, fake, training
            )
            d_loss = sum(
                hinge.discriminator(real_logits, fake_logits)
                for (_, real_logits), (_, fake_logits) in zip(real_scales, fake_scales)
            )
            return d_loss, {"d_loss": d_loss}
        if phase == "generator":
            fake = self._generate(one_hot_maps, codes, training)
            if self._has_features:
                real_scales, fake_scales = self.discriminate_real_and_fake(
                    one_hot_maps, images, fake, training
                )
            else:
                fake_scales = self.discriminate(one_hot_maps, fake, training)
            adversarial = sum(hinge.generator(logits) for _, logits in fake_scales)
            g_loss = adversarial
            logs = {"g_adversarial_loss": adversarial}
            if self._has_features:
                # Summed over layers (the library function averages) and scales.
                matching = sum(
                    len(real_features) * feature_matching_l1(real_features, fake_features)
                    for (real_features, _), (fake_features, _) in zip(real_scales, fake_scales)
                )
                g_loss = g_loss + self.feature_matching_weight * matching
                logs["feature_matching_loss"] = matching
            if self.feature_network is not None:
                perceptual_loss = perceptual(
                    images, fake, self.feature_network, weights=self.perceptual_layer_weights
                )
                g_loss = g_loss + self.perceptual_weight * perceptual_loss
                logs["perceptual_loss"] = perceptual_loss
            if posterior is not None:
                kl = ops.mean(gaussian_kl(*posterior))
                g_loss = g_loss + self.kl_weight * kl
                logs["kl_loss"] = kl
            return g_loss, {"g_loss": g_loss, **logs}
        raise ValueError(f"Unknown phase {phase!r}.")

    def _training_batch(self, data):
        """One-hot float maps and images of a batch, checked inside the step."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None and isinstance(x, (tuple, list)) and len(x) == 2:
            x, y = x
        if y is None:
            raise ValueError(self._pairs_message())
        maps, images = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
        self.validate_batch_spec(tuple(maps.shape), maps.dtype)
        self.validate_image_spec(tuple(images.shape), images.dtype)
        images = validation.guard_images_in_step(self, images, "Images")
        return label_map_checks.one_hot_in_step(self, maps, images,
                                                channels_first=self.channels_first)

    # ---------------------------------------------------------- checking
    def _pairs_message(self):
        return (
            "SPADE trains on (label_maps, images) pairs: call `fit(x=label_maps, "
            "y=images)` or pass a tf.data.Dataset of `(label_maps, images)` tuples."
        )

    def validate_batch_spec(self, shape, dtype):
        """Label maps: int class ids `(batch, h, w)` or one-hot floats `(batch, h, w, num_classes)`."""
        label_map_checks.check_spec(shape, dtype, self.label_shape,
                                    channels_first=self.channels_first)

    def validate_image_spec(self, shape, dtype):
        """Raises a clear error if image batches of `shape`/`dtype` cannot train."""
        validation.check_float_images(dtype, "Images (y)", "SPADE")
        validation.check_image_spec(
            shape,
            self.image_shape,
            "Images (y)",
            "the generator's output",
            "Images must have the generator's output shape: resize them, or build the "
            "generator with `output_channels=` matching them.",
        )

    def validate_training_data(self, x, y=None):
        """Label maps (x) and images (y), checked against the networks before training starts."""
        spec = validation.data_spec(x)
        if spec is not None:
            self.validate_batch_spec(*spec)
        maps = validation.array_first_element(x)
        if maps is not None:
            label_map_checks.check_values(maps, self.num_classes, "Label maps (x)", training=True,
                                          channels_first=self.channels_first)
        base.check_second_batch(
            x, y, self._pairs_message(), self.validate_image_spec, "Images (y)", "SPADE"
        )

    # ---------------------------------------------------------- inference
    def ema_source(self):
        return self.generator

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def encode(self, images, batch_size=64):
        """The encoder's posterior `(mean, log_var)` for images, as NumPy `(n, latent_dim)` each.

        Args:
            images: floats in [-1, 1], `(n, h, w, c)` (or one `(h, w, c)` image).
            batch_size: images per encoder call.

        Returns:
            `(mean, log_var)`.
        """
        if self.encoder is None:
            raise ValueError(
                "This SPADE has no encoder (noise mode): it cannot encode style images. "
                "Build it with `encoder=keras_gen.networks.spade_image_encoder(...)`."
            )
        images = self._style_images(images)
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        mean, log_var = self.run_in_batches(
            lambda x: self.encoder(x, training=False), [images], batch_size
        )
        return mean, log_var

    def _style_images(self, images):
        images = np.asarray(images)
        if images.ndim == len(self.image_shape):
            images = images[None]
        validation.check_float_images(images.dtype, "Style images", "SPADE")
        validation.check_image_spec(
            (None,) + images.shape[1:], self.image_shape, "Style images", "the encoder",
            "Pass images of the training images' shape.",
        )
        validation.check_image_values(images, "Style images", "SPADE", strict=False)
        return images.astype("float32")

    def _codes(self, num_maps, style, seed, num_samples, batch_size):
        """Latent codes `(num_maps * num_samples, latent_dim)` (None without a latent input)."""
        if self.latent_dim is None:
            if style is not None or num_samples != 1:
                raise ValueError(
                    "This generator has no latent input: it makes one image per label map. "
                    "Pass style=None and num_samples=1."
                )
            return None
        if style is None:
            count = num_maps * num_samples
            if seed is None:
                draw = keras.random.normal((count, self.latent_dim), seed=self.seed_generator)
                return ops.convert_to_numpy(draw).astype("float32")
            rng = np.random.default_rng(seed)
            return rng.standard_normal((count, self.latent_dim)).astype("float32")
        if num_samples != 1:
            raise ValueError(
                "A style fixes each map's code: pass num_samples=1 with `style`, or "
                "style=None for num_samples random codes per map."
            )
        style = np.asarray(ops.convert_to_numpy(style))
        if style.ndim >= 3:
            if self.encoder is None:
                raise ValueError(
                    f"Style images {style.shape} need an encoder, but this SPADE is in noise "
                    "mode (encoder=None). Pass style=None for random codes, or codes of "
                    f"shape (n, {self.latent_dim}); to encode styles, build the model with "
                    "`encoder=keras_gen.networks.spade_image_encoder(...)`."
                )
            codes = self.encode(style, batch_size)[0]
        elif style.ndim == 2 and style.shape[1] == self.latent_dim:
            codes = style.astype("float32")
        else:
            raise ValueError(
                f"`style` must be style images (n, h, w, c) (VAE mode) or codes of shape "
                f"(n, {self.latent_dim}) (latent_dim of the generator); received shape "
                f"{style.shape}."
            )
        if len(codes) == 1:
            codes = np.repeat(codes, num_maps, axis=0)
        if len(codes) != num_maps:
            raise ValueError(
                f"Received {len(codes)} styles for {num_maps} label maps: pass one style per "
                "map, or a single one for all."
            )
        return codes

    def synthesize(self, label_maps, style=None, seed=None, num_samples=1, batch_size=64,
                   use_ema=True):
        """Synthesizes images for label maps.

        Args:
            label_maps: int class ids `(n, h, w)` or one-hot floats
                `(n, h, w, num_classes)` (a single map without the batch axis
                is given one).
            style: None for random codes; in VAE mode, style images
                `(n, h, w, c)` (or one, for every map) encoded to their
                posterior mean; or codes `(n, latent_dim)` (or one) used as
                they are.
            seed: with random codes, an int draws them with NumPy (the same
                images on every backend); None draws from the model's seed
                generator.
            num_samples: images per map (random codes only).
            batch_size: maps per generator call.
            use_ema: use the generator's moving average when one is kept.

        Returns:
            NumPy images in [-1, 1]: `(n, h, w, c)`, or `(n, num_samples, h, w, c)`
            when `num_samples > 1` (map `i`'s samples along axis 1).
        """
        maps = label_map_checks.for_inference(label_maps, self.label_shape,
                                              channels_first=self.channels_first)
        num_samples = _check_num_samples(num_samples)
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        codes = self._codes(len(maps), style, seed, num_samples, batch_size)
        generator = self.inference_network(use_ema)
        images = self.run_in_batches(
            lambda m, z: generator(m if z is None else [m, z], training=False),
            [np.repeat(maps, num_samples, axis=0), codes],
            batch_size,
        )
        if num_samples == 1:
            return images
        return images.reshape((len(maps), num_samples) + images.shape[1:])

    def generate(self, label_maps, **kwargs):
        """Same as `synthesize`: the samples of SPADE are syntheses of label maps."""
        return self.synthesize(label_maps, **kwargs)


def split_scales(outputs):
    """A discriminator's outputs as `[(features, logits)]`, one pair per scale.

    A tensor is one scale's logits; a list of lists is one
    `[feature_0, ..., logits]` list per scale
    (`multiscale_patchgan_discriminator(return_features=True)`); a list of
    tensors is the logits of each scale.
    """
    if not isinstance(outputs, (list, tuple)):
        return [([], outputs)]
    if all(isinstance(scale, (list, tuple)) for scale in outputs):
        return [(list(scale[:-1]), scale[-1]) for scale in outputs]
    return [([], logits) for logits in outputs]


def _check_num_samples(num_samples):
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError(
            f"num_samples must be an int >= 1 (images per label map); received {num_samples!r}."
        )
    return int(num_samples)
