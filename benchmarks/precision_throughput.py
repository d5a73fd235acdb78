"""DCGAN training speed in float32 and bfloat16: keras_gen on each backend against plain PyTorch.

The 28x28x1 DCGAN of `dcgan_throughput.py` (batch 64, 32 base filters, one
upsampling mode) trained by keras_gen under the `float32` and the
`mixed_bfloat16` policy on each backend, and by the plain PyTorch loop in
float32 and under `torch.autocast("cpu", dtype=torch.bfloat16)`. Every
contestant runs in its own process (`dcgan_throughput.py --worker ...
--precision ...`); all of them are interleaved, one run each per round, so
the ratios are paired within rounds and reported as the median of the
per-round ratios of CPU time (more stable than the wall clock on a shared
machine, see `benchmarks/README.md`):

- each contestant's bfloat16 speed over its own float32 speed;
- each keras_gen contestant over plain PyTorch in the same precision.

Usage:

    python benchmarks/precision_throughput.py --threads 1 --repeats 5 \\
        --output benchmarks/results_precision_throughput.md
"""

import argparse
import os
import statistics

import harness
from dcgan_throughput import BATCH_SIZE
from dcgan_throughput import PRECISIONS
from dcgan_throughput import UPSAMPLING_MODES

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dcgan_throughput.py")
PYTORCH = "plain PyTorch"


def label(name, precision):
    return f"{name} {precision}"


def contestant(name, precision, args):
    """A `harness.Contestant`: keras_gen on backend `name`, or the PyTorch loop for `PYTORCH`."""
    worker = "pytorch" if name == PYTORCH else "keras_gen"
    backend = "torch" if name == PYTORCH else name
    command = harness.python_command(SCRIPT, "--worker", worker, "--serve", "--upsampling", args.upsampling,
                                     "--steps", args.steps, "--precision", precision)
    return harness.Contestant(label(name, precision), command, harness.backend_env(backend, args.threads))


def images_per_cpu_second(result, steps):
    return statistics.median(steps * BATCH_SIZE / s for s in result.values("cpu_seconds"))


def format_report(results, names, steps):
    """The markdown table: speed per precision and the paired ratios.

    Args:
        results: dict `label(name, precision)` -> `harness.Result`.
        names: the keras_gen backends, then `PYTORCH`.
        steps: timed steps per run.
    """
    def speed(name, precision):
        result = results.get(label(name, precision))
        return None if result is None or not result.runs else images_per_cpu_second(result, steps)

    def ratio(a, b):
        value = harness.paired_ratio(b, a, "cpu_seconds") if a and b and a.runs and b.runs else None
        return "n/a" if value is None else f"{value:.2f}"

    rows = []
    for name in names:
        f32, bf16 = (results.get(label(name, p)) for p in PRECISIONS)
        row = [name if name == PYTORCH else f"keras_gen [{name}]",
               harness.number(speed(name, "float32")), harness.number(speed(name, "bfloat16")),
               ratio(bf16, f32)]
        if name != PYTORCH:
            row += [ratio(results.get(label(name, p)), results.get(label(PYTORCH, p))) for p in PRECISIONS]
        else:
            row += ["1.00", "1.00"]
        rows.append(row)
    return harness.markdown_table(
        ["contestant", "float32 (img per CPU-s)", "bfloat16 (img per CPU-s)", "bfloat16 / float32",
         "vs plain PyTorch, float32", "vs plain PyTorch with autocast, bfloat16"], rows, "lrrrrr")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(harness.KERAS_BACKENDS))
    parser.add_argument("--upsampling", default="subpixel", choices=UPSAMPLING_MODES)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--threads", type=int, default=None, help="compute threads per process")
    parser.add_argument("--output", default=None, help="write the markdown report here")
    args = parser.parse_args(argv)
    names = [b for b in harness.parse_backends(args.backends) if harness.installed(b)] + [PYTORCH]
    provenance = harness.Provenance(__file__)
    results = harness.run_interleaved(
        [contestant(name, precision, args) for name in names for precision in PRECISIONS], args.repeats)
    provenance.finish()
    report = [
        f"DCGAN 28x28x1 ({args.upsampling} upsampling, base_filters=32), batch {BATCH_SIZE}, "
        f"{args.steps} timed steps per run, {args.repeats} interleaved rounds; compute threads per "
        f"process: {args.threads or 'framework default'}. Speeds: median images per CPU-second; ratios: "
        "median over rounds of the paired ratios of CPU time.",
        "",
        format_report(results, names, args.steps),
        "",
        *provenance.lines(),
    ]
    warnings = harness.warning_lines(results)
    if warnings:
        report += ["", "Warnings:"] + warnings
    harness.publish("\n".join(report), args.output)


if __name__ == "__main__":
    main()
