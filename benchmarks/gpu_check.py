"""GPU check: DCGAN and SAGAN training throughput, peak memory and 3-backend parity.

For each Keras backend (TensorFlow, JAX, PyTorch), model (DCGAN, SAGAN) and
dtype policy (`float32`, `mixed_float16`, `mixed_bfloat16`), one worker
process (`harness.py`; `KERAS_BACKEND` is fixed per process):

1. builds the model (`keras_gen.applications.dcgan.build_dcgan`, transposed
   convolutions as in the paper; `keras_gen.applications.sagan.build_sagan`
   with the hinge loss and `sagan_optimizers()`) under the policy, loads the
   shared reference weights (below) and writes `generate(n, seed=0)` with
   TF32 off (the parity samples);
2. trains with `fit` on uniform [-1, 1] images: warm-up steps (compilation,
   autotuning; checked: finite losses, both networks' weights change, both
   optimizers step; under `mixed_float16` the warm-up first trains until
   both optimizers have made an update, since dynamic loss scaling skips
   the first steps while the scale falls from 2**15, and the weights are
   judged over those steps and the warm-up, as a later overflow is skipped
   too), then `--repeats` timed runs of `--steps` steps;
3. reports images/s (median run, wall clock, warm-up excluded), the peak
   device memory of the process (TF `get_memory_info('GPU:0')['peak']`,
   torch `max_memory_allocated()`, JAX `memory_stats()['peak_bytes_in_use']`;
   under `--cpu-smoke` the peak resident memory of the process, labelled
   "host RSS") and whether the losses stayed finite.

The workers run one at a time (`harness.run_one_at_a_time`), so that no two
processes share the GPU and each peak is its own. Before them, one process
(torch when it is checked, else the first backend) builds both models on the
CPU, trains them two small steps (so that BatchNorm statistics are not at
their initial values), saves each with `save_weights` as `.weights.h5` and
generates its own `generate(n, seed=0)`. The workers load that file before
`compile`, so its optimizer state is not restored.

Parity: for each model and policy, every backend's samples are compared
with every other backend's (and, in float32, with the writer's); the table
gives the largest absolute difference and "ok" when it is within
`TOLERANCES`:

- float32: 1e-4 on the CPU, 1e-3 on the GPU. The parity samples are always
  generated with TF32 off (TF `enable_tensor_float_32_execution(False)`,
  torch `allow_tf32 = False` for matmul and cuDNN, JAX
  `jax_default_matmul_precision="float32"`); the GPU bound is looser because
  each framework picks its own cuDNN/XLA convolution algorithms.
- mixed_float16: 2e-2; mixed_bfloat16: 5e-2 (11 and 8 significant bits;
  the frameworks round and accumulate in different places).

Training runs with TF32 off too, unless `--tf32 on` (then on every backend),
so that float32 means float32 everywhere; the report says which.

Sizes on a GPU: 64x64x3 images, batch 256, latent 128, DCGAN
`base_filters=64`, SAGAN `base_filters=32` (attention at 32x32), 5 warm-up
steps, 3 timed runs of 20 steps. The run is meant to finish within 5
minutes: a row that would start after `--budget-seconds` (default 285,
counted from the start, with the longest row of its backend so far as the
estimate) is skipped and listed; rerun it alone with `--backends`,
`--models` and `--precisions`. Rows run float32 first. The JAX rows share
one compilation cache per run (their warm-ups are shorter; timing starts
after compilation either way).

Usage:

    python benchmarks/gpu_check.py --output gpu_check.md

    # Without a GPU: tiny networks (8x8x3 images, 8 filters), batch 8, one
    # warm-up step and one run of 2 timed steps; checks the script still works.
    python benchmarks/gpu_check.py --cpu-smoke

Without a GPU and without `--cpu-smoke` the script stops and says so. GPU
wheels per backend (CUDA 12, Linux): `pip install "tensorflow[and-cuda]"`;
`pip install "jax[cuda12]"`; `pip install torch --index-url
https://download.pytorch.org/whl/cu126`. A backend that still sees no GPU
fails its rows with that message and the others go on.
"""

