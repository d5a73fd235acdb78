"""Trains Pix2Pix on the offline edges2digits task and writes the `pix2pix_edges2digits` preset.

A `keras_gen.models.Pix2Pix` with a 32x32 U-Net generator
(`keras_gen.networks.unet_generator`) and a 34x34-receptive-field PatchGAN
(`keras_gen.networks.patchgan_discriminator`, 2 layers) learns to fill
digit outlines (`keras_gen.datasets.tasks.edges2digits`, built from the
embedded MNIST digits, no download). It reports, on held-out pairs, the L1
error of the translations against the identity baseline (mean |edges -
digits|) and the accuracy of the package's digits classifier on the
translations (center 28x28 crop), next to its accuracy on the true digits.
It writes an input / output / target grid and the preset with its model
card, every number taken from this run.

Usage (a few minutes on 2 CPU cores, TensorFlow backend by default):

    python recipes/pix2pix_edges2digits.py
    python recipes/pix2pix_edges2digits.py --quick --output /tmp/p2p  # smoke run
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gen  # noqa: E402
from keras_gen.datasets.tasks import edges2digits  # noqa: E402
from keras_gen.networks.patchgan import patchgan_discriminator  # noqa: E402
from keras_gen.networks.patchgan import patchgan_receptive_field  # noqa: E402
from keras_gen.networks.unet import unet_generator  # noqa: E402
from vae_mnist import output_dir  # noqa: E402

NAME = "pix2pix_edges2digits"


# ------------------------------------------------------------ shared helpers
# (recipes/cyclegan_digits.py imports these.)
def digits_accuracy(images32, labels, classifier=None):
    """Digits-classifier accuracy on 32x32 white-on-black digits (center 28x28 crop)."""
    if classifier is None:
        classifier = keras_gen.metrics.load_digits_classifier()
    crops = np.asarray(images32)[:, 2:30, 2:30, :]
    predictions = np.argmax(classifier.predict(crops, batch_size=256, verbose=0), axis=-1)
    return float(np.mean(predictions == np.asarray(labels)))


def spread_rows(n, count=16):
    """`count` indices spread evenly over `n` test images."""
    return np.linspace(0, n - 1, count).astype(int)


def save_triplet_grid(inputs, outputs, targets, path):
    """Two blocks of 8 columns: inputs, outputs, targets, one row each."""
    rows = spread_rows(len(inputs))
    grid = []
    for block in (rows[:8], rows[8:]):
        grid += [inputs[block], outputs[block], targets[block]]
    keras_gen.utils.save_image_grid(np.concatenate(grid), path, num_rows=6)


# -------------------------------------------------------------------- recipe
def labels_of(split):
    (_, y_train), (_, y_test) = keras_gen.datasets.mnist.load_data(source="embedded")
    return y_train if split == "train" else y_test


def build(base_filters, seed):
    keras.utils.set_random_seed(seed)
    generator = unet_generator(
        (32, 32, 1), output_channels=1, base_filters=base_filters, num_downsamples=4
    )
    discriminator = patchgan_discriminator(
        (32, 32, 1), target_shape=(32, 32, 1), base_filters=base_filters, num_layers=2
    )
    return keras_gen.models.Pix2Pix(generator, discriminator, l1_weight=100.0, seed=seed)


def model_card(metadata):
    r, t = metadata["results"], metadata["training"]
    return f"""# pix2pix_edges2digits

Pix2Pix (Isola et al. 2017) that fills 32x32 digit outlines, trained on the
offline edges2digits task (`keras_gen.datasets.tasks.edges2digits`: the
embedded MNIST digits padded to 32x32, inputs are their 1-pixel outlines).

- Generator: `keras_gen.networks.unet_generator((32, 32, 1), output_channels=1,
  base_filters={t["base_filters"]}, num_downsamples=4)` (resize-convolution upsampling).
- Discriminator: `keras_gen.networks.patchgan_discriminator` with 2 layers
  ({metadata["patch_receptive_field"]}x{metadata["patch_receptive_field"]} receptive field), conditional on the outline.
- Objective: non-saturating conditional GAN + 100 x L1; Adam(2e-4, beta_1=0.5)
  for both networks, batch {t["batch_size"]}, {t["epochs"]} epochs on {t["train_pairs"]} pairs
  ({t["steps"]} steps), {metadata["backend"]} backend, {t["train_seconds"]:.0f} s on {metadata["hardware"]}.
