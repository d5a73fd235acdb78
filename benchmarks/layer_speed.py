"""What keras_gen's own layers save: one DCGAN with keras_gen's layers and with Keras's.

keras_gen's `Conv2D`, `Conv2DTranspose` and `BatchNormalization` are Keras's
layers with faster paths on the torch backend (no layout copies around
convolutions, torch's fused batch-norm kernel; on TensorFlow and JAX they run
Keras's code). Five contestants train the 28x28 DCGAN of `dcgan_throughput.py`
(batch 64, 32 base filters, one compute thread, the Keras backend in use, float32
or `mixed_bfloat16`), interleaved round by round, all from the same weights:

- `keras_gen`: `build_dcgan`'s networks, as shipped;
- `keras_gen, Keras's convolutions`: the convolution layers swapped for Keras's;
- `keras_gen, Keras's BatchNorm`: the BatchNorm layers swapped for Keras's;
- `keras_gen, Keras's layers`: both swapped (the networks as Keras alone builds them);
- `plain PyTorch`: the hand-written loop, for reference (under
  `torch.autocast` with `--precision bfloat16`).

Ratios are medians over rounds of paired ratios of CPU time.

Usage (from the repository root, on a quiet machine):

    KERAS_BACKEND=torch python benchmarks/layer_speed.py --rounds 7 --output FILE
    KERAS_BACKEND=tensorflow python benchmarks/layer_speed.py --precision bfloat16
"""

import argparse
import copy
import os
import statistics
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

os.environ.update(harness.thread_limit_env(1))  # before any framework starts its thread pools

import keras  # noqa: E402
import torch  # noqa: E402

import dcgan_throughput  # noqa: E402
from contestants.keras_fit import FitContestant  # noqa: E402

CONVOLUTIONS = ("Conv2D", "Conv2DTranspose")
BATCH_NORM = ("BatchNormalization",)
KERAS_LAYERS = "keras_gen, Keras's layers"
CONTESTANTS = {  # name: the keras_gen layer classes swapped for Keras's
    "keras_gen": (),
    "keras_gen, Keras's convolutions": CONVOLUTIONS,
    "keras_gen, Keras's BatchNorm": BATCH_NORM,
    KERAS_LAYERS: CONVOLUTIONS + BATCH_NORM,
}


def with_keras_layers(network, class_names):
    """A copy of a functional `network` whose keras_gen layers named `class_names` are Keras's."""
    config = copy.deepcopy(network.get_config())
    for layer in config["layers"]:
        if layer.get("registered_name") in {f"keras_gen>{name}" for name in class_names}:
            layer.update(module="keras.layers", registered_name=None)
    twin = network.__class__.from_config(config)
    twin.set_weights(network.get_weights())
    return twin


def keras_gen_contestant(upsampling, steps, class_names, precision):
    from keras_gen.applications.dcgan import build_dcgan

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    keras.utils.set_random_seed(0)
    gan = build_dcgan(image_shape=dcgan_throughput.IMAGE_SHAPE, latent_dim=dcgan_throughput.LATENT_DIM,
                      base_filters=dcgan_throughput.BASE_FILTERS, upsampling=upsampling)
    if class_names:
        config = gan.get_config()
        config["generator"] = with_keras_layers(gan.generator, class_names)
        config["discriminator"] = with_keras_layers(gan.discriminator, class_names)
        gan = gan.__class__.from_config(config)
    gan.compile()
    return FitContestant(
        gan, {"generator": gan.generator, "discriminator": gan.discriminator},
        list(gan.optimizers.values()),
        dcgan_throughput.images(dcgan_throughput.WARMUP_STEPS * dcgan_throughput.BATCH_SIZE, seed=1),
        dcgan_throughput.images(steps * dcgan_throughput.BATCH_SIZE, seed=2),
        dcgan_throughput.BATCH_SIZE, expected_logs=("d_loss", "g_loss"))


def layer_kinds(model):
    """`{"package.Class": count}` of the convolution and BatchNorm layers of a GAN's networks."""
    kinds = {}
    watched = (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.BatchNormalization)
    for network in (model.generator, model.discriminator):
        for layer in network.layers:
            if isinstance(layer, watched):
                name = type(layer).__module__.split(".")[0] + "." + type(layer).__name__
                kinds[name] = kinds.get(name, 0) + 1
    return kinds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps per timed run")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--upsampling", default="subpixel", choices=dcgan_throughput.UPSAMPLING_MODES)
    parser.add_argument("--precision", default="float32", choices=dcgan_throughput.PRECISIONS)
    parser.add_argument("--output", help="also write the markdown report to this file")
    args = parser.parse_args(argv)
    provenance = harness.Provenance(__file__, argv)
    torch.set_num_threads(1)
    contestants = {name: keras_gen_contestant(args.upsampling, args.steps, class_names, args.precision)
                   for name, class_names in CONTESTANTS.items()}
    contestants["plain PyTorch"] = dcgan_throughput.make_contestant("pytorch", args.upsampling, args.steps,
                                                                    args.precision)
    for contestant in contestants.values():
        contestant.warmup()
    times = harness.interleave_in_process({name: c.run for name, c in contestants.items()},
                                          args.rounds, args.steps)
    provenance.finish()
    rows = [[name, f"{statistics.median(values):.1f}",
             f"{harness.median_speedup(times, KERAS_LAYERS, name):.3f}",
             f"{harness.median_speedup(times, 'plain PyTorch', name):.3f}"] for name, values in times.items()]
    kinds = "; ".join(f"{name}: {layer_kinds(contestants[name].model)}" for name in CONTESTANTS)
    lines = [
        "# keras_gen's layers against Keras's: convolutions and BatchNorm",
        "",
        f"Backend {keras.backend.backend()}, precision {args.precision}; "
        f"28x28 DCGAN, batch {dcgan_throughput.BATCH_SIZE}, {args.upsampling} upsampling, one thread, "
        f"{args.steps} steps per run, {args.rounds} interleaved rounds; CPU time.",
        "",
        harness.markdown_table(["contestant", "CPU ms/step (median)",
                                "speed vs Keras's layers (median of paired ratios)",
                                "speed vs plain PyTorch (median of paired ratios)"], rows, "lrrr"),
        "",
        f"Layers: {kinds}.",
        "",
    ] + provenance.lines()
    harness.publish("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
