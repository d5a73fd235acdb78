"""What each training feature costs: a fraction of a plain DCGAN step or epoch, measured side by side.

Trains the 28x28x1 DCGAN of `dcgan_throughput.py` (latent 100, 32 base
filters, `--upsampling`, batch 64, `keras_gen.models.GAN` with `compile()`'s
Adams) for `--steps` steps per run (one epoch), in these variants:

| variant | what is added to the plain step |
|---|---|
| `plain` | nothing: the default GAN (its non-finite guard included) |
| `no_guard` | the guard removed (each phase's update applied unconditionally): the guard's cost is plain / no_guard - 1 |
| `ema` | `ema_decay=0.999` (a moving average of the generator, updated every step) |
| `diffaugment` | `augmentation="color,translation,cutout"` on real and fake images |
| `wgan_gp` | `loss="wasserstein", gradient_penalty="wgan_gp"` (a per-sample penalty every step) |
| `r1` | `gradient_penalty="r1", penalty_interval=1` |
| `r1_lazy` | `gradient_penalty="r1", penalty_interval=16` |
| `adaptive` | `AdaptiveSchedule` with thresholds that never skip: the gating machinery only |
| `sample_grid` | `SampleGrid` (64 samples) at the end of the epoch |
| `fid_1k` | `GenerativeMetrics(metrics=("fid",))` on 1,000 samples at the end of the epoch, digits features |
| `fid_10k` | the same on 10,000 samples |

Each variant on each backend runs in its own subprocess; `harness.run_interleaved`
warms them up (one short `fit` with every callback, which also computes the
real data's feature statistics once, as a run does at its start, and checks
that both networks train), then interleaves `--repeats` timed epochs. Each
share is `(t_variant - t_plain) / t_plain` from the two runs of the same
round, median over rounds (for the guard, `t_plain / t_no_guard - 1`). The
per-epoch callbacks' share depends on the epoch's length: with `--steps`
steps of 64 images, an MNIST epoch of 60,000 images (938 steps) makes it
`steps / 938` of the figure here.

Usage:

    python benchmarks/feature_costs.py --threads 1 --output benchmarks/results_feature_costs.md

    # Some variants on one backend (a smoke run):
    python benchmarks/feature_costs.py --backends torch --variants plain,r1,r1_lazy --quick

    # One variant in this process (what the driver runs in subprocesses):
    KERAS_BACKEND=jax python benchmarks/feature_costs.py --worker r1_lazy --steps 16

`lazy_regularization.py` times `plain`, `r1` and `r1_lazy` (with its own
interval) on a smaller DCGAN with this script's `make_contestant`,
`run_variants`, `ms_per_step_cell` and `share`.
"""

import argparse
import tempfile

import harness
from contestants import uniform_images

BATCH_SIZE = 64
IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 100
BASE_FILTERS = 32
WARMUP_STEPS = 2
QUICK_STEPS = 16
QUICK_REPEATS = 1
LAZY_INTERVAL = 16
MNIST_EPOCH_STEPS = 938

# variant -> (label, GAN keyword arguments)
MODEL_VARIANTS = {
    "plain": ("plain step", {}),
    "no_guard": ("without the non-finite guard", {}),
    "ema": ("EMA of G (0.999)", {"ema_decay": 0.999}),
    "diffaugment": ("DiffAugment (color, translation, cutout)",
                    {"augmentation": "color,translation,cutout"}),
    "wgan_gp": ("WGAN-GP", {"loss": "wasserstein", "gradient_penalty": "wgan_gp"}),
    "r1": ("R1 every step", {"gradient_penalty": "r1", "penalty_interval": 1}),
    "r1_lazy": (f"R1 every {LAZY_INTERVAL} steps",
                {"gradient_penalty": "r1", "penalty_interval": LAZY_INTERVAL}),
    "adaptive": ("AdaptiveSchedule (never skipping)", {}),
    "sample_grid": ("SampleGrid per epoch", {}),
    "fid_1k": ("FID on 1,000 samples per epoch", {}),
    "fid_10k": ("FID on 10,000 samples per epoch", {}),
}
VARIANTS = tuple(MODEL_VARIANTS)


