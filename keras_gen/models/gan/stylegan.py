"""StyleGAN: a style-based generator trained as a GAN (Karras et al., 2019)."""

import keras
import numpy as np
from keras import ops

from keras_gen.models.gan.gan import GAN


@keras.saving.register_keras_serializable(package="keras_gen")
class StyleGAN(GAN):
    """StyleGAN: mapping network, style mixing, truncation in W and lazy R1.

    The generator is `synthesis(broadcast(mapping(z)))`: the mapping network
    turns `z` into an intermediate latent `w`, which is fed as the style of
    every block of the synthesis network (learned constant input, AdaIN per
    block, per-pixel noise). `self.generator` is that composite functional
    model, so generator EMA, `generate()` and saving work as for `GAN`; the
    two parts are `self.mapping` and `self.synthesis`.

    Training adds to `GAN`:

    - style mixing regularization: with probability
      `style_mixing_probability` per step a second latent is mapped and its
      `w` replaces the first from a random crossover style `k` in
      `[1, num_styles)` on (one decision and one crossover per minibatch, as
      in the official StyleGAN and StyleGAN2 code), in both phases;
    - `self.w_average`, the moving average of the batch mean of `w` (decay
      `w_average_decay`), updated in every generator update and used by the
      truncation trick in W, `generate(n, truncation=0.7)`;
    - R1 on real images (Mescheder et al. 2018) with γ = 10, lazily every 16
      discriminator updates (Karras et al. 2020).

    Args:
        mapping: `keras_gen.networks.stylegan_mapping_network`, a model
            `(batch, latent_dim) -> (batch, style_dim)`.
        synthesis: `keras_gen.networks.stylegan_synthesis_network`, a model
            `(batch, num_styles, style_dim) -> images`. Build it with
            `randomize_noise=False` for deterministic sampling: with fresh
            noise, `generate(seed=...)` gives the same latents but not the
            same pixels.
        discriminator: a `keras.Model` from images to logits `(batch, 1)`,
            e.g. `keras_gen.networks.stylegan_discriminator` (minibatch
            standard deviation: batches must divide by its group size, 4).
            The synthesis network and the discriminator may both be built
            with `data_format="channels_first"`: the model then trains on
            and generates `(channels, height, width)` images, and from the
            same weights and seeds it logs the same losses as channels-last.
        style_mixing_probability: probability of mixing two latents in a
            training step (paper: 0.9); 0 disables it.
        w_average_decay: decay of the moving average of `w` (paper: 0.995).
        loss: adversarial objective (paper: `"non_saturating"`).
        gradient_penalty: `"r1"` (paper), `"wgan_gp"` or None.
        penalty_weight: γ of R1; None: the paper's 10 (with a penalty).
        penalty_interval: lazy regularization interval; None: 16 (Karras
            et al. 2020) with a penalty, 1 without; 1 applies the penalty
            every step, as in StyleGAN.
        ema_decay: keep a moving average of the generator (mapping and
            synthesis), used by `generate()`; None for none.
        augmentation: differentiable augmentation of every discriminator
            input (see `keras_gen.models.GAN`).
        seed: seed for latents, mixing decisions and crossovers.
        **kwargs: other `keras_gen.models.GAN` arguments
            (`discriminator_steps`, `generator_steps`) and `keras.Model`'s
            (`name`).

    Default optimizers are Adam(1e-3, beta_1=0, beta_2=0.99, epsilon=1e-8)
    for both networks (Karras et al. 2019, appendix C); the mapping network's
    dense layers scale their own learning rate by 0.01.

    Example:

    >>> mapping = keras_gen.networks.stylegan_mapping_network(128, 128, num_layers=4)
    >>> synthesis = keras_gen.networks.stylegan_synthesis_network(128, (32, 32, 1))
    >>> discriminator = keras_gen.networks.stylegan_discriminator((32, 32, 1))
    >>> model = keras_gen.models.StyleGAN(mapping, synthesis, discriminator)
    >>> model.compile()
    >>> model.fit(images, batch_size=32, epochs=10)
    >>> samples = model.generate(16, seed=0, truncation=0.7)

    References:
        Karras, Laine & Aila, "A Style-Based Generator Architecture for
        Generative Adversarial Networks", CVPR 2019.
        Karras et al., "Analyzing and Improving the Image Quality of
        StyleGAN", CVPR 2020 (lazy regularization).
        Mescheder, Geiger & Nowozin, "Which Training Methods for GANs do
        actually Converge?", ICML 2018 (R1).
    """

    networks = ("mapping", "synthesis", "discriminator")
    # The generator is built from the mapping and synthesis networks.
    config_excluded = ("generator",)

    def __init__(
        self,
        mapping,
        synthesis,
        discriminator,
        style_mixing_probability=0.9,
        w_average_decay=0.995,
        loss="non_saturating",
        gradient_penalty="r1",
        penalty_weight=None,
        penalty_interval=None,
        ema_decay=None,
        augmentation=None,
        seed=None,
        **kwargs,
    ):
        if not 0.0 <= style_mixing_probability <= 1.0:
            raise ValueError(
                "style_mixing_probability must be in [0, 1] (paper: 0.9); "
                f"received {style_mixing_probability!r}."
            )
        if not 0.0 <= w_average_decay < 1.0:
            raise ValueError(
                f"w_average_decay must be in [0, 1) (paper: 0.995); received {w_average_decay!r}."
            )
        if penalty_interval is None:
            penalty_interval = 16 if gradient_penalty is not None else 1
        generator = _composite_generator(mapping, synthesis)
        super().__init__(
            generator,
            discriminator,
            loss=loss,
            gradient_penalty=gradient_penalty,
            penalty_weight=penalty_weight,
            penalty_interval=penalty_interval,
            ema_decay=ema_decay,
            augmentation=augmentation,
            seed=seed,
            **kwargs,
        )
        self.style_mixing_probability = float(style_mixing_probability)
        self.w_average_decay = float(w_average_decay)
        self.num_styles = int(synthesis.inputs[0].shape[1])
        self.style_dim = int(synthesis.inputs[0].shape[2])
        self.w_average = self.add_weight(
            shape=(self.style_dim,), initializer="zeros", trainable=False, name="w_average"
        )

    # The parts live inside the composite generator (one copy of each weight).
    @property
    def mapping(self):
        """The mapping network `z -> w` (a layer of `self.generator`)."""
        return self.generator.layers[1]

    @property
    def synthesis(self):
        """The synthesis network `styles -> images` (a layer of `self.generator`)."""
        return self.generator.layers[-1]

    # ------------------------------------------------------------ training
    def default_optimizers(self):
        """Adam(1e-3, beta_1=0, beta_2=0.99) for both networks (Karras et al. 2019)."""
        return {
            "generator": keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
            "discriminator": keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
        }

    def mix_styles(self, w_coarse, w_fine, crossover):
        """Styles `[0, crossover)` from `w_coarse`, the rest from `w_fine`.

        Args:
            w_coarse: `(batch, style_dim)` intermediate latents.
            w_fine: `(batch, style_dim)` intermediate latents.
            crossover: int or scalar int tensor in `[0, num_styles]`;
                `num_styles` gives `w_coarse` everywhere.

        Returns:
            Styles `(batch, num_styles, style_dim)` for the synthesis network.
        """
        index = ops.reshape(ops.arange(self.num_styles, dtype="int32"), (1, -1, 1))
        first = index < ops.cast(crossover, "int32")
        return ops.where(first, ops.expand_dims(w_coarse, 1), ops.expand_dims(w_fine, 1))

    def training_styles(self, latents, mixing_latents=None, training=True):
        """Styles for a training step, style-mixed with the set probability.

        Args:
            latents: `(batch, latent_dim)` latents.
            mixing_latents: the second latents for style mixing; drawn from
                the seed generator when None.
            training: passed to the mapping network.

        Returns:
            `(styles, w)`: styles `(batch, num_styles, style_dim)` and the
            intermediate latents `w` of `latents` (before mixing).
        """
        w = self.mapping(latents, training=training)
        if self.style_mixing_probability == 0.0 or self.num_styles < 2:
            return self.mix_styles(w, w, self.num_styles), w
        if mixing_latents is None:
            mixing_latents = self.sample_latents(ops.shape(latents)[0])
        w_mix = self.mapping(mixing_latents, training=training)
        mix = keras.random.uniform((), seed=self.seed_generator) < self.style_mixing_probability
        point = keras.random.randint(
            (), 1, self.num_styles, dtype="int32", seed=self.seed_generator
        )
        crossover = ops.where(mix, point, self.num_styles)
        return self.mix_styles(w, w_mix, crossover), w

    def update_w_average(self, w):
        """Moves `w_average` toward the batch mean of `w` (decay `w_average_decay`)."""
        batch_mean = ops.mean(ops.stop_gradient(ops.convert_to_tensor(w, "float32")), axis=0)
        decay = self.w_average_decay
        self.w_average.assign(decay * self.w_average.value + (1.0 - decay) * batch_mean)

    def fake_samples(self, batch_size, phase, training=True, condition=None):
        """Style-mixed fakes; the generator phase also moves `w_average`."""
        styles, w = self.training_styles(self.sample_latents(batch_size), training=training)
        if phase == "generator" and training:
            self.update_w_average(w)
        return self.synthesis(styles, training=training)

    # ----------------------------------------------------------- sampling
    def truncate_styles(self, styles, truncation, truncation_cutoff=None):
        """The truncation trick in W: `w_avg + psi * (w - w_avg)`.

        Args:
            styles: `(batch, num_styles, style_dim)`.
            truncation: psi; 1 leaves the styles unchanged, 0 gives
                `w_average` everywhere (negative values give the "opposite").
            truncation_cutoff: truncate only styles `[0, cutoff)`, the coarse
                ones (the paper's figures use 8 of 18 at 1024x1024); None
                truncates all.

        Returns:
            The truncated styles.
        """
        cutoff = self.num_styles if truncation_cutoff is None else int(truncation_cutoff)
        if not 0 <= cutoff <= self.num_styles:
            raise ValueError(
                f"truncation_cutoff must be in [0, {self.num_styles}] or None; "
                f"received {truncation_cutoff!r}."
            )
        average = ops.reshape(ops.cast(self.w_average, styles.dtype), (1, 1, -1))
        truncated = average + float(truncation) * (styles - average)
        index = ops.reshape(ops.arange(self.num_styles, dtype="int32"), (1, -1, 1))
        return ops.where(index < cutoff, truncated, styles)

    def generate(
        self,
        num_samples,
        seed=None,
        batch_size=256,
        latents=None,
        truncation=None,
        truncation_cutoff=None,
        use_ema=True,
    ):
        """Generates images as a NumPy array.

        Args:
            num_samples: number of images.
            seed: an int gives the same latents on every backend (and the
                same images when the synthesis network uses fixed noise);
                None draws from the model's seed generator.
            batch_size: images per generator call.
            latents: explicit latents `z`, `(num_samples, latent_dim)`.
            truncation: psi of the truncation trick in W (Karras et al.
                2019, section 2.1 and appendix B): `w = w_avg + psi (w -
                w_avg)`. Smaller psi gives more typical, less varied images;
                None or 1, no truncation. (Unlike `GAN.generate`, this is not
                a threshold on `z`.)
            truncation_cutoff: truncate only the first (coarse) styles; None
                for all.
            use_ema: use the moving average of the generator if one is kept.

        Returns:
            NumPy array `(num_samples,) + image_shape` in [-1, 1].

        Example:

        >>> typical = model.generate(64, seed=0, truncation=0.7)
        """
        latents = self.resolve_latents(num_samples, latents, seed)
        if truncation is None or float(truncation) == 1.0:
            return self.sample_from_latents(latents, None, batch_size, use_ema)
        return self._synthesize(
            latents, latents, self.num_styles, truncation, truncation_cutoff, batch_size, use_ema
        )

    def style_mix(
        self,
        coarse_latents,
        fine_latents,
        crossover,
        truncation=None,
        truncation_cutoff=None,
        use_ema=True,
    ):
        """A style-mixing grid: coarse styles from one latent, fine from another.

        Entry `[i, j]` takes styles `[0, crossover)` from `coarse_latents[i]`
        and the rest from `fine_latents[j]` (the paper's figure 3: a small
        crossover copies pose and shape, a large one only colours and
        details).

        Args:
            coarse_latents: `(rows, latent_dim)` latents.
            fine_latents: `(columns, latent_dim)` latents.
            crossover: int in `[0, num_styles]`.
            truncation: psi applied to both `w` (see `generate`).
            truncation_cutoff: see `generate`.
            use_ema: use the moving average of the generator if one is kept.

        Returns:
            NumPy array `(rows, columns) + image_shape`.

        Example:

        >>> grid = model.style_mix(model.latents_for(4, seed=0),
        ...                        model.latents_for(5, seed=1), crossover=4)
        >>> keras_gen.utils.save_image_grid(grid.reshape((-1,) + grid.shape[2:]),
        ...                                 "mix.png", num_rows=4)
        """
        if int(crossover) != crossover or not 0 <= crossover <= self.num_styles:
            raise ValueError(
                f"crossover must be an int in [0, {self.num_styles}]; received {crossover!r}."
            )
        coarse = self.resolve_latents(None, coarse_latents)
        fine = self.resolve_latents(None, fine_latents)
        rows, columns = len(coarse), len(fine)
        images = self._synthesize(
            np.repeat(coarse, columns, axis=0),
            np.tile(fine, (rows, 1)),
            int(crossover),
            truncation,
            truncation_cutoff,
            256,
            use_ema,
        )
        return images.reshape((rows, columns) + images.shape[1:])

    def _synthesize(
        self, coarse, fine, crossover, truncation, truncation_cutoff, batch_size, use_ema
    ):
        generator = self.inference_network(use_ema)
        mapping, synthesis = generator.layers[1], generator.layers[-1]

        def synthesize(coarse_batch, fine_batch):
            w_coarse = mapping(coarse_batch, training=False)
            w_fine = w_coarse
            if crossover < self.num_styles:
                w_fine = mapping(fine_batch, training=False)
            styles = self.mix_styles(w_coarse, w_fine, crossover)
            if truncation is not None:
                styles = self.truncate_styles(styles, truncation, truncation_cutoff)
            return synthesis(styles, training=False)

        return self.run_in_batches(synthesize, [coarse, fine], batch_size)


