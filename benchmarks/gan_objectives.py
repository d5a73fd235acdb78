"""'Are GANs created equal?' on the embedded digits: seven objectives, one DCGAN, three seeds.

Lucic et al. (2018) trained one architecture with many GAN objectives on
MNIST, Fashion-MNIST, CIFAR-10 and CelebA and found that, given the same
computational budget and enough hyperparameter search, no objective was
consistently better than the original non-saturating GAN; the spread over
random seeds was as large as the differences between objectives. This
benchmark repeats the comparison on the 4,000 embedded MNIST training digits
that ship with keras_gen, without their hyperparameter search: each
objective runs with its own paper's optimizer settings.

One architecture for all: `keras_gen.applications.dcgan.build_dcgan(
base_filters=32)` on 28x28x1 digits (sub-pixel upsampling in the generator;
strided convolutions in the discriminator). Objectives (`OBJECTIVES`):

| name | loss | discriminator | D steps | optimizer (G and D) |
|---|---|---|---|---|
| `non_saturating` | NS GAN (Goodfellow et al. 2014) | BatchNorm | 1 | Adam(2e-4, 0.5, 0.999) |
| `minimax` | MM GAN (Goodfellow et al. 2014) | BatchNorm | 1 | Adam(2e-4, 0.5, 0.999) |
| `least_squares` | LSGAN (Mao et al. 2017) | BatchNorm | 1 | Adam(2e-4, 0.5, 0.999) |
| `wgan` | Wasserstein, weights clipped to 0.01 (Arjovsky et al. 2017) | BatchNorm | 5 | RMSprop(5e-5) |
| `wgan_gp` | Wasserstein + gradient penalty 10 (Gulrajani et al. 2017) | LayerNorm | 5 | Adam(1e-4, 0.5, 0.9) |
| `hinge_sn` | hinge (Lim & Ye 2017; Miyato et al. 2018) | spectral norm | 1 | Adam(2e-4, 0.5, 0.999) |
| `non_saturating_r1` | NS GAN + R1, gamma 10 (Mescheder et al. 2018) | LayerNorm | 1 | Adam(2e-4, 0.5, 0.999) |

The penalised critics use LayerNorm, as per-sample gradient penalties need
(with BatchNorm each sample's gradient depends on the rest of the batch).

Budget: the same number of generator updates for every objective
(`--epochs` passes over the digits at `--batch-size`; the Wasserstein
critics make 5 updates per generator update on the same batch, as
`GAN(discriminator_steps=5)` does). Every `--eval-every` epochs, digits FID
and IS of 1,000 samples (the raw generator; no moving average) against the
1,000 held-out test digits, with the shipped `digits_classifier`'s features
and class probabilities (real-data floor: FID about 6.6, IS about 9.7).

Usage: one process per run (they can run in parallel), then the report:

    KERAS_BACKEND=jax python benchmarks/gan_objectives.py run --objective hinge_sn \\
        --seed 0 --epochs 100 --eval-every 10 --json runs/hinge_sn_0.json
    python benchmarks/gan_objectives.py report runs/*.json \\
        --output benchmarks/results_gan_objectives.md --plot benchmarks/gan_objectives.png

or every objective and seed in turn in one process:

    KERAS_BACKEND=jax python benchmarks/gan_objectives.py all --seeds 0 1 2 \\
        --epochs 100 --eval-every 10 --runs runs --output benchmarks/results_gan_objectives.md \\
        --plot benchmarks/gan_objectives.png

`--fast` (with `all`) is a smoke run: two objectives, one seed, one epoch of
256 digits, 200 samples per evaluation.

Reference: Lucic, Kurach, Michalski, Gelly and Bousquet, "Are GANs Created
Equal? A Large-Scale Study", NeurIPS 2018.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import statistics
import sys
import time

OBJECTIVES = {
    "non_saturating": dict(gan=dict(loss="non_saturating"), optimizer=("adam", 2e-4, 0.5, 0.999)),
    "minimax": dict(gan=dict(loss="minimax"), optimizer=("adam", 2e-4, 0.5, 0.999)),
    "least_squares": dict(gan=dict(loss="least_squares"), optimizer=("adam", 2e-4, 0.5, 0.999)),
    "wgan": dict(gan=dict(loss="wasserstein", weight_clip=0.01, discriminator_steps=5),
                 optimizer=("rmsprop", 5e-5)),
    "wgan_gp": dict(gan=dict(loss="wasserstein", gradient_penalty="wgan_gp", penalty_weight=10.0,
                             discriminator_steps=5, discriminator_normalization="layer"),
                    optimizer=("adam", 1e-4, 0.5, 0.9)),
    "hinge_sn": dict(gan=dict(loss="hinge", spectral_norm=True), optimizer=("adam", 2e-4, 0.5, 0.999)),
    "non_saturating_r1": dict(gan=dict(loss="non_saturating", gradient_penalty="r1", penalty_weight=10.0,
                                       discriminator_normalization="layer"),
                              optimizer=("adam", 2e-4, 0.5, 0.999)),
}
# Lucic et al. 2018, fig. 4 (MNIST, FID of the best model per objective at a
# large budget): every objective reaches a similar best FID (about 5-10 with
# their Inception features); the order of the medians varies by data set.
PUBLISHED = (
    "Lucic et al. (2018), MNIST, 100 hyperparameter settings per objective: the best models "
    "of all objectives (MM GAN, NS GAN, LSGAN, WGAN, WGAN-GP, DRAGAN, BEGAN, VAE aside) lie "
    "within a few FID points of each other, and the spread over random restarts is of the "
    "same size as the differences between objectives; no objective is consistently better "
    "than the non-saturating GAN."
)


def optimizer_from(spec):
    import keras

    if spec[0] == "adam":
        _, learning_rate, beta_1, beta_2 = spec
        return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2)
    return keras.optimizers.RMSprop(spec[1])


def run_one(objective, seed, epochs, eval_every, batch_size=64, num_samples=1000, num_train=None):
    """Trains one objective with one seed; returns its FID / IS curve and timing."""
    import keras

    from keras_gen import callbacks
    from keras_gen import datasets
    from keras_gen.applications.dcgan import build_dcgan

    if objective not in OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}; choose from {sorted(OBJECTIVES)}.")
    spec = OBJECTIVES[objective]
    keras.utils.set_random_seed(seed)
    (x_train, _), (x_test, _) = datasets.mnist.load_data(source="embedded")
    if num_train:
        x_train = x_train[:num_train]
    x_train, x_test = datasets.scale_images(x_train), datasets.scale_images(x_test)
    gan = build_dcgan(image_shape=(28, 28, 1), latent_dim=100, base_filters=32, seed=seed,
                      name=f"dcgan_{objective}", **spec["gan"])
    gan.compile(generator_optimizer=optimizer_from(spec["optimizer"]),
                discriminator_optimizer=optimizer_from(spec["optimizer"]))
    metrics = callbacks.GenerativeMetrics(x_test, metrics=("fid", "is"), num_samples=num_samples,
                                          every_n_epochs=epochs + 1, seed=seed + 1, verbose=0)
    steps_per_epoch = -(-len(x_train) // batch_size)
    curve = []
    clock = {"train": 0.0, "start": time.time()}

    class Curve(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            clock["start"] = time.time()

        def on_epoch_end(self, epoch, logs=None):
            clock["train"] += time.time() - clock["start"]
            if (epoch + 1) % eval_every == 0 or epoch + 1 == epochs:
                result = metrics.evaluate(self.model)
                curve.append({"epoch": epoch + 1, "generator_steps": (epoch + 1) * steps_per_epoch,
                              "fid": float(result["fid"]), "is": float(result["is"]),
                              "d_loss": float(logs["d_loss"]), "g_loss": float(logs["g_loss"])})
                print(f"{objective} seed {seed} epoch {epoch + 1}: FID {result['fid']:.2f} "
                      f"IS {result['is']:.2f}", flush=True)

    metrics.set_model(gan)
    gan.fit(x_train, batch_size=batch_size, epochs=epochs, callbacks=[Curve()], verbose=0,
            shuffle=True)
    return {
        "objective": objective,
        "seed": seed,
        "backend": keras.backend.backend(),
        "epochs": epochs,
        "batch_size": batch_size,
        "generator_steps": epochs * steps_per_epoch,
        "discriminator_steps_per_generator_step": spec["gan"].get("discriminator_steps", 1),
        "training_seconds": round(clock["train"], 1),
        "curve": curve,
        "final_fid": curve[-1]["fid"],
        "final_is": curve[-1]["is"],
        "best_fid": min(point["fid"] for point in curve),
        "num_samples": num_samples,
        "machine": f"{device_name()}, {platform.machine()}, {os.cpu_count()} CPUs",
    }


def device_name():
    """The accelerator the backend computes on ("CPU" when none)."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return "CPU" if device.platform == "cpu" else device.device_kind
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU") if gpus else "CPU"