def variant_callbacks(variant):
    """The Keras callbacks a variant adds to `fit`."""
    import keras_gen

    if variant == "adaptive":
        # d_loss and g_loss stay above 0: the gates are computed and never close.
        return [keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=0.0,
                                                     generator_threshold=0.0)]
    if variant == "sample_grid":
        return [keras_gen.callbacks.SampleGrid(tempfile.mkdtemp(prefix="feature_costs_"),
                                               num_samples=64)]
    if variant in ("fid_1k", "fid_10k"):
        (real, _), _ = keras_gen.datasets.mnist.load_data(source="embedded")
        return [keras_gen.callbacks.GenerativeMetrics(
            keras_gen.datasets.scale_images(real), metrics=("fid",),
            num_samples=1000 if variant == "fid_1k" else 10_000, batch_size=500,
            feature_extractor="digits", verbose=0)]
    return []


def unguarded_gan_class():
    """A GAN whose phases apply their update unconditionally (the guard's baseline only)."""
    import keras

    import keras_gen

    class UnguardedGAN(keras_gen.models.GAN):
        def _apply_phase(self, phase, loss, grads, snapshot, logs=None):
            grads = [keras.ops.zeros_like(v) if g is None else g
                     for g, v in zip(grads, phase.variables)]
            self.optimizer[phase.optimizer].apply(grads, phase.variables)
            return keras.ops.convert_to_tensor(True)

    return UnguardedGAN


def make_contestant(variant, steps, upsampling, *, gan_kwargs=None, image_shape=IMAGE_SHAPE,
                    latent_dim=LATENT_DIM, base_filters=BASE_FILTERS, batch_size=BATCH_SIZE):
    """The GAN of `variant` on the active backend, as a `harness.serve` contestant.

    Args:
        variant: a name from `MODEL_VARIANTS`.
        steps: timed steps per run.
        upsampling: the generator's upsampling.
        gan_kwargs: the GAN's keyword arguments; default the variant's
            (`lazy_regularization.py` passes its own penalty interval).
        image_shape, latent_dim, base_filters, batch_size: the DCGAN and its
            batch; default this script's.
    """
    import keras

    import keras_gen
    from contestants.keras_fit import FitContestant

    keras.utils.set_random_seed(0)
    generator = keras_gen.networks.dcgan_generator(
        image_shape=image_shape, latent_dim=latent_dim, base_filters=base_filters,
        upsampling=upsampling,
    )
    discriminator = keras_gen.networks.dcgan_discriminator(
        image_shape=image_shape, base_filters=base_filters
    )
    model_class = unguarded_gan_class() if variant == "no_guard" else keras_gen.models.GAN
    kwargs = MODEL_VARIANTS[variant][1] if gan_kwargs is None else gan_kwargs
    gan = model_class(generator, discriminator, latent_dim=latent_dim, seed=0, **kwargs)
    gan.compile()
    penalty = kwargs.get("gradient_penalty")
    return FitContestant(
        gan,
        {"generator": generator, "discriminator": discriminator},
        list(gan.optimizers.values()),
        uniform_images(WARMUP_STEPS * batch_size, image_shape, seed=1),
        uniform_images(steps * batch_size, image_shape, seed=2),
        batch_size,
        ("d_loss", "g_loss") + ((penalty,) if penalty else ()),
        # A lazy penalty may be its own discriminator update on its steps.
        extra_updates_allowed=True,
        callbacks=variant_callbacks(variant),
    )


def worker_contestant(args):
    """The variant a `--worker` process times, from its command line."""
    return make_contestant(args.worker, args.steps, args.upsampling)


def harness_contestant(backend, variant, args):
    command = harness.python_command(
        __file__, "--worker", variant, "--serve", "--steps", args.steps,
        "--upsampling", args.upsampling,
    )
    label = f"{MODEL_VARIANTS[variant][0]} [{backend}]"
    return harness.Contestant(label, command, harness.backend_env(backend, args.threads))


def run_variants(backends, variants, contestant, repeats):
    """Times the variants, interleaved, on each backend in turn.

    Args:
        backends: Keras backend names.
        variants: variant names, in order.
        contestant: function `(backend, variant) -> harness.Contestant`.
        repeats: interleaved rounds.

    Returns:
        dict backend -> dict variant -> `harness.Result`.
    """
    results = {}
    for backend in backends:
        group = harness.run_interleaved(
            [contestant(backend, variant) for variant in variants], repeats
        )
        results[backend] = dict(zip(variants, group.values()))
    return results


