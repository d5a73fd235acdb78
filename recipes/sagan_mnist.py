"""Recipe: the `sagan_mnist` preset of `keras_gen.applications.SAGAN`.

Trains the SAGAN architecture of `applications/sagan.py` (Zhang et al. 2019:
residual networks with spectral normalization in both, self-attention at
14x14, hinge loss, two-timescale Adam) on the 4,000 embedded MNIST training
digits, then writes the preset folder: config, weights (with sha256, no
optimizer state), metadata, a model card with the sample grid and every
number measured by this run, and `training_metrics.json`.

    KERAS_BACKEND=tensorflow python recipes/sagan_mnist.py --epochs 32 \
        --preset-dir applications/presets/sagan_mnist
    python recipes/sagan_mnist.py --fast --output /tmp/sagan --preset-dir /tmp/sagan/preset

`--fast` is a smoke run (a tiny network, two steps, metrics on 64 samples)
that finishes in seconds; its numbers mean nothing.

References:
    Zhang, Goodfellow, Metaxas & Odena, "Self-Attention Generative
    Adversarial Networks", ICML 2019. Heusel et al., "GANs Trained by a Two
    Time-Scale Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017.
"""

import argparse
import json
import os
import time

import keras
import numpy as np

import keras_gen
from keras_gen.applications.sagan import SAGAN_MNIST_CONFIG
from keras_gen.applications.sagan import build_sagan
from keras_gen.applications.sagan import sagan_optimizers
from keras_gen.train import digits_class_statistics
from keras_gen.train import digits_metrics

DATASET = "embedded MNIST digits, 4,000 train / 1,000 held out"
FAST = {"epochs": 1, "num_train": 64, "batch_size": 32, "base_filters": 4, "latent_dim": 8,
        "num_metric_samples": 64}

EMA_NOTE = """Generator EMA: with `--ema-decay 0.995` (an average over about the last 200 steps),
otherwise this same command, the average measured digits FID 44.95 / IS 7.20 against 39.40 /
7.45 for the raw generator of the same run: after 2,016 steps the generator still improves
quickly and the average lags it, so the preset ships the raw generator. (An earlier
`SpectralNormalization` and `--ema-decay 0.999`, which after 2,016 steps still holds 13% of
the random initial weights, gave 114.7 against 80.8.)"""

CARD = """# sagan_mnist

A SAGAN (self-attention GAN, Zhang et al. 2019) generator and discriminator trained on
the 4,000 embedded MNIST training digits that ship with keras_gen (28x28x1, images in
[-1, 1]). Load it with:

```python
import keras_gen
generator = keras_gen.applications.SAGAN(weights="sagan_mnist")
gan = keras_gen.applications.SAGAN(weights="sagan_mnist", include_discriminator=True)
digits = gan.generate(64, seed=0)
```

![samples](samples.png)

## Architecture
- Generator (`keras_gen.networks.sagan_generator(image_shape=(28, 28, 1),
  latent_dim={latent_dim}, base_filters={base_filters}, attention_resolution=14)`): spectrally
  normalized Dense to 7x7x{dense_channels}, two residual up-blocks (BatchNorm, ReLU, nearest
  upsampling, 3x3 convolutions) to 14x14x{mid_channels} and 28x28x{base_filters}, a
  `SelfAttention2D` block after the 14x14 block, BatchNorm, ReLU, 3x3 convolution, tanh.
  {g_params:,} parameters.
- Discriminator (`keras_gen.networks.sagan_discriminator(..., attention_resolution=14)`):
  residual down-blocks to 14x14x{base_filters} (self-attention there) and 7x7x{mid_channels},
  one more residual block, ReLU, global sum pooling, linear logit. {d_params:,} parameters.
- Spectral normalization (Miyato et al. 2018) on every convolution and dense layer of
  both networks, as in SAGAN.
- Loss: hinge. Two-timescale Adam (Heusel et al. 2017) as in SAGAN: generator 1e-4,
  discriminator 4e-4, beta_1=0, beta_2=0.9; one discriminator update per generator update;
  batch {batch_size}. {ema_sentence}

## Training
- Data: the embedded digits (`keras_gen.datasets.mnist.load_data(source="embedded")`),
  {train_images:,} training images (400 per class); the 1,000 test digits are held out for the
  metrics.
- Command: `{command}`
- Backend: {backend}; {epochs} epochs ({steps:,} steps) in {seconds:.0f} s on {machine},
  shared with other jobs, so the time is an upper bound. Weights file: {weights_mb:.2f} MB
  (no optimizer state).

## Evaluation
| samples | FID (digits) | IS (digits) |
|---|---|---|
| sagan_mnist{preset_generator} (this preset) | **{fid:.2f}** | **{is_:.2f} ± {is_std:.2f}** |
{raw_row}| {num_samples:,} real training digits (real-data floor) | {fid_real:.2f} | {is_real:.2f} ± {is_real_std:.2f} |

Protocol: {protocol}. The floor row scores {num_samples:,} random embedded training digits
against the same held-out digits, with the same features.

{ema_note}

Class spread: the digits classifier assigns the {num_samples:,} samples to classes 0-9 as
{class_counts}; mean top-class probability {confidence:.3f} (held-out real digits:
{real_confidence:.3f}).

## Limitations
- Trained on {train_images:,} digits only, with narrow networks ({base_filters} base filters) and a CPU
  budget of about {minutes:.0f} minutes: a demonstration of the library, not a
  state-of-the-art generator. Some samples are malformed.
- Outputs 28x28 grayscale digits in [-1, 1] only.

MNIST: Y. LeCun, C. Cortes, C. J. C. Burges; CC BY-SA 3.0 (see
`keras_gen/datasets/data/README.md`).
"""


