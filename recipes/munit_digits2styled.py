"""Trains MUNIT on the offline unpaired digits2styled task and writes the `munit_digits2styled` preset.

Domain A: plain grey digits (one channel); domain B: digits of *other*
writers in a random ink colour on a random background colour
(`keras_gen.datasets.tasks.digits2styled`, built from the embedded MNIST
digits, no download), so no pair is ever shown and the style (colours)
belongs to B alone. A `keras_gen.models.MUNIT` with small content and style
encoders and AdaIN decoders (`keras_gen.networks.munit_*`) and one-scale
PatchGANs learns to split each image into a content code (the digit) and a
style code, with the explicit style-augmented cycle term (appendix B of the
paper). It reports, on held-out images: the digits-classifier accuracy of
A->B translations (ink recovered from the colours) and B->A translations;
the image, content and style reconstruction losses before and after
training; how well B's style codes are read back from the images they made;
how much the background colour moves with the style code against with the
content; how closely example-guided translations take the example's colour.
It writes figures of one content under several style codes, of
example-guided translations and of B->A translations, and the preset with
its model card, every number taken from this run.

Usage (about 6 minutes on 2 CPU cores, TensorFlow backend by default):

    python recipes/munit_digits2styled.py
    python recipes/munit_digits2styled.py --quick --output /tmp/munit  # smoke run
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
from keras_gen.datasets import background_colours  # noqa: E402
from keras_gen.datasets import digit_accuracy  # noqa: E402
from keras_gen.datasets import unstyle_digits  # noqa: E402
from keras_gen.datasets.tasks import digits2styled  # noqa: E402
from pix2pix_edges2digits import spread_rows  # noqa: E402
from vae_mnist import output_dir  # noqa: E402

NAME = "munit_digits2styled"
LOSSES = ("image_reconstruction_loss", "content_reconstruction_loss", "style_reconstruction_loss")


def build(image_size, base_filters, style_dim, num_downsamples, cycle_weight, seed):
    keras.utils.set_random_seed(seed)
    nets = {}
    for domain, channels in (("a", 1), ("b", 3)):
        shape = (image_size, image_size, channels)
        content = keras_gen.networks.munit_content_encoder(
            shape, base_filters=base_filters, num_downsamples=num_downsamples, num_res_blocks=1,
            name=f"content_encoder_{domain}")
        nets[f"content_encoder_{domain}"] = content
        nets[f"style_encoder_{domain}"] = keras_gen.networks.munit_style_encoder(
            shape, style_dim=style_dim, base_filters=base_filters, num_downsamples=num_downsamples + 1,
            name=f"style_encoder_{domain}")
        nets[f"decoder_{domain}"] = keras_gen.networks.munit_decoder(
            tuple(content.output.shape[1:]), style_dim=style_dim, output_channels=channels,
            num_res_blocks=1, num_upsamples=num_downsamples, mlp_units=4 * base_filters,
            name=f"decoder_{domain}")
        nets[f"discriminator_{domain}"] = keras_gen.networks.multiscale_patchgan_discriminator(
            shape, num_scales=1, base_filters=base_filters, num_layers=1, norm=None,
            return_features=False, name=f"discriminator_{domain}")
    return keras_gen.models.MUNIT(**nets, cycle_weight=cycle_weight, seed=seed)


# ------------------------------------------------------------------ measures
def generator_logs(model, batch):
    _, logs = model.compute_phase_loss("generator", batch, training=False)
    return {name: float(keras.ops.convert_to_numpy(logs[name])) for name in LOSSES}


def style_recovery_error(model, images_a, codes):
    """Mean |E_B^s(G_B(c_A, s)) - s|: B's style codes read back from the images they made."""
    _, recovered = model.encode(model.translate(images_a, "a2b", style=codes), "b")
    return float(np.mean(np.abs(recovered - codes)))


def background_spread(model, images, codes):
    """Mean background-colour distance between two styles of one input, and two inputs of one style."""
    backgrounds = np.stack([background_colours(model.translate(images, "a2b", style=c)) for c in codes])
    k, n = backgrounds.shape[:2]
    by_style = np.mean([np.linalg.norm(backgrounds[i] - backgrounds[j], axis=-1).mean()
                        for i in range(k) for j in range(i + 1, k)])
    by_content = np.mean([np.linalg.norm(backgrounds[:, i] - backgrounds[:, j], axis=-1).mean()
                          for i in range(n) for j in range(i + 1, n)])
    return float(by_style), float(by_content)


