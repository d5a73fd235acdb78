"""Cost of the R1 penalty with lazy regularization: every 16th step against every step.

Times `--steps` (default 160) training steps of a small DCGAN: 16x16x1
images, `keras_gen.networks.dcgan_generator` (latent 32, subpixel upsampling)
and `dcgan_discriminator`, both with 16 base filters, batch 32, trained by
`keras_gen.models.GAN` with `compile()`'s default Adams. Three variants run on
each backend:

- `none`: `gradient_penalty=None`, the baseline;
- `every_step`: `gradient_penalty="r1", penalty_interval=1`;
- `lazy`: `gradient_penalty="r1", penalty_interval=K` (`--lazy-interval`,
  default 16, Karras et al. 2020).

Every variant on every backend runs in its own subprocess; per backend,
`harness.run_interleaved` warms the three up (two steps, with a check that
both networks train and the penalty is logged), then interleaves `--repeats`
timed runs of `fit`. The penalty's share of the cost is
`(t_variant - t_none) / t_none`, computed from the two runs of the same round
and reported as the median over rounds, for the wall clock and for CPU time.
Any 160 consecutive steps hold exactly 10 penalty steps at K=16.

Usage:

    python benchmarks/lazy_regularization.py --threads 1 \\
        --output benchmarks/results_lazy_regularization.md

    # A smoke run on one backend:
    python benchmarks/lazy_regularization.py --backends torch --quick

    # One variant in this process (what the driver runs in subprocesses):
    KERAS_BACKEND=jax python benchmarks/lazy_regularization.py --worker lazy --steps 16
"""

import argparse

import harness
from contestants import uniform_images

BATCH_SIZE = 32
IMAGE_SHAPE = (16, 16, 1)
LATENT_DIM = 32
BASE_FILTERS = 16
UPSAMPLING = "subpixel"
WARMUP_STEPS = 2
QUICK_STEPS = 32
QUICK_REPEATS = 1
VARIANTS = ("none", "every_step", "lazy")


def variant_label(variant, lazy_interval):
    """The variant's name in tables."""
    return {
        "none": "no penalty",
        "every_step": "R1 every step",
        "lazy": f"R1 every {lazy_interval} steps",
    }[variant]


def penalty_settings(variant, lazy_interval):
    """`(gradient_penalty, penalty_interval)` of a variant."""
    return {"none": (None, 1), "every_step": ("r1", 1), "lazy": ("r1", lazy_interval)}[variant]


def make_contestant(variant, lazy_interval, steps):
    """The GAN of `variant` on the active backend, as a `harness.serve` contestant."""
    import keras

    import keras_gen
    from contestants.keras_fit import FitContestant

    gradient_penalty, penalty_interval = penalty_settings(variant, lazy_interval)
    keras.utils.set_random_seed(0)
    generator = keras_gen.networks.dcgan_generator(
        image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, base_filters=BASE_FILTERS,
        upsampling=UPSAMPLING,
    )
    discriminator = keras_gen.networks.dcgan_discriminator(
        image_shape=IMAGE_SHAPE, base_filters=BASE_FILTERS
    )
    gan = keras_gen.models.GAN(
        generator, discriminator, gradient_penalty=gradient_penalty,
        penalty_interval=penalty_interval, seed=0,
    )
    gan.compile()
    expected_logs = ("d_loss", "g_loss") + ((gradient_penalty,) if gradient_penalty else ())
    return FitContestant(
        gan,
        {"generator": generator, "discriminator": discriminator},
        list(gan.optimizers.values()),
        uniform_images(WARMUP_STEPS * BATCH_SIZE, IMAGE_SHAPE, seed=1),
        uniform_images(steps * BATCH_SIZE, IMAGE_SHAPE, seed=2),
        BATCH_SIZE,
        expected_logs,
        # A lazy penalty may be its own discriminator update on its steps.
        extra_updates_allowed=True,
    )


def worker_contestant(args):
    """The variant a `--worker` process times, from its command line."""
    return make_contestant(args.worker, args.lazy_interval, args.steps)