def model_card(summary):
    """The README.md of the preset, from the summary the recipe writes to training_metrics.json."""
    ema = summary["generator_ema_decay"]
    if ema:
        ema_sentence = (
            f"An exponential moving average (decay {ema}) of the generator (Yazici et al. 2019)\n"
            '  is kept and is what `SAGAN(weights="sagan_mnist")` returns and `generate()` uses.'
        )
    else:
        ema_sentence = "No moving average of the generator is kept (see the note below)."
    keys = ("latent_dim", "base_filters", "batch_size", "train_images", "command", "backend",
            "epochs", "steps", "machine", "weights_mb", "num_samples")
    return CARD.format(
        **{key: summary[key] for key in keys},
        dense_channels=4 * summary["base_filters"], mid_channels=2 * summary["base_filters"],
        g_params=summary["generator_parameters"], d_params=summary["discriminator_parameters"],
        ema_sentence=ema_sentence, ema_note=EMA_NOTE,
        preset_generator=", EMA generator" if ema else "",
        raw_row=(
            f"| same run, raw generator (no EMA) | {summary['fid_digits_raw_generator']:.2f} | "
            f"{summary['is_digits_raw_generator']:.2f} ± {summary['is_digits_std_raw_generator']:.2f} |\n"
            if ema else ""
        ),
        seconds=summary["training_seconds"], minutes=summary["training_seconds"] / 60,
        fid=summary["fid_digits"], is_=summary["is_digits"], is_std=summary["is_digits_std"],
        fid_real=summary["fid_digits_real_floor"], is_real=summary["is_digits_real_floor"],
        is_real_std=summary["is_digits_std_real_floor"], protocol=summary["metrics_protocol"],
        class_counts=", ".join(str(c) for c in summary["class_counts"]),
        confidence=summary["mean_confidence"], real_confidence=summary["mean_confidence_real"],
    )


def load_digits(num_train=None):
    """Embedded digits in [-1, 1], (n, 28, 28, 1); a random `num_train` subset if given."""
    (x_train, _), (x_test, _) = keras_gen.datasets.mnist.load_data(source="embedded")
    x_train = keras_gen.datasets.scale_images(x_train)
    x_test = keras_gen.datasets.scale_images(x_test)
    if num_train:
        # A random subset (any prefix of the embedded split is class-balanced too).
        x_train = x_train[np.random.default_rng(0).permutation(len(x_train))[:num_train]]
    return x_train, x_test


def evaluate(gan, x_train, x_test, seed, num_samples):
    """Digits FID / IS of samples (and of the raw generator, with an EMA) and of real digits."""
    samples = gan.generate(num_samples, seed=seed + 1)
    rng = np.random.default_rng(seed)
    real = x_train[rng.permutation(len(x_train))[:num_samples]]
    # digits_metrics uses the first `num_samples` test digits: take a random subset.
    x_test = x_test[rng.permutation(len(x_test))[:num_samples]]
    results = digits_metrics(samples, x_test, num_samples)
    if gan.ema_model is not None:
        raw = gan.generate(num_samples, seed=seed + 1, use_ema=False)
        raw_results = digits_metrics(raw, x_test, num_samples)
        results.update({k + "_raw_generator": v for k, v in raw_results.items()})
    results.update({k + "_real_floor": v for k, v in digits_metrics(real, x_test, num_samples).items()})
    classifier = keras_gen.metrics.load_digits_classifier()
    results["class_counts"], results["mean_confidence"] = digits_class_statistics(samples, classifier)
    _, results["mean_confidence_real"] = digits_class_statistics(x_test, classifier)
    results["metrics_protocol"] = (
        f"{num_samples:,} generated digits (generate(seed={seed + 1})) vs the held-out embedded "
        "test digits; features and class probabilities of the shipped digits_classifier preset "
        "(keras_gen.train.digits_metrics, as for dcgan_mnist)"
    )
    return results


