"""Trains BicycleGAN on the offline skeletons2digits task and writes the `bicyclegan_skeletons2digits` preset.

A `keras_gen.models.BicycleGAN` (`keras_gen.networks.bicyclegan_generator`:
a 32x32 U-Net with the latent code at every level;
`keras_gen.networks.bicyclegan_encoder`; two 2-layer PatchGANs) learns to
draw digits along one-pixel skeletons
(`keras_gen.datasets.tasks.skeletons2digits`, built from the embedded MNIST
digits, no download). One skeleton has many valid drawings (stroke width and
ink intensity are hidden style factors), so the generator takes a 2-D code.
It reports, on held-out skeletons: the sample diversity (BicycleGAN's
protocol: 20 samples per input, the 19 consecutive pairs, distances in the
digits classifier's features) next to the diversity with the code held
fixed and the diversity of 20 true renderings of the same skeletons; the L1
error of reconstructions from encoded styles G(a, E(b)) against random and
zero codes; the code recovery |E(G(a, z)) - z|; the digits-feature FID and
the digits-classifier accuracy of the outputs. It writes a figure with 10
samples per input and the preset with its model card, every number taken
from this run.

Usage (about 3 minutes on 2 CPU cores, TensorFlow backend by default):

    python recipes/bicyclegan_skeletons2digits.py
    python recipes/bicyclegan_skeletons2digits.py --quick --output /tmp/bicycle  # smoke run
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gen  # noqa: E402
from keras_gen.datasets.tasks import skeletons2digits  # noqa: E402
from keras_gen.networks import bicyclegan_encoder  # noqa: E402
from keras_gen.networks import bicyclegan_generator  # noqa: E402
from keras_gen.networks import patchgan_discriminator  # noqa: E402
from pix2pix_edges2digits import digits_accuracy  # noqa: E402
from pix2pix_edges2digits import labels_of  # noqa: E402
from vae_mnist import digits_fid  # noqa: E402
from vae_mnist import output_dir  # noqa: E402

NAME = "bicyclegan_skeletons2digits"
SHAPE = (32, 32, 1)
NUM_SAMPLES = 20  # BicycleGAN's diversity protocol: 20 samples, 19 consecutive pairs


def build(base_filters, latent_dim, latent_weight, kl_weight, seed):
    keras.utils.set_random_seed(seed)
    return keras_gen.models.BicycleGAN(
        bicyclegan_generator(SHAPE, latent_dim=latent_dim, base_filters=base_filters, num_downsamples=3),
        # No instance norm in the encoder: normalised features hide a change of ink intensity.
        bicyclegan_encoder(SHAPE, latent_dim=latent_dim, base_filters=base_filters, norm=None),
        patchgan_discriminator(SHAPE, base_filters=base_filters, num_layers=2, norm="instance",
                               name="discriminator_encoded"),
        patchgan_discriminator(SHAPE, base_filters=base_filters, num_layers=2, norm="instance",
                               name="discriminator_random"),
        latent_weight=latent_weight, kl_weight=kl_weight, seed=seed,
    )


def crop28(images32):
    return np.asarray(images32)[:, 2:30, 2:30, :]


def evaluate(model, test_a, test_b, test_labels, true_renderings, diversity_inputs, seed):
    """Every number of the card, on held-out skeletons."""
    n_div = diversity_inputs
    samples = model.translate(test_a[:n_div], num_samples=NUM_SAMPLES, seed=seed)
    fixed = np.stack([model.translate(test_a[:n_div], z=np.zeros(model.latent_dim, "float32"))] * NUM_SAMPLES, axis=1)
    codes = np.random.default_rng(seed + 1).standard_normal((len(test_a), model.latent_dim)).astype("float32")
    random_outputs = model.translate(test_a, z=codes)
    encoded = model.translate(test_a, z=model.encode_style(test_b))
    zero = model.translate(test_a, z=np.zeros(model.latent_dim, "float32"))
    classifier = keras_gen.metrics.load_digits_classifier()
    results = {
        "diversity_inputs": int(n_div),
        "diversity": keras_gen.metrics.sample_diversity(samples),
        "diversity_fixed_code": keras_gen.metrics.sample_diversity(fixed),
        "diversity_true_renderings": keras_gen.metrics.sample_diversity(true_renderings),
        "diversity_pixels": keras_gen.metrics.sample_diversity(samples, feature_fn="pixels"),
        "diversity_true_renderings_pixels": keras_gen.metrics.sample_diversity(
            true_renderings, feature_fn="pixels"),
        "test_pairs": int(len(test_a)),
        "encoded_style_l1": float(np.mean(np.abs(encoded - test_b))),
        "random_code_l1": float(np.mean(np.abs(random_outputs - test_b))),
        "zero_code_l1": float(np.mean(np.abs(zero - test_b))),
        "code_recovery_l1": float(np.mean(np.abs(model.encode_style(random_outputs) - codes))),
        "digits_fid_outputs_vs_test": digits_fid(crop28(random_outputs), crop28(test_b)),
        "outputs_accuracy": digits_accuracy(random_outputs, test_labels, classifier),
        "targets_accuracy": digits_accuracy(test_b, test_labels, classifier),
    }
    return results, samples


def save_samples_grid(inputs, samples, path, rows=8):
    """One row per input: the skeleton, then 10 samples of random codes."""
    picks = np.linspace(0, len(samples) - 1, min(rows, len(samples))).astype(int)
    grid = []
    for i in picks:
        grid += [inputs[i : i + 1], samples[i, :10]]
    keras_gen.utils.save_image_grid(np.concatenate(grid), path, num_rows=len(picks))


def model_card(metadata):
    r, t = metadata["results"], metadata["training"]
    return f"""# bicyclegan_skeletons2digits