import argparse
import datetime
import math
import os
import statistics
import sys
import tempfile
import time

import harness
import numpy as np
from contestants import uniform_images

MODELS = ("dcgan", "sagan")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
WORKERS = MODELS + ("weights",)

# Sizes on a GPU and in the CPU smoke run.
SIZES = {
    "gpu": dict(image_size=64, channels=3, batch_size=256, warmup_steps=5, steps=20, repeats=3,
                latent_dim=128, filters={"dcgan": 64, "sagan": 32}, parity_samples=16),
    "cpu": dict(image_size=8, channels=3, batch_size=8, warmup_steps=1, steps=2, repeats=1,
                latent_dim=16, filters={"dcgan": 8, "sagan": 8}, parity_samples=4),
}
# Largest absolute difference allowed between two backends' parity samples
# (images in [-1, 1]), by device kind and policy; see the module docstring.
TOLERANCES = {
    ("cpu", "float32"): 1e-4,
    ("gpu", "float32"): 1e-3,
    ("cpu", "mixed_float16"): 2e-2,
    ("gpu", "mixed_float16"): 2e-2,
    ("cpu", "mixed_bfloat16"): 5e-2,
    ("gpu", "mixed_bfloat16"): 5e-2,
}
DEFAULT_BUDGET_SECONDS = 285
MAX_CALIBRATION_STEPS = 20
INSTALL_HINT = {
    "tensorflow": 'pip install "tensorflow[and-cuda]"',
    "jax": 'pip install "jax[cuda12]"',
    "torch": "pip install torch --index-url https://download.pytorch.org/whl/cu126",
}


def kind(args):
    return "cpu" if args.cpu_smoke else "gpu"


# ---------------------------------------------------------------------------
# In a worker process: the backend is fixed by KERAS_BACKEND.
# ---------------------------------------------------------------------------
def set_tf32(enabled):
    """Turns TF32 matmuls and convolutions on or off for this process's backend."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(enabled)
    elif backend == "torch":
        import torch

        torch.backends.cuda.matmul.allow_tf32 = enabled
        torch.backends.cudnn.allow_tf32 = enabled
    elif backend == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "tensorfloat32" if enabled else "float32")


def device_description():
    """`(has_gpu, text)`: what this process's backend computes on, with CUDA versions."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if not gpus:
                return False, "CPU"
            details = tf.config.experimental.get_device_details(gpus[0])
            build = tf.sysconfig.get_build_info()
            return True, (f"{details.get('device_name', gpus[0].name)} "
                          f"(CUDA {build.get('cuda_version')}, cuDNN {build.get('cudnn_version')})")
        if backend == "torch":
            import torch

            if not torch.cuda.is_available():
                return False, "CPU"
            return True, (f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda}, "
                          f"cuDNN {torch.backends.cudnn.version()})")
        import jax

        device = jax.devices()[0]
        if device.platform != "gpu":
            return False, device.platform.upper()
        try:
            version = jax.extend.backend.get_backend().platform_version
        except Exception:  # noqa: BLE001 - only descriptive
            version = "version n/a"
        return True, f"{device.device_kind} ({version})"
    except Exception as error:  # noqa: BLE001 - a description must not stop the run
        return False, f"unknown ({type(error).__name__}: {error})"


