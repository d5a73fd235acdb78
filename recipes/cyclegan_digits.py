"""Trains CycleGAN on the offline unpaired digits2inverted task and writes the `cyclegan_digits2inverted` preset.

Domain A: white-on-black MNIST digits; domain B: black-on-white digits of
*other* writers (`keras_gen.datasets.tasks.digits2inverted`, built from the
embedded MNIST digits, no download), so no pair is ever shown. A
`keras_gen.models.CycleGAN` with two small ResNet generators
(`keras_gen.networks.resnet_generator`) and two instance-normalized
PatchGANs trains with the paper's schedule (constant learning rate for the
first half, then linear decay to zero:
`keras_gen.models.image_to_image.LinearDecayAfter`). It reports held-out
cycle reconstruction errors before and after training and class
preservation: the digits classifier's accuracy on translations (B-side
images re-inverted before classification) against the true labels.

Usage (a few minutes on 2 CPU cores, TensorFlow backend by default):

    python recipes/cyclegan_digits.py
    python recipes/cyclegan_digits.py --quick --output /tmp/cyc  # smoke run
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
from keras_gen.datasets.tasks import digits2inverted  # noqa: E402
from keras_gen.models.image_to_image import LinearDecayAfter  # noqa: E402
from keras_gen.networks.patchgan import patchgan_discriminator  # noqa: E402
from keras_gen.networks.resnet_generator import resnet_generator  # noqa: E402
from pix2pix_edges2digits import digits_accuracy  # noqa: E402
from pix2pix_edges2digits import spread_rows  # noqa: E402
from vae_mnist import output_dir  # noqa: E402

NAME = "cyclegan_digits2inverted"
SHAPE = (32, 32, 1)


def build(base_filters, num_blocks, seed):
    keras.utils.set_random_seed(seed)
    networks = [
        resnet_generator(SHAPE, 1, base_filters=base_filters, num_blocks=num_blocks, name="generator_ab"),
        resnet_generator(SHAPE, 1, base_filters=base_filters, num_blocks=num_blocks, name="generator_ba"),
        patchgan_discriminator(SHAPE, base_filters=base_filters, num_layers=2, norm="instance", name="discriminator_a"),
        patchgan_discriminator(SHAPE, base_filters=base_filters, num_layers=2, norm="instance", name="discriminator_b"),
    ]
    return keras_gen.models.CycleGAN(*networks, cycle_weight=10.0, identity_weight=0.5, pool_size=50, seed=seed)


def evaluate(model, a, labels_a, b, labels_b, classifier):
    cycle_a, cycle_b = model.cycle_error(a, b)
    fake_b, fake_a = model.translate_ab(a), model.translate_ba(b)
    return {
        "cycle_error_a": cycle_a,
        "cycle_error_b": cycle_b,
        # B images are black on white: negate ([-1, 1] inversion) before classifying.
        "accuracy_a_to_b": digits_accuracy(-fake_b, labels_a, classifier),
        "accuracy_b_to_a": digits_accuracy(fake_a, labels_b, classifier),
        "translation_error_a_to_b": float(np.mean(np.abs(fake_b - (-a)))),
        "translation_error_b_to_a": float(np.mean(np.abs(fake_a - (-b)))),
    }, fake_b, fake_a


def save_cycle_grid(a, fake_b, b, fake_a, path):
    """Rows of 8 (spread evenly over the test split): a, G(a), b, F(b)."""
    rows_a, rows_b = spread_rows(len(a), 8), spread_rows(len(b), 8)
    keras_gen.utils.save_image_grid(
        np.concatenate([a[rows_a], fake_b[rows_a], b[rows_b], fake_a[rows_b]]), path, num_rows=4
    )


def model_card(metadata):
    r, t = metadata["results"], metadata["training"]
    before, after = r["before_training"], r["after_training"]
    return f"""# cyclegan_digits2inverted

CycleGAN (Zhu et al. 2017) between white-on-black digits (A) and
black-on-white digits of other writers (B), trained without pairs on the
offline `keras_gen.datasets.tasks.digits2inverted` task (embedded MNIST
subset, 32x32).

- Generators: `keras_gen.networks.resnet_generator((32, 32, 1), 1,
  base_filters={t["base_filters"]}, num_blocks={t["num_blocks"]})`, one per direction.
- Discriminators: 2-layer PatchGANs with instance normalization.
- Objective: least-squares GAN, cycle weight 10, identity weight 0.5 x 10,
  image pools of 50; Adam(beta_1=0.5), learning rate 2e-4 constant for
  {t["constant_steps"]} steps then linearly to 0 over {t["decay_steps"]} steps
  (`keras_gen.models.image_to_image.LinearDecayAfter`); batch {t["batch_size"]},
  {t["train_images"]} images per domain, {t["epochs"]} epochs,
  {metadata["backend"]} backend, {t["train_seconds"]:.0f} s on {metadata["hardware"]}.
- {metadata["parameter_count"]:,} parameters, {metadata["weights_megabytes"]:.2f} MB of weights
  (including both image pools).

## Results on the test split ({r["test_images"]} images per domain)