def harness_contestant(backend, variant, args):
    command = harness.python_command(
        __file__, "--worker", variant, "--serve", "--steps", args.steps,
        "--lazy-interval", args.lazy_interval,
    )
    label = f"{variant_label(variant, args.lazy_interval)} [{backend}]"
    return harness.Contestant(label, command, harness.backend_env(backend, args.threads))


def cost_table(results, steps, lazy_interval, measure_name):
    """Milliseconds per step (median run) and the penalty's share, one row per backend.

    Args:
        results: dict backend -> dict variant -> `harness.Result`.
        steps: timed steps per run.
        lazy_interval: K of the lazy variant, for the column titles.
        measure_name: `"wall_seconds"` or `"cpu_seconds"`.

    Returns:
        The markdown table.
    """

    def per_step(result):
        seconds = result.median(measure_name)
        return None if seconds is None else 1000.0 * seconds / steps

    def cell(result):
        return harness.number(per_step(result), ".1f") + (" (!)" if result.warnings else "")

    def share(variant, baseline):
        ratio = harness.paired_ratio(variant, baseline, measure_name)
        return "n/a" if ratio is None else f"{ratio - 1.0:+.0%}"

    labels = [variant_label(variant, lazy_interval) for variant in VARIANTS]
    header = ["Backend"] + [f"{label} (ms/step)" for label in labels]
    header += [f"share, {label.replace('R1 ', '')}" for label in labels[1:]]
    rows = []
    for backend, by_variant in results.items():
        baseline = by_variant["none"]
        rows.append(
            [backend]
            + [cell(by_variant[variant]) for variant in VARIANTS]
            + [share(by_variant[variant], baseline) for variant in VARIANTS[1:]]
        )
    return harness.markdown_table(header, rows, "l" + "r" * (len(header) - 1))


def run_driver(args):
    backends = [b for b in harness.parse_backends(args.backends) if harness.installed(b)]
    harness.check_common_arguments(args)
    if args.lazy_interval < 1:
        raise ValueError("--lazy-interval must be at least 1.")

    provenance = harness.Provenance(__file__)
    results = {}
    for backend in backends:
        group = harness.run_interleaved(
            [harness_contestant(backend, variant, args) for variant in VARIANTS], args.repeats
        )
        results[backend] = dict(zip(VARIANTS, group.values()))
    provenance.finish()

    share_note = (
        "share = (t - t_no_penalty) / t_no_penalty, from the two runs of the same round, "
        "median over rounds"
    )
    report = [
        f"R1 penalty cost with lazy regularization: DCGAN {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]}x"
        f"{IMAGE_SHAPE[2]} (base_filters={BASE_FILTERS}, latent_dim={LATENT_DIM}, {UPSAMPLING}), "
        f"batch {BATCH_SIZE}, {args.steps} timed steps per run, {args.repeats} interleaved runs "
        f"per variant; compute threads per process: {args.threads or 'framework default'}.",
        "",
        f"Wall clock (median run; {share_note}):",
        "",
        cost_table(results, args.steps, args.lazy_interval, "wall_seconds"),
        "",
        "CPU time of the whole process (median run; same share, from CPU seconds):",
        "",
        cost_table(results, args.steps, args.lazy_interval, "cpu_seconds"),
        "",
        *provenance.lines(),
    ]
    labelled = {result.label: result for group in results.values() for result in group.values()}
    warnings = harness.warning_lines(labelled)
    if warnings:
        report += ["", "Warnings ((!) in the table):"] + warnings
    harness.publish("\n".join(report), args.output)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lazy-interval", type=int, default=16,
                        help="penalty_interval of the lazy variant (default 16)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run: --steps {QUICK_STEPS} --repeats {QUICK_REPEATS} "
                             "unless given")
    harness.add_common_arguments(parser, steps=160, repeats=3, contestants=VARIANTS)
    if parser.parse_known_args(argv)[0].quick:
        parser.set_defaults(steps=QUICK_STEPS, repeats=QUICK_REPEATS)
    return parser.parse_args(argv)


def main(argv=None):
    harness.run_script(parse_args(argv), worker_contestant, run_driver)


if __name__ == "__main__":
    main()