def device_peak_mib():
    """Peak device memory of this process in MiB, or None where the backend cannot tell."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_logical_devices("GPU"):
                return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return torch.cuda.max_memory_allocated() / 2**20
        else:
            import jax

            stats = jax.devices()[0].memory_stats()
            if jax.devices()[0].platform == "gpu" and stats and "peak_bytes_in_use" in stats:
                return stats["peak_bytes_in_use"] / 2**20
    except Exception:  # noqa: BLE001 - reported as n/a
        return None
    return None


def build_model(model, sizes):
    """The `model` ("dcgan" or "sagan") GAN at `sizes`, not compiled."""
    from keras_gen.applications.dcgan import build_dcgan
    from keras_gen.applications.sagan import build_sagan

    shape = (sizes["image_size"], sizes["image_size"], sizes["channels"])
    filters = sizes["filters"][model]
    if model == "dcgan":
        return build_dcgan(image_shape=shape, latent_dim=sizes["latent_dim"], base_filters=filters,
                           upsampling="transpose", seed=0)
    return build_sagan(image_shape=shape, latent_dim=sizes["latent_dim"], base_filters=filters,
                       seed=0)


def compile_model(gan, model):
    """Compiles with the paper's optimizers: DCGAN's Adam(2e-4, 0.5), SAGAN's TTUR Adam."""
    from keras_gen.applications.sagan import sagan_optimizers

    gan.compile(**(sagan_optimizers() if model == "sagan" else {}))
    return gan


def worker_sizes(args):
    sizes = dict(SIZES[kind(args)])
    sizes.update(image_size=args.image_size, batch_size=args.batch_size,
                 warmup_steps=args.warmup_steps, steps=args.steps)
    return sizes


def images(num_images, sizes, seed):
    shape = (sizes["image_size"], sizes["image_size"], sizes["channels"])
    return uniform_images(num_images, shape, seed=seed)


def parity_path(directory, model, precision, backend):
    return os.path.join(directory, f"{model}-{precision}-{backend}.npy")


def weights_path(directory, model):
    return os.path.join(directory, f"{model}.weights.h5")


class WeightsWriter:
    """Writes each model's shared weights and its own parity samples (runs on the CPU)."""

    def __init__(self, args):
        self.args = args

    def warmup(self):
        import keras

        sizes = worker_sizes(self.args)
        sizes.update(batch_size=8)  # two small steps: moves BatchNorm statistics
        for model in [m for m in self.args.models.split(",") if m]:
            keras.utils.set_random_seed(0)
            gan = compile_model(build_model(model, sizes), model)
            gan.fit(images(16, sizes, seed=3), batch_size=8, epochs=1, shuffle=False, verbose=0)
            gan.save_weights(weights_path(self.args.parity_dir, model))
            samples = gan.generate(SIZES[kind(self.args)]["parity_samples"], seed=0)
            np.save(parity_path(self.args.parity_dir, model, "float32", "writer"), samples)
            keras.backend.clear_session()
        return {"backend": keras.backend.backend()}

    def run(self):
        return {}


def make_fit_contestant_class():
    from contestants.keras_fit import FitContestant

    class RecordingFitContestant(FitContestant):
        """`FitContestant` that also keeps every `fit`'s last logged losses."""

        losses_seen = ()

        def _fit(self, data):
            losses = super()._fit(data)
            self.losses_seen = tuple(self.losses_seen) + (losses,)
            return losses

    return RecordingFitContestant


