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
training mode) with fresh latents. Data are uniform [-1, 1] arrays.

Every contestant runs in its own subprocess (one Keras backend per process),
so `ru_maxrss` is that contestant's own peak resident memory. For each
upsampling mode the driver starts the contestants one after the other; each
warms up (tracing / compilation, and a check that both networks train: finite
losses, weights changed, both optimizers stepped; a warning is printed
otherwise) and then waits. The timed runs (`--steps` steps of `fit`, or of
the PyTorch loop) are then interleaved, one run per contestant per round for
`--repeats` rounds, so that on a shared machine every contestant sees the
same load; the fastest run of each is reported.

Usage:

    python benchmarks/dcgan_throughput.py --backends tensorflow,jax,torch \\
        --upsampling transpose,resize,subpixel --steps 40 \\
        --output benchmarks/results_dcgan.md

    # On a busy machine: one compute thread per contestant (see --help).
    python benchmarks/dcgan_throughput.py --threads 1 --output /tmp/dcgan.md

    # One contestant in this process (what the driver runs in subprocesses):
    KERAS_BACKEND=jax python benchmarks/dcgan_throughput.py --worker keras_gen \\
        --upsampling subpixel --steps 5
"""

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

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


class KerasContestant:
    """(a) keras_gen or (b) the hand-written model, on the active Keras backend."""

    def __init__(self, contestant, upsampling, steps):
        self.model, self.generator, self.discriminator, self.optimizers = build_keras_contestant(
            contestant, upsampling
        )
        self.steps = steps
        self.warmup_images = random_images(WARMUP_STEPS * BATCH_SIZE, seed=1)
        self.timed_images = random_images(steps * BATCH_SIZE, seed=2)

    def _fit(self, images):
        history = self.model.fit(images, batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0)
        return history.history

    def warmup(self):
        """Traces/compiles the step and checks that both networks train."""

        import keras

        def weights(network):
            # Trainable weights only: BatchNorm statistics move without any update.
            return [np.array(keras.ops.convert_to_numpy(v.value)) for v in network.trainable_variables]

        before = {"generator": weights(self.generator), "discriminator": weights(self.discriminator)}
        history = self._fit(self.warmup_images)
        after = {"generator": weights(self.generator), "discriminator": weights(self.discriminator)}
        return check_training(history, before, after, self.optimizers, WARMUP_STEPS)

    def run(self):
        """Trains `steps` steps; returns the last logged losses."""
        history = self._fit(self.timed_images)
        return {key: float(values[-1]) for key, values in history.items()}


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


class TorchContestant:
    """(c) The plain PyTorch loop (independent of the Keras backend)."""

    def __init__(self, upsampling, steps):
        import torch

        torch.manual_seed(0)
        self.torch = torch
        self.generator, self.discriminator = build_torch_networks(upsampling)
        self.generator.train()
        self.discriminator.train()
        self.d_optimizer = torch.optim.Adam(
            self.discriminator.parameters(), lr=LEARNING_RATE, betas=(BETA_1, 0.999), eps=EPSILON
        )
        self.g_optimizer = torch.optim.Adam(
            self.generator.parameters(), lr=LEARNING_RATE, betas=(BETA_1, 0.999), eps=EPSILON
        )
        self.warmup_images = torch.from_numpy(
            random_images(WARMUP_STEPS * BATCH_SIZE, channels_first=True, seed=1)
        )
        self.timed_images = torch.from_numpy(
            random_images(steps * BATCH_SIZE, channels_first=True, seed=2)
        )

    def _train(self, images):
        import torch.nn.functional as F

        torch, generator, discriminator = self.torch, self.generator, self.discriminator
        d_loss = g_loss = None
        for i in range(0, len(images), BATCH_SIZE):
            real = images[i : i + BATCH_SIZE]
            batch_size = real.shape[0]
            fake = generator(torch.randn(batch_size, LATENT_DIM)).detach()
            d_loss = F.softplus(-discriminator(real)).mean() + F.softplus(discriminator(fake)).mean()
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            self.d_optimizer.step()

            fake_logits = discriminator(generator(torch.randn(batch_size, LATENT_DIM)))
            g_loss = F.softplus(-fake_logits).mean()
            self.g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
            self.g_optimizer.step()
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}

    def warmup(self):
        import math

        parameters = list(self.generator.parameters()) + list(self.discriminator.parameters())
        before = [p.detach().clone() for p in parameters]
        losses = self._train(self.warmup_images)
        problems = []
        if not all(math.isfinite(v) for v in losses.values()):
            problems.append(f"non-finite losses: {losses}")
        if all(self.torch.equal(b, a) for b, a in zip(before, parameters)):
            problems.append("weights did not change")
        return problems

    def run(self):
        return self._train(self.timed_images)


def make_contestant(name, upsampling, steps):
    if name == "pytorch":
        return TorchContestant(upsampling, steps)
    return KerasContestant(name, upsampling, steps)


def backend_label(name):
    if name == "pytorch":
        return "pytorch"
    import keras

    return keras.backend.backend()


def emit(payload):
    print(RESULT_PREFIX + json.dumps(payload), flush=True)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_run(contestant):
    cpu_start = cpu_seconds()
    start = time.perf_counter()
    losses = contestant.run()
    seconds = time.perf_counter() - start
    cores = (cpu_seconds() - cpu_start) / seconds
    warnings = []
    if not all(math.isfinite(v) for v in losses.values()):
        warnings.append(f"non-finite losses while timing: {losses}")
    return {"seconds": seconds, "cores": cores, "losses": losses, "warnings": warnings}


def run_worker(args):
    """One contestant in this process: warm up, then timed runs.

    With `--serve` (used by the driver) it waits for a `run` line on stdin
    before each timed run and for `quit` before reporting its peak memory, so
    the driver can interleave the contestants' runs; otherwise it does
    `--repeats` runs back to back.
    """
    upsampling = args.upsampling.split(",")[0]
    start = time.perf_counter()
    contestant = make_contestant(args.worker, upsampling, args.steps)
    warnings = contestant.warmup()
    ready = {
        "event": "ready",
        "contestant": args.worker,
        "backend": backend_label(args.worker),
        "upsampling": upsampling,
        "warmup_seconds": time.perf_counter() - start,
        "warnings": warnings,
    }
    for warning in warnings:
        print(f"WARNING: {args.worker}/{upsampling}: {warning}", file=sys.stderr)
    runs = []
    if args.serve:
        emit(ready)
        for line in sys.stdin:
            command = line.strip()
            if command == "run":
                runs.append(timed_run(contestant))
                emit(dict(runs[-1], event="run"))
            elif command == "quit":
                break
        emit({"event": "done", "peak_rss_mib": peak_rss_mib()})
        return
    for _ in range(args.repeats):
        runs.append(timed_run(contestant))
    seconds = [run["seconds"] for run in runs]
    ready.update(
        event="done",
        steps=args.steps,
        seconds=seconds,
        images_per_second=args.steps * BATCH_SIZE / min(seconds),
        losses=runs[-1]["losses"],
        peak_rss_mib=peak_rss_mib(),
    )
    ready["warnings"] += [w for run in runs for w in run["warnings"]]
    emit(ready)


# ---------------------------------------------------------------------------
# The driver: every contestant in its own subprocess, one combined table.
# ---------------------------------------------------------------------------
def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def thread_limit_env(threads):
    """Environment variables that cap each framework's compute threads."""
    n = str(threads)
    xla_flags = f"intra_op_parallelism_threads={n}"
    if threads == 1:
        xla_flags = "--xla_cpu_multi_thread_eigen=false " + xla_flags
    return {
        "OMP_NUM_THREADS": n,  # PyTorch (and MKL/oneDNN) intra-op threads
        "MKL_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n,
        "TF_NUM_INTEROP_THREADS": n,
        "XLA_FLAGS": (os.environ.get("XLA_FLAGS", "") + " " + xla_flags).strip(),
    }


