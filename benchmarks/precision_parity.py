"""Sample quality in bfloat16 against float32: the main job trained in both, three seeds each.

Trains the README's main job (`keras_gen.train.MAIN_JOB`: the class-conditional
DCGAN on the 4,000 embedded digits, 10 epochs, batch 32) under the
`float32` and `mixed_bfloat16` dtype policies with the same seeds, and
reports the digits FID and IS (the shipped digits classifier, 1,000 samples
against the 1,000 held-out digits, the better of the raw and averaged
generator as the job reports it) per precision: mean ± standard deviation
over seeds, the difference of the means, and Welch's t-test. "Within seed
noise" means the test does not tell the two precisions apart (p > 0.05)
and the difference of the means is smaller than the larger of the two
standard deviations.

Each run is its own subprocess (the dtype policy is global); the two
precisions alternate seed by seed, so a change of machine load falls on
both.

Usage:

    python benchmarks/precision_parity.py --backends torch --seeds 0 1 2 --threads 1 \\
        --output benchmarks/results_precision_parity.md

    # One run in this process (what the driver runs in subprocesses):
    KERAS_BACKEND=torch python benchmarks/precision_parity.py --worker \\
        --precision mixed_bfloat16 --seed 0 --json /tmp/run.json
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import harness

PRECISIONS = ("float32", "mixed_bfloat16")


def run_worker(args):
    import keras

    from keras_gen import train

    keras.mixed_precision.set_global_policy(args.precision)
    settings = dict(train.MAIN_JOB)
    if args.epochs:
        settings["epochs"] = args.epochs
    with tempfile.TemporaryDirectory() as output:
        _, summary = train.train_dcgan_mnist(output=output, seed=args.seed, verbose=0,
                                             sample_every=settings["epochs"], **settings)
    result = {
        "backend": keras.backend.backend(),
        "precision": args.precision,
        "seed": args.seed,
        "epochs": settings["epochs"],
        "training_seconds": summary["training_seconds"],
        "fid_digits": summary["fid_digits"],
        "is_digits": summary["is_digits"],
        "samples_from": summary["samples_from"],
        "generators": summary["generators"],
        "final_d_loss": summary["final_d_loss"],
        "final_g_loss": summary["final_g_loss"],
    }
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)


def run_driver(args):
    os.makedirs(args.runs, exist_ok=True)
    provenance = harness.Provenance(__file__)
    results = []
    for backend in args.backends:
        for seed in args.seeds:
            for precision in PRECISIONS:
                path = os.path.join(args.runs, f"{backend}_{precision}_seed{seed}.json")
                if not (args.reuse and os.path.exists(path)):
                    command = [sys.executable, __file__, "--worker", "--precision", precision,
                               "--seed", str(seed), "--json", path]
                    if args.epochs:
                        command += ["--epochs", str(args.epochs)]
                    env = dict(os.environ, **harness.backend_env(backend, args.threads))
                    print(f"{backend} {precision} seed {seed} ...", flush=True)
                    subprocess.run(command, env=env, check=True)
                with open(path) as f:
                    results.append(json.load(f))
                print(f"  FID {results[-1]['fid_digits']:.2f}, IS {results[-1]['is_digits']:.2f}, "
                      f"{results[-1]['training_seconds']:.0f} s", flush=True)
    harness.publish(format_report(results, provenance), args.output)


def compare(float32, bfloat16):
    """Mean, std and Welch's test of two samples of a metric; whether they agree within seed noise."""
    from scipy import stats

    a, b = np.asarray(float32, "float64"), np.asarray(bfloat16, "float64")
    p_value = float(stats.ttest_ind(a, b, equal_var=False).pvalue) if len(a) > 1 else float("nan")
    difference = float(b.mean() - a.mean())
    spread = max(a.std(ddof=1), b.std(ddof=1)) if len(a) > 1 else float("nan")
    return {
        "float32": (float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else float("nan")),
        "bfloat16": (float(b.mean()), float(b.std(ddof=1)) if len(b) > 1 else float("nan")),
        "difference": difference,
        "p_value": p_value,
        "within_noise": bool(p_value > 0.05 and abs(difference) < spread),
    }


def format_report(results, provenance):
    lines = [
        "# Sample quality in bfloat16 against float32",
        "",
        "The main job (`keras_gen.train.MAIN_JOB`: class-conditional DCGAN, embedded digits, "
        f"{results[0]['epochs']} epochs, batch 32); digits FID / IS of the generator the job "
        "reports (the better of raw and average), 1,000 samples against the 1,000 held-out digits.",
        "",
        "| backend | precision | seed | FID | IS | generator | training s |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for r in results:
        # Per-run seconds are for reference: speed is measured by dcgan_throughput.py and scaling.py.
        lines.append(f"| {r['backend']} | {r['precision']} | {r['seed']} | {r['fid_digits']:.2f} | "
                     f"{r['is_digits']:.2f} | {r['samples_from']} | {r['training_seconds']:.0f} |")
    lines += ["", "| backend | metric | float32 (mean ± std) | mixed_bfloat16 (mean ± std) | "
              "bf16 − f32 | Welch p | within seed noise |", "|---|---|---:|---:|---:|---:|---|"]
    for backend in dict.fromkeys(r["backend"] for r in results):
        for metric in ("fid_digits", "is_digits"):
            values = {p: [r[metric] for r in results if r["backend"] == backend and r["precision"] == p]
                      for p in PRECISIONS}
            c = compare(values["float32"], values["mixed_bfloat16"])
            lines.append(
                f"| {backend} | {metric} | {c['float32'][0]:.2f} ± {c['float32'][1]:.2f} | "
                f"{c['bfloat16'][0]:.2f} ± {c['bfloat16'][1]:.2f} | {c['difference']:+.2f} | "
                f"{c['p_value']:.2f} | {'yes' if c['within_noise'] else 'no'} |")
    return "\n".join(lines + [""] + provenance.lines() + [""])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help="run one training in this process")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="the worker's result file")
    parser.add_argument("--epochs", type=int, default=None, help="default: the main job's")
    parser.add_argument("--backends", nargs="+", default=["torch"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=None,
                        help="compute threads per run (default: the frameworks' own)")
    parser.add_argument("--runs", default="/tmp/precision_parity_runs", help="folder of the runs' JSON")
    parser.add_argument("--reuse", action="store_true", help="reuse run files already in --runs")
    parser.add_argument("--output", default="benchmarks/results_precision_parity.md")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
    else:
        run_driver(args)


if __name__ == "__main__":
    main()