class CheckContestant:
    """One backend x model x policy: parity samples, then the timed `fit` runs."""

    def __init__(self, args):
        import keras

        self.backend = keras.backend.backend()
        self.precision = args.precisions.split(",")[0]
        self.has_gpu, self.device = device_description()
        if not args.cpu_smoke and not self.has_gpu:
            raise RuntimeError(
                f"{self.backend} sees no GPU (it sees {self.device}): install its GPU build "
                f"({INSTALL_HINT[self.backend]}), or pass --cpu-smoke."
            )
        sizes = worker_sizes(args)
        keras.config.set_dtype_policy(self.precision)
        keras.utils.set_random_seed(0)
        gan = build_model(args.worker, sizes)
        # Loaded before compile: the file's optimizer state (the writer's two
        # steps) is not restored, and every optimizer starts from zero.
        gan.load_weights(weights_path(args.parity_dir, args.worker))
        set_tf32(False)
        samples = gan.generate(SIZES[kind(args)]["parity_samples"], seed=0)
        np.save(parity_path(args.parity_dir, args.worker, self.precision, self.backend), samples)
        set_tf32(args.tf32 == "on")
        compile_model(gan, args.worker)
        batch = sizes["batch_size"]
        self.fit = make_fit_contestant_class()(
            gan,
            {"generator": gan.generator, "discriminator": gan.discriminator},
            list(gan.optimizers.values()),
            images(sizes["warmup_steps"] * batch, sizes, seed=1),
            images(sizes["steps"] * batch, sizes, seed=2),
            batch,
            expected_logs=("d_loss", "g_loss"),
            # The loss-scale calibration below adds updates before the checked warm-up.
            extra_updates_allowed=self.precision == "mixed_float16",
        )

    def _memory(self):
        peak = device_peak_mib()
        if peak is not None:
            return {"peak_memory_mib": peak, "memory_kind": "device"}
        return {"peak_memory_mib": harness.peak_rss_mib(), "memory_kind": "host RSS"}

    def calibrate_loss_scale(self):
        """Under mixed_float16: trains until every optimizer has made one update.

        Dynamic loss scaling starts at 2**15 and skips (exactly) every step
        whose scaled gradients overflow float16, halving the scale; SAGAN
        needs about six such steps. They belong to the warm-up, not the
        timed runs. Returns the number of steps taken, or None if it gave up.
        """
        import keras

        optimizers = self.fit.optimizers
        one_batch = self.fit.warmup_data[: self.fit.batch_size]
        for step in range(MAX_CALIBRATION_STEPS + 1):
            if all(int(keras.ops.convert_to_numpy(o.iterations)) > 0 for o in optimizers):
                return step
            self.fit._fit(one_batch)
        return None

    def trainable_values(self):
        import keras

        return {
            name: [np.array(keras.ops.convert_to_numpy(v.value)) for v in network.trainable_variables]
            for name, network in self.fit.networks.items()
        }

    def warmup(self):
        extra = {}
        if self.precision == "mixed_float16":
            initial = self.trainable_values()
            extra["loss_scale_calibration_steps"] = self.calibrate_loss_scale()
        result = self.fit.warmup()
        if self.precision == "mixed_float16":
            # A warm-up step that overflows float16 is skipped exactly, as it
            # should be: judge the weights over calibration and warm-up.
            changed = {name: not all(np.array_equal(a, b) for a, b in zip(initial[name], now))
                       for name, now in self.trainable_values().items()}
            result["warnings"] = [w for w in result["warnings"] if not any(
                changed[name] and w == f"{name} weights did not change" for name in changed)]
            if extra["loss_scale_calibration_steps"] is None:
                result["warnings"].append(
                    f"an optimizer made no update in {MAX_CALIBRATION_STEPS} steps of loss-scale "
                    "calibration (every step overflowed float16)")
        result.update(self._memory(), device=self.device, backend=self.backend,
                      precision=self.precision, losses=self.fit.losses_seen[-1], **extra)
        return result

    def run(self):
        result = self.fit.run()
        result.update(self._memory())
        return result


def make_contestant(args):
    if args.worker == "weights":
        return WeightsWriter(args)
    return CheckContestant(args)


# ---------------------------------------------------------------------------
# The driver.
# ---------------------------------------------------------------------------
def writer_backend(backends):
    """The backend that writes the shared weights: torch when checked (quickest to start)."""
    return "torch" if "torch" in backends else backends[0]


def label(backend, model, precision):
    return f"{backend} {model} {precision}"


def worker_arguments(args, worker, precision):
    return [
        "--worker", worker, "--serve", "--precisions", precision, "--models", args.models,
        "--parity-dir", args.parity_dir,
        "--steps", args.steps, "--warmup-steps", args.warmup_steps, "--batch-size", args.batch_size,
        "--image-size", args.image_size, "--tf32", args.tf32,
    ] + (["--cpu-smoke"] if args.cpu_smoke else [])


