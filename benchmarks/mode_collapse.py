"""Mode collapse on the 8-Gaussian ring and the 25-Gaussian grid: five GAN training methods.

Trains the same generator and discriminator, with the same optimizers, batch
size, number of generator updates, data and seeds, with five methods:

- `non_saturating`: the plain GAN, non-saturating loss, one D update per G update.
- `unrolled_5`, `unrolled_10`: the same loss with the generator trained against
  the discriminator k = 5 / 10 updates ahead, second-order terms kept
  (`GAN(unrolled_steps=k, unrolled_second_order=True)`; Metz et al. 2017).
  The discriminator still makes one real update per G update; the k
  look-ahead updates are differentiated through and thrown away.
- `wgan_gp`: Wasserstein loss with the gradient penalty (lambda = 10) and 5
  critic updates per G update (Gulrajani et al. 2017).
- `hinge_sn`: hinge loss, spectrally normalised discriminator, one D update
  per G update (Miyato et al. 2018).

Data sets (`keras_gen.datasets.toy`): the ring of Metz et al. (8 modes on a
circle of radius 2, std 0.02) and the VEEGAN/PacGAN grid (5 x 5 modes at
{-4, -2, 0, 2, 4}^2, std 0.05). Fresh samples for every step, drawn with the
run's seed.

Networks (Metz et al.'s 2-D setting as in the authors' public demo notebook,
poolio/unrolled_gan): `mlp_generator(latent_dim=256, hidden_units=(128, 128),
activation="tanh")` and `mlp_discriminator(hidden_units=(128, 128),
activation="tanh")` (plus `spectral_norm=True` for hinge + SN), Keras's
default initializers. Optimizers (`--optimizer`, shared by every method):
Adam with beta_1 = 0.5 and epsilon = 1e-8, at 1e-3 for G and D (default,
`equal_1e-3`), or the notebook's 1e-3 for G and 1e-4 for D (`metz`), or 1e-4
for both (`equal_1e-4`). At the default budget of 1,000 generator updates
(what unrolling k = 10 allows in about half an hour on 2 CPU cores) the two
settings with D at 1e-4 leave even the plain GAN's samples diffuse (its
discriminator loss stays at 2 ln 2), hence the default.

Evaluation is `gaussian_grid_benchmark.coverage` (VEEGAN/PacGAN's metric via
`keras_gen.datasets.mode_coverage` on 2,500 samples: a sample is high quality
within 3 std of its nearest mode, a mode is covered by at least one high-quality
sample; plus the strict count, at least 10). To see whether a generator cycles
between modes (Metz et al.'s claim about the plain GAN), the strictly covered
modes are also recorded at `--snapshots` evenly spaced points of training,
with the same 2,500 latent vectors as the final evaluation.

Usage (backend from KERAS_BACKEND; TensorFlow is the fastest for these MLPs on CPU):

    KERAS_BACKEND=tensorflow python benchmarks/mode_collapse.py --steps 1000 \\
        --batch-size 256 --seeds 0 1 2 3 4 --optimizer equal_1e-3 \\
        --output benchmarks/results_mode_collapse.md --plot benchmarks/mode_collapse.png

`--fast` is a smoke run (20 steps, batch 64, one seed, the ring only).
"""

import argparse
import datetime

import keras
import numpy as np

import gaussian_grid_benchmark as grid_benchmark
import harness
import keras_gen
from keras_gen.datasets import toy

EVAL_SAMPLES = grid_benchmark.EVAL_SAMPLES
STRICT_MIN_COUNT = grid_benchmark.STRICT_MIN_COUNT
LATENT_DIM = 256
HIDDEN_UNITS = (128, 128)
ACTIVATION = "tanh"
# name -> (description, generator learning rate, discriminator learning rate);
# Adam with beta_1 = 0.5 and epsilon = 1e-8 for both networks and every method.
OPTIMIZERS = {
    "metz": ("Adam(1e-3) for G, Adam(1e-4) for D (the authors' demo notebook)", 1e-3, 1e-4),
    "equal_1e-4": ("Adam(1e-4) for G and D (Metz et al.'s appendix)", 1e-4, 1e-4),
    "equal_1e-3": ("Adam(1e-3) for G and D", 1e-3, 1e-3),
}
DEFAULT_OPTIMIZER = "equal_1e-3"


