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

The measuring code is `feature_costs.py`'s: these three variants are its
`plain`, `r1` and `r1_lazy` (the last with `penalty_interval=K`), built by its
`make_contestant` with this script's smaller DCGAN and timed by its
`run_variants`; the share is its `share`. This script keeps its own command
line (`--lazy-interval`) and its report, one row per backend, the format of
`results_lazy_regularization*.md`.

Usage:

    python benchmarks/lazy_regularization.py --threads 1 \\
        --output benchmarks/results_lazy_regularization.md

    # A smoke run on one backend:
    python benchmarks/lazy_regularization.py --backends torch --quick

    # One variant in this process (what the driver runs in subprocesses):
    KERAS_BACKEND=jax python benchmarks/lazy_regularization.py --worker lazy --steps 16
"""

import argparse

import feature_costs
import harness

BATCH_SIZE = 32
IMAGE_SHAPE = (16, 16, 1)
LATENT_DIM = 32
BASE_FILTERS = 16
UPSAMPLING = "subpixel"
WARMUP_STEPS = feature_costs.WARMUP_STEPS  # 2, set by feature_costs.make_contestant
QUICK_STEPS = 32
QUICK_REPEATS = 1
VARIANTS = ("none", "every_step", "lazy")
# variant -> the same variant in `feature_costs.MODEL_VARIANTS`
FEATURE_COSTS_VARIANTS = {"none": "plain", "every_step": "r1", "lazy": "r1_lazy"}


def variant_label(variant, lazy_interval):
    """The variant's name in tables."""
    return {
        "none": "no penalty",
        "every_step": "R1 every step",
        "lazy": f"R1 every {lazy_interval} steps",
    }[variant]


def gan_kwargs(variant, lazy_interval):
    """The GAN keyword arguments of a variant: `feature_costs`' own, with K for the lazy one."""
    kwargs = dict(feature_costs.MODEL_VARIANTS[FEATURE_COSTS_VARIANTS[variant]][1])
    if variant == "lazy":
        kwargs["penalty_interval"] = lazy_interval
    return kwargs


def make_contestant(variant, lazy_interval, steps):
    """The GAN of `variant` on the active backend, as a `harness.serve` contestant."""
    return feature_costs.make_contestant(
        FEATURE_COSTS_VARIANTS[variant], steps, UPSAMPLING,
        gan_kwargs=gan_kwargs(variant, lazy_interval), image_shape=IMAGE_SHAPE,
        latent_dim=LATENT_DIM, base_filters=BASE_FILTERS, batch_size=BATCH_SIZE,
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

    def share(by_variant, variant):
        renamed = {FEATURE_COSTS_VARIANTS[name]: result for name, result in by_variant.items()}
        value = feature_costs.share(renamed, FEATURE_COSTS_VARIANTS[variant], measure_name)
        return "n/a" if value is None else f"{value:+.0%}"

    labels = [variant_label(variant, lazy_interval) for variant in VARIANTS]
    header = ["Backend"] + [f"{label} (ms/step)" for label in labels]
    header += [f"share, {label.replace('R1 ', '')}" for label in labels[1:]]
    rows = []
    for backend, by_variant in results.items():
        rows.append(
            [backend]
            + [feature_costs.ms_per_step_cell(by_variant[variant], steps, measure_name)
               for variant in VARIANTS]
            + [share(by_variant, variant) for variant in VARIANTS[1:]]
        )
    return harness.markdown_table(header, rows, "l" + "r" * (len(header) - 1))


def run_driver(args):
    backends = [b for b in harness.parse_backends(args.backends) if harness.installed(b)]
    harness.check_common_arguments(args)
    if args.lazy_interval < 1:
        raise ValueError("--lazy-interval must be at least 1.")

    provenance = harness.Provenance(__file__)
    results = feature_costs.run_variants(
        backends, VARIANTS, lambda backend, variant: harness_contestant(backend, variant, args),
        args.repeats,
    )
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
        *feature_costs.warning_report(results),
    ]
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
