"""Mode coverage on the 25-Gaussian grid: spectrally-normalised hinge GAN vs plain NS GAN.

Trains two GAN configurations on the VEEGAN/PacGAN 2-D grid (5 x 5 modes at
{-4, -2, 0, 2, 4}^2, std 0.05) with the same budget and seeds, and counts the
modes each covers with `keras_gen.datasets.mode_coverage` on 2,500 samples (a
sample is high quality within 3 std of its nearest mode; a mode is covered by
at least one high-quality sample, as in VEEGAN/PacGAN). Because that count is
reached by chance by diffuse samples (2,500 uniform points on [-5, 5]^2 cover
16-23 modes), the script also reports a strict count (at least 10
high-quality samples, a tenth of what a perfect generator puts on each mode)
and two reference rows: real grid samples and uniform noise.

The two configurations differ only in the objective and spectral normalisation
of the discriminator:

- `non_saturating`: `loss="non_saturating"`, plain `mlp_discriminator`.
- `hinge_sn`: `loss="hinge"`, `mlp_discriminator(spectral_norm=True)`.

Everything else is shared: `mlp_generator(latent_dim=2, hidden_units=(128,) * 3)`,
`mlp_discriminator(hidden_units=(128,) * 3)` (leaky ReLU 0.2), the optimizers
(`--optimizer ttur`: SAGAN's Adam(1e-4 G, 4e-4 D, beta_1=0, beta_2=0.9), the
hinge + spectral-norm recipe; `--optimizer dcgan`: Adam(2e-4, beta_1=0.5) for
both, keras_gen's `GAN.compile()` default), one discriminator step per
generator step, no EMA, the same batch size, number of
steps, training data (fresh samples for every step, drawn with the run's seed),
initial generator weights and latent noise seed.

Usage (backend from KERAS_BACKEND):

    KERAS_BACKEND=tensorflow python benchmarks/gaussian_grid_benchmark.py \\
        --steps 5000 --seeds 0 1 2 --optimizer ttur \\
        --output benchmarks/results_gaussian_grid.md
"""

import argparse
import datetime

import keras
import numpy as np

import harness
import keras_gen
from keras_gen.datasets import toy

GRID_STD = 0.05
EVAL_SAMPLES = 2500
STRICT_MIN_COUNT = 10

# name -> (description, generator optimizer, discriminator optimizer)
OPTIMIZERS = {
    "ttur": (
        "Adam(1e-4 G, 4e-4 D, beta_1=0, beta_2=0.9) (SAGAN)",
        lambda: keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        lambda: keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
    ),
    "dcgan": (
        "Adam(2e-4, beta_1=0.5) for G and D (DCGAN, keras_gen default)",
        lambda: keras.optimizers.Adam(2e-4, beta_1=0.5),
        lambda: keras.optimizers.Adam(2e-4, beta_1=0.5),
    ),
}

# name -> (adversarial loss, spectral norm in the discriminator)
CONFIGS = {
    "non_saturating": ("non_saturating", False),
    "hinge_sn": ("hinge", True),
}
CONFIG_LABELS = {
    "non_saturating": "non-saturating, plain D",
    "hinge_sn": "hinge, spectral-norm D",
}


def coverage(samples, modes=None, std=GRID_STD):
    """Papers' coverage (min_count=1), strict coverage and high-quality fraction.

    `modes` and `std` default to the 25-Gaussian grid's; `mode_collapse.py`
    passes the ring's.
    """
    modes = toy.grid_modes() if modes is None else modes
    loose = toy.mode_coverage(samples, modes, std=std)
    strict = toy.mode_coverage(samples, modes, std=std, min_count=STRICT_MIN_COUNT)
    return {
        "modes_covered": loose["modes_covered"],
        "modes_covered_strict": strict["modes_covered"],
        "high_quality_fraction": loose["high_quality_fraction"],
        "num_modes": loose["num_modes"],
    }


def run_summary(seed, samples, history, timing, modes=None, std=GRID_STD):
    """The per-run record of a trained GAN: coverage of its samples, losses and time.

    Shared by this script's and `mode_collapse.py`'s `train_one`.

    Args:
        seed: the run's seed.
        samples: the generator's evaluation samples, shape `(n, 2)`.
        history: what `fit` returned (its `history` dict holds the per-epoch
            `"d_loss"` and `"g_loss"`; the last values are recorded).
        timing: the `harness.Timing` of the training.
        modes, std: passed to `coverage` (default the 25-Gaussian grid's).

    Returns:
        A dict with `seed`, `coverage`'s four entries (`modes_covered`,
        `modes_covered_strict`, `high_quality_fraction`, `num_modes`),
        `finite` (every sample finite), `final_d_loss`, `final_g_loss`,
        `seconds` (wall) and `cpu_seconds`.
    """
    return {
        "seed": int(seed),
        **coverage(samples, modes, std),
        "finite": bool(np.all(np.isfinite(samples))),
        "final_d_loss": float(history.history["d_loss"][-1]),
        "final_g_loss": float(history.history["g_loss"][-1]),
        "seconds": timing.wall_seconds,
        "cpu_seconds": timing.cpu_seconds,
    }


