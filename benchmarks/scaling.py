"""How a DCGAN training step's time grows with batch size and image size, per backend and precision.

The DCGAN of `keras_gen.applications.dcgan.build_dcgan` (32 base filters,
each backend's default sub-pixel upsampling, non-saturating loss, Adam) is
trained with `fit` on uniform images:

- batch sizes 16-512 at 28x28x1;
- image sizes 28x28x1, 32x32x3 and 64x64x3 at batch 64.

One worker process per (backend, precision) measures every configuration in
turn: a warm-up `fit` of two steps (tracing and compilation), then `--repeats`
timed `fit`s of `--steps` steps; the median run gives the time per step and
per image. The report has the table, the images per second against batch
size and against image size as a PNG, and where each backend stops gaining
from a larger batch (the first batch size whose images per second is within
10% of the previous one's).

Usage (from the repository root, on a quiet machine):

    python benchmarks/scaling.py --output benchmarks/results_scaling.md \\
        --plot benchmarks/scaling.png
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import harness

BATCH_SIZES = (16, 32, 64, 128, 256, 512)
IMAGE_SHAPES = ((28, 28, 1), (32, 32, 3), (64, 64, 3))
PRECISIONS = ("float32", "mixed_bfloat16")
RESULT_PREFIX = "SCALING "


def configurations(batch_sizes=BATCH_SIZES, image_shapes=IMAGE_SHAPES):
    """`(batch_size, image_shape)` pairs: the batch sweep at 28x28x1, the image sweep at batch 64."""
    pairs = [(batch, (28, 28, 1)) for batch in batch_sizes]
    pairs += [(64, shape) for shape in image_shapes if (64, shape) not in pairs]
    return pairs


def measure_configuration(batch_size, image_shape, steps, repeats):
    """Seconds per training step (median of `repeats` timed fits) of one configuration."""
    import keras

    from contestants import uniform_images
    from keras_gen.applications.dcgan import build_dcgan

    gan = build_dcgan(image_shape=image_shape, latent_dim=100, base_filters=32, seed=0)
    gan.compile()
    warmup = uniform_images(2 * batch_size, image_shape, seed=1)
    timed = uniform_images(steps * batch_size, image_shape, seed=2)
    gan.fit(warmup, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        history = gan.fit(timed, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        seconds.append((time.perf_counter() - start) / steps)
    losses = [float(v[-1]) for v in history.history.values()]
    keras.backend.clear_session()
    return statistics.median(seconds), all(map(_finite, losses))


def _finite(value):
    return value == value and abs(value) != float("inf")


def run_worker(args):
    import keras

    keras.config.set_dtype_policy(args.precision)
    for batch_size, image_shape in configurations(args.batch_sizes, args.image_shapes):
        seconds, finite = measure_configuration(batch_size, image_shape, args.steps, args.repeats)
        print(RESULT_PREFIX + json.dumps({
            "batch_size": batch_size, "image_shape": list(image_shape),
            "seconds_per_step": seconds, "finite": finite}), flush=True)


def run_driver(args):
    provenance = harness.Provenance(__file__)
    backends = [b for b in harness.parse_backends(args.backends) if harness.installed(b)]
    results = {}
    for backend in backends:
        for precision in args.precisions.split(","):
            command = [sys.executable, os.path.abspath(__file__), "--worker", "--precision", precision,
                       "--steps", str(args.steps), "--repeats", str(args.repeats),
                       "--batch-sizes", ",".join(map(str, args.batch_sizes)),
                       "--image-sizes", ",".join(str(s[0]) for s in args.image_shapes)]
            env = dict(os.environ, **harness.backend_env(backend, args.threads))
            print(f"{backend} {precision} ...", flush=True)
            completed = subprocess.run(command, env=env, capture_output=True, text=True,
                                       timeout=args.timeout)
            rows = [json.loads(line[len(RESULT_PREFIX):]) for line in completed.stdout.splitlines()
                    if line.startswith(RESULT_PREFIX)]
            if completed.returncode != 0:
                print(completed.stderr[-2000:], flush=True)
            results[(backend, precision)] = rows
    provenance.finish()
    report = format_report(results, args)
    report += "\n" + "\n".join(provenance.lines()) + "\n"
    if args.plot:
        plot(results, args.plot)
        report += f"\nPlot: `{os.path.relpath(args.plot)}`.\n"
    harness.publish(report, args.output)


def images_per_second(row):
    return row["batch_size"] / row["seconds_per_step"]


def saturation_batch(rows):
    """The first batch size whose images/s is within 10% of the previous batch size's (None: still growing)."""
    sweep = sorted((r for r in rows if r["image_shape"] == [28, 28, 1]), key=lambda r: r["batch_size"])
    for previous, current in zip(sweep, sweep[1:]):
        if images_per_second(current) < 1.1 * images_per_second(previous):
            return current["batch_size"]
    return None