def make_optimizers(name):
    """`(generator_optimizer, discriminator_optimizer)` of the setting `name` (see `OPTIMIZERS`)."""
    _, generator_rate, discriminator_rate = OPTIMIZERS[name]
    return (
        keras.optimizers.Adam(generator_rate, beta_1=0.5, epsilon=1e-8),
        keras.optimizers.Adam(discriminator_rate, beta_1=0.5, epsilon=1e-8),
    )


# name -> label, sampler (num_samples, seed), modes, std, half-width of the
# uniform-noise reference and of the plots.
DATASETS = {
    "ring": {
        "label": "8-Gaussian ring",
        "sample": lambda n, seed: toy.ring_of_gaussians(n, seed=seed),
        "modes": toy.ring_modes(),
        "std": 0.02,
        "half_width": 3.0,
    },
    "grid": {
        "label": "25-Gaussian grid",
        "sample": lambda n, seed: toy.grid_of_gaussians(n, std=grid_benchmark.GRID_STD, seed=seed),
        "modes": toy.grid_modes(),
        "std": grid_benchmark.GRID_STD,
        "half_width": 5.0,
    },
}

# name -> label, GAN keyword arguments, spectral norm in the discriminator.
METHODS = {
    "non_saturating": ("non-saturating (plain GAN)", {"loss": "non_saturating"}, False),
    "unrolled_5": (
        "unrolled, k = 5",
        {"loss": "non_saturating", "unrolled_steps": 5, "unrolled_second_order": True},
        False,
    ),
    "unrolled_10": (
        "unrolled, k = 10",
        {"loss": "non_saturating", "unrolled_steps": 10, "unrolled_second_order": True},
        False,
    ),
    "wgan_gp": (
        "WGAN-GP (λ = 10)",
        {"loss": "wasserstein", "gradient_penalty": "wgan_gp", "penalty_weight": 10.0,
         "discriminator_steps": 5},
        False,
    ),
    "hinge_sn": ("hinge + spectral norm", {"loss": "hinge"}, True),
}
REFERENCE_LABELS = {
    "real_data": "reference: 2,500 real samples",
    "uniform_noise": "reference: 2,500 uniform points",
}

FAST = {"steps": 20, "batch_size": 64, "seeds": [0], "datasets": ["ring"]}
DEFAULT_STEPS = 1000
DEFAULT_BATCH_SIZE = 256


def discriminator_updates(method):
    """Text for the table: the discriminator's real (and look-ahead) updates per G update."""
    options = METHODS[method][1]
    text = str(options.get("discriminator_steps", 1))
    if options.get("unrolled_steps"):
        text += f" (+ {options['unrolled_steps']} unrolled look-ahead)"
    return text


def covered_modes(samples, dataset):
    """Indices of the modes with at least `STRICT_MIN_COUNT` high-quality samples.

    Their number is `coverage(samples, ...)["modes_covered_strict"]`.
    """
    modes, std = DATASETS[dataset]["modes"], DATASETS[dataset]["std"]
    samples = np.asarray(samples, dtype=np.float64)
    nearest = ((samples[:, None, :] - modes[None]) ** 2).sum(axis=-1).argmin(axis=1)
    return [
        index for index in range(len(modes))
        if toy.mode_coverage(samples[nearest == index], modes[index : index + 1], std,
                             min_count=STRICT_MIN_COUNT)["modes_covered"]
    ]


class CoverageSnapshots(keras.callbacks.Callback):
    """Records the strictly covered modes every `interval` training steps."""

    def __init__(self, interval, latents, dataset):
        super().__init__()
        self.interval = int(interval)
        self.latents = latents
        self.dataset = dataset
        self.snapshots = []

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.interval == 0:
            samples = keras.ops.convert_to_numpy(self.model.generator(self.latents, training=False))
            modes = covered_modes(samples, self.dataset)
            self.snapshots.append({"step": batch + 1, "modes": modes})