def evaluate(model, a_test, labels_a, b_test, labels_b, extractor, seed):
    batch = (a_test[:128], b_test[:128])
    codes = np.random.default_rng(seed).standard_normal((64, model.style_dim("b"))).astype("float32")
    results = generator_logs(model, batch)
    results["style_recovery_error"] = style_recovery_error(model, a_test[:64], codes)
    results["background_spread_by_style"], results["background_spread_by_content"] = (
        background_spread(model, a_test[:32], codes[:6]))
    guided = model.translate(a_test[:128], "a2b", style=b_test[:128])  # b_test[i]'s style
    results["guided_background_correlation"] = float(np.corrcoef(
        background_colours(guided).ravel(), background_colours(b_test[:128]).ravel())[0, 1])
    results["accuracy_a2b"] = digit_accuracy(
        extractor, unstyle_digits(model.translate(a_test, "a2b", seed=seed)), labels_a)
    results["accuracy_b2a"] = digit_accuracy(extractor, model.translate(b_test, "b2a", seed=seed), labels_b)
    return results


# ------------------------------------------------------------------- figures
def rgb(images):
    return np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images


def save_grid(images, path, num_rows):
    """`save_image_grid` with images below 32 pixels enlarged (nearest neighbour) to be legible."""
    factor = max(1, 32 // images.shape[1])
    images = np.repeat(np.repeat(images, factor, axis=1), factor, axis=2)
    keras_gen.utils.save_image_grid(images, path, num_rows=num_rows)


def save_styles_grid(model, a_test, seed, path, rows=8, styles=8):
    """One row per A digit: the digit, then its B translations with 8 style codes (the same codes in every row)."""
    picks = spread_rows(len(a_test), rows)
    codes = np.random.default_rng(seed + 1).standard_normal((styles, model.style_dim("b"))).astype("float32")
    outputs = np.stack([model.translate(a_test[picks], "a2b", style=c) for c in codes], axis=1)
    grid = [np.concatenate([rgb(a_test[i : i + 1]), outputs[r]]) for r, i in enumerate(picks)]
    save_grid(np.concatenate(grid), path, num_rows=rows)


def save_guided_grid(model, a_test, b_test, path, rows=6, examples=8):
    """Top row: 8 B style examples; below, one row per A digit translated in each example's style."""
    contents = a_test[spread_rows(len(a_test), rows)]
    examples = b_test[(spread_rows(len(b_test), examples) + 1) % len(b_test)]
    blank = -np.ones((1,) + b_test.shape[1:], "float32")
    grid = [blank, examples]
    for content in contents:
        grid += [rgb(content[None]), model.translate(np.repeat(content[None], len(examples), 0), "a2b",
                                                     style=examples)]
    save_grid(np.concatenate(grid), path, num_rows=rows + 1)


def save_b2a_grid(model, b_test, seed, path):
    """Rows of 8: B images above their A translations (two blocks)."""
    picks = spread_rows(len(b_test), 16)
    fake_a = rgb(model.translate(b_test[picks], "b2a", seed=seed))
    grid = [b_test[picks[:8]], fake_a[:8], b_test[picks[8:]], fake_a[8:]]
    save_grid(np.concatenate(grid), path, num_rows=4)


def model_card(metadata):
    r, t = metadata["results"], metadata["training"]
    before, after = r["before_training"], r["after_training"]
    size = t["image_size"]
    return f"""# munit_digits2styled

MUNIT (Huang et al. 2018) between plain grey digits (A, {size}x{size}x1) and
digits of other writers drawn in a random ink colour on a random
{"striped " if t["stripes"] else "flat "}background (B, {size}x{size}x3), trained without pairs on the
offline `keras_gen.datasets.tasks.digits2styled` task (embedded MNIST
subset). Each image splits into a content code (the digit) and a
{t["style_dim"]}-D style code; A->B translation with a random style code draws a new
colouring, and a B image's style code copies its colours.

- Per domain: `keras_gen.networks.munit_content_encoder(base_filters={t["base_filters"]},
  num_downsamples={t["num_downsamples"]}, num_res_blocks=1)`, `munit_style_encoder(style_dim={t["style_dim"]},
  num_downsamples={t["num_downsamples"] + 1})`, `munit_decoder(num_res_blocks=1, num_upsamples={t["num_downsamples"]},
  mlp_units={4 * t["base_filters"]})` (AdaIN), a one-scale PatchGAN without normalization.
- Objective: least-squares GAN, image reconstruction 10, content 1, style 1,
  explicit cycle {t["cycle_weight"]} (appendix B); Adam({t["learning_rate"]}, beta_1=0.5) for
  both halves; batch {t["batch_size"]}, {t["epochs"]} epochs on {t["train_images"]} images per domain
  ({t["steps"]} steps), {metadata["backend"]} backend, {t["train_seconds"]:.0f} s on {metadata["hardware"]}.
- {metadata["parameter_count"]:,} parameters, {metadata["weights_megabytes"]:.2f} MB of weights.

## Results on the test split ({r["test_images"]} images per domain)

| measure | before training | after training |
|---|---|---|
| digits-classifier accuracy, A->B translations (random styles, ink recovered) | {before["accuracy_a2b"]:.3f} | **{after["accuracy_a2b"]:.3f}** |
| digits-classifier accuracy, B->A translations (random styles) | {before["accuracy_b2a"]:.3f} | **{after["accuracy_b2a"]:.3f}** |
| image reconstruction loss, mean abs(G(E(x)) - x), A + B | {before["image_reconstruction_loss"]:.4f} | {after["image_reconstruction_loss"]:.4f} |
| content reconstruction loss, A + B | {before["content_reconstruction_loss"]:.4f} | **{after["content_reconstruction_loss"]:.4f}** |
| style reconstruction loss, A + B | {before["style_reconstruction_loss"]:.4f} | **{after["style_reconstruction_loss"]:.4f}** |
| style recovery, mean abs(E_B^s(G_B(c_A, s)) - s) | {before["style_recovery_error"]:.4f} | {after["style_recovery_error"]:.4f} |
| background colour distance, 2 style codes, same digit | {before["background_spread_by_style"]:.4f} | {after["background_spread_by_style"]:.4f} |
| background colour distance, 2 digits, same style code | {before["background_spread_by_content"]:.4f} | {after["background_spread_by_content"]:.4f} |
| correlation of example-guided backgrounds with the examples' | {before["guided_background_correlation"]:.3f} | {after["guided_background_correlation"]:.3f} |

The digits classifier (`keras_gen.metrics.get_feature_extractor("digits")`,
the padding cropped away) scores {r["accuracy_real_a"]:.3f} on the real A test digits and
{r["accuracy_real_b"]:.3f} on the ink of the real B test digits (|luma - background
luma|, rescaled). The losses are the model's own terms (`compute_phase_loss`,
random style codes) on 128 held-out images per domain. Chance accuracy is 0.1.

Figures: `styles.png`: one row per A test digit: the digit, then its A->B
translations with the same 8 random style codes in every row (one style,
one colouring); `guided.png`: top row 8 B test images, below each A digit
translated with each example's style code; `b2a.png`: rows of 8 B test
images above their A translations. Images smaller than 32x32 are enlarged
(nearest neighbour) in the figures.

## Use

```python
model = keras_gen.presets.from_preset("munit_digits2styled")
a, _, b, _ = keras_gen.datasets.tasks.digits2styled("test", image_size={size}, stripes={t["stripes"]})
many = model.translate(a[:4, ..., :1], "a2b", num_samples=5, seed=0)  # (4, 5, {size}, {size}, 3)
guided = model.translate(a[:4, ..., :1], "a2b", style=b[0])  # b[0]'s colours
grey = model.translate(b[:4], "b2a", seed=0)
```

## Reproduce

`{metadata["recipe"]}` (trained on {metadata["created"]}).

Limitations: a toy task at {size}x{size}; the style is only ink and background
colour{" and stripes" if t["stripes"] else ""}; the digits come from the 5,000-image embedded MNIST
subset (MNIST: LeCun, Cortes and Burges, CC BY-SA 3.0).
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--train-images", type=int, default=2000)
    parser.add_argument("--image-size", type=int, default=16)
    parser.add_argument("--stripes", action="store_true", help="striped B backgrounds")
    parser.add_argument("--base-filters", type=int, default=16)
    parser.add_argument("--style-dim", type=int, default=4)
    parser.add_argument("--num-downsamples", type=int, default=1)
    parser.add_argument("--cycle-weight", type=float, default=10.0)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--output", default=None, help="preset folder (default: the shipped one)")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.train_images, args.base_filters = 1, 64, 8

    a, _, b, _ = digits2styled("train", image_size=args.image_size, stripes=args.stripes, seed=0)
    a_test, labels_a, b_test, labels_b = digits2styled(
        "test", image_size=args.image_size, stripes=args.stripes, seed=1)
    a, a_test = a[..., :1], a_test[..., :1]
    if args.quick:
        a_test, labels_a, b_test, labels_b = a_test[:64], labels_a[:64], b_test[:64], labels_b[:64]
    rng = np.random.default_rng(args.seed)
    a = a[rng.permutation(len(a))[: args.train_images]]
    b = b[rng.permutation(len(b))[: args.train_images]]

    model = build(args.image_size, args.base_filters, args.style_dim, args.num_downsamples,
                  args.cycle_weight, args.seed)
    model.compile(
        generator_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5),
    )
    extractor = keras_gen.metrics.get_feature_extractor("digits")
    before = evaluate(model, a_test, labels_a, b_test, labels_b, extractor, args.seed)
    start = time.time()
    history = model.fit(a, b, batch_size=args.batch_size, epochs=args.epochs, verbose=2)
    train_seconds = time.time() - start
    after = evaluate(model, a_test, labels_a, b_test, labels_b, extractor, args.seed)
    results = {
        "test_images": int(len(a_test)),
        "before_training": before,
        "after_training": after,
        "accuracy_real_a": digit_accuracy(extractor, a_test, labels_a),
        "accuracy_real_b": digit_accuracy(extractor, unstyle_digits(b_test), labels_b),
        "final_logs": {k: float(v[-1]) for k, v in history.history.items()},
    }
    print(json.dumps(results, indent=2))

    metadata = {
        "dataset": f"keras_gen.datasets.tasks.digits2styled (embedded MNIST subset, "
        f"{args.image_size}x{args.image_size}, stripes={args.stripes}, unpaired)",
        "metrics": munit_metrics(results),
        "results": results,
        "training": {
            "epochs": args.epochs, "batch_size": args.batch_size, "train_images": int(len(a)),
            "steps": int(args.epochs * int(np.ceil(len(a) / args.batch_size))),
            "image_size": args.image_size, "stripes": bool(args.stripes),
            "base_filters": args.base_filters, "style_dim": args.style_dim,
            "num_downsamples": args.num_downsamples, "cycle_weight": args.cycle_weight,
            "learning_rate": args.learning_rate, "seed": args.seed, "quick": bool(args.quick),
            "train_seconds": round(train_seconds, 1),
        },
    }
    figures = {
        "styles.png": lambda path: save_styles_grid(model, a_test, args.seed, path),
        "guided.png": lambda path: save_guided_grid(model, a_test, b_test, path),
        "b2a.png": lambda path: save_b2a_grid(model, b_test, args.seed, path),
    }
    preset_dir = output_dir(NAME, args)
    metadata = keras_gen.presets.write_preset(model, preset_dir, metadata, model_card, figures)
    print(f"preset written to {preset_dir} ({metadata['weights_megabytes']:.2f} MB of weights)")


def munit_metrics(results):
    """The headline numbers of the card and how they were measured."""
    after = results["after_training"]
    return {
        "accuracy_a2b": after["accuracy_a2b"],
        "accuracy_b2a": after["accuracy_b2a"],
        "content_reconstruction_loss": after["content_reconstruction_loss"],
        "style_reconstruction_loss": after["style_reconstruction_loss"],
        "how_measured": "digits-classifier accuracy of held-out translations with random style codes "
        "(A->B: ink recovered as |luma - background luma|), labels of the source digits; "
        "content and style reconstruction losses of the model's generator phase on 128 "
        "held-out images per domain",
    }


if __name__ == "__main__":
    main()