BicycleGAN (Zhu et al. 2017) that draws 32x32 digits along one-pixel
skeletons, trained on the offline skeletons2digits task
(`keras_gen.datasets.tasks.skeletons2digits`: the embedded MNIST digits
padded to 32x32 and thinned to skeletons; targets redraw each skeleton with
a random stroke width in [1, 4] pixels and ink intensity in [0.4, 1]). One
input has many valid outputs; the {t["latent_dim"]}-D latent code selects one.

- Generator: `keras_gen.networks.bicyclegan_generator((32, 32, 1), latent_dim={t["latent_dim"]},
  base_filters={t["base_filters"]}, num_downsamples=3)` (U-Net, code at every level).
- Encoder: `keras_gen.networks.bicyclegan_encoder(..., base_filters={t["base_filters"]}, norm=None)`.
- Discriminators: two 2-layer PatchGANs with instance normalization (cVAE-GAN and cLR-GAN halves).
- Objective: least-squares GAN on both halves, 10 x L1, {t["kl_weight"]} x KL,
  {t["latent_weight"]} x latent regression; Adam(beta_1=0.5), learning rate
  {t["generator_learning_rate"]} (generator and encoder) and {t["discriminator_learning_rate"]}
  (discriminators); batch {t["batch_size"]}, {t["epochs"]} epochs on {t["train_pairs"]} pairs
  ({t["steps"]} steps), {metadata["backend"]} backend, {t["train_seconds"]:.0f} s on {metadata["hardware"]}.
- {metadata["parameter_count"]:,} parameters, {metadata["weights_megabytes"]:.2f} MB of weights.

## Results on held-out skeletons (test split)

