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
    (`contestants/handwritten_keras.py`), the same non-saturating loss, the
    same optimizers, and `fit` on the same data.
(c) `pytorch`: a plain PyTorch loop over `torch.nn` modules of the same
    architecture with `torch.optim.Adam` (`contestants/plain_pytorch.py`);
    it does not depend on the Keras backend, so it runs once per upsampling
    mode.

With `--channels-first`, a fourth contestant, `keras_gen_nchw`, is (a) with
channels-first networks and images (`build_dcgan(data_format=
"channels_first")`), to measure what the torch backend's transposes around
each channels-last convolution cost.

(a) and (b) do the same math per step: the discriminator sees the real batch
and a generated batch in two calls (generator in training mode, output
detached), then the generator is updated through the discriminator (also in
training mode) with fresh latents. Data are uniform [-1, 1] arrays.

Every contestant runs in its own subprocess (one Keras backend per process),
so its peak resident memory is its own; `harness.run_interleaved` drives them,
one group per upsampling mode. Each warms up (tracing / compilation, and a
check that both networks train: finite losses, weights changed, both
optimizers stepped; a warning is printed otherwise). The timed runs
(`--steps` steps of `fit`, or of the PyTorch loop) are interleaved, one run
per contestant per round for `--repeats` rounds, so that on a shared machine
every contestant sees the same load. The report gives the fastest wall-clock
run of each contestant and its median images per CPU-second.

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
import os
import statistics
import subprocess

import harness
from contestants import uniform_images

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
PRECISIONS = ("float32", "bfloat16")
CONTESTANTS = ("keras_gen", "handwritten", "pytorch", "keras_gen_nchw")


def images(num_images, seed, channels_first=False):
    """Uniform [-1, 1] training images, channels-last (Keras) or channels-first (PyTorch)."""
    height, width, channels = IMAGE_SHAPE
    shape = (channels, height, width) if channels_first else IMAGE_SHAPE
    return uniform_images(num_images, shape, seed=seed)


# ---------------------------------------------------------------------------
# The contestants, built in a worker process.
# ---------------------------------------------------------------------------
def build_keras_model(contestant, upsampling):
    """Returns `(model, generator, discriminator, optimizers)`, compiled."""
    import keras_gen

    if contestant in ("keras_gen", "keras_gen_nchw"):
        from keras_gen.applications.dcgan import build_dcgan

        gan = build_dcgan(
            image_shape=IMAGE_SHAPE,
            latent_dim=LATENT_DIM,
            base_filters=BASE_FILTERS,
            upsampling=upsampling,
            data_format="channels_first" if contestant == "keras_gen_nchw" else "channels_last",
        )
        gan.compile()
        optimizers = list(gan.optimizers.values())
        return gan, gan.generator, gan.discriminator, optimizers

    import keras

    from contestants import handwritten_keras

    generator = keras_gen.networks.dcgan_generator(
        image_shape=IMAGE_SHAPE,
        latent_dim=LATENT_DIM,
        base_filters=BASE_FILTERS,
        upsampling=upsampling,
    )
    discriminator = keras_gen.networks.dcgan_discriminator(
        image_shape=IMAGE_SHAPE, base_filters=BASE_FILTERS
    )
    d_optimizer, g_optimizer = (
        keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1, epsilon=EPSILON) for _ in range(2)
    )
    model = handwritten_keras.build(generator, discriminator, LATENT_DIM, d_optimizer, g_optimizer)
    return model, generator, discriminator, [d_optimizer, g_optimizer]