def _write_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--base-filters", type=int, default=SAGAN_MNIST_CONFIG["base_filters"])
    parser.add_argument("--latent-dim", type=int, default=SAGAN_MNIST_CONFIG["latent_dim"])
    # Off by default: after this recipe's ~2,000 steps the generator still improves
    # quickly and an average lags it (see EMA_NOTE).
    parser.add_argument("--ema-decay", type=float, default=0.0,
                        help="keep a moving average of the generator with this decay; 0: none")
    parser.add_argument("--num-train", type=int, default=None, help="train on a random subset")
    parser.add_argument("--num-metric-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample-every", type=int, default=4, help="epochs between sample grids")
    parser.add_argument("--output", default="outputs/sagan_mnist_recipe",
                        help="folder for per-epoch sample grids and the training log")
    parser.add_argument("--preset-dir", default="applications/presets/sagan_mnist")
    parser.add_argument("--fast", action="store_true", help="smoke run in seconds: " + str(FAST))
    args = parser.parse_args(argv)
    if args.fast:
        for key, value in FAST.items():
            setattr(args, key, value)
    os.makedirs(args.output, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    x_train, x_test = load_digits(args.num_train)
    gan = build_sagan(image_shape=(28, 28, 1), latent_dim=args.latent_dim,
                      base_filters=args.base_filters, ema_decay=args.ema_decay or None,
                      seed=args.seed)
    # The smoke run skips graph tracing, which would dominate its seconds.
    gan.compile(**sagan_optimizers(), run_eagerly=args.fast)
    sample_grid = keras_gen.callbacks.SampleGrid(
        args.output, num_samples=64, every_n_epochs=args.sample_every, seed=args.seed, num_rows=8
    )
    start = time.time()
    history = gan.fit(x_train, batch_size=args.batch_size, epochs=args.epochs,
                      callbacks=[sample_grid], verbose=2, shuffle=True)
    training_seconds = time.time() - start

    num_samples = min(args.num_metric_samples, len(x_test))
    results = evaluate(gan, x_train, x_test, args.seed, num_samples)
    steps = args.epochs * -(-len(x_train) // args.batch_size)
    summary = {
        "backend": keras.backend.backend(),
        "epochs": args.epochs,
        "steps": steps,
        "batch_size": args.batch_size,
        "train_images": int(len(x_train)),
        "base_filters": args.base_filters,
        "latent_dim": args.latent_dim,
        "generator_parameters": gan.generator.count_params(),
        "discriminator_parameters": gan.discriminator.count_params(),
        "generator_ema_decay": args.ema_decay or None,
        "num_samples": num_samples,
        "training_seconds": round(training_seconds, 1),
        "fast": bool(args.fast),
        "history": {k: [round(float(v), 4) for v in vs] for k, vs in history.history.items()},
        "sample_grids": [os.path.basename(p) for p in sample_grid.paths],
        **results,
    }

    metadata = {
        "dataset": DATASET,
        "training_seconds": summary["training_seconds"],
        "epochs": args.epochs,
        "architecture": {"image_shape": [28, 28, 1], "latent_dim": args.latent_dim,
                         "base_filters": args.base_filters, "attention_resolution": 14},
        "metrics": {k: results[k] for k in ("fid_digits", "is_digits", "is_digits_std",
                                             "fid_digits_real_floor", "is_digits_real_floor")},
        "metrics_protocol": results["metrics_protocol"],
    }

    def card(metadata):
        # The card and training_metrics.json quote what write_preset measured.
        summary.update(command=metadata["recipe"], machine=metadata["hardware"],
                       weights_mb=metadata["weights_megabytes"])
        return model_card(summary)

    figures = {
        "samples.png": lambda path: keras_gen.utils.save_image_grid(
            gan.generate(64, seed=0), path, num_rows=8),
        # Reference images for the test that the preset generates identically on every backend.
        "reference_samples.npz": lambda path: np.savez(path, images=gan.generate(8, seed=0), seed=0),
        "training_metrics.json": lambda path: _write_json(path, summary),
    }
    keras_gen.presets.write_preset(gan, args.preset_dir, metadata, card, figures,
                                   recipe_script=__file__, recipe_args=argv)
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}, indent=2))
    print(f"Preset written to {args.preset_dir} ({summary['weights_mb']:.2f} MB of weights)")
    return summary


if __name__ == "__main__":
    main()