def reference_runs(seed, sample_real=None, half_width=5.0):
    """Real samples and uniform noise (the chance floor), for reference rows.

    Args:
        seed: the run's seed; the samples use `10_000 + seed`.
        sample_real: function `(num_samples, seed) -> samples` of the real
            data; default the 25-Gaussian grid.
        half_width: the noise is uniform on `[-half_width, half_width]^2`.
    """
    if sample_real is None:
        real = toy.grid_of_gaussians(EVAL_SAMPLES, std=GRID_STD, seed=10_000 + seed)
    else:
        real = sample_real(EVAL_SAMPLES, 10_000 + seed)
    noise = np.random.default_rng(10_000 + seed).uniform(
        -half_width, half_width, (EVAL_SAMPLES, 2)
    )
    return {"real_data": real, "uniform_noise": noise}


def train_one(config, seed, steps, batch_size, optimizer="ttur", hidden_units=(128, 128, 128)):
    """Trains one configuration with one seed; returns its coverage and timing."""
    loss, spectral_norm = CONFIGS[config]
    _, generator_optimizer, discriminator_optimizer = OPTIMIZERS[optimizer]
    keras.utils.set_random_seed(seed)
    # The generator is built first, so both configurations start from the same weights.
    generator = keras_gen.networks.mlp_generator(latent_dim=2, hidden_units=hidden_units)
    discriminator = keras_gen.networks.mlp_discriminator(
        hidden_units=hidden_units, spectral_norm=spectral_norm
    )
    gan = keras_gen.models.GAN(generator, discriminator, loss=loss, seed=seed)
    gan.compile(
        generator_optimizer=generator_optimizer(),
        discriminator_optimizer=discriminator_optimizer(),
    )
    data = toy.grid_of_gaussians(steps * batch_size, std=GRID_STD, seed=seed)
    history, timing = harness.measure(
        gan.fit, data, batch_size=batch_size, epochs=1, verbose=0, shuffle=False
    )
    samples = gan.generate(EVAL_SAMPLES, seed=10_000 + seed)
    keras.backend.clear_session()
    return run_summary(seed, samples, history, timing)


def format_run(label, run):
    """One console line for a training run: modes covered (strict), high-quality fraction, time."""
    return (
        f"{label}: {run['modes_covered']:2d}/{run['num_modes']} modes "
        f"({run['modes_covered_strict']:2d} strict), "
        f"high quality {run['high_quality_fraction']:.3f}, {run['seconds']:.1f} s"
    )


def summarize(runs):
    summary = {"runs": runs}
    for key, name in (
        ("modes_covered", "modes_covered"),
        ("modes_covered_strict", "modes_covered_strict"),
        ("high_quality_fraction", "high_quality"),
    ):
        values = np.array([run[key] for run in runs], dtype=float)
        summary[f"{name}_mean"] = float(values.mean())
        summary[f"{name}_std"] = float(values.std())
    return summary


