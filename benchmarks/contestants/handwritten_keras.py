"""The DCGAN as a plain `keras.Model` with a hand-written `train_step` per backend.

Written the keras.io way: TF uses `GradientTape`; JAX a stateless
`train_step(self, state, data)` with `stateless_call` and `stateless_apply`,
both optimizers carried in the state; torch `loss.backward()` and
`optimizer.apply`. The discriminator sees the real batch and a generated
batch in two calls (generator in training mode, output detached), then the
generator is updated through the discriminator (also in training mode) with
fresh latents; both use the non-saturating loss.
"""


def build(generator, discriminator, latent_dim, d_optimizer, g_optimizer):
    """The hand-written model for the active backend, compiled.

    Args:
        generator: `keras.Model` mapping `(batch, latent_dim)` to images.
        discriminator: `keras.Model` mapping images to logits.
        latent_dim: size of the latent vectors.
        d_optimizer, g_optimizer: the discriminator's and generator's optimizers.

    Returns:
        The compiled `keras.Model`, ready for `fit`.
    """
    model = make_model_class()(generator, discriminator, latent_dim)
    model.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)
    return model


def make_model_class():
    """Returns the hand-written `keras.Model` subclass for the active backend."""
    import keras
    from keras import ops

    backend = keras.backend.backend()

    def discriminator_loss(real_logits, fake_logits):
        return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))

    def generator_loss(fake_logits):
        return ops.mean(ops.softplus(-fake_logits))

    class OptimizerPair(keras.optimizers.Optimizer):
        """Holds the two Adams so that `fit()` threads both states on JAX.

        JAX's `fit()` carries only `model.optimizer.variables` from step to
        step; a second optimizer kept elsewhere would restart every step.
        """

        def __init__(self, d_optimizer, g_optimizer):
            super().__init__(learning_rate=0.0, name="optimizer_pair")
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer

        @property
        def variables(self):
            return list(self._variables) + self.d_optimizer.variables + self.g_optimizer.variables

    class HandWrittenDCGAN(keras.Model):
        def __init__(self, generator, discriminator, latent_dim, **kwargs):
            super().__init__(**kwargs)
            self.generator = generator
            self.discriminator = discriminator
            self.latent_dim = latent_dim
            self.seed_generator = keras.random.SeedGenerator(1337)
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
            self.built = True

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def compile(self, d_optimizer, g_optimizer, **kwargs):
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            super().compile(optimizer=OptimizerPair(d_optimizer, g_optimizer), **kwargs)
            d_optimizer.build(self.discriminator.trainable_variables)
            g_optimizer.build(self.generator.trainable_variables)

        def latents(self, batch_size):
            return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    if backend == "tensorflow":
        import tensorflow as tf

        class TFHandWrittenDCGAN(HandWrittenDCGAN):
            def train_step(self, data):
                real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
                batch_size = ops.shape(real)[0]
                fake = self.generator(self.latents(batch_size), training=True)
                with tf.GradientTape() as tape:
                    real_logits = self.discriminator(real, training=True)
                    fake_logits = self.discriminator(fake, training=True)
                    d_loss = discriminator_loss(real_logits, fake_logits)
                grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
                self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

                latents = self.latents(batch_size)
                with tf.GradientTape() as tape:
                    fake_logits = self.discriminator(self.generator(latents, training=True), training=True)
                    g_loss = generator_loss(fake_logits)
                grads = tape.gradient(g_loss, self.generator.trainable_weights)
                self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

                self.optimizer.iterations.assign_add(1)
                self.d_loss_tracker.update_state(d_loss)
                self.g_loss_tracker.update_state(g_loss)
                return {m.name: m.result() for m in self.metrics}

        return TFHandWrittenDCGAN

    if backend == "torch":
        import torch

        class TorchHandWrittenDCGAN(HandWrittenDCGAN):
            def train_step(self, data):
                real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
                batch_size = ops.shape(real)[0]
                fake = self.generator(self.latents(batch_size), training=True).detach()
                self.zero_grad()
                real_logits = self.discriminator(real, training=True)
                fake_logits = self.discriminator(fake, training=True)
                d_loss = discriminator_loss(real_logits, fake_logits)
                d_loss.backward()
                weights = self.discriminator.trainable_weights
                grads = [v.value.grad for v in weights]
                with torch.no_grad():
                    self.d_optimizer.apply(grads, weights)

                self.zero_grad()
                fake_logits = self.discriminator(
                    self.generator(self.latents(batch_size), training=True), training=True
                )
                g_loss = generator_loss(fake_logits)
                g_loss.backward()
                weights = self.generator.trainable_weights
                grads = [v.value.grad for v in weights]
                with torch.no_grad():
                    self.g_optimizer.apply(grads, weights)
                    self.optimizer.iterations.assign_add(1)
                    self.d_loss_tracker.update_state(d_loss.detach())
                    self.g_loss_tracker.update_state(g_loss.detach())
                return {m.name: m.result() for m in self.metrics}

        return TorchHandWrittenDCGAN

    if backend == "jax":
        import jax

        class JAXHandWrittenDCGAN(HandWrittenDCGAN):
            def _split(self, values, variables, parts):
                """Splits a state list into one list per part, by variable identity."""
                index = {id(v): i for i, v in enumerate(variables)}
                return [[values[index[id(v)]] for v in part] for part in parts]

            def _merge(self, variables, parts, part_values):
                index = {id(v): i for i, v in enumerate(variables)}
                merged = [None] * len(variables)
                for part, values in zip(parts, part_values):
                    for v, value in zip(part, values):
                        merged[index[id(v)]] = value
                return merged

            def train_step(self, state, data):
                trainable, non_trainable, optimizer_values, metrics_values = state
                real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
                batch_size = real.shape[0]
                generator, discriminator = self.generator, self.discriminator
                g_tv, d_tv = self._split(
                    trainable,
                    self.trainable_variables,
                    [generator.trainable_variables, discriminator.trainable_variables],
                )
                seed_parts = [self.seed_generator.state]
                g_ntv, d_ntv, (seed_state,) = self._split(
                    non_trainable,
                    self.non_trainable_variables,
                    [generator.non_trainable_variables, discriminator.non_trainable_variables, seed_parts],
                )
                n_own = len(self.optimizer._variables)
                n_d = len(self.d_optimizer.variables)
                own_opt = optimizer_values[:n_own]
                d_opt = optimizer_values[n_own : n_own + n_d]
                g_opt = optimizer_values[n_own + n_d :]

                # Latents from the model's SeedGenerator, its state threaded.
                with keras.StatelessScope(state_mapping=[(self.seed_generator.state, seed_state)]) as scope:
                    d_latents = self.latents(batch_size)
                    g_latents = self.latents(batch_size)
                seed_state = scope.get_current_value(self.seed_generator.state)

                # Discriminator update.
                fake, g_ntv = generator.stateless_call(g_tv, g_ntv, d_latents, training=True)
                fake = jax.lax.stop_gradient(fake)

                def d_loss_fn(d_tv, d_ntv):
                    real_logits, d_ntv = discriminator.stateless_call(d_tv, d_ntv, real, training=True)
                    fake_logits, d_ntv = discriminator.stateless_call(d_tv, d_ntv, fake, training=True)
                    return discriminator_loss(real_logits, fake_logits), d_ntv

                (d_loss, d_ntv), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_tv, d_ntv)
                d_tv, d_opt = self.d_optimizer.stateless_apply(d_opt, grads, d_tv)

                # Generator update.
                def g_loss_fn(g_tv, g_ntv, d_ntv):
                    fake, g_ntv = generator.stateless_call(g_tv, g_ntv, g_latents, training=True)
                    fake_logits, d_ntv = discriminator.stateless_call(d_tv, d_ntv, fake, training=True)
                    return generator_loss(fake_logits), (g_ntv, d_ntv)

                (g_loss, (g_ntv, d_ntv)), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(
                    g_tv, g_ntv, d_ntv
                )
                g_tv, g_opt = self.g_optimizer.stateless_apply(g_opt, grads, g_tv)

                # The pair's own step counter, then the loss trackers.
                own_opt = [own_opt[0] + 1] + list(own_opt[1:])
                logs = {}
                new_metrics = []
                start = 0
                for metric, value in zip(self.metrics, (d_loss, g_loss)):
                    end = start + len(metric.variables)
                    metric_values = metric.stateless_update_state(metrics_values[start:end], value)
                    logs[metric.name] = metric.stateless_result(metric_values)
                    new_metrics.extend(metric_values)
                    start = end

                new_state = (
                    self._merge(
                        self.trainable_variables,
                        [generator.trainable_variables, discriminator.trainable_variables],
                        [g_tv, d_tv],
                    ),
                    self._merge(
                        self.non_trainable_variables,
                        [generator.non_trainable_variables, discriminator.non_trainable_variables, seed_parts],
                        [g_ntv, d_ntv, [seed_state]],
                    ),
                    own_opt + list(d_opt) + list(g_opt),
                    new_metrics,
                )
                return logs, new_state

        return JAXHandWrittenDCGAN

    raise ValueError(f"No hand-written train_step for the {backend!r} backend.")