def worker_env(args, backend, cpu_only=False):
    env = harness.backend_env(backend, args.threads)
    if backend == "jax":
        # One compilation cache per run, shared by the JAX rows: the rows of a
        # model rebuild the same variables, and their warm-ups are shorter.
        # The timed steps are compiled either way before timing starts.
        env.update(
            JAX_COMPILATION_CACHE_DIR=os.path.join(args.parity_dir, "jax_cache"),
            JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
            JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
        )
    if args.cpu_smoke or cpu_only:
        env.update(CUDA_VISIBLE_DEVICES="", JAX_PLATFORMS="cpu")
    return env


def finite(result):
    """"yes", "NO" or "n/a": every loss logged in the warm-up and the timed runs was finite."""
    losses = [result.warmup.get("info", {}).get("losses", {})]
    losses += [run.info.get("losses", {}) for run in result.runs]
    values = [value for logged in losses for value in logged.values()]
    if result.error is not None or not result.runs or not values:
        return "n/a"
    return "yes" if all(math.isfinite(value) for value in values) else "NO"


def parity_cells(args, backends, models, precisions):
    """dict `(backend, model, precision)` -> parity cell text, from the saved samples."""
    cells = {}
    for model in models:
        for precision in precisions:
            samples = {}
            names = list(backends) + (["writer"] if precision == "float32" else [])
            for name in names:
                path = parity_path(args.parity_dir, model, precision, name)
                if os.path.exists(path):
                    samples[name] = np.load(path).astype("float64")
            tolerance = TOLERANCES[(kind(args), precision)]
            for backend in backends:
                if backend not in samples:
                    cells[(backend, model, precision)] = "n/a (no samples)"
                    continue
                others = [name for name in samples if name != backend]
                if not others:
                    cells[(backend, model, precision)] = "n/a (no other backend)"
                    continue
                difference = max(float(np.max(np.abs(samples[backend] - samples[name])))
                                 for name in others)
                cells[(backend, model, precision)] = (
                    f"ok ({difference:.1e} <= {tolerance:g})" if difference <= tolerance
                    else f"FAIL ({difference:.1e} > {tolerance:g})"
                )
    return cells


def images_per_second(result, args):
    if not result.runs:
        return None
    return args.steps * args.batch_size / statistics.median(result.values("wall_seconds"))


def memory_cell(result):
    info = result.runs[-1].info if result.runs else result.warmup.get("info", {})
    if "peak_memory_mib" not in info:
        return "n/a"
    return f"{info['peak_memory_mib']:,.0f} ({info['memory_kind']})"


def report_table(args, results, backends, models, precisions, parity):
    header = ["Backend", "Model", "Precision", "images/s", "peak memory (MiB)", "losses finite",
              "parity (max abs difference)"]
    rows = []
    for precision in precisions:
        for model in models:
            for backend in backends:
                result = results.get((backend, model, precision))
                if result is None:
                    continue
                flag = " (!)" if result.warnings else ""
                speed = harness.number(images_per_second(result, args)) + flag
                if result.error:
                    speed = "skipped" if result.error.startswith("skipped") else "failed (!)"
                rows.append([backend, model, precision, speed, memory_cell(result), finite(result),
                             parity.get((backend, model, precision), "n/a")])
    return harness.markdown_table(header, rows, "lllrrll")