def make_contestant(name, upsampling, steps, precision="float32"):
    """The contestant `name` (see `CONTESTANTS`) with `upsampling`, timing `steps` steps.

    `precision="bfloat16"` trains the Keras contestants under the
    `mixed_bfloat16` policy and the PyTorch loop under
    `torch.autocast("cpu", dtype=torch.bfloat16)` (its weights and Adam
    states stay float32 in both).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; use one of {PRECISIONS}.")
    if name == "pytorch":
        import torch

        from contestants import plain_pytorch

        torch.manual_seed(0)
        generator, discriminator = plain_pytorch.build_networks(
            upsampling, IMAGE_SHAPE, LATENT_DIM, BASE_FILTERS
        )
        return plain_pytorch.PlainPyTorchContestant(
            generator,
            discriminator,
            LATENT_DIM,
            BATCH_SIZE,
            dict(lr=LEARNING_RATE, betas=(BETA_1, 0.999), eps=EPSILON),
            images(WARMUP_STEPS * BATCH_SIZE, seed=1, channels_first=True),
            images(steps * BATCH_SIZE, seed=2, channels_first=True),
            autocast=precision == "bfloat16",
        )
    from contestants.keras_fit import FitContestant

    if precision == "bfloat16":
        import keras

        keras.mixed_precision.set_global_policy("mixed_bfloat16")

    model, generator, discriminator, optimizers = build_keras_model(name, upsampling)
    return FitContestant(
        model,
        {"generator": generator, "discriminator": discriminator},
        optimizers,
        images(WARMUP_STEPS * BATCH_SIZE, seed=1, channels_first=name == "keras_gen_nchw"),
        images(steps * BATCH_SIZE, seed=2, channels_first=name == "keras_gen_nchw"),
        BATCH_SIZE,
        expected_logs=("d_loss", "g_loss"),
    )


def worker_contestant(args):
    """The contestant a `--worker` process times, from its command line."""
    return make_contestant(args.worker, args.upsampling.split(",")[0], args.steps, args.precision)


# ---------------------------------------------------------------------------
# The driver: every contestant in its own subprocess, one combined table.
# ---------------------------------------------------------------------------
def label(backend, contestant, upsampling):
    return f"{contestant} [{'plain' if contestant == 'pytorch' else backend}] {upsampling}"


def harness_contestant(backend, contestant, upsampling, args):
    command = harness.python_command(
        __file__, "--worker", contestant, "--serve", "--upsampling", upsampling, "--steps", args.steps
    )
    env = harness.backend_env(backend, args.threads)
    return harness.Contestant(label(backend, contestant, upsampling), command, env)


def throughput(result, steps):
    """Images/s of the fastest run and median images per CPU-second, or None."""
    if result is None or not result.runs:
        return {"images_per_second": None, "images_per_cpu_second": None}
    trained = steps * BATCH_SIZE
    return {
        "images_per_second": trained / result.best("wall_seconds"),
        "images_per_cpu_second": statistics.median(trained / s for s in result.values("cpu_seconds")),
    }


def format_table(results, backends, modes, steps, metric="images_per_second", with_memory=True):
    """A markdown table of `metric` for every backend and upsampling mode.

    Args:
        results: dict `(backend, contestant, upsampling)` -> `harness.Result`.
        backends, modes: the table's rows.
        steps: timed steps per run.
        metric: `"images_per_second"` (fastest run) or `"images_per_cpu_second"`
            (median run).
        with_memory: add a column of peak resident memory.

    Returns:
        The table as text.
    """

    def value(result):
        return throughput(result, steps)[metric]

    def ratio(a, b):
        return "n/a" if a is None or b is None else f"{a / b:.2f}"

    def cell(result):
        flag = " (!)" if result and result.warnings else ""
        return harness.number(value(result)) + flag

    unit = "img/s" if metric == "images_per_second" else "img per CPU-s"
    header = [
        "Backend", "Upsampling", f"keras_gen ({unit})", f"hand-written Keras ({unit})",
        f"plain PyTorch ({unit})", "keras_gen / hand-written", "keras_gen / plain PyTorch",
    ]
    align = "llrrrrr"
    if with_memory:
        header.append("peak RSS keras_gen / hand-written / PyTorch (MiB)")
        align += "r"
    rows = []
    for backend in backends:
        for mode in modes:
            ours = results.get((backend, "keras_gen", mode))
            theirs = results.get((backend, "handwritten", mode))
            torch_result = results.get(("torch", "pytorch", mode))
            row = [
                backend, mode, cell(ours), cell(theirs), cell(torch_result),
                ratio(value(ours), value(theirs)), ratio(value(ours), value(torch_result)),
            ]
            if with_memory:
                row.append(" / ".join(
                    harness.number(r.peak_rss_mib if r else None) for r in (ours, theirs, torch_result)
                ))
            rows.append(row)
    return harness.markdown_table(header, rows, align)


def format_layout_table(results, backends, modes, steps):
    """keras_gen channels-last vs channels-first, images per CPU-second (median run)."""
    rows = []
    for backend in backends:
        for mode in modes:
            last = throughput(results.get((backend, "keras_gen", mode)), steps)["images_per_cpu_second"]
            first = throughput(results.get((backend, "keras_gen_nchw", mode)), steps)["images_per_cpu_second"]
            ratio = "n/a" if last is None or first is None else f"{first / last:.2f}"
            rows.append([backend, mode, harness.number(last), harness.number(first), ratio])
    return harness.markdown_table(
        ["Backend", "Upsampling", "channels-last (img per CPU-s)", "channels-first (img per CPU-s)",
         "first / last"], rows, "llrrr")


def cost_model(modes, threads):
    """The DCGAN's FLOP per image per step and this CPU's peaks (`flops.py`, in a subprocess)."""
    command = harness.python_command(
        os.path.join(os.path.dirname(__file__), "flops.py"), "--dcgan-json", ",".join(modes),
        "--threads", threads or 1,
    )
    env = dict(os.environ, **harness.backend_env("torch", threads or 1))
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads([line for line in output.splitlines() if line.startswith("FLOPS")][-1][5:])


def format_arithmetic_table(results, backends, modes, steps, cost):
    """Achieved GFLOP per CPU-second and its fraction of this CPU's float32 peaks."""
    peaks = cost["peaks"]["float32"]

    def cells(result, mode):
        rate = throughput(result, steps)["images_per_cpu_second"]
        if rate is None:
            return ["n/a"] * 3
        achieved = rate * cost["step_flops"][mode] / 1e9
        return [f"{achieved:.1f}", f"{achieved / peaks['matmul']:.0%}",
                f"{achieved / peaks['conv3x3']:.0%}"]

    rows = []
    for mode in modes:
        for backend in backends:
            rows.append([f"keras_gen [{backend}]", mode] + cells(results.get((backend, "keras_gen", mode)), mode))
        rows.append(["plain PyTorch", mode] + cells(results.get(("torch", "pytorch", mode)), mode))
    return harness.markdown_table(
        ["contestant", "upsampling", "GFLOP per CPU-s", "of float32 matmul peak",
         "of float32 conv peak"], rows, "llrrr")