def run_benchmark(steps, seeds, batch_size=256, optimizer="ttur", configs=None, verbose=True):
    """Trains every configuration with every seed.

    Args:
        steps: training steps (one discriminator and one generator update each).
        seeds: list of int seeds; each seed fixes data, initial generator weights
            and latent noise, and is shared by both configurations.
        batch_size: real (and fake) samples per step.
        optimizer: `"ttur"` or `"dcgan"` (see `OPTIMIZERS`), shared by both
            configurations.
        configs: names from `CONFIGS` to run (default: all).
        verbose: print one line per run.

    Returns:
        A dict with the settings (`backend`, `steps`, `batch_size`, `seeds`,
        `eval_samples`, `optimizer`), `configs`: name -> `{"runs": [per-seed
        dicts], "modes_covered_mean", "modes_covered_std",
        "modes_covered_strict_mean", "modes_covered_strict_std",
        "high_quality_mean", "high_quality_std"}` (population std over seeds),
        and `references` (`"real_data"`, `"uniform_noise"`) in the same form.
    """
    seeds = [int(seed) for seed in seeds]
    if int(steps) < 1 or not seeds:
        raise ValueError("Pass `--steps` >= 1 and at least one seed, e.g. `--seeds 0 1 2`.")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {optimizer!r}; use one of {sorted(OPTIMIZERS)}.")
    configs = list(CONFIGS) if configs is None else list(configs)
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown or not configs:
        raise ValueError(f"Unknown or no configs {unknown}; use some of {list(CONFIGS)}.")
    runs = {name: [] for name in configs}
    references = {"real_data": [], "uniform_noise": []}
    for seed in seeds:
        for name, samples in reference_runs(seed).items():
            references[name].append({"seed": seed, **coverage(samples)})
        # Configurations alternate per seed, so machine load hits both alike.
        for name in configs:
            run = train_one(name, seed, int(steps), int(batch_size), optimizer)
            runs[name].append(run)
            if verbose:
                print(format_run(f"{name:>15} seed {seed}", run), flush=True)
    return {
        "backend": keras.backend.backend(),
        "steps": int(steps),
        "batch_size": int(batch_size),
        "seeds": seeds,
        "eval_samples": EVAL_SAMPLES,
        "optimizer": optimizer,
        "configs": {name: summarize(runs[name]) for name in configs},
        "references": {name: summarize(value) for name, value in references.items()},
    }


REFERENCE_LABELS = {
    "real_data": "reference: 2,500 real grid samples",
    "uniform_noise": "reference: 2,500 uniform points on [-5, 5]^2",
}


def to_markdown(result, provenance=None):
    """Formats `run_benchmark`'s result as markdown: settings, summary and per-seed tables.

    Args:
        result: what `run_benchmark` returned.
        provenance: a finished `harness.Provenance` (machine, load, wall time
            and command), or None to leave those lines out.

    Returns:
        The markdown text.
    """
    labels = {**CONFIG_LABELS, **REFERENCE_LABELS}
    rows = {**result["configs"], **result["references"]}
    settings = (
        f"Date {datetime.date.today().isoformat()}; backend {result['backend']}; keras "
        f"{keras.__version__}; "
        f"steps {result['steps']}; batch {result['batch_size']}; seeds {result['seeds']}; "
        f"optimizer {OPTIMIZERS[result['optimizer']][0]} in both configurations; "
        f"{result['eval_samples']} evaluation samples; strict = at least {STRICT_MIN_COUNT} "
        "high-quality samples per mode."
    )
    summary_rows = [
        [
            labels[name],
            f"{summary['modes_covered_mean']:.1f} ± {summary['modes_covered_std']:.1f}",
            f"{summary['modes_covered_strict_mean']:.1f} ± {summary['modes_covered_strict_std']:.1f}",
            f"{summary['high_quality_mean']:.3f} ± {summary['high_quality_std']:.3f}",
        ]
        for name, summary in rows.items()
    ]
    seed_rows = [
        [
            labels[name], run["seed"], run["modes_covered"], run["modes_covered_strict"],
            f"{run['high_quality_fraction']:.3f}", f"{run['final_d_loss']:.3f}",
            f"{run['final_g_loss']:.3f}", f"{run['seconds']:.1f}", f"{run['cpu_seconds']:.1f}",
        ]
        for name, summary in result["configs"].items()
        for run in summary["runs"]
    ]
    lines = [
        "# 25-Gaussian grid: mode coverage, hinge + spectral norm vs non-saturating",
        "",
        settings,
        "",
        harness.markdown_table(
            ["Samples", "Modes covered (of 25)", "Modes covered, strict", "High-quality fraction"],
            summary_rows,
            "lrrr",
        ),
        "",
        "Mean ± population std over seeds.",
        "",
        harness.markdown_table(
            ["Configuration", "Seed", "Modes covered", "Strict", "High-quality fraction",
             "Final D loss", "Final G loss", "Train time (s)", "Train CPU time (s)"],
            seed_rows,
            "lrrrrrrrr",
        ),
    ]
    if provenance is not None:
        lines += [""] + provenance.lines()
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5000, help="training steps per run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="ttur",
                        help="optimizer setting shared by both configurations")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--output", default=None, help="write the markdown tables here")
    parser.add_argument("--quiet", action="store_true", help="no per-run lines")
    return parser.parse_args(argv)


def main(argv=None):
    """Runs the benchmark from command-line arguments; returns the result dict."""
    args = parse_args(argv)
    provenance = harness.Provenance(__file__, argv)
    result = run_benchmark(
        args.steps, args.seeds, args.batch_size, args.optimizer, args.configs, verbose=not args.quiet
    )
    provenance.finish()
    harness.publish(to_markdown(result, provenance), args.output)
    return result


if __name__ == "__main__":
    main()
