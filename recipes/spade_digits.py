"""Trains SPADE (GauGAN) on offline digit label maps and writes the `spade_digits` preset.

Label maps of 11 classes (background, and `1 + d` on the strokes of a digit
`d`) laid out as 2x2 grids of embedded MNIST digits on 56x56 canvases
(`keras_gen.datasets.tasks.digits_segmentation`, no download) are turned
into grey digit images by a `keras_gen.models.SPADE` with a small SPADE
residual generator (`keras_gen.networks.spade_generator`, noise mode) and
a spectrally normalised conditional PatchGAN
(`keras_gen.networks.multiscale_patchgan_discriminator`). It reports, on
held-out maps, how faithful the syntheses are to their maps
(`keras_gen.metrics.segmentation_faithfulness`: every digit region read by
the digits classifier; mean IoU, per-class accuracy, region accuracy) next
to three references: the untrained generator, the trained generator on
*other* maps (images that do not follow the evaluated maps: an
unconditional baseline) and the real images; the digits-feature FID of the
synthesized digits (each 28x28 cell) against the real test digits; and what
changes when one region's class is changed. It writes a figure of label maps
next to syntheses and real images, a figure of one map with one region's
class changed, and the preset with its model card, every number taken from
this run.

Usage (about 10 minutes on 2 CPU cores, TensorFlow backend by default):

    python recipes/spade_digits.py
    python recipes/spade_digits.py --quick --output /tmp/spade  # smoke run
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
from scipy import ndimage  # noqa: E402

import keras_gen  # noqa: E402
from keras_gen.datasets.tasks import digits_segmentation  # noqa: E402
from keras_gen.metrics import segmentation_faithfulness  # noqa: E402
from keras_gen.networks import multiscale_patchgan_discriminator  # noqa: E402
from keras_gen.networks import spade_generator  # noqa: E402
from vae_mnist import digits_fid  # noqa: E402
from vae_mnist import output_dir  # noqa: E402

NAME = "spade_digits"
CLASSES = 11
# Class colours of the label-map figures: background black, then one colour per digit 0-9.
PALETTE = np.array([
    (0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190),
], "float32") / 127.5 - 1.0


def build(image_size, base_filters, hidden_filters, latent_dim, num_upsamples, seed):
    keras.utils.set_random_seed(seed)
    label_shape = (image_size, image_size, CLASSES)
    generator = spade_generator(label_shape, output_channels=1, latent_dim=latent_dim,
                                base_filters=base_filters, hidden_filters=hidden_filters,
                                num_upsamples=num_upsamples, max_filters=8 * base_filters)
    discriminator = multiscale_patchgan_discriminator(
        label_shape, target_shape=(image_size, image_size, 1), num_scales=2,
        base_filters=base_filters, num_layers=2, spectral_norm=True)
    return keras_gen.models.SPADE(generator, discriminator, seed=seed)


# ------------------------------------------------------------------ measures
def cells(images, per_side):
    """The `per_side**2` digit cells of each canvas, as one batch."""
    side = images.shape[1] // per_side
    return np.concatenate([images[:, r * side:(r + 1) * side, c * side:(c + 1) * side]
                           for r in range(per_side) for c in range(per_side)])


def faithfulness(images, maps):
    scores = segmentation_faithfulness(images, maps)
    return {
        "mean_iou": float(scores["mean_iou"]),
        "mean_per_class_accuracy": float(np.nanmean(scores["per_class_accuracy"][1:])),
        "region_accuracy": float(scores["region_accuracy"]),
        "pixel_accuracy": float(scores["pixel_accuracy"]),
    }


def region_of(label_map, per_side, cell=0):
    """Stroke pixels of the digit in cell `cell` (row-major) of a map."""
    side = label_map.shape[0] // per_side
    r, c = divmod(cell, per_side)
    region = np.zeros(label_map.shape, bool)
    region[r * side:(r + 1) * side, c * side:(c + 1) * side] = True
    return region & (label_map > 0)


def region_change(model, maps, per_side, seed):
    """Change the first cell's digit class (d -> d + 1 mod 10) or erase it; what moves where."""
    regions = np.stack([region_of(m, per_side) for m in maps])
    far = ~ndimage.binary_dilation(regions, structure=np.ones((1, 3, 3), bool), iterations=2)
    erased, relabelled = maps.copy(), maps.copy()
    erased[regions] = 0
    relabelled[regions] = 1 + maps[regions] % 10
    before, after_erasing, after_relabelling = (
        model.synthesize(m, seed=seed)[..., 0] for m in (maps, erased, relabelled))
    return {
        "erased_region_darkening": float(np.mean(before[regions] - after_erasing[regions])),
        "relabelled_region_change": float(np.mean(np.abs(before - after_relabelling)[regions])),
        "change_far_from_region": float(max(
            np.mean(np.abs(before - after)[far]) for after in (after_erasing, after_relabelling))),
        "relabelled_region_accuracy": faithfulness(
            model.synthesize(relabelled, seed=seed), relabelled)["region_accuracy"],
    }