| measure | value |
|---|---|
| sample diversity, {NUM_SAMPLES} samples of random codes per input, {r["diversity_inputs"]} inputs | **{r["diversity"]:.4f}** |
| same, with the code held fixed (z = 0 for all {NUM_SAMPLES}) | {r["diversity_fixed_code"]:.4f} |
| same, {NUM_SAMPLES} true renderings of each skeleton (the data's own diversity) | {r["diversity_true_renderings"]:.4f} |
| sample diversity in pixels (mean abs difference in [-1, 1]) | {r["diversity_pixels"]:.4f} |
| same, true renderings, pixels | {r["diversity_true_renderings_pixels"]:.4f} |
| L1 of G(a, E(b)) against b (encoded style), {r["test_pairs"]} pairs | **{r["encoded_style_l1"]:.4f}** |
| L1 of G(a, z) against b, z ~ N(0, I) | {r["random_code_l1"]:.4f} |
| L1 of G(a, 0) against b | {r["zero_code_l1"]:.4f} |
| code recovery, mean abs(E(G(a, z)) - z) | {r["code_recovery_l1"]:.4f} |
| digits FID, G(a, z) vs the test targets | **{r["digits_fid_outputs_vs_test"]:.2f}** |
| digits-classifier accuracy on G(a, z) | {r["outputs_accuracy"]:.3f} |
| digits-classifier accuracy on the true targets | {r["targets_accuracy"]:.3f} |

Diversity is `keras_gen.metrics.sample_diversity` (BicycleGAN's protocol:
the mean distance of the 19 consecutive pairs of 20 samples, averaged over
inputs) in the 128-d features of the shipped digits classifier, mean
absolute difference; it is not LPIPS. The generator has no dropout, so with
the code held fixed its outputs are identical. The true renderings come from
`skeletons2digits("test", styles_per_digit={NUM_SAMPLES})`. FID and
accuracy use the digits classifier on the center 28x28 crop.
`samples.png`: one row per held-out skeleton: the skeleton, then 10 outputs
for 10 random codes.

## Use

```python
model = keras_gen.presets.from_preset("bicyclegan_skeletons2digits")
skeletons, digits = keras_gen.datasets.tasks.skeletons2digits("test")
several = model.translate(skeletons[:8], num_samples=10, seed=0)  # (8, 10, 32, 32, 1)
like_b = model.translate(skeletons[:8], z=model.encode_style(digits[:8]))
```

## Reproduce

`{metadata["recipe"]}` (trained on {metadata["created"]}).

Limitations: a toy task at 32x32 whose only styles are stroke width and ink
intensity; the digits come from the 5,000-image embedded MNIST subset
(MNIST: LeCun, Cortes and Burges, CC BY-SA 3.0).
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--train-pairs", type=int, default=4000)
    parser.add_argument("--base-filters", type=int, default=16)
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument("--latent-weight", type=float, default=0.5)
    parser.add_argument("--kl-weight", type=float, default=0.5)
    parser.add_argument("--generator-learning-rate", type=float, default=5e-4)
    parser.add_argument("--discriminator-learning-rate", type=float, default=2e-4)
    parser.add_argument("--diversity-inputs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--output", default=None, help="preset folder (default: the shipped one)")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.train_pairs, args.base_filters, args.diversity_inputs = 1, 64, 8, 8

    a, b = skeletons2digits("train")
    test_a, test_b = skeletons2digits("test", seed=1)
    test_labels = labels_of("test")
    renderings, = [skeletons2digits("test", styles_per_digit=NUM_SAMPLES, seed=2)[1]]
    n_test = len(test_a)
    # Pair s * n_test + i is digit i in its s-th style: (inputs, 20 styles, ...).
    renderings = renderings.reshape((NUM_SAMPLES, n_test) + SHAPE).swapaxes(0, 1)
    if args.quick:
        test_a, test_b, test_labels = test_a[:64], test_b[:64], test_labels[:64]
    true_renderings = renderings[: args.diversity_inputs]
    rows = np.random.default_rng(args.seed).permutation(len(a))[: args.train_pairs]

    model = build(args.base_filters, args.latent_dim, args.latent_weight, args.kl_weight, args.seed)
    model.compile(
        generator_optimizer=keras.optimizers.Adam(args.generator_learning_rate, beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(args.discriminator_learning_rate, beta_1=0.5),
    )
    start = time.time()
    history = model.fit(a[rows], b[rows], batch_size=args.batch_size, epochs=args.epochs, verbose=2)
    train_seconds = time.time() - start

    results, samples = evaluate(model, test_a, test_b, test_labels, true_renderings,
                                args.diversity_inputs, args.seed)
    results["final_logs"] = {k: float(v[-1]) for k, v in history.history.items()}
    print(json.dumps(results, indent=2))

    metadata = {
        "dataset": "keras_gen.datasets.tasks.skeletons2digits (embedded MNIST subset, 32x32)",
        "metrics": bicyclegan_metrics(results),
        "results": results,
        "training": {
            "epochs": args.epochs, "batch_size": args.batch_size, "train_pairs": int(len(rows)),
            "steps": int(args.epochs * int(np.ceil(len(rows) / args.batch_size))),
            "base_filters": args.base_filters, "latent_dim": args.latent_dim,
            "latent_weight": args.latent_weight, "kl_weight": args.kl_weight,
            "generator_learning_rate": args.generator_learning_rate,
            "discriminator_learning_rate": args.discriminator_learning_rate,
            "seed": args.seed, "quick": bool(args.quick),
            "train_seconds": round(train_seconds, 1),
        },
    }
    figures = {"samples.png": lambda path: save_samples_grid(test_a, samples, path)}
    preset_dir = output_dir(NAME, args)
    metadata = keras_gen.presets.write_preset(model, preset_dir, metadata, model_card, figures)
    print(f"preset written to {preset_dir} ({metadata['weights_megabytes']:.2f} MB of weights)")


def bicyclegan_metrics(results):
    """The headline numbers of the card and how they were measured."""
    return {
        "sample_diversity": results["diversity"],
        "encoded_style_l1": results["encoded_style_l1"],
        "digits_fid_outputs_vs_test": results["digits_fid_outputs_vs_test"],
        "how_measured": "sample_diversity: digits-classifier feature L1 over the 19 consecutive pairs "
        f"of 20 samples of random codes for {results['diversity_inputs']} held-out skeletons; "
        "encoded_style_l1: mean |G(a, E(b)) - b| over the held-out pairs; FID between "
        "digits-classifier features of G(a, z) (z ~ N(0, I)) and of the held-out targets "
        "(center 28x28 crops)",
    }


if __name__ == "__main__":
    main()