class WorkerProcess:
    """A contestant in its own subprocess, driven over stdin/stdout."""

    def __init__(self, backend, contestant, upsampling, args):
        self.key = (backend, contestant, upsampling)
        self.label = f"{contestant} [{'plain' if contestant == 'pytorch' else backend}] {upsampling}"
        self.runs = []
        self.warnings = []
        self.error = None
        self.result = None
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        if args.threads:
            env.update(thread_limit_env(args.threads))
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--worker",
            contestant,
            "--serve",
            "--upsampling",
            upsampling,
            "--steps",
            str(args.steps),
        ]
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr, text=True,
        )

    def _read(self):
        for line in self.process.stdout:
            if line.startswith(RESULT_PREFIX):
                return json.loads(line[len(RESULT_PREFIX) :])
        self.process.wait()
        self.stderr.seek(0)
        lines = [line for line in self.stderr.read().strip().splitlines() if line.strip()]
        self.error = f"exit {self.process.returncode}: " + (lines[-1] if lines else "no output")
        self.warnings.append(self.error)
        print(f"  FAILED {self.label} ({self.error})", flush=True)
        return None

    def _send(self, command):
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            return True
        except BrokenPipeError:
            return False

    def wait_ready(self):
        message = self._read()
        if message is not None:
            self.warnings += message["warnings"]
            for warning in message["warnings"]:
                print(f"  WARNING {self.label}: {warning}", flush=True)
            print(f"  {self.label}: warmed up in {message['warmup_seconds']:.1f} s", flush=True)
        return self.error is None

    def run(self):
        if self.error is not None or not self._send("run"):
            return
        message = self._read()
        if message is not None:
            self.runs.append((message["seconds"], message["cores"]))
            self.warnings += message["warnings"]
            print(
                f"  {self.label}: {message['seconds']:.2f} s "
                f"({message['cores']:.2f} cores busy on average)",
                flush=True,
            )

    def finish(self, steps):
        peak = None
        if self.error is None and self._send("quit"):
            message = self._read()
            peak = message["peak_rss_mib"] if message else None
        self.process.wait()
        self.stderr.close()
        images = steps * BATCH_SIZE
        self.result = {
            "seconds": [seconds for seconds, _ in self.runs],
            "images_per_second": max((images / s for s, _ in self.runs), default=None),
            "images_per_cpu_second": (
                statistics.median(images / (s * c) for s, c in self.runs) if self.runs else None
            ),
            "peak_rss_mib": peak,
            "warnings": self.warnings,
        }
        return self.result