def warning_report(results):
    """The report's closing lines naming every warning of `run_variants`' results, or none."""
    labelled = {result.label: result for group in results.values() for result in group.values()}
    warnings = harness.warning_lines(labelled)
    return ["", "Warnings ((!) in the table):"] + warnings if warnings else []


def ms_per_step_cell(result, steps, measure_name):
    """Milliseconds per step of the median run, "n/a" without runs, " (!)" after a warning."""
    seconds = result.median(measure_name)
    cell = harness.number(None if seconds is None else 1000.0 * seconds / steps, ".1f")
    return cell + (" (!)" if result.warnings else "")


def share(results, variant, measure_name):
    """The variant's cost as a fraction of the plain step (the guard: of an unguarded step)."""
    if variant == "plain" or "plain" not in results:
        return None
    if variant == "no_guard":
        ratio = harness.paired_ratio(results["plain"], results["no_guard"], measure_name)
    else:
        ratio = harness.paired_ratio(results[variant], results["plain"], measure_name)
    return None if ratio is None else ratio - 1.0


def cost_table(results, variants, steps, measure_name):
    """Rows: variants; per backend, milliseconds per step (median run) and the share.

    Args:
        results: dict backend -> dict variant -> `harness.Result`.
        variants: the variants measured, in order.
        steps: timed steps per run.
        measure_name: `"wall_seconds"` or `"cpu_seconds"`.
    """
    header = ["variant"]
    for backend in results:
        header += [f"{backend} ms/step", f"{backend} share"]
    rows = []
    for variant in variants:
        label = MODEL_VARIANTS[variant][0]
        if variant == "no_guard":
            label = "non-finite guard (plain vs. without it)"
        row = [label]
        for by_variant in results.values():
            value = share(by_variant, variant, measure_name)
            row += [ms_per_step_cell(by_variant[variant], steps, measure_name),
                    "—" if value is None else f"{value:+.1%}"]
        rows.append(row)
    return harness.markdown_table(header, rows, "l" + "r" * (len(header) - 1))


def parse_variants(text):
    variants = [v.strip() for v in text.split(",") if v.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"Unknown variants {unknown}; choose from {', '.join(VARIANTS)}.")
    if "plain" not in variants:
        variants.insert(0, "plain")  # every share is relative to it
    return variants


def run_driver(args):
    backends = [b for b in harness.parse_backends(args.backends) if harness.installed(b)]
    harness.check_common_arguments(args)
    variants = parse_variants(args.variants)
    provenance = harness.Provenance(__file__)
    results = run_variants(
        backends, variants, lambda backend, variant: harness_contestant(backend, variant, args),
        args.repeats,
    )
    provenance.finish()
    note = (
        "share = (t - t_plain) / t_plain from the two runs of the same round, median over "
        f"rounds; per-epoch callbacks over an epoch of {args.steps} steps (an MNIST epoch of "
        f"{MNIST_EPOCH_STEPS} steps makes their share {args.steps / MNIST_EPOCH_STEPS:.2f}x "
        "the figure)"
    )
    report = [
        f"Feature costs: DCGAN {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]}x{IMAGE_SHAPE[2]} "
        f"(base_filters={BASE_FILTERS}, latent_dim={LATENT_DIM}, {args.upsampling}), batch "
        f"{BATCH_SIZE}, {args.steps} timed steps per run, {args.repeats} interleaved runs per "
        f"variant; compute threads per process: {args.threads or 'framework default'}.",
        "",
        f"Wall clock (median run; {note}):",
        "",
        cost_table(results, variants, args.steps, "wall_seconds"),
        "",
        "CPU time of the whole process (median run; same shares from CPU seconds):",
        "",
        cost_table(results, variants, args.steps, "cpu_seconds"),
        "",
        *provenance.lines(),
        *warning_report(results),
    ]
    harness.publish("\n".join(report), args.output)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="comma-separated variants (default: all; plain is always added)")
    parser.add_argument("--upsampling", default="transpose",
                        help="the generator's upsampling (default transpose)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run: --steps {QUICK_STEPS} --repeats {QUICK_REPEATS} "
                             "unless given")
    harness.add_common_arguments(parser, steps=100, repeats=3, contestants=VARIANTS)
    if parser.parse_known_args(argv)[0].quick:
        parser.set_defaults(steps=QUICK_STEPS, repeats=QUICK_REPEATS)
    return parser.parse_args(argv)


def main(argv=None):
    harness.run_script(parse_args(argv), worker_contestant, run_driver)


if __name__ == "__main__":
    main()