def mean_std(values):
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def report(runs, output, plot, command):
    """Writes the markdown table (FID / IS mean ± std over seeds per objective) and the plot."""
    by_objective = {}
    for run in runs:
        by_objective.setdefault(run["objective"], []).append(run)
    order = sorted(by_objective, key=lambda name: mean_std([r["final_fid"] for r in by_objective[name]])[0])
    machines = [run["machine"] for run in runs]
    main_machine = max(set(machines), key=machines.count)
    first = next(run for run in runs if run["machine"] == main_machine)
    elsewhere = [run for run in runs if run["machine"] != main_machine]
    lines = [
        "# GAN objectives on the embedded digits",
        "",
        f"Written by `benchmarks/gan_objectives.py` on {datetime.date.today().isoformat()}.",
        "",
        f"Command: `{command}`",
        "",
        f"Backend {first['backend']}; {first['epochs']} epochs of the 4,000 embedded training digits "
        f"at batch {first['batch_size']} ({first['generator_steps']:,} generator updates) per run; "
        f"machine: {main_machine}. Digits FID / IS of {first['num_samples']:,} samples of the raw "
        "generator against the 1,000 held-out digits (shipped digits classifier; real-data floor "
        "FID about 6.6, IS about 9.7). Mean ± standard deviation over the seeds, sorted by final FID.",
        "",
        "| objective | seeds | final FID | best FID during training | final IS | training s per run |",
        "|---|---|---|---|---|---|",
    ]
    for name in order:
        group = by_objective[name]
        fid, fid_std = mean_std([r["final_fid"] for r in group])
        best, best_std = mean_std([r["best_fid"] for r in group])
        score, score_std = mean_std([r["final_is"] for r in group])
        timed = [r["training_seconds"] for r in group if r["machine"] == main_machine]
        seconds = f"{statistics.mean(timed):.0f}" if timed else "n/a"
        seeds = ", ".join(str(r["seed"]) for r in sorted(group, key=lambda r: r["seed"]))
        lines.append(f"| `{name}` | {seeds} | {fid:.1f} ± {fid_std:.1f} | {best:.1f} ± {best_std:.1f} "
                     f"| {score:.2f} ± {score_std:.2f} | {seconds} |")
    lines += ["", "Per seed (final FID): " + "; ".join(
        f"`{name}` " + ", ".join(f"{r['final_fid']:.1f}" for r in sorted(by_objective[name], key=lambda r: r["seed"]))
        for name in order), ""]
    if elsewhere:
        lines += ["Run on another machine (left out of the seconds column): " + ", ".join(
            f"`{r['objective']}` seed {r['seed']} ({r['machine']}, {r['backend']})" for r in elsewhere) + ".", ""]
    lines += ["Published: " + PUBLISHED, ""]
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axis = plt.subplots(figsize=(8, 5))
        for index, name in enumerate(order):
            colour = plt.cm.tab10(index)
            for number, run in enumerate(by_objective[name]):
                steps = [p["generator_steps"] for p in run["curve"]]
                axis.plot(steps, [p["fid"] for p in run["curve"]], color=colour, alpha=0.8,
                          label=name if number == 0 else None)
        axis.set_yscale("log")
        axis.set_xlabel("generator updates")
        axis.set_ylabel("digits FID (log scale; lower is better)")
        axis.set_title("GAN objectives on the embedded digits (one line per seed)")
        axis.legend()
        axis.grid(alpha=0.3)
        figure.tight_layout()
        figure.savefig(plot, dpi=120)
        lines.insert(-1, f"![FID against generator updates]({os.path.basename(plot)})\n")
    with open(output, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "all"):
        command = sub.add_parser(name)
        command.add_argument("--epochs", type=int, default=100)
        command.add_argument("--eval-every", type=int, default=10)
        command.add_argument("--batch-size", type=int, default=64)
        command.add_argument("--num-samples", type=int, default=1000)
    run_parser, all_parser = sub.choices["run"], sub.choices["all"]
    run_parser.add_argument("--objective", required=True, choices=sorted(OBJECTIVES))
    run_parser.add_argument("--seed", type=int, default=0)
    run_parser.add_argument("--json", required=True, help="where to write the run's results")
    all_parser.add_argument("--objectives", nargs="+", default=list(OBJECTIVES), choices=sorted(OBJECTIVES))
    all_parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    all_parser.add_argument("--runs", default="gan_objectives_runs", help="folder for per-run JSON")
    all_parser.add_argument("--fast", action="store_true", help="smoke run (seconds)")
    report_parser = sub.add_parser("report")
    report_parser.add_argument("json", nargs="+")
    for command in (all_parser, report_parser):
        command.add_argument("--output", default="benchmarks/results_gan_objectives.md")
        command.add_argument("--plot", default="benchmarks/gan_objectives.png")
        command.add_argument("--command-line", default=None, help="the command to quote in the report")
    args = parser.parse_args(argv)
    quoted = args.command_line if getattr(args, "command_line", None) else "python " + " ".join(sys.argv)

    if args.command == "run":
        result = run_one(args.objective, args.seed, args.epochs, args.eval_every, args.batch_size,
                         args.num_samples)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
        return
    if args.command == "report":
        runs = [json.load(open(path)) for name in args.json for path in sorted(glob.glob(name))]
        report(runs, args.output, args.plot, quoted)
        return
    os.makedirs(args.runs, exist_ok=True)
    objectives, seeds, epochs, eval_every, num_samples, num_train = (
        args.objectives, args.seeds, args.epochs, args.eval_every, args.num_samples, None)
    if args.fast:
        objectives, seeds, epochs, eval_every, num_samples, num_train = (
            ["non_saturating", "wgan_gp"], [0], 1, 1, 200, 256)
    runs = []
    for objective in objectives:
        for seed in seeds:
            run = run_one(objective, seed, epochs, eval_every, args.batch_size, num_samples, num_train)
            with open(os.path.join(args.runs, f"{objective}_{seed}.json"), "w") as f:
                json.dump(run, f, indent=1)
            runs.append(run)
    report(runs, args.output, args.plot, quoted)


if __name__ == "__main__":
    main()