def run_group(members, args):
    """Warms up each contestant in turn, then interleaves their timed runs."""
    workers = []
    for backend, contestant, mode in members:
        worker = WorkerProcess(backend, contestant, mode, args)
        print(f"starting {worker.label} ...", flush=True)
        # One at a time, so that no warm-up overlaps another contestant.
        worker.wait_ready()
        workers.append(worker)
    for round_index in range(args.repeats):
        print(f"round {round_index + 1}/{args.repeats}", flush=True)
        for worker in workers:
            worker.run()
    return {worker.key: worker.finish(args.steps) for worker in workers}


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


def format_table(results, backends, modes, metric="images_per_second", with_memory=True):
    """A markdown table of `metric` for every backend and upsampling mode."""

    def value(result):
        return result.get(metric) if result else None

    def number(x):
        return "n/a" if x is None else f"{x:,.0f}"

    def ratio(a, b):
        return "n/a" if a is None or b is None else f"{a / b:.2f}"

    def cell(result):
        flag = " (!)" if result and result.get("warnings") else ""
        return number(value(result)) + flag

    unit = "img/s" if metric == "images_per_second" else "img per CPU-s"
    header = (
        f"| Backend | Upsampling | keras_gen ({unit}) | hand-written Keras ({unit}) | "
        f"plain PyTorch ({unit}) | keras_gen / hand-written | keras_gen / plain PyTorch |"
    )
    rule = "|---|---|---:|---:|---:|---:|---:|"
    if with_memory:
        header += " peak RSS keras_gen / hand-written / PyTorch (MiB) |"
        rule += "---:|"
    lines = [header, rule]
    for backend in backends:
        for mode in modes:
            ours = results.get((backend, "keras_gen", mode))
            theirs = results.get((backend, "handwritten", mode))
            torch_result = results.get(("torch", "pytorch", mode))
            line = (
                f"| {backend} | {mode} | {cell(ours)} | {cell(theirs)} | {cell(torch_result)} | "
                f"{ratio(value(ours), value(theirs))} | {ratio(value(ours), value(torch_result))} |"
            )
            if with_memory:
                line += " " + " / ".join(
                    number(r.get("peak_rss_mib")) if r else "n/a"
                    for r in (ours, theirs, torch_result)
                ) + " |"
            lines.append(line)
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
    if args.steps < 1 or args.repeats < 1 or (args.threads is not None and args.threads < 1):
        raise ValueError("--steps, --repeats and --threads must be at least 1.")

    skipped = [f"{b} (not installed)" for b in backends if not installed(b)]
    backends_run = [b for b in backends if installed(b)]
    with_pytorch = installed("torch") and not args.no_pytorch

    load_before = load_average()
    print(f"load average before: {load_before}", flush=True)
    started = time.perf_counter()
    results = {}
    for mode in modes:
        members = [(b, c, mode) for b in backends_run for c in ("keras_gen", "handwritten")]
        if with_pytorch:
            members.append(("torch", "pytorch", mode))
        results.update(run_group(members, args))
    load_after = load_average()
    print(f"load average after: {load_after}", flush=True)

    warnings = [
        f"- {' / '.join(key)}: {warning}"
        for key, result in results.items()
        for warning in result["warnings"]
    ]
    report = [
        f"DCGAN 28x28x1 (base_filters={BASE_FILTERS}, latent_dim={LATENT_DIM}) training "
        f"throughput, batch {BATCH_SIZE}: {args.steps} timed steps per run, "
        f"{args.repeats} interleaved runs per contestant, the fastest reported; "
        f"compute threads per process: {args.threads or 'framework default'}.",
        "",
        "Wall clock (fastest run):",
        "",
        format_table(results, backends_run, modes),
        "",
        "CPU time (median run; images per CPU-second of the whole process, all its "
        "threads; less sensitive than the wall clock to other processes on the machine):",
        "",
        format_table(results, backends_run, modes, "images_per_cpu_second", with_memory=False),
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}; "
        f"{versions()}.",
        f"Load average (1, 5, 15 min) before: {load_before}; after: {load_after}. "
        f"Wall time {time.perf_counter() - started:.0f} s.",
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
    parser.add_argument("--threads", type=int, default=None,
                        help="cap every contestant's compute threads (OMP/MKL, TensorFlow, XLA); "
                             "default: each framework's own default (all cores). On a loaded "
                             "machine, PyTorch's OpenMP threads stall when they outnumber the "
                             "free cores; --threads 1 keeps the comparison meaningful there")
    parser.add_argument("--no-pytorch", action="store_true", help="skip the plain PyTorch loop")
    parser.add_argument("--worker", choices=("keras_gen", "handwritten", "pytorch"), default=None,
                        help="run one contestant in this process (KERAS_BACKEND picks the backend) "
                             "and print its result as JSON")
    parser.add_argument("--serve", action="store_true",
                        help="with --worker: wait for 'run'/'quit' lines on stdin (driver mode)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
    else:
        run_driver(args)


if __name__ == "__main__":
    main()