| measure | before training | after training |
|---|---|---|
| cycle error A, mean abs(F(G(a)) - a) | {before["cycle_error_a"]:.4f} | {after["cycle_error_a"]:.4f} |
| cycle error B, mean abs(G(F(b)) - b) | {before["cycle_error_b"]:.4f} | {after["cycle_error_b"]:.4f} |
| error of G(a) against the exact inversion of a | {before["translation_error_a_to_b"]:.4f} | {after["translation_error_a_to_b"]:.4f} |
| error of F(b) against the exact inversion of b | {before["translation_error_b_to_a"]:.4f} | {after["translation_error_b_to_a"]:.4f} |
| classifier accuracy on A->B translations (re-inverted) | {before["accuracy_a_to_b"]:.3f} | {after["accuracy_a_to_b"]:.3f} |
| classifier accuracy on B->A translations | {before["accuracy_b_to_a"]:.3f} | {after["accuracy_b_to_a"]:.3f} |

The classifier (`keras_gen.metrics.load_digits_classifier()`, center 28x28
crop) scores {r["accuracy_real_a"]:.3f} on the real A test digits. The exact
inversion is never shown to the model: it only sees unpaired batches.
`samples.png`: rows of 8 A images, their B translations, B images, their A
translations.

## Use

```python
model = keras_gen.presets.from_preset("cyclegan_digits2inverted")
a, labels_a, b, labels_b = keras_gen.datasets.tasks.digits2inverted("test")
inverted = model.translate_ab(a[:16])
```

## Reproduce

`{metadata["recipe"]}` (trained on {metadata["created"]}).

Limitations: a toy task (a pixel-wise inversion) at 32x32, chosen so that
translations can be checked exactly; digits from the embedded MNIST subset
(MNIST: LeCun, Cortes and Burges, CC BY-SA 3.0).
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--train-images", type=int, default=1000)
    parser.add_argument("--base-filters", type=int, default=16)
    parser.add_argument("--num-blocks", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--output", default=None, help="preset folder (default: the shipped one)")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.train_images = 1, 64

    a, _, b, _ = digits2inverted("train")
    test_a, test_labels_a, test_b, test_labels_b = digits2inverted("test")
    if args.quick:
        test_a, test_labels_a, test_b, test_labels_b = test_a[:64], test_labels_a[:64], test_b[:64], test_labels_b[:64]
    rng = np.random.default_rng(args.seed)
    a = a[rng.permutation(len(a))[: args.train_images]]
    b = b[rng.permutation(len(b))[: args.train_images]]
    dataset = keras_gen.datasets.image_to_image.unpaired_dataset(
        a, b, batch_size=args.batch_size, seed=args.seed, drop_remainder=True
    )
    steps = args.epochs * (len(a) // args.batch_size)
    constant_steps, decay_steps = steps // 2, max(1, steps - steps // 2)

    model = build(args.base_filters, args.num_blocks, args.seed)
    model.compile(
        generator_optimizer=keras.optimizers.Adam(LinearDecayAfter(constant_steps, decay_steps, 2e-4), beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(LinearDecayAfter(constant_steps, decay_steps, 2e-4), beta_1=0.5),
    )
    classifier = keras_gen.metrics.load_digits_classifier()
    before, _, _ = evaluate(model, test_a, test_labels_a, test_b, test_labels_b, classifier)
    start = time.time()
    history = model.fit(dataset, epochs=args.epochs, verbose=2)
    train_seconds = time.time() - start
    after, fake_b, fake_a = evaluate(model, test_a, test_labels_a, test_b, test_labels_b, classifier)
    results = {
        "test_images": int(len(test_a)),
        "before_training": before,
        "after_training": after,
        "accuracy_real_a": digits_accuracy(test_a, test_labels_a, classifier),
        "final_logs": {k: float(v[-1]) for k, v in history.history.items()},
    }
    print(json.dumps(results, indent=2))

    metadata = {
        "dataset": "keras_gen.datasets.tasks.digits2inverted (embedded MNIST subset, 32x32, unpaired)",
        "metrics": cyclegan_metrics(results),
        "results": results,
        "training": {
            "epochs": args.epochs, "batch_size": args.batch_size, "train_images": int(len(a)),
            "steps": int(steps), "constant_steps": int(constant_steps), "decay_steps": int(decay_steps),
            "base_filters": args.base_filters, "num_blocks": args.num_blocks, "seed": args.seed,
            "train_seconds": round(train_seconds, 1),
        },
    }
    figures = {"samples.png": lambda path: save_cycle_grid(test_a, fake_b, test_b, fake_a, path)}
    preset_dir = output_dir(NAME, args)
    metadata = keras_gen.presets.write_preset(model, preset_dir, metadata, model_card, figures)
    print(f"preset written to {preset_dir} ({metadata['weights_megabytes']:.2f} MB of weights)")


def cyclegan_metrics(results):
    """The headline numbers of the card and how they were measured."""
    after = results["after_training"]
    return {
        "accuracy_a_to_b": after["accuracy_a_to_b"],
        "accuracy_b_to_a": after["accuracy_b_to_a"],
        "cycle_error_a": after["cycle_error_a"],
        "how_measured": "digits_classifier accuracy of held-out translations in each "
        "direction (labels of the source digits), and mean |F(G(a)) - a|",
    }


if __name__ == "__main__":
    main()