def evaluate(model, test_ids, test_images, per_side, seed):
    synthesized = model.synthesize(test_ids, seed=seed)
    results = {
        "faithfulness": faithfulness(synthesized, test_ids),
        "faithfulness_other_maps": faithfulness(
            model.synthesize(np.roll(test_ids, 1, axis=0), seed=seed), test_ids),
        "digits_fid_cells_vs_test": digits_fid(cells(synthesized, per_side), cells(test_images, per_side)),
    }
    results.update(region_change(model, test_ids[:64], per_side, seed))
    return results, synthesized


# ------------------------------------------------------------------- figures
def colour_maps(maps):
    return PALETTE[maps]


def rgb(images):
    return np.repeat(images, 3, axis=-1)


def save_maps_grid(model, test_ids, test_images, seed, path, columns=8):
    """Rows of 8: label maps, two syntheses (two codes), the real images; two blocks."""
    picks = np.linspace(0, len(test_ids) - 1, 2 * columns).astype(int)
    grid = []
    for block in (picks[:columns], picks[columns:]):
        grid += [colour_maps(test_ids[block]),
                 rgb(model.synthesize(test_ids[block], seed=seed)),
                 rgb(model.synthesize(test_ids[block], seed=seed + 1)),
                 rgb(test_images[block])]
    keras_gen.utils.save_image_grid(np.concatenate(grid), path, num_rows=8)


def save_region_grid(model, test_ids, per_side, seed, path, examples=(0, 1)):
    """For two maps: the first cell's digit region erased, then given each class 0-9; syntheses below."""
    grid = []
    for index in examples:
        label_map = test_ids[index]
        region = region_of(label_map, per_side)
        variants = []
        for new_class in range(CLASSES):
            changed = label_map.copy()
            changed[region] = new_class
            variants.append(changed)
        variants = np.stack(variants)
        # The same code for every variant: only the region's class differs.
        code = np.random.default_rng(seed).standard_normal((1, model.latent_dim)).astype("float32")
        grid += [colour_maps(variants), rgb(model.synthesize(variants, style=code))]
    keras_gen.utils.save_image_grid(np.concatenate(grid), path, num_rows=2 * len(examples))


