"""Trains an adversarial autoencoder on the embedded MNIST digits and writes the `aae_mnist` preset.

A `keras_gen.models.AdversarialAutoencoder` (Makhzani et al. 2016) with the
convolutional networks of `keras_gen.networks` (8-D codes, Gaussian prior by
default) and `mlp_latent_discriminator` is trained on the 4,000 embedded
training digits and evaluated on the 1,000 held-out digits: reconstruction
error, how close the codes are to the prior (Frechet distance between Gaussian
fits of codes and prior samples, before and after training), and the FID of
samples with the package's digits classifier features. It writes sample,
reconstruction, interpolation and latent-map images and the preset with its
model card, every number taken from this run.

Usage (a few minutes on 2 CPU cores, TensorFlow backend by default):

    python recipes/aae_mnist.py
    python recipes/aae_mnist.py --prior mixture --latent-dim 2
    python recipes/aae_mnist.py --quick --output /tmp/aae_mnist  # smoke run, seconds
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import argparse  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gen  # noqa: E402
from vae_mnist import DATASET  # noqa: E402
from vae_mnist import digits_fid  # noqa: E402
from vae_mnist import interpolation_grid  # noqa: E402
from vae_mnist import load_digits  # noqa: E402
from vae_mnist import output_dir  # noqa: E402
from vae_mnist import reconstruction_grid  # noqa: E402
from vae_mnist import sampling_line  # noqa: E402
from vae_mnist import train_subset  # noqa: E402

NAME = "aae_mnist"


def build(latent_dim, prior, base_filters, discriminator_units, seed, loss="non_saturating",
          latent_density_components=None):
    encoder = keras_gen.networks.conv_encoder(
        (28, 28, 1), latent_dim, variational=False, base_filters=base_filters
    )
    decoder = keras_gen.networks.conv_decoder(
        (28, 28, 1), latent_dim, output="tanh", base_filters=base_filters
    )
    critic = keras_gen.networks.mlp_latent_discriminator(
        latent_dim, hidden_units=(discriminator_units, discriminator_units)
    )
    return keras_gen.models.AdversarialAutoencoder(
        encoder, decoder, critic, prior=prior, reconstruction="mse", loss=loss, seed=seed,
        latent_density_components=latent_density_components or None,
    )


SCHEDULE_TEXT = {"constant": "", "cosine": "; every learning rate on a cosine decay to 0 over the run"}


def optimizers(schedule, total_steps):
    """The AAE's default optimizers (`AdversarialAutoencoder.default_optimizers`), on `schedule`."""
    def rate(value):
        if schedule == "cosine":
            return keras.optimizers.schedules.CosineDecay(value, total_steps)
        return value

    return {
        "reconstruction_optimizer": keras.optimizers.Adam(rate(1e-3)),
        "discriminator_optimizer": keras.optimizers.Adam(rate(2e-4), beta_1=0.5),
        "generator_optimizer": keras.optimizers.Adam(rate(2e-4), beta_1=0.5),
    }


def code_to_prior_distance(model, x):
    """Frechet distance between Gaussian fits of the codes of `x` and of prior samples."""
    codes = model.encode(x).astype("float64")
    prior = model.sample_prior(max(len(x), 1000), seed=0).astype("float64")
    return float(
        keras_gen.metrics.frechet_distance(
            *keras_gen.metrics.feature_statistics(codes),
            *keras_gen.metrics.feature_statistics(prior),
        )
    )


def evaluate(model, x_train, x_test):
    t0 = time.time()
    reconstructions = model.reconstruct(x_test)
    squared_error = np.sum((reconstructions - x_test) ** 2, axis=(1, 2, 3))
    codes = model.encode(x_test)
    samples = model.generate(len(x_test), seed=0)
    prior_samples = model.generate(len(x_test), seed=0, prior="standard")
    results = {
        "test_reconstruction_squared_error": round(float(squared_error.mean()), 2),
        "test_codes_to_prior_frechet": round(code_to_prior_distance(model, x_test), 3),
        "test_codes_mean_norm": round(float(np.linalg.norm(codes.mean(axis=0))), 3),
        "test_codes_mean_std": round(float(codes.std(axis=0).mean()), 3),
        "digits_fid_samples_vs_test": round(digits_fid(samples, x_test), 2),
        "digits_fid_prior_samples_vs_test": round(digits_fid(prior_samples, x_test), 2),
        "digits_fid_reconstructions_vs_test": round(digits_fid(reconstructions, x_test), 2),
        "digits_fid_train_vs_test": round(
            digits_fid(train_subset(x_train, len(x_test)), x_test), 2
        ),
        "num_test": int(len(x_test)),
        "evaluation_seconds": round(time.time() - t0, 1),
    }
    return results, samples