def device_lines(args, results):
    lines = []
    if args.cpu_smoke:
        lines.append("Device: CPU only (--cpu-smoke: GPUs hidden from the workers; tiny sizes, "
                     "not a benchmark).")
    else:
        gpus = harness.nvidia_gpus()
        if gpus:
            lines.append(f"Device: {'; '.join(gpus['gpus'])}; driver {gpus['driver']}, "
                         f"CUDA {gpus['cuda']} (nvidia-smi).")
        else:
            lines.append("Device: nvidia-smi not available; see each backend's device below.")
    seen = {}
    for (backend, _, _), result in results.items():
        device = result.warmup.get("info", {}).get("device")
        if device:
            seen.setdefault(backend, device)
    if seen:
        lines.append("Seen by each backend: " + "; ".join(f"{b}: {d}" for b, d in seen.items()))
    return lines


class BudgetGuard:
    """`skip_reason` for `harness.run_one_at_a_time`: keeps the whole run within a budget.

    A row is skipped when the time since `started` (a `clock()` reading)
    plus the longest row of its backend so far would exceed `budget` seconds
    (None: no budget). Rows are started in the order of `backends` (one
    backend name per row).
    """

    def __init__(self, budget, started, backends, clock=time.perf_counter):
        self.budget = budget
        self.started = started
        self.clock = clock
        self.backends = list(backends)
        self.calls = 0
        self.last_start = None
        self.longest = {}

    def __call__(self, contestant, _):
        now = self.clock() - self.started
        if self.last_start is not None:
            backend, start = self.last_start
            self.longest[backend] = max(self.longest.get(backend, 0.0), now - start)
        backend = self.backends[self.calls]
        self.calls += 1
        self.last_start = None
        if self.budget is not None and now + self.longest.get(backend, 0.0) > self.budget:
            return (f"skipped: the {self.budget:.0f} s budget would be exceeded ({now:.0f} s "
                    f"spent); run this row alone with --backends/--models/--precisions")
        self.last_start = (backend, now)
        return None


def gpu_present():
    """Whether this machine has an NVIDIA GPU (nvidia-smi lists one, or its device file exists)."""
    return harness.nvidia_gpus() is not None or os.path.exists("/dev/nvidia0")


def gpu_or_exit(args):
    if args.cpu_smoke:
        return
    if not gpu_present():
        sys.exit(
            "gpu_check.py: no GPU found (nvidia-smi lists none). This script measures GPU "
            "throughput at GPU sizes; to check that it works on this machine, run it with "
            "--cpu-smoke (tiny networks on the CPU)."
        )