def _composite_generator(mapping, synthesis):
    """`z -> synthesis(broadcast(mapping(z)))` as one functional model."""
    for model, name in ((mapping, "mapping"), (synthesis, "synthesis")):
        if not isinstance(model, keras.Model) or not getattr(model, "inputs", None):
            raise TypeError(
                f"`{name}` must be a functional keras.Model (build it with "
                f"keras_gen.networks.stylegan_{name}_network); received {type(model).__name__}."
            )
    latent_shape, style_shape = mapping.inputs[0].shape, mapping.outputs[0].shape
    styles_shape = synthesis.inputs[0].shape
    if len(latent_shape) != 2 or len(style_shape) != 2:
        raise ValueError(
            "`mapping` must map (batch, latent_dim) to (batch, style_dim); received "
            f"{tuple(latent_shape)} -> {tuple(style_shape)}."
        )
    if len(styles_shape) != 3 or styles_shape[2] != style_shape[1]:
        raise ValueError(
            f"`synthesis` must take styles (batch, num_styles, {style_shape[1]}) (the "
            f"mapping's output size); its input shape is {tuple(styles_shape)}. Build both "
            "networks with the same style_dim."
        )
    z = keras.Input((latent_shape[1],), name="z")
    w = mapping(z)
    styles = keras.layers.RepeatVector(styles_shape[1], name="broadcast_styles")(w)
    return keras.Model(z, synthesis(styles), name="stylegan_generator")