def train_one(method, dataset, seed, steps, batch_size, snapshots=5, keep_samples=False,
              optimizer=DEFAULT_OPTIMIZER):
    """Trains one method on one data set with one seed; returns its coverage and timing."""
    _, options, spectral_norm = METHODS[method]
    data_spec = DATASETS[dataset]
    keras.utils.set_random_seed(seed)
    # The generator is built first, so every method starts from the same generator weights.
    generator = keras_gen.networks.mlp_generator(
        latent_dim=LATENT_DIM, hidden_units=HIDDEN_UNITS, activation=ACTIVATION
    )
    discriminator = keras_gen.networks.mlp_discriminator(
        hidden_units=HIDDEN_UNITS, activation=ACTIVATION, spectral_norm=spectral_norm
    )
    gan = keras_gen.models.GAN(generator, discriminator, seed=seed, **options)
    generator_optimizer, discriminator_optimizer = make_optimizers(optimizer)
    gan.compile(
        generator_optimizer=generator_optimizer, discriminator_optimizer=discriminator_optimizer
    )
    data = data_spec["sample"](steps * batch_size, seed)
    latents = gan.latents_for(EVAL_SAMPLES, seed=10_000 + seed)
    callbacks = []
    if snapshots:
        callbacks.append(CoverageSnapshots(max(1, steps // snapshots), latents, dataset))
    history, timing = harness.measure(
        gan.fit, data, batch_size=batch_size, epochs=1, verbose=0, shuffle=False,
        callbacks=callbacks,
    )
    samples = gan.generate(EVAL_SAMPLES, latents=latents)
    keras.backend.clear_session()
    run = grid_benchmark.run_summary(
        seed, samples, history, timing, data_spec["modes"], data_spec["std"]
    )
    run["snapshots"] = callbacks[0].snapshots if callbacks else []
    if keep_samples:
        run["samples"] = samples
    return run


def run_benchmark(steps, seeds, batch_size=DEFAULT_BATCH_SIZE, datasets=None, methods=None,
                  snapshots=5, plot_seed=None, optimizer=DEFAULT_OPTIMIZER, verbose=True):
    """Trains every method on every data set with every seed.

    Args:
        steps: generator updates per run (training steps of `fit`; WGAN-GP
            makes 5 critic updates in each, the others one D update).
        seeds: list of int seeds; each fixes data, initial generator weights
            and latent noise, shared by all methods.
        batch_size: real (and fake) samples per step.
        datasets: names from `DATASETS` (default both).
        methods: names from `METHODS` (default all five).
        snapshots: coverage snapshots per run (0: none).
        optimizer: a name from `OPTIMIZERS`, shared by every method.
        plot_seed: keep the final samples of this seed's runs (for `plot`).
        verbose: print one line per run.

    Returns:
        A dict with the settings, `datasets`: dataset -> {`methods`: method ->
        `gaussian_grid_benchmark.summarize` of its runs, `references`:
        `real_data` and `uniform_noise` in the same form}, and `samples`:
        (dataset, method) -> the kept samples of `plot_seed`.
    """
    seeds = [int(seed) for seed in seeds]
    if int(steps) < 1 or int(batch_size) < 1 or not seeds:
        raise ValueError("Pass `--steps` >= 1, `--batch-size` >= 1 and at least one seed.")
    datasets = list(DATASETS) if datasets is None else list(datasets)
    methods = list(METHODS) if methods is None else list(methods)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {optimizer!r}; use one of {list(OPTIMIZERS)}.")
    for names, known, what in ((datasets, DATASETS, "datasets"), (methods, METHODS, "methods")):
        unknown = sorted(set(names) - set(known))
        if unknown or not names:
            raise ValueError(f"Unknown or no {what} {unknown}; use some of {list(known)}.")
    runs = {dataset: {method: [] for method in methods} for dataset in datasets}
    references = {dataset: {"real_data": [], "uniform_noise": []} for dataset in datasets}
    samples = {}
    for seed in seeds:
        for dataset in datasets:
            spec = DATASETS[dataset]
            for name, points in grid_benchmark.reference_runs(
                seed, spec["sample"], spec["half_width"]
            ).items():
                references[dataset][name].append(
                    {"seed": seed, **grid_benchmark.coverage(points, spec["modes"], spec["std"])}
                )
            # Methods alternate within each seed, so machine load hits them alike.
            for method in methods:
                run = train_one(method, dataset, seed, int(steps), int(batch_size), snapshots,
                                keep_samples=seed == plot_seed, optimizer=optimizer)
                if "samples" in run:
                    samples[(dataset, method)] = run.pop("samples")
                runs[dataset][method].append(run)
                if verbose:
                    print(grid_benchmark.format_run(f"{dataset:>4} {method:>14} seed {seed}", run),
                          flush=True)
    return {
        "backend": keras.backend.backend(),
        "steps": int(steps),
        "batch_size": int(batch_size),
        "seeds": seeds,
        "eval_samples": EVAL_SAMPLES,
        "snapshots": int(snapshots),
        "optimizer": optimizer,
        "datasets": {
            dataset: {
                "methods": {
                    method: grid_benchmark.summarize(value)
                    for method, value in runs[dataset].items()
                },
                "references": {
                    name: grid_benchmark.summarize(value)
                    for name, value in references[dataset].items()
                },
            }
            for dataset in datasets
        },
        "samples": samples,
    }


def _mean_std(summary, name, spec=".1f"):
    return f"{summary[name + '_mean']:{spec}} ± {summary[name + '_std']:{spec}}"


def _snapshot_text(run, dataset):
    if not run["snapshots"]:
        return "n/a"
    if dataset == "ring":
        return " ".join(
            "{" + ",".join(str(i) for i in snap["modes"]) + "}" for snap in run["snapshots"]
        )
    return " ".join(str(len(snap["modes"])) for snap in run["snapshots"])


def _ever_covered(run):
    return len({index for snap in run["snapshots"] for index in snap["modes"]})


def to_markdown(result, provenance=None):
    """Formats `run_benchmark`'s result as markdown: settings, summary, per-seed tables."""
    datasets = list(result["datasets"])
    methods = list(next(iter(result["datasets"].values()))["methods"])
    header = ["Method", "D updates per G update"]
    align = "ll"
    for dataset in datasets:
        label = DATASETS[dataset]["label"]
        count = len(DATASETS[dataset]["modes"])
        header += [f"{label}: modes (of {count})", f"{label}: strict", f"{label}: high quality"]
        align += "rrr"
    header.append("Train time per run (s)")
    align += "r"

    def row(label, updates, summaries, seconds):
        cells = [label, updates]
        for summary in summaries:
            cells += [
                _mean_std(summary, "modes_covered"),
                _mean_std(summary, "modes_covered_strict"),
                _mean_std(summary, "high_quality", ".3f"),
            ]
        return cells + [seconds]

    rows = []
    for method in methods:
        summaries = [result["datasets"][d]["methods"][method] for d in datasets]
        seconds = " / ".join(
            f"{np.median([run['seconds'] for run in summary['runs']]):.0f}"
            for summary in summaries
        )
        rows.append(row(METHODS[method][0], discriminator_updates(method), summaries, seconds))
    for name, label in REFERENCE_LABELS.items():
        summaries = [result["datasets"][d]["references"][name] for d in datasets]
        rows.append(row(label, "", summaries, ""))

    seed_rows = []
    for dataset in datasets:
        for method in methods:
            for run in result["datasets"][dataset]["methods"][method]["runs"]:
                seed_rows.append([
                    DATASETS[dataset]["label"], METHODS[method][0], run["seed"],
                    run["modes_covered"], run["modes_covered_strict"],
                    f"{run['high_quality_fraction']:.3f}", _snapshot_text(run, dataset),
                    _ever_covered(run), f"{run['final_d_loss']:.3f}",
                    f"{run['final_g_loss']:.3f}", f"{run['seconds']:.1f}",
                    f"{run['cpu_seconds']:.1f}",
                ])
    fractions = ", ".join(
        f"{100 * (i + 1) // result['snapshots']}%" for i in range(result["snapshots"])
    )
    settings = (
        f"Date {datetime.date.today().isoformat()}; backend {result['backend']}; keras "
        f"{keras.__version__}; {result['steps']} generator updates per run; batch "
        f"{result['batch_size']}; seeds {result['seeds']}; networks "
        f"mlp_generator(latent_dim={LATENT_DIM}, hidden_units={HIDDEN_UNITS}, "
        f"activation={ACTIVATION!r}) and mlp_discriminator(hidden_units={HIDDEN_UNITS}, "
        f"activation={ACTIVATION!r}); optimizer {OPTIMIZERS[result['optimizer']][0]}, "
        "beta_1=0.5, epsilon=1e-8, for every method; "
        f"{result['eval_samples']} evaluation samples; strict = at least {STRICT_MIN_COUNT} "
        "high-quality samples per mode."
    )
    lines = [
        "# Mode collapse: plain, unrolled, WGAN-GP and hinge + spectral-norm GANs",
        "",
        settings,
        "",
        harness.markdown_table(header, rows, align),
        "",
        "Mean ± population std over seeds. Train time: median wall seconds per run, "
        + " / ".join(DATASETS[d]["label"] for d in datasets) + ".",
        "",
        f"Per seed. Snapshots: the strictly covered modes at {fractions} of training "
        "(ring: the indices of the modes, mode k at angle 2πk/8; grid: their number); "
        "ever: modes strictly covered in at least one snapshot.",
        "",
        harness.markdown_table(
            ["Data set", "Method", "Seed", "Modes covered", "Strict", "High quality",
             "Snapshots", "Ever", "Final D loss", "Final G loss", "Train time (s)",
             "Train CPU time (s)"],
            seed_rows,
            "lllrrrlrrrrr",
        ),
    ]
    if provenance is not None:
        lines += [""] + provenance.lines()
    return "\n".join(lines) + "\n"


def plot(result, path):
    """Saves the kept samples as a grid of scatter plots: rows = methods, columns = data sets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(result["datasets"])
    methods = list(next(iter(result["datasets"].values()))["methods"])
    figure, axes = plt.subplots(
        len(methods) + 1, len(datasets), figsize=(3.6 * len(datasets), 3.3 * (len(methods) + 1)),
        squeeze=False,
    )
    for column, dataset in enumerate(datasets):
        spec = DATASETS[dataset]
        half = spec["half_width"]
        real = spec["sample"](EVAL_SAMPLES, 10_000)
        panels = [("real data", real, None)]
        for method in methods:
            runs = result["datasets"][dataset]["methods"][method]["runs"]
            run = next((r for r in runs if r["seed"] == result.get("plot_seed")), None)
            panels.append((METHODS[method][0], result["samples"].get((dataset, method)), run))
        for row_index, (label, samples, run) in enumerate(panels):
            ax = axes[row_index][column]
            if samples is not None:
                ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.35, color="tab:blue",
                           linewidths=0, rasterized=True)
            ax.scatter(spec["modes"][:, 0], spec["modes"][:, 1], s=18, marker="x",
                       color="tab:red", linewidths=1)
            ax.set_xlim(-half, half)
            ax.set_ylim(-half, half)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=7)
            title = f"{label}\n{spec['label']}"
            if run is not None:
                title += (f": {run['modes_covered']}/{run['num_modes']} modes "
                          f"({run['modes_covered_strict']} strict), HQ "
                          f"{run['high_quality_fraction']:.2f}")
            ax.set_title(title, fontsize=8)
    figure.suptitle(
        f"{EVAL_SAMPLES} samples after {result['steps']} generator updates, seed "
        f"{result.get('plot_seed')} "
        "(red x: the modes)", fontsize=10,
    )
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    figure.savefig(path, dpi=90)
    plt.close(figure)
    print(f"wrote {path}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=None,
                        help=f"generator updates per run (default {DEFAULT_STEPS})")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="seeds (default 0 1 2 3 4)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help=f"default {DEFAULT_BATCH_SIZE}")
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=None)
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--snapshots", type=int, default=5,
                        help="coverage snapshots per run (0: none)")
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS), default=DEFAULT_OPTIMIZER,
                        help="Adam learning rates, shared by every method (default "
                             f"{DEFAULT_OPTIMIZER!r})")
    parser.add_argument("--fast", action="store_true",
                        help="smoke run: 20 steps, batch 64, seed 0, the ring only "
                             "(explicit options override)")
    parser.add_argument("--output", default=None, help="write the markdown tables here")
    parser.add_argument("--plot", default=None, help="write the PNG of the sample clouds here")
    parser.add_argument("--plot-seed", type=int, default=None,
                        help="seed whose samples are plotted (default the first)")
    parser.add_argument("--quiet", action="store_true", help="no per-run lines")
    args = parser.parse_args(argv)
    defaults = FAST if args.fast else {
        "steps": DEFAULT_STEPS, "batch_size": DEFAULT_BATCH_SIZE, "seeds": [0, 1, 2, 3, 4],
        "datasets": list(DATASETS),
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.plot_seed is None:
        args.plot_seed = args.seeds[0]
    return args


def main(argv=None):
    """Runs the benchmark from command-line arguments; returns the result dict."""
    args = parse_args(argv)
    provenance = harness.Provenance(__file__, argv)
    result = run_benchmark(
        args.steps, args.seeds, args.batch_size, args.datasets, args.methods, args.snapshots,
        plot_seed=args.plot_seed if args.plot else None, optimizer=args.optimizer,
        verbose=not args.quiet,
    )
    result["plot_seed"] = args.plot_seed
    provenance.finish()
    harness.publish(to_markdown(result, provenance), args.output)
    if args.plot:
        plot(result, args.plot)
    return result


if __name__ == "__main__":
    main()