def run_driver(args):
    backends = harness.parse_backends(args.backends)
    modes = [m for m in args.upsampling.split(",") if m]
    for mode in modes:
        if mode not in UPSAMPLING_MODES:
            raise ValueError(f"Unknown upsampling {mode!r}; use some of {UPSAMPLING_MODES}.")
    harness.check_common_arguments(args)

    skipped = [f"{b} (not installed)" for b in backends if not harness.installed(b)]
    backends_run = [b for b in backends if harness.installed(b)]
    with_pytorch = harness.installed("torch") and not args.no_pytorch

    provenance = harness.Provenance(__file__)
    print(f"load average before: {provenance.load_before}", flush=True)
    cost = cost_model(modes, args.threads)
    results = {}
    for mode in modes:
        keras_contestants = ("keras_gen", "handwritten") + (("keras_gen_nchw",) if args.channels_first else ())
        keys = [(b, c, mode) for b in backends_run for c in keras_contestants]
        if with_pytorch:
            keys.append(("torch", "pytorch", mode))
        group = harness.run_interleaved(
            [harness_contestant(*key, args) for key in keys], args.repeats
        )
        results.update({key: group[label(*key)] for key in keys})
    provenance.finish()
    print(f"load average after: {provenance.load_after}", flush=True)

    report = [
        f"DCGAN 28x28x1 (base_filters={BASE_FILTERS}, latent_dim={LATENT_DIM}) training "
        f"throughput, batch {BATCH_SIZE}: {args.steps} timed steps per run, "
        f"{args.repeats} interleaved runs per contestant, the fastest reported; "
        f"compute threads per process: {args.threads or 'framework default'}.",
        "",
        "Wall clock (fastest run):",
        "",
        format_table(results, backends_run, modes, args.steps),
        "",
        "CPU time (median run; images per CPU-second of the whole process, all its "
        "threads; less sensitive than the wall clock to other processes on the machine):",
        "",
        format_table(
            results, backends_run, modes, args.steps, "images_per_cpu_second", with_memory=False
        ),
        "",
        "Arithmetic (`benchmarks/flops.py`): one training step costs "
        + ", ".join(f"{cost['step_flops'][m] / 1e6:.1f} MFLOP per image ({m})" for m in modes)
        + ", counted from the layer shapes; this CPU's peaks, measured in this run with PyTorch on "
        f"{args.threads or 1} thread(s): float32 matmul {cost['peaks']['float32']['matmul']:.0f}, "
        f"conv 3x3 {cost['peaks']['float32']['conv3x3']:.0f} GFLOP/s; bfloat16 matmul "
        f"{cost['peaks']['bfloat16']['matmul']:.0f}, conv 3x3 {cost['peaks']['bfloat16']['conv3x3']:.0f} "
        "GFLOP/s. Achieved rates use the CPU-time throughput above:",
        "",
        format_arithmetic_table(results, backends_run, modes, args.steps, cost),
        *(["", "keras_gen with channels-first networks and images (`data_format=\"channels_first\"`):",
           "", format_layout_table(results, backends_run, modes, args.steps)] if args.channels_first else []),
        "",
        *provenance.lines(),
    ]
    if skipped:
        report.append("Skipped: " + ", ".join(skipped) + ".")
    warnings = harness.warning_lines({" / ".join(key): result for key, result in results.items()})
    if warnings:
        report += ["", "Warnings ((!) in the table):"] + warnings
    harness.publish("\n".join(report), args.output)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upsampling", default="transpose,resize,subpixel",
                        help="comma-separated generator upsampling modes")
    parser.add_argument("--no-pytorch", action="store_true", help="skip the plain PyTorch loop")
    parser.add_argument("--channels-first", action="store_true",
                        help="also time keras_gen with channels-first networks and images")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS,
                        help="worker only: bfloat16 trains under mixed_bfloat16 (Keras) or autocast "
                             "(PyTorch); see precision_throughput.py for the driver")
    harness.add_common_arguments(parser, steps=40, repeats=3, contestants=CONTESTANTS)
    return parser.parse_args(argv)


def main(argv=None):
    harness.run_script(parse_args(argv), worker_contestant, run_driver)


if __name__ == "__main__":
    main()