def format_report(results, args):
    header = ["backend", "precision"] + [f"batch {b}" for b in args.batch_sizes] + [
        f"{s[0]}x{s[1]}x{s[2]}" for s in args.image_shapes]
    rows, notes = [], []
    for (backend, precision), measured in results.items():
        by_key = {(r["batch_size"], tuple(r["image_shape"])): r for r in measured}
        cells = []
        for batch, shape in [(b, (28, 28, 1)) for b in args.batch_sizes] + [(64, s) for s in args.image_shapes]:
            row = by_key.get((batch, tuple(shape)))
            cells.append("failed" if row is None else
                         f"{images_per_second(row):,.0f}" + ("" if row["finite"] else " (!)"))
        rows.append([backend, precision] + cells)
        stop = saturation_batch(measured)
        notes.append(f"- {backend}, {precision}: " + (
            f"images/s stop growing (less than 10% more) at batch {stop}." if stop else
            "images/s still grow at the largest batch."))
    return "\n".join([
        "# DCGAN step time against batch size and image size",
        "",
        f"Training images per second (median of {args.repeats} timed `fit`s of {args.steps} steps); "
        "the batch columns at 28x28x1, the image columns at batch 64. (!) marks a non-finite loss.",
        "",
        harness.markdown_table(header, rows, "ll" + "r" * (len(header) - 2)),
        "",
        *notes,
        "",
    ])


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (by_batch, by_size) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = {"tensorflow": "tab:orange", "jax": "tab:blue", "torch": "tab:red"}
    for (backend, precision), measured in results.items():
        style = dict(linestyle="-" if precision == "float32" else "--", color=colours.get(backend))
        sweep = sorted((r for r in measured if r["image_shape"] == [28, 28, 1]), key=lambda r: r["batch_size"])
        by_batch.plot([r["batch_size"] for r in sweep], [images_per_second(r) for r in sweep],
                      marker="o", label=f"{backend} {precision}", **style)
        sizes = sorted((r for r in measured if r["batch_size"] == 64), key=lambda r: r["image_shape"][0])
        by_size.plot([r["image_shape"][0] for r in sizes], [images_per_second(r) for r in sizes],
                     marker="o", label=f"{backend} {precision}", **style)
    by_batch.set(xscale="log", yscale="log", xlabel="batch size (28x28x1)", ylabel="training images / s",
                 title="DCGAN: throughput against batch size")
    by_size.set(yscale="log", xlabel="image side (28: 1 channel; 32, 64: 3 channels), batch 64",
                ylabel="training images / s", title="DCGAN: throughput against image size")
    for axes, ticks in ((by_batch, sorted({r["batch_size"] for rows in results.values() for r in rows})),
                        (by_size, sorted({r["image_shape"][0] for rows in results.values() for r in rows}))):
        axes.minorticks_off()
        axes.set_xticks(ticks, [str(t) for t in ticks])
    by_batch.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(harness.KERAS_BACKENDS))
    parser.add_argument("--precisions", default=",".join(PRECISIONS))
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)))
    parser.add_argument("--image-sizes", default="28,32,64",
                        help="image sides: 28 is 28x28x1, others NxNx3")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per fit")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits per configuration")
    parser.add_argument("--threads", type=int, default=None,
                        help="cap each worker's compute threads (default: the framework's)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per worker")
    parser.add_argument("--output", default=None)
    parser.add_argument("--plot", default=None, help="write the PNG here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.batch_sizes = tuple(int(b) for b in args.batch_sizes.split(","))
    args.image_shapes = tuple((s, s, 1 if s == 28 else 3) for s in map(int, args.image_sizes.split(",")))
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        run_worker(args)
    else:
        run_driver(args)


if __name__ == "__main__":
    main()