def model_card(metadata):
    r = metadata["results"]
    t = metadata["training"]
    prior = (
        "N(0, I)"
        if t["prior"] == "gaussian"
        else "a mixture of 10 elongated 2-D Gaussians on a circle (other dimensions N(0, 1))"
    )
    return f"""# {NAME}

An adversarial autoencoder (Makhzani et al. 2016) for 28x28x1 handwritten digits in
[-1, 1], trained with `keras_gen.models.AdversarialAutoencoder` on the embedded
MNIST subset. A latent discriminator matches the distribution of the
{t["latent_dim"]}-D codes to the prior, {prior}, so decoding prior samples gives digits.

![samples](samples.png)

- Architecture: `keras_gen.networks.conv_encoder((28, 28, 1), {t["latent_dim"]},
  variational=False, base_filters={t["base_filters"]})`, `conv_decoder(...,
  output="tanh")`, `mlp_latent_discriminator({t["latent_dim"]}, hidden_units=({t["discriminator_units"]},
  {t["discriminator_units"]}))`; {metadata["parameter_count"]:,} parameters
  ({metadata["weights_megabytes"]:.2f} MB of weights).
- Objective: squared error summed over pixels (reconstruction phase), then the
  {t.get("loss", "non_saturating").replace("_", "-")} GAN loss on codes (discriminator phase: prior samples real,
  codes fake; generator phase: the encoder fools the discriminator).
- Data: {DATASET}.
- Training: Adam(1e-3) for the reconstruction, Adam(2e-4, beta_1=0.5) for the
  discriminator and generator phases{SCHEDULE_TEXT[t.get("lr_schedule", "constant")]}; {t["epochs"]} epochs, batch {t["batch_size"]},
  seed {t["seed"]}, {metadata["backend"]} backend, {t["train_seconds"]:.0f} s on {metadata["hardware"]}.
{sampling_line(t, "AdversarialAutoencoder", "the codes", "the prior")}

## Results (held-out digits, {r["num_test"]:,} images; from this run)

| metric | value |
|---|---|
| reconstruction squared error per image (pixels in [-1, 1]) | **{r["test_reconstruction_squared_error"]:.2f}** |
| Frechet distance, codes vs prior samples (Gaussian fits), after training | **{r["test_codes_to_prior_frechet"]:.3f}** |
| same, with the untrained encoder | {t["codes_to_prior_frechet_before"]:.3f} |
| norm of the mean code / mean per-dimension std | {r["test_codes_mean_norm"]:.3f} / {r["test_codes_mean_std"]:.3f} |
| digits FID, {r["num_test"]:,} samples (`generate`) vs held-out digits | **{r["digits_fid_samples_vs_test"]:.2f}** |
| digits FID, {r["num_test"]:,} samples of prior codes vs held-out digits | {r["digits_fid_prior_samples_vs_test"]:.2f} |
| digits FID, reconstructions vs held-out digits | {r["digits_fid_reconstructions_vs_test"]:.2f} |
| digits FID, {r["num_test"]:,} training vs held-out digits (reference) | {r["digits_fid_train_vs_test"]:.2f} |

FID uses the features of the shipped `digits_classifier` preset (comparable
between runs of this package only). An AAE has no tractable likelihood, so no
nats are reported (see `vae_mnist` for a model that has one).

Files: `samples.png` (64 samples of `generate`, seed 0), `reconstructions.png` (held-out
digits above their reconstructions), `interpolations.png` (linear paths between
codes of held-out digits of different classes, originals at the ends),
`latents.png` (held-out codes, first two dimensions, coloured by digit).

## Reproduce

`{metadata["recipe"]}`

## Limitations

- Trained on 4,000 digits for a few minutes on CPU; samples are recognisable
  but imperfect, and adversarial training varies from seed to seed.
- The prior match is only as good as the latent discriminator; regions of the
  prior far from every code decode to blurry or ambiguous digits.

## Usage

```python
aae = keras_gen.presets.from_preset("{NAME}")
images = aae.generate(16, seed=0)   # in [-1, 1]; codes from the fitted mixture when it has one
from_prior = aae.generate(16, seed=0, prior="standard")  # codes from the prior
codes = aae.encode(x)               # x: (n, 28, 28, 1) in [-1, 1]
```
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--latent-dim", type=int, default=8)
    parser.add_argument("--prior", default="gaussian", choices=("gaussian", "mixture"))
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--discriminator-units", type=int, default=512)
    parser.add_argument("--loss", default="non_saturating",
                        help="adversarial objective on the codes (keras_gen.losses.names())")
    parser.add_argument("--lr-schedule", default="constant", choices=("constant", "cosine"),
                        help="cosine: every learning rate decays to 0 over the run (steadier samples "
                             "at the end of adversarial training)")
    parser.add_argument("--latent-density-components", type=int, default=10,
                        help="Gaussian mixture fitted to the training codes for sampling "
                             "(fit_latent_density); 0 samples the prior")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (seconds)")
    parser.add_argument("--output", default=None, help="preset folder (default: the shipped one)")
    args = parser.parse_args()
    if args.quick:
        args.epochs = 1
    preset_dir = output_dir(NAME, args)

    keras.utils.set_random_seed(args.seed)
    (x_train, _), (x_test, y_test) = load_digits(args.quick)
    model = build(args.latent_dim, args.prior, args.base_filters, args.discriminator_units, args.seed,
                  args.loss, args.latent_density_components)
    model.compile(**optimizers(args.lr_schedule, args.epochs * -(-len(x_train) // args.batch_size)))
    before = code_to_prior_distance(model, x_test)
    start = time.time()
    history = model.fit(x_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2)
    train_seconds = time.time() - start
    if args.latent_density_components:
        model.fit_latent_density(x_train, seed=args.seed)

    results, samples = evaluate(model, x_train, x_test)
    print(f"codes_to_prior_frechet_before={before:.3f} " + " ".join(f"{k}={v}" for k, v in results.items()))
    metadata = {
        "name": NAME,
        "task": "image generation (adversarial autoencoder), representation learning",
        "dataset": DATASET,
        "training": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "latent_dim": args.latent_dim,
            "prior": args.prior,
            "loss": args.loss,
            "base_filters": args.base_filters,
            "discriminator_units": args.discriminator_units,
            "optimizers": "reconstruction Adam(1e-3); discriminator, generator Adam(2e-4, beta_1=0.5)"
                          + SCHEDULE_TEXT[args.lr_schedule],
            "lr_schedule": args.lr_schedule,
            "seed": args.seed,
            "latent_density_components": args.latent_density_components,
            "train_seconds": round(train_seconds, 1),
            "codes_to_prior_frechet_before": round(before, 3),
            "final_logs": {k: round(float(v[-1]), 4) for k, v in history.history.items()},
            "quick": bool(args.quick),
        },
        "results": results,
        "metrics": {
            "digits_fid_samples_vs_test": results["digits_fid_samples_vs_test"],
            "digits_fid_prior_samples_vs_test": results["digits_fid_prior_samples_vs_test"],
            "reconstruction_squared_error": results["test_reconstruction_squared_error"],
            "how_measured": (
                "held-out embedded digits: squared error of reconstruct(x) summed over pixels "
                "in [-1, 1], mean over images; FID between digits-classifier features of "
                "generate(1000, seed=0) (codes from the fitted mixture; prior_samples: "
                "generate(1000, seed=0, prior='standard'); or reconstructions) and the held-out "
                "digits; Frechet "
                "distance between Gaussian fits of encode(x_test) and sample_prior(1000, seed=0)"
            ),
        },
    }
    figures = {
        "samples.png": lambda path: keras_gen.utils.save_image_grid(samples[:64], path),
        "reconstructions.png": lambda path: reconstruction_grid(
            x_test[:32], model.reconstruct(x_test[:32]), path),
        "interpolations.png": lambda path: interpolation_grid(
            model, x_test, y_test, path, method="linear"),
        "latents.png": lambda path: keras_gen.utils.latent_scatter(
            model, x_test, y_test, path, dims=(0, 1),
            title=f"AAE codes of held-out digits ({args.prior} prior)"),
    }
    metadata = keras_gen.presets.write_preset(model, preset_dir, metadata, model_card, figures)
    print(f"preset written to {preset_dir} ({metadata['weights_megabytes']:.2f} MB of weights)")


if __name__ == "__main__":
    main()