- {metadata["parameter_count"]:,} parameters (generator and discriminator), {metadata["weights_megabytes"]:.2f} MB of weights.

## Results on {r["test_pairs"]} held-out pairs (test split)

| measure | value |
|---|---|
| L1 of translations, mean abs error in [-1, 1] | {r["test_l1"]:.4f} |
| identity baseline, mean abs(edges - digits) | {r["identity_l1"]:.4f} |
| digits-classifier accuracy on translations | {r["translated_accuracy"]:.3f} |
| digits-classifier accuracy on the true digits | {r["target_accuracy"]:.3f} |
| digits-classifier accuracy on the outlines | {r["input_accuracy"]:.3f} |

Accuracies use `keras_gen.metrics.load_digits_classifier()` on the center
28x28 crop. Translations use `model.translate` (no dropout, moving BatchNorm
statistics). `samples.png`: rows of 8 outlines, translations, true digits.

## Use

```python
model = keras_gen.presets.from_preset("pix2pix_edges2digits")
edges, digits = keras_gen.datasets.tasks.edges2digits("test")
filled = model.translate(edges[:16])
```

## Reproduce

`{metadata["recipe"]}` (trained on {metadata["created"]}).

Limitations: a toy task at 32x32; the digits come from the 5,000-image
embedded MNIST subset (MNIST: LeCun, Cortes and Burges, CC BY-SA 3.0).
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-pairs", type=int, default=2000)
    parser.add_argument("--base-filters", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--output", default=None, help="preset folder (default: the shipped one)")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.train_pairs = 1, 128

    edges, digits = edges2digits("train")
    test_edges, test_digits = edges2digits("test")
    test_labels = labels_of("test")
    rows = np.random.default_rng(args.seed).permutation(len(edges))[: args.train_pairs]
    if args.quick:
        test_edges, test_digits, test_labels = test_edges[:128], test_digits[:128], test_labels[:128]
    dataset = keras_gen.datasets.image_to_image.paired_dataset(
        edges[rows], digits[rows], batch_size=args.batch_size, seed=args.seed
    )

    model = build(args.base_filters, args.seed)
    model.compile()
    start = time.time()
    history = model.fit(dataset, epochs=args.epochs, verbose=2)
    train_seconds = time.time() - start

    translated = model.translate(test_edges)
    classifier = keras_gen.metrics.load_digits_classifier()
    results = {
        "test_pairs": int(len(test_edges)),
        "test_l1": float(np.mean(np.abs(translated - test_digits))),
        "identity_l1": float(np.mean(np.abs(test_edges - test_digits))),
        "translated_accuracy": digits_accuracy(translated, test_labels, classifier),
        "target_accuracy": digits_accuracy(test_digits, test_labels, classifier),
        "input_accuracy": digits_accuracy(test_edges, test_labels, classifier),
        "final_logs": {k: float(v[-1]) for k, v in history.history.items()},
    }
    print(json.dumps(results, indent=2))

    metadata = {
        "dataset": "keras_gen.datasets.tasks.edges2digits (embedded MNIST subset, 32x32)",
        "patch_receptive_field": patchgan_receptive_field(2),
        "metrics": pix2pix_metrics(results),
        "results": results,
        "training": {
            "epochs": args.epochs, "batch_size": args.batch_size, "train_pairs": int(len(rows)),
            "steps": int(args.epochs * int(np.ceil(len(rows) / args.batch_size))),
            "base_filters": args.base_filters, "seed": args.seed,
            "train_seconds": round(train_seconds, 1),
        },
    }
    figures = {"samples.png": lambda path: save_triplet_grid(test_edges, translated, test_digits, path)}
    preset_dir = output_dir(NAME, args)
    metadata = keras_gen.presets.write_preset(model, preset_dir, metadata, model_card, figures)
    print(f"preset written to {preset_dir} ({metadata['weights_megabytes']:.2f} MB of weights)")


def pix2pix_metrics(results):
    """The headline numbers of the card and how they were measured."""
    return {
        "translated_accuracy": results["translated_accuracy"],
        "test_l1": results["test_l1"],
        "how_measured": "digits_classifier accuracy of the translations of the held-out "
        "outlines (labels of their digits), and mean |G(x) - y| over the held-out pairs",
    }


if __name__ == "__main__":
    main()