def run_driver(args):
    gpu_or_exit(args)
    backends = harness.parse_backends(args.backends)
    models = [m for m in args.models.split(",") if m]
    precisions = [p for p in args.precisions.split(",") if p]
    for name, allowed in ((models, MODELS), (precisions, PRECISIONS)):
        unknown = [n for n in name if n not in allowed]
        if unknown:
            raise ValueError(f"Unknown {unknown}; use some of {allowed}.")
    harness.check_common_arguments(args)
    skipped = [f"{b} (not installed)" for b in backends if not harness.installed(b)]
    backends = [b for b in backends if harness.installed(b)]
    if not backends:
        sys.exit("gpu_check.py: none of the requested backends is installed.")

    provenance = harness.Provenance(__file__)
    date = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as directory:
        args.parity_dir = directory
        writer = harness.Contestant(
            "weights",
            harness.python_command(__file__, *worker_arguments(args, "weights", "float32")),
            worker_env(args, writer_backend(backends), cpu_only=True),
        )
        written = harness.run_interleaved([writer], 0)["weights"]
        if written.error:
            sys.exit(f"gpu_check.py: writing the shared weights failed: {written.error}")

        keys = [(b, m, p) for p in precisions for m in models for b in backends]
        contestants = [
            harness.Contestant(label(*key), harness.python_command(
                __file__, *worker_arguments(args, key[1], key[2])), worker_env(args, key[0]))
            for key in keys
        ]
        budget = args.budget_seconds
        if budget is None and not args.cpu_smoke:
            budget = DEFAULT_BUDGET_SECONDS
        over_budget = BudgetGuard(budget, provenance.started, [key[0] for key in keys])
        by_label = harness.run_one_at_a_time(contestants, args.repeats, skip_reason=over_budget)
        results = {key: by_label[label(*key)] for key in keys}
        parity = parity_cells(args, backends, models, precisions)
    provenance.finish()

    sizes = worker_sizes(args)
    side = f"{args.image_size}x{args.image_size}x{sizes['channels']}"
    title = ("CPU smoke run of benchmarks/gpu_check.py (tiny networks: checks the script, "
             "not a benchmark)" if args.cpu_smoke else "GPU check")
    report = [
        f"{title}. Date: {date}.",
        *device_lines(args, results),
        "",
        f"DCGAN (transposed convolutions, base_filters={sizes['filters']['dcgan']}) and SAGAN "
        f"(base_filters={sizes['filters']['sagan']}, hinge loss, TTUR Adam), {side} images, "
        f"latent {sizes['latent_dim']}, batch {args.batch_size}; images/s: median of "
        f"{args.repeats} runs of {args.steps} `fit` steps after {args.warmup_steps} warm-up "
        f"steps (excluded); TF32 {args.tf32} for training, off for the parity samples. Each row "
        f"is its own process, run alone.",
        "",
        report_table(args, results, backends, models, precisions, parity),
        "",
        f"Peak memory: per process; 'device' is the backend's own count of GPU memory in use, "
        f"'host RSS' the process's peak resident memory (no device memory on the CPU). Parity: "
        f"`generate({SIZES[kind(args)]['parity_samples']}, seed=0)` from the same `.weights.h5` "
        f"(written by {writer_backend(backends)} on the CPU), largest absolute difference against "
        f"every other backend of the same model and policy (float32: and the writer's own "
        f"samples), tolerance after '<='.",
        "",
        *provenance.lines(),
    ]
    if skipped:
        report.append("Skipped: " + ", ".join(skipped) + ".")
    warnings = harness.warning_lines({label(*key): result for key, result in results.items()})
    if warnings:
        report += ["", "Warnings ((!) in the table):"] + warnings
    harness.publish("\n".join(report), args.output)
    return results, parity


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu-smoke", action="store_true",
                        help="run on the CPU at tiny sizes (GPUs hidden): checks the script works")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated: dcgan,sagan")
    parser.add_argument("--precisions", default=",".join(PRECISIONS),
                        help="comma-separated dtype policies (default: all three)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="default 256 (8 with --cpu-smoke)")
    parser.add_argument("--image-size", type=int, default=None,
                        help="image side, 4 or 7 times a power of two "
                             "(default 64; 8 with --cpu-smoke)")
    parser.add_argument("--warmup-steps", type=int, default=None,
                        help="untimed steps before the timed runs (default 5; 1 with --cpu-smoke)")
    parser.add_argument("--tf32", choices=("off", "on"), default="off",
                        help="TF32 for training on every backend (parity samples always off)")
    parser.add_argument("--budget-seconds", type=float, default=None,
                        help=f"start no worker after this many seconds (default "
                             f"{DEFAULT_BUDGET_SECONDS} on a GPU, none with --cpu-smoke)")
    parser.add_argument("--parity-dir", default=None, help=argparse.SUPPRESS)
    harness.add_common_arguments(parser, steps=20, repeats=3, contestants=WORKERS)
    parser.set_defaults(steps=None, repeats=None)
    args = parser.parse_args(argv)
    sizes = SIZES[kind(args)]
    for name in ("steps", "repeats", "batch_size", "image_size", "warmup_steps"):
        if getattr(args, name) is None:
            setattr(args, name, sizes[name])
    if args.warmup_steps < 1 or args.batch_size < 1:
        parser.error("--warmup-steps and --batch-size must be at least 1.")
    return args


def main(argv=None):
    args = parse_args(argv)
    harness.run_script(args, make_contestant, run_driver)


if __name__ == "__main__":
    main()
