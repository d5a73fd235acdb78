"""Training throughput of the 28x28x1 DCGAN: keras_gen vs hand-written Keras vs PyTorch.

Measures training images/s at batch 64 of the DCGAN built by
`keras_gen.applications.dcgan.build_dcgan(image_shape=(28, 28, 1),
latent_dim=100, base_filters=32, upsampling=U)` for each upsampling mode U,
with three contestants:

(a) `keras_gen`: `gan.compile()` (Adam(2e-4, beta_1=0.5) for both networks)
    then `gan.fit(x, batch_size=64)`.
(b) `handwritten`: a plain `keras.Model` holding the same generator and
    discriminator (`keras_gen.networks.dcgan_generator/dcgan_discriminator`)
    with a custom `train_step` written the keras.io way for the backend
    (TF: `GradientTape`; JAX: stateless `train_step(self, state, data)` with
    `stateless_call` and `stateless_apply`, both optimizers carried in the
    state; torch: `loss.backward()` + `optimizer.apply`), the same
    non-saturating loss, the same optimizers, and `fit` on the same data.
(c) `pytorch`: a plain PyTorch loop over `torch.nn` modules of the same
    architecture (`ConvTranspose2d`, `Upsample` + conv, or `PixelShuffle`)
    with `torch.optim.Adam`; it does not depend on the Keras backend, so it
    runs once per upsampling mode.

(a) and (b) do the same math per step: the discriminator sees the real batch
and a generated batch in two calls (generator in training mode, output
detached), then the generator is updated through the discriminator (also in
training mode) with fresh latents. Every contestant runs in its own
subprocess (one Keras backend per process), so `ru_maxrss` is that
contestant's own peak resident memory. Each one is warmed up (tracing /
compilation, and a check that both networks train: finite losses, weights
changed, both optimizers stepped), then the same fixed number of steps is
timed `--repeats` times and the fastest repeat is reported.

Usage:

    python benchmarks/dcgan_throughput.py --backends tensorflow,jax,torch \\
        --upsampling transpose,resize,subpixel --steps 40 \\
        --output benchmarks/results_dcgan.md

    # One contestant in this process (what the driver runs in subprocesses):
    KERAS_BACKEND=jax python benchmarks/dcgan_throughput.py --worker keras_gen \\
        --upsampling subpixel --steps 5
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

BATCH_SIZE = 64
IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 100
BASE_FILTERS = 32
LEARNING_RATE = 2e-4
BETA_1 = 0.5
# Keras' Adam default epsilon; the PyTorch loop uses the same value.
EPSILON = 1e-7
WARMUP_STEPS = 3
UPSAMPLING_MODES = ("transpose", "resize", "subpixel")
BACKENDS = ("tensorflow", "jax", "torch")
RESULT_PREFIX = "DCGAN_RESULT "


def peak_rss_mib():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def random_images(num_images, channels_first=False, seed=0):
    """Uniform [-1, 1] float32 images; throughput does not depend on content."""
    import numpy as np

    rng = np.random.default_rng(seed)
    shape = (num_images,) + IMAGE_SHAPE
    if channels_first:
        shape = (num_images, IMAGE_SHAPE[2], IMAGE_SHAPE[0], IMAGE_SHAPE[1])
    return rng.uniform(-1.0, 1.0, size=shape).astype("float32")


# ---------------------------------------------------------------------------
# (b) The hand-written Keras 3 DCGAN, one train_step per backend.
# ---------------------------------------------------------------------------
def make_handwritten_model_class():
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


def adam():
    import keras

    return keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1, epsilon=EPSILON)


def build_keras_contestant(contestant, upsampling):
    """Returns `(model, generator, discriminator, optimizers)`, compiled."""
    import keras_gen

    if contestant == "keras_gen":
        from keras_gen.applications.dcgan import build_dcgan

        gan = build_dcgan(
            image_shape=IMAGE_SHAPE,
            latent_dim=LATENT_DIM,
            base_filters=BASE_FILTERS,
            upsampling=upsampling,
        )
        gan.compile()
        optimizers = list(gan.optimizers.values())
        return gan, gan.generator, gan.discriminator, optimizers

    generator = keras_gen.networks.dcgan_generator(
        image_shape=IMAGE_SHAPE,
        latent_dim=LATENT_DIM,
        base_filters=BASE_FILTERS,
        upsampling=upsampling,
    )
    discriminator = keras_gen.networks.dcgan_discriminator(
        image_shape=IMAGE_SHAPE, base_filters=BASE_FILTERS
    )
    model = make_handwritten_model_class()(generator, discriminator, LATENT_DIM)
    d_optimizer, g_optimizer = adam(), adam()
    model.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)
    return model, generator, discriminator, [d_optimizer, g_optimizer]


def check_training(history, before, after, optimizers, expected_updates):
    """Warnings (strings) if the warm-up did not really train."""
    import keras
    import numpy as np

    problems = []
    for key, values in history.items():
        if not np.all(np.isfinite(values)):
            problems.append(f"non-finite {key}: {values}")
    if not {"d_loss", "g_loss"} <= set(history):
        problems.append(f"missing losses in the logs: {sorted(history)}")
    for name in ("generator", "discriminator"):
        if all(np.array_equal(b, a) for b, a in zip(before[name], after[name])):
            problems.append(f"{name} weights did not change")
    for optimizer in optimizers:
        steps = int(keras.ops.convert_to_numpy(optimizer.iterations))
        if steps != expected_updates:
            problems.append(
                f"optimizer {optimizer.name} made {steps} updates, expected {expected_updates} "
                "(its state is not carried from step to step?)"
            )
    return problems


def run_keras_worker(contestant, upsampling, steps, repeats):
    import keras
    import numpy as np

    model, generator, discriminator, optimizers = build_keras_contestant(contestant, upsampling)
    warmup_images = random_images(WARMUP_STEPS * BATCH_SIZE, seed=1)
    timed_images = random_images(steps * BATCH_SIZE, seed=2)

    def weights(network):
        return [np.array(w) for w in network.get_weights()]

    before = {"generator": weights(generator), "discriminator": weights(discriminator)}
    start = time.perf_counter()
    history = model.fit(warmup_images, batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0)
    warmup_seconds = time.perf_counter() - start
    after = {"generator": weights(generator), "discriminator": weights(discriminator)}
    warnings = check_training(history.history, before, after, optimizers, WARMUP_STEPS)

    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        history = model.fit(timed_images, batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0)
        seconds.append(time.perf_counter() - start)
        losses = {k: float(v[-1]) for k, v in history.history.items()}
        if not all(np.isfinite(list(losses.values()))):
            warnings.append(f"non-finite losses while timing: {losses}")
    return {
        "backend": keras.backend.backend(),
        "warmup_seconds": warmup_seconds,
        "seconds": seconds,
        "losses": losses,
        "warnings": warnings,
    }


# ---------------------------------------------------------------------------
# (c) Plain PyTorch.
# ---------------------------------------------------------------------------
def build_torch_networks(upsampling):
    """`torch.nn` generator and discriminator with the keras_gen DCGAN layout.

    Same layer sizes, initialization (N(0, 0.02), BatchNorm scale N(1, 0.02)),
    BatchNorm momentum 0.9 in Keras terms (0.1 in PyTorch's) and epsilon 1e-5;
    channels-first, PyTorch's native layout.
    """
    from torch import nn

    side, channels = IMAGE_SHAPE[0], IMAGE_SHAPE[2]
    base_side = side // 4
    hidden = BASE_FILTERS * 2

    def upsample(in_channels, out_channels, bias):
        if upsampling == "transpose":
            return [nn.ConvTranspose2d(in_channels, out_channels, 4, 2, padding=1, bias=bias)]
        if upsampling == "resize":
            return [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias),
            ]
        return [
            nn.Conv2d(in_channels, 4 * out_channels, 3, padding=1, bias=bias),
            nn.PixelShuffle(2),
        ]

    def batch_norm(num_features):
        return nn.BatchNorm2d(num_features, eps=1e-5, momentum=0.1)

    generator = nn.Sequential(
        nn.Linear(LATENT_DIM, base_side * base_side * hidden, bias=False),
        nn.Unflatten(1, (hidden, base_side, base_side)),
        batch_norm(hidden),
        nn.ReLU(),
        *upsample(hidden, BASE_FILTERS, bias=False),
        batch_norm(BASE_FILTERS),
        nn.ReLU(),
        *upsample(BASE_FILTERS, channels, bias=True),
        nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(channels, BASE_FILTERS, 4, 2, padding=1, bias=True),
        nn.LeakyReLU(0.2),
        nn.Conv2d(BASE_FILTERS, hidden, 4, 2, padding=1, bias=False),
        batch_norm(hidden),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(hidden * base_side * base_side, 1),
    )
    for module in list(generator.modules()) + list(discriminator.modules()):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return generator, discriminator


def run_torch_worker(upsampling, steps, repeats):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    generator, discriminator = build_torch_networks(upsampling)
    generator.train()
    discriminator.train()
    d_optimizer = torch.optim.Adam(
        discriminator.parameters(), lr=LEARNING_RATE, betas=(BETA_1, 0.999), eps=EPSILON
    )
    g_optimizer = torch.optim.Adam(
        generator.parameters(), lr=LEARNING_RATE, betas=(BETA_1, 0.999), eps=EPSILON
    )

    def train(images):
        d_loss = g_loss = None
        for i in range(0, len(images), BATCH_SIZE):
            real = images[i : i + BATCH_SIZE]
            batch_size = real.shape[0]
            fake = generator(torch.randn(batch_size, LATENT_DIM)).detach()
            d_loss = F.softplus(-discriminator(real)).mean() + F.softplus(discriminator(fake)).mean()
            d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            d_optimizer.step()

            fake_logits = discriminator(generator(torch.randn(batch_size, LATENT_DIM)))
            g_loss = F.softplus(-fake_logits).mean()
            g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
            g_optimizer.step()
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}

    warmup_images = torch.from_numpy(random_images(WARMUP_STEPS * BATCH_SIZE, channels_first=True, seed=1))
    timed_images = torch.from_numpy(random_images(steps * BATCH_SIZE, channels_first=True, seed=2))
    before = [p.detach().clone() for p in list(generator.parameters()) + list(discriminator.parameters())]
    start = time.perf_counter()
    losses = train(warmup_images)
    warmup_seconds = time.perf_counter() - start
    after = list(generator.parameters()) + list(discriminator.parameters())
    warnings = []
    if not all(map(lambda v: v == v and abs(v) != float("inf"), losses.values())):
        warnings.append(f"non-finite losses: {losses}")
    if all(torch.equal(b, a) for b, a in zip(before, after)):
        warnings.append("weights did not change")
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        losses = train(timed_images)
        seconds.append(time.perf_counter() - start)
    return {
        "backend": "pytorch",
        "warmup_seconds": warmup_seconds,
        "seconds": seconds,
        "losses": losses,
        "warnings": warnings,
        "torch_threads": torch.get_num_threads(),
    }


def run_worker(args):
    upsampling = args.upsampling.split(",")[0]
    if args.worker == "pytorch":
        result = run_torch_worker(upsampling, args.steps, args.repeats)
    else:
        result = run_keras_worker(args.worker, upsampling, args.steps, args.repeats)
    result.update(
        contestant=args.worker,
        upsampling=upsampling,
        steps=args.steps,
        images_per_second=args.steps * BATCH_SIZE / min(result["seconds"]),
        peak_rss_mib=peak_rss_mib(),
    )
    for warning in result["warnings"]:
        print(f"WARNING: {args.worker}/{upsampling}: {warning}", file=sys.stderr)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------
# The driver: every contestant in its own subprocess, one combined table.
# ---------------------------------------------------------------------------
def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def run_subprocess(backend, contestant, upsampling, args):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        contestant,
        "--upsampling",
        upsampling,
        "--steps",
        str(args.steps),
        "--repeats",
        str(args.repeats),
    ]
    label = f"{contestant} [{backend if contestant != 'pytorch' else 'plain'}] {upsampling}"
    print(f"running {label} ...", flush=True)
    process = subprocess.run(command, env=env, capture_output=True, text=True)
    for line in process.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
            for warning in result["warnings"]:
                print(f"  WARNING: {warning}", flush=True)
            print(
                f"  {result['images_per_second']:.0f} images/s "
                f"(best of {[round(s, 2) for s in result['seconds']]} s for {args.steps} steps; "
                f"warm-up {result['warmup_seconds']:.1f} s; peak RSS {result['peak_rss_mib']:.0f} MiB)",
                flush=True,
            )
            return result
    error = (process.stderr.strip().splitlines() or ["no output"])[-1]
    print(f"  FAILED (exit {process.returncode}): {error}", flush=True)
    return {"error": error, "warnings": [error]}


def installed(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


def versions():
    import importlib.metadata

    found = {}
    for name in ("keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "torch"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    if "tensorflow-cpu" in found:
        found["tensorflow"] = found.pop("tensorflow-cpu")
    return ", ".join(f"{k} {v}" for k, v in found.items())


def format_table(results, backends, modes, torch_results):
    def rate(result):
        return result.get("images_per_second") if result else None

    def number(value, digits=0):
        return "n/a" if value is None else f"{value:,.{digits}f}"

    def ratio(a, b):
        return "n/a" if a is None or b is None else f"{a / b:.2f}"

    def flagged(result):
        return " (!)" if result and result.get("warnings") else ""

    lines = [
        "| Backend | Upsampling | keras_gen (img/s) | hand-written Keras (img/s) | "
        "keras_gen / hand-written | keras_gen / plain PyTorch | "
        "peak RSS keras_gen / hand-written (MiB) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for backend in backends:
        for mode in modes:
            ours = results.get((backend, "keras_gen", mode))
            theirs = results.get((backend, "handwritten", mode))
            torch_rate = rate(torch_results.get(mode))
            rss = "/".join(
                number(r.get("peak_rss_mib")) if r else "n/a" for r in (ours, theirs)
            )
            lines.append(
                f"| {backend} | {mode} | {number(rate(ours))}{flagged(ours)} | "
                f"{number(rate(theirs))}{flagged(theirs)} | {ratio(rate(ours), rate(theirs))} | "
                f"{ratio(rate(ours), torch_rate)} | {rss} |"
            )
    for mode in modes:
        result = torch_results.get(mode)
        if result is None:
            continue
        lines.append(
            f"| plain PyTorch | {mode} | | | | {number(rate(result))}{flagged(result)} img/s | "
            f"{number(result.get('peak_rss_mib'))} |"
        )
    return "\n".join(lines)


def run_driver(args):
    backends = [b for b in args.backends.split(",") if b]
    modes = [m for m in args.upsampling.split(",") if m]
    for name in backends:
        if name not in BACKENDS:
            raise ValueError(f"Unknown backend {name!r}; use some of {BACKENDS}.")
    for mode in modes:
        if mode not in UPSAMPLING_MODES:
            raise ValueError(f"Unknown upsampling {mode!r}; use some of {UPSAMPLING_MODES}.")
    if args.steps < 1 or args.repeats < 1:
        raise ValueError("--steps and --repeats must be at least 1.")

    load_before = load_average()
    print(f"load average before: {load_before}", flush=True)
    results, torch_results, skipped = {}, {}, []
    for backend in backends:
        if not installed(backend):
            skipped.append(f"{backend} (not installed)")
            continue
        for mode in modes:
            for contestant in ("keras_gen", "handwritten"):
                results[(backend, contestant, mode)] = run_subprocess(backend, contestant, mode, args)
    if installed("torch") and not args.no_pytorch:
        for mode in modes:
            torch_results[mode] = run_subprocess("torch", "pytorch", mode, args)
    load_after = load_average()
    print(f"load average after: {load_after}", flush=True)

    table = format_table(results, backends, modes, torch_results)
    warnings = [
        f"- {key}: {w}"
        for key, result in list(results.items()) + list(torch_results.items())
        for w in result.get("warnings", [])
    ]
    report = [
        f"DCGAN 28x28x1 (base_filters={BASE_FILTERS}, latent_dim={LATENT_DIM}) training "
        f"throughput, batch {BATCH_SIZE}, {args.steps} timed steps, best of {args.repeats}.",
        "",
        table,
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}; "
        f"{versions()}.",
        f"Load average (1, 5, 15 min) before: {load_before}; after: {load_after}.",
        "Command: `python " + " ".join([os.path.relpath(__file__)] + sys.argv[1:]) + "`",
    ]
    if skipped:
        report.append("Skipped: " + ", ".join(skipped) + ".")
    if warnings:
        report += ["", "Warnings ((!) in the table):"] + warnings
    text = "\n".join(report)
    print("\n" + text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
        print(f"\nwrote {args.output}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="tensorflow,jax,torch",
                        help="comma-separated Keras backends (default: all three)")
    parser.add_argument("--upsampling", default="transpose,resize,subpixel",
                        help="comma-separated generator upsampling modes")
    parser.add_argument("--steps", type=int, default=40,
                        help="timed training steps per repeat (default 40)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed repeats per contestant; the fastest counts (default 3)")
    parser.add_argument("--output", default=None, help="write the markdown table here")
    parser.add_argument("--no-pytorch", action="store_true", help="skip the plain PyTorch loop")
    parser.add_argument("--worker", choices=("keras_gen", "handwritten", "pytorch"), default=None,
                        help="run one contestant in this process (KERAS_BACKEND picks the backend) "
                             "and print its result as JSON")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
    else:
        run_driver(args)


if __name__ == "__main__":
    main()
