"""What `keras_gen.layers.BatchNormalization`'s fused torch kernel saves: one DCGAN, two BatchNorms.

Three contestants train the 28x28 DCGAN of `dcgan_throughput.py` (batch 64,
32 base filters, one thread, torch backend), interleaved round by round:

- `keras_gen`: `build_dcgan`'s networks, whose BatchNorm layers are
  `keras_gen.layers.BatchNormalization` (torch's fused kernel);
- `keras_gen with keras.layers.BatchNormalization`: the same networks and
  weights with Keras's own BatchNorm layers (element-wise operations);
- `plain PyTorch`: the hand-written loop, for reference.

Ratios are medians over rounds of paired ratios of CPU time.

Usage (from the repository root, on a quiet machine):

    KERAS_BACKEND=torch python benchmarks/torch_batch_norm.py --rounds 7 --output FILE
"""

import argparse
import copy
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dcgan_throughput  # noqa: E402
import harness  # noqa: E402
from contestants.keras_fit import FitContestant  # noqa: E402

KERAS_BN = "keras_gen with keras.layers.BatchNormalization"


def with_keras_batch_norm(network):
    """A copy of a functional `network` whose keras_gen BatchNorm layers are Keras's, same weights."""
    config = copy.deepcopy(network.get_config())
    for layer in config["layers"]:
        if layer.get("registered_name") == "keras_gen>BatchNormalization":
            layer.update(module="keras.layers", class_name="BatchNormalization", registered_name=None)
    twin = network.__class__.from_config(config)
    twin.set_weights(network.get_weights())
    return twin


def keras_gen_contestant(upsampling, steps, keras_batch_norm):
    from keras_gen.applications.dcgan import build_dcgan

    gan = build_dcgan(image_shape=dcgan_throughput.IMAGE_SHAPE, latent_dim=dcgan_throughput.LATENT_DIM,
                      base_filters=dcgan_throughput.BASE_FILTERS, upsampling=upsampling)
    if keras_batch_norm:
        config = gan.get_config()
        config["generator"] = with_keras_batch_norm(gan.generator)
        config["discriminator"] = with_keras_batch_norm(gan.discriminator)
        gan = gan.__class__.from_config(config)
    gan.compile()
    return FitContestant(
        gan, {"generator": gan.generator, "discriminator": gan.discriminator},
        list(gan.optimizers.values()),
        dcgan_throughput.images(dcgan_throughput.WARMUP_STEPS * dcgan_throughput.BATCH_SIZE, seed=1),
        dcgan_throughput.images(steps * dcgan_throughput.BATCH_SIZE, seed=2),
        dcgan_throughput.BATCH_SIZE, expected_logs=("d_loss", "g_loss"))


def count_batch_norms(model):
    kinds = {}
    for network in (model.generator, model.discriminator):
        for layer in network.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                name = type(layer).__module__.split(".")[0] + "." + type(layer).__name__
                kinds[name] = kinds.get(name, 0) + 1
    return kinds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps per timed run")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--upsampling", default="subpixel", choices=dcgan_throughput.UPSAMPLING_MODES)
    parser.add_argument("--output", help="also write the markdown report to this file")
    args = parser.parse_args(argv)
    provenance = harness.Provenance(__file__, argv)
    torch.set_num_threads(1)
    contestants = {
        "keras_gen": keras_gen_contestant(args.upsampling, args.steps, keras_batch_norm=False),
        KERAS_BN: keras_gen_contestant(args.upsampling, args.steps, keras_batch_norm=True),
        "plain PyTorch": dcgan_throughput.make_contestant("pytorch", args.upsampling, args.steps),
    }
    for contestant in contestants.values():
        contestant.warmup()
    times = {name: [] for name in contestants}
    for _ in range(args.rounds):
        for name, contestant in contestants.items():
            start = time.process_time()
            contestant.run()
            times[name].append(1e3 * (time.process_time() - start) / args.steps)
    provenance.finish()

    def paired(reference, name):
        return statistics.median(r / v for r, v in zip(times[reference], times[name]))

    rows = [[name, f"{statistics.median(values):.1f}", f"{paired(KERAS_BN, name):.3f}",
             f"{paired('plain PyTorch', name):.3f}"] for name, values in times.items()]
    kinds = {name: count_batch_norms(contestants[name].model) for name in ("keras_gen", KERAS_BN)}
    lines = [
        "# keras_gen's BatchNormalization on the torch backend: the fused kernel against Keras's",
        "",
        f"28x28 DCGAN, batch {dcgan_throughput.BATCH_SIZE}, {args.upsampling} upsampling, one thread, "
        f"{args.steps} steps per run, {args.rounds} interleaved rounds; CPU time.",
        "",
        harness.markdown_table(["contestant", "CPU ms/step (median)",
                                "speed vs Keras's BatchNorm (median of paired ratios)",
                                "speed vs plain PyTorch (median of paired ratios)"], rows, "lrrr"),
        "",
        f"BatchNorm layers: keras_gen {kinds['keras_gen']}; twin {kinds[KERAS_BN]}.",
        "",
    ] + provenance.lines()
    harness.publish("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