def model_card(metadata):
    r, t = metadata["results"], metadata["training"]
    before, after = r["before_training"], r["after_training"]
    size, per = t["image_size"], t["digits_per_side"]
    f, fo, fb, real = after["faithfulness"], after["faithfulness_other_maps"], before["faithfulness"], r["faithfulness_real"]

    def row(name, key, fmt=".3f"):
        return (f"| {name} | **{f[key]:{fmt}}** | {fo[key]:{fmt}} | {fb[key]:{fmt}} | {real[key]:{fmt}} |")

    return f"""# spade_digits

SPADE / GauGAN (Park et al. 2019) that paints grey digit images from
{size}x{size} semantic label maps of 11 classes (background, and `1 + d` on the
strokes of a digit `d`; {per}x{per} digits per canvas), trained on the offline
`keras_gen.datasets.tasks.digits_segmentation` task (embedded MNIST subset).
The map fixes where the strokes are and which digit each one is; the
generator adds the anti-aliased borders and the grey levels. It takes a
{t["latent_dim"]}-D noise code (noise mode), but, as `samples.png` shows, two codes give
nearly the same image: the map leaves little to vary, and nothing in the
objective rewards diversity.

- Generator: `keras_gen.networks.spade_generator(({size}, {size}, 11), output_channels=1,
  latent_dim={t["latent_dim"]}, base_filters={t["base_filters"]}, hidden_filters={t["hidden_filters"]},
  num_upsamples={t["num_upsamples"]}, max_filters={8 * t["base_filters"]})` (SPADE residual blocks, batch norm,
  spectral norm), noise mode (no image encoder).
- Discriminator: `multiscale_patchgan_discriminator` conditional on the map, 2 scales,
  2 layers, spectral norm.
- Objective: hinge GAN + 10 x feature matching; Adam(beta_1=0, beta_2=0.9),
  learning rates {t["generator_learning_rate"]} (generator) and {t["discriminator_learning_rate"]}
  (discriminator); batch {t["batch_size"]}, {t["epochs"]} epochs on {t["train_maps"]} maps ({t["steps"]} steps),
  {metadata["backend"]} backend, {t["train_seconds"]:.0f} s on {metadata["hardware"]}.
- {metadata["parameter_count"]:,} parameters, {metadata["weights_megabytes"]:.2f} MB of weights.

## Faithfulness to {r["test_maps"]} held-out label maps

| measure | trained, own maps | trained, other maps | untrained | real images |
|---|---|---|---|---|
{row("mean IoU (foreground classes)", "mean_iou")}
{row("mean per-class accuracy (foreground classes)", "mean_per_class_accuracy")}
{row("digit-region accuracy", "region_accuracy")}
{row("pixel accuracy (all pixels)", "pixel_accuracy")}

`keras_gen.metrics.segmentation_faithfulness` with its offline digit
segmenter: each digit region of the map (its strokes grown by 2 pixels) is
cut from the image, normalised like MNIST and classified by the shipped
digits classifier; the predicted map is `1 +` that class on the ink, 0
elsewhere. "Other maps": the trained generator and the same codes make
each image from the next test map, so the images are digits but not the
evaluated map's digits (an unconditional baseline). "Untrained": the same
networks before training.

## Other measures

| measure | untrained | trained |
|---|---|---|
| digits FID, synthesized 28x28 cells vs real test cells | {before["digits_fid_cells_vs_test"]:.2f} | **{after["digits_fid_cells_vs_test"]:.2f}** |
| one region erased (class 0): mean darkening of its strokes | {before["erased_region_darkening"]:.3f} | {after["erased_region_darkening"]:.3f} |
| one region relabelled d -> d + 1: mean abs change on its strokes | {before["relabelled_region_change"]:.3f} | {after["relabelled_region_change"]:.3f} |
| largest mean abs change more than 2 pixels from that region | {before["change_far_from_region"]:.3f} | {after["change_far_from_region"]:.3f} |
| region accuracy after relabelling (against the new maps) | {before["relabelled_region_accuracy"]:.3f} | {after["relabelled_region_accuracy"]:.3f} |

The FID compares the digits classifier's features of the {per * per} cells of each
synthesized canvas with those of the real test canvases (the real training
cells against the test cells score {r["digits_fid_train_vs_test"]:.2f}; the syntheses can score
lower because the test maps give them the test digits' own strokes). Region changes
use the top-left digit of 64 test maps, the same code before and after.
Images in [-1, 1].

Figures: `samples.png`: two blocks of rows of 8: label maps (colour per
class), two syntheses with different codes, the real images.
`regions.png`: for two test maps, the top-left digit's region erased (first
column) then given each class 0-9 (one code for the whole row), syntheses
below the maps: the erased digit disappears and nothing else moves; a new
class keeps the strokes the map gives, so the change is in the grey levels
along them (see the table).

## Use

```python
model = keras_gen.presets.from_preset("spade_digits")
images, maps = keras_gen.datasets.tasks.digits_segmentation("test", image_size={size})
painted = model.synthesize(maps[:8], seed=0)  # (8, {size}, {size}, 1)
several = model.synthesize(maps[:8], seed=0, num_samples=4)
```

## Reproduce

`{metadata["recipe"]}` (trained on {metadata["created"]}).

Limitations: a toy task: the map gives the strokes exactly, so the
generator only has to add borders, grey levels and the digit identity's
subtleties; digits from the embedded MNIST subset (MNIST: LeCun, Cortes
and Burges, CC BY-SA 3.0).
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--train-maps", type=int, default=2000)
    parser.add_argument("--test-maps", type=int, default=500)
    parser.add_argument("--image-size", type=int, default=56)
    parser.add_argument("--base-filters", type=int, default=16)
    parser.add_argument("--hidden-filters", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--num-upsamples", type=int, default=2)
    parser.add_argument("--generator-learning-rate", type=float, default=3e-4)
    parser.add_argument("--discriminator-learning-rate", type=float, default=1.2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--output", default=None, help="preset folder (default: the shipped one)")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.train_maps, args.test_maps, args.base_filters = 1, 64, 64, 8

    images, ids = digits_segmentation("train", image_size=args.image_size, num_images=args.train_maps, seed=0)
    test_images, test_ids = digits_segmentation("test", image_size=args.image_size,
                                                num_images=args.test_maps, seed=1)
    per_side = 1 if args.image_size < 56 else 2

    model = build(args.image_size, args.base_filters, args.hidden_filters, args.latent_dim,
                  args.num_upsamples, args.seed)
    model.compile(
        generator_optimizer=keras.optimizers.Adam(args.generator_learning_rate, beta_1=0.0, beta_2=0.9),
        discriminator_optimizer=keras.optimizers.Adam(args.discriminator_learning_rate, beta_1=0.0, beta_2=0.9),
    )
    before, _ = evaluate(model, test_ids, test_images, per_side, args.seed)
    start = time.time()
    history = model.fit(ids, images, batch_size=args.batch_size, epochs=args.epochs, verbose=2)
    train_seconds = time.time() - start
    after, _ = evaluate(model, test_ids, test_images, per_side, args.seed)
    results = {
        "test_maps": int(len(test_ids)),
        "before_training": before,
        "after_training": after,
        "faithfulness_real": faithfulness(test_images, test_ids),
        "digits_fid_train_vs_test": digits_fid(cells(images[: len(test_images)], per_side),
                                               cells(test_images, per_side)),
        "final_logs": {k: float(v[-1]) for k, v in history.history.items()},
    }
    print(json.dumps(results, indent=2))

    metadata = {
        "dataset": f"keras_gen.datasets.tasks.digits_segmentation (embedded MNIST subset, "
        f"{args.image_size}x{args.image_size}, {per_side}x{per_side} digits, 11 classes)",
        "metrics": spade_metrics(results),
        "results": results,
        "training": {
            "epochs": args.epochs, "batch_size": args.batch_size, "train_maps": int(len(ids)),
            "steps": int(args.epochs * int(np.ceil(len(ids) / args.batch_size))),
            "image_size": args.image_size, "digits_per_side": per_side,
            "base_filters": args.base_filters, "hidden_filters": args.hidden_filters,
            "latent_dim": args.latent_dim, "num_upsamples": args.num_upsamples,
            "generator_learning_rate": args.generator_learning_rate,
            "discriminator_learning_rate": args.discriminator_learning_rate,
            "seed": args.seed, "quick": bool(args.quick),
            "train_seconds": round(train_seconds, 1),
        },
    }
    figures = {
        "samples.png": lambda path: save_maps_grid(model, test_ids, test_images, args.seed, path),
        "regions.png": lambda path: save_region_grid(model, test_ids, per_side, args.seed, path),
    }
    preset_dir = output_dir(NAME, args)
    metadata = keras_gen.presets.write_preset(model, preset_dir, metadata, model_card, figures)
    print(f"preset written to {preset_dir} ({metadata['weights_megabytes']:.2f} MB of weights)")


def spade_metrics(results):
    """The headline numbers of the card and how they were measured."""
    after = results["after_training"]
    return {
        "mean_iou": after["faithfulness"]["mean_iou"],
        "mean_per_class_accuracy": after["faithfulness"]["mean_per_class_accuracy"],
        "mean_iou_other_maps": after["faithfulness_other_maps"]["mean_iou"],
        "digits_fid_cells_vs_test": after["digits_fid_cells_vs_test"],
        "how_measured": "keras_gen.metrics.segmentation_faithfulness of syntheses of held-out maps "
        "(digit regions read by the digits classifier), against the same generator and codes "
        "on other maps; FID between digits-classifier features of the 28x28 cells of the "
        "syntheses and of the real test canvases",
    }


if __name__ == "__main__":
    main()
