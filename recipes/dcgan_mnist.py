"""Recipe: the `dcgan_mnist` preset of `keras_gen.applications.DCGAN`.

Trains the DCGAN architecture of `applications/dcgan.py` on the 4,000 embedded
MNIST training digits, then writes the preset folder (config, weights with
sha256, metadata, model card with the sample grid and the measured numbers).

    KERAS_BACKEND=jax python recipes/dcgan_mnist.py --preset-dir applications/presets/dcgan_mnist

The card gives the command that trained the shipped weights (its options
may differ from these defaults), the digits FID / IS, and how the
shipped digits classifier distributes 1,000 samples over the classes.
"""

import argparse
import json
import os

import numpy as np

import keras_gen
from keras_gen.applications.dcgan import dcgan_architecture
from keras_gen.train import digits_class_statistics
from keras_gen.train import train_dcgan_mnist

CARD = """# dcgan_mnist

A DCGAN (Radford et al. 2016) generator and discriminator trained on the 4,000
embedded MNIST training digits that ship with keras_gen (28x28x1, images in
[-1, 1]). Load it with:

```python
import keras_gen
generator = keras_gen.applications.DCGAN(weights="dcgan_mnist")
gan = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
digits = gan.generate(64, seed=0)
```

![samples](samples.png)

## Architecture
- Generator: latent 100 -> Dense 7x7x{g_width} -> two {upsampling} upsampling
  blocks with BatchNorm + ReLU -> 28x28x1 tanh. {g_params:,} parameters.
- Discriminator: strided 4x4 convolutions ({d_filters} and {d_width} filters), LeakyReLU(0.2),
  {d_normalization}, Dense(1) logits. {d_params:,} parameters.
- Loss: {loss}{penalty}; Adam({learning_rate:g}, beta_1=0.5) for the generator,
  Adam({d_learning_rate:g}, beta_1=0.5) for the discriminator; batch {batch_size};
  {augmentation}. An exponential moving average of the generator (decay {ema_decay}, with
  the ramp-up of `GeneratorEMA`) is kept; `DCGAN(weights="dcgan_mnist")` returns, and
  `generate()` uses, the {samples_from}, which scored the lower FID.

## Training
- Data: the embedded digits (`keras_gen.datasets.mnist.load_data(source="embedded")`),
  4,000 training images (400 per class); the 1,000 test digits are held out for the metrics.
- Command: `{command}`
- Backend: {backend}; {epochs} epochs ({steps} steps) in {seconds:.0f} s on {machine}.{earlier}

## Evaluation
{metrics_table}

Raw generator: FID {raw_fid:.2f}, IS {raw_is:.2f}; moving average: FID {ema_fid:.2f},
IS {ema_is:.2f}.

Classes of 1,000 samples (seed 1), as the shipped digits classifier assigns them
(a uniform generator gives 10% each):

| digit | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |
|---|---|---|---|---|---|---|---|---|---|---|
| fraction | {class_row} |

Protocol: {protocol}. Real-data floor (train vs held-out digits, same features): see
`benchmarks/README.md`.

## Limitations
- Trained on 4,000 digits only: strokes are less varied than in full MNIST, some samples
  are malformed, and the model is a demonstration of the library, not a state-of-the-art
  generator.
- Outputs 28x28 grayscale digits in [-1, 1] only.

MNIST: Y. LeCun, C. Cortes, C. J. C. Burges; CC BY-SA 3.0 (see
`keras_gen/datasets/data/README.md`).
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=175)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--base-filters", type=int, default=None,
                        help="width of both networks (default: the shipped architecture's)")
    parser.add_argument("--discriminator-filters", type=int, default=None,
                        help="width of the discriminator (default: --base-filters)")
    parser.add_argument("--learning-rate", type=float, default=2e-4, help="Adam's, both networks")
    parser.add_argument("--discriminator-learning-rate", type=float, default=None,
                        help="the discriminator's Adam learning rate (default: --learning-rate)")
    parser.add_argument("--loss", default="non_saturating", help="GAN(loss=)")
    parser.add_argument("--r1", type=float, default=1.0,
                        help="weight (gamma) of an R1 penalty on the discriminator; 0 for none")
    parser.add_argument("--spectral-norm", action="store_true",
                        help="spectral normalization in the discriminator (no BatchNorm)")
    parser.add_argument("--label-smoothing", type=float, default=0.0,
                        help="one-sided label smoothing of the real targets (GAN(label_smoothing=))")
    parser.add_argument("--ema-decay", type=float, default=0.999)
    parser.add_argument("--augmentation", default=None,
                        help='DiffAugment policy of the discriminator, e.g. "translation,cutout"')
    parser.add_argument("--metrics-every", type=int, default=None,
                        help="also measure FID / IS every this many epochs (the curve)")
    parser.add_argument("--output", default="outputs/dcgan_mnist_recipe")
    parser.add_argument("--preset-dir", default="applications/presets/dcgan_mnist")
    parser.add_argument("--continue-from", default=None, metavar="PRESET_DIR",
                        help="a dcgan_mnist preset folder (a copy, if --preset-dir is the same) "
                             "whose weights this run continues training, with fresh optimizers; "
                             "the card then describes both runs")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    architecture = {}
    if args.base_filters:
        architecture["base_filters"] = args.base_filters
    if args.discriminator_filters:
        architecture["discriminator_filters"] = args.discriminator_filters
    if args.spectral_norm:
        architecture["spectral_norm"] = True
    gan_options = {"loss": args.loss, "label_smoothing": args.label_smoothing}
    if args.r1:
        gan_options.update(gradient_penalty="r1", penalty_weight=args.r1)
    earlier_run = None
    if args.continue_from:
        with open(os.path.join(args.continue_from, "metadata.json")) as f:
            earlier_run = json.load(f)
        earlier_run = {key: earlier_run[key]
                       for key in ("epochs", "hardware", "recipe", "training_seconds")}
    gan, summary = train_dcgan_mnist(
        output=args.output, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
        sample_every=5, verbose=2, architecture=architecture, augmentation=args.augmentation,
        generator_learning_rate=args.learning_rate,
        discriminator_learning_rate=args.discriminator_learning_rate or args.learning_rate,
        ema_decay=args.ema_decay, metrics_every=args.metrics_every, gan_options=gan_options,
        initial_weights=args.continue_from and os.path.join(args.continue_from, "model.weights.h5"),
    )
    write_dcgan_preset(gan, summary, args, argv, earlier_run=earlier_run)


def write_dcgan_preset(gan, summary, args, argv, trained_on=None, earlier_run=None):
    """Writes the preset folder `args.preset_dir` of a trained `gan`.

    `summary` is `train_dcgan_mnist`'s (`metrics.json`); `args` the parsed
    options and `argv` the arguments that trained it. For weights trained
    on another machine, `trained_on` gives that run's `hardware` and
    `recipe` (its command, environment included) for the card and metadata.
    For weights that continue an earlier preset's, `earlier_run` is that
    preset's `epochs`, `hardware`, `recipe` and `training_seconds`.
    """
    if summary["samples_from"] == "raw":
        # The preset samples with the better generator: generate() and DCGAN(weights=) use the average.
        gan.ema_model.set_weights(gan.generator.get_weights())
    counts, _ = digits_class_statistics(gan.generate(1000, seed=1))
    fractions = np.asarray(counts) / sum(counts)
    summary["class_fractions"] = [round(float(f), 4) for f in fractions]
    metrics_table = "| metric | value |\n|---|---|\n" + "\n".join(
        f"| {key} | {summary[key]:.3f} |" for key in ("fid_digits", "is_digits", "is_digits_std")
    )

    architecture_used = dcgan_architecture(gan.generator, gan.discriminator)

    def card(metadata):
        return CARD.format(
            g_width=gan.generator.layers[1].units // 49 if hasattr(gan.generator.layers[1], "units") else "?",
            upsampling={"subpixel": "sub-pixel (depth-to-space)", "transpose": "transposed-convolution",
                        "resize": "resize-convolution"}[architecture_used["upsampling"]],
            d_filters=architecture_used["discriminator_filters"],
            d_width=2 * architecture_used["discriminator_filters"],
            d_normalization=("spectral normalization of every layer" if args.spectral_norm
                             else "BatchNorm on the inner layer"),
            loss=args.loss.replace("_", "-"),
            penalty=(f" + R1 penalty on real images (Mescheder et al. 2018), gamma = {args.r1:g}"
                     if args.r1 else ""),
            learning_rate=args.learning_rate,
            d_learning_rate=args.discriminator_learning_rate or args.learning_rate,
            augmentation=(f"DiffAugment `{args.augmentation}` on every image the discriminator sees"
                          if args.augmentation else "no augmentation"),
            ema_decay=args.ema_decay,
            samples_from=("raw generator" if summary["samples_from"] == "raw"
                          else "moving average of the generator"),
            raw_fid=summary["generators"]["raw"]["fid_digits"],
            raw_is=summary["generators"]["raw"]["is_digits"],
            ema_fid=summary["generators"]["ema"]["fid_digits"],
            ema_is=summary["generators"]["ema"]["is_digits"],
            class_row=" | ".join(f"{f:.1%}" for f in fractions),
            g_params=gan.generator.count_params(),
            d_params=gan.discriminator.count_params(),
            batch_size=args.batch_size,
            command=metadata["recipe"],
            backend=metadata["backend"],
            epochs=args.epochs,
            earlier=("" if earlier_run is None else
                     f"\n- These weights continue an earlier run of {earlier_run['epochs']} epochs "
                     f"({earlier_run['training_seconds']:.0f} s on {earlier_run['hardware']}): "
                     f"`{earlier_run['recipe']}`. The optimizers started afresh; "
                     f"{earlier_run['epochs'] + args.epochs} epochs in all."),
            steps=args.epochs * -(-summary["train_images"] // args.batch_size),
            seconds=summary["training_seconds"],
            machine=metadata["hardware"],
            metrics_table=metrics_table,
            protocol=summary["metrics_protocol"],
        )

    metadata = {
        "dataset": "embedded MNIST digits, 4,000 train / 1,000 held out",
        "training_seconds": summary["training_seconds"],
        "epochs": args.epochs + (earlier_run["epochs"] if earlier_run else 0),
        "metrics": {k: summary[k] for k in ("fid_digits", "is_digits", "is_digits_std")},
        "generators": summary["generators"],
        "samples_from": summary["samples_from"],
        "class_fractions": summary["class_fractions"],
        "metrics_protocol": summary["metrics_protocol"],
    }
    if earlier_run:
        metadata["continues"] = earlier_run
    figures = {
        "samples.png": lambda path: keras_gen.utils.save_image_grid(gan.generate(64, seed=0), path, num_rows=8),
        # Reference images for the test that the preset generates identically on every backend.
        "reference_samples.npz": lambda path: np.savez(path, images=gan.generate(8, seed=0), seed=0),
        "training_metrics.json": lambda path: _write_json(path, summary),
    }
    keras_gen.presets.write_preset(gan, args.preset_dir, metadata, card, figures,
                                   recipe_script=__file__, recipe_args=argv, trained_on=trained_on)
    print(f"Preset written to {args.preset_dir}")


def _write_json(path, value):
    with open(path, "w") as f:
        json.dump({k: v for k, v in value.items() if k != "files"}, f, indent=2)


if __name__ == "__main__":
    main()
