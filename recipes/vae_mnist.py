"""Trains a VAE on the embedded MNIST digits and writes the `vae_mnist` preset.

A `keras_gen.models.VAE` with the convolutional networks of
`keras_gen.networks.conv_encoder` / `conv_decoder` (16-D latent, Bernoulli
likelihood on grey levels) is trained on the 4,000 embedded training digits
and evaluated on the 1,000 held-out digits: negative ELBO and the
importance-weighted bound (Burda et al. 2016) in nats, KL, active units, and
the FID of samples with the package's digits classifier features. It writes
sample, reconstruction, interpolation and traversal grids and the preset with
its model card, every number taken from this run.

Usage (a few minutes on 2 CPU cores, TensorFlow backend by default):

    python recipes/vae_mnist.py
    python recipes/vae_mnist.py --quick --output /tmp/vae_mnist  # smoke run, seconds
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gen  # noqa: E402

NAME = "vae_mnist"
DATASET = (
    "embedded MNIST subset (keras_gen/datasets/data/mnist_5k.npz; MNIST by LeCun, "
    "Cortes and Burges, CC BY-SA 3.0): 4,000 train / 1,000 held-out digits"
)


# ------------------------------------------------------------ shared helpers
# (recipes/aae_mnist.py imports these.)
def load_digits(quick):
    """Embedded digits as floats in [-1, 1], shape (n, 28, 28, 1), with labels."""
    (x_train, y_train), (x_test, y_test) = keras_gen.datasets.mnist.load_data(source="embedded")
    scale = lambda x: (x.astype("float32") / 127.5 - 1.0)[..., None]  # noqa: E731
    x_train, x_test = scale(x_train), scale(x_test)
    if quick:
        rng = np.random.default_rng(0)
        train_rows = rng.permutation(len(x_train))[:256]
        test_rows = rng.permutation(len(x_test))[:128]
        return (x_train[train_rows], y_train[train_rows]), (x_test[test_rows], y_test[test_rows])
    return (x_train, y_train), (x_test, y_test)


def digits_fid(images_a, images_b):
    """Frechet distance between two image sets in the digits classifier's features."""
    extractor = keras_gen.metrics.get_feature_extractor("digits")
    stats_a = keras_gen.metrics.feature_statistics(extractor.features(images_a))
    stats_b = keras_gen.metrics.feature_statistics(extractor.features(images_b))
    return float(keras_gen.metrics.frechet_distance(*stats_a, *stats_b))


def reconstruction_grid(originals, reconstructions, path):
    """Rows of 8: originals above their reconstructions."""
    rows = []
    for start in range(0, len(originals), 8):
        rows.append(originals[start : start + 8])
        rows.append(reconstructions[start : start + 8])
    keras_gen.utils.save_image_grid(np.concatenate(rows), path, num_rows=len(rows))


def interpolation_grid(model, x_test, y_test, path, num_pairs=6, num_steps=10, method="slerp"):
    """Stacked interpolation strips between test digits of different classes."""
    rng = np.random.default_rng(1)
    strips = []
    for _ in range(num_pairs):
        a, b = rng.choice(len(x_test), 2, replace=False)
        while y_test[a] == y_test[b]:
            b = rng.integers(len(x_test))
        strips.append(
            keras_gen.utils.interpolation_strip(
                model, x_test[a], x_test[b], num_steps=num_steps, method=method,
                include_inputs=True,
            )
        )
    keras_gen.utils.save_image(np.concatenate(strips, axis=0), path)


def output_dir(name, args):
    """The preset folder: `--output`, a temporary folder for `--quick`, else the shipped one."""
    if args.output:
        return args.output
    if args.quick:
        return tempfile.mkdtemp(prefix=f"{name}_quick_")
    return os.path.join(keras_gen.presets.builtin_presets_dir(), name)


# -------------------------------------------------------------------- recipe
def build(latent_dim, base_filters, kl_warmup_steps, seed, latent_density_components=None):
    encoder = keras_gen.networks.conv_encoder(
        (28, 28, 1), latent_dim, variational=True, base_filters=base_filters
    )
    decoder = keras_gen.networks.conv_decoder(
        (28, 28, 1), latent_dim, output="logits", base_filters=base_filters
    )
    return keras_gen.models.VAE(
        encoder, decoder, likelihood="bernoulli", kl_warmup_steps=kl_warmup_steps, seed=seed,
        latent_density_components=latent_density_components or None,
    )


def networks_from(preset_dir):
    """The VAE of a preset folder and its metadata."""
    return (keras_gen.presets.from_preset(preset_dir),
            keras_gen.presets.load_metadata(preset_dir))


def train_subset(x_train, size):
    """A random subset of the training digits."""
    return x_train[np.random.default_rng(0).permutation(len(x_train))[:size]]


def evaluate(model, x_train, x_test, iw_samples):
    t0 = time.time()
    x_train = train_subset(x_train, len(x_test))
    test_elbo = model.elbo(x_test, num_samples=10, seed=0)
    train_elbo = model.elbo(x_train, num_samples=10, seed=0)
    iw = model.importance_weighted_log_likelihood(x_test, num_samples=iw_samples, seed=0)
    iw_single = model.importance_weighted_log_likelihood(x_test, num_samples=1, seed=0)
    mean, log_var = model.encode(x_test)
    kl = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1.0 - log_var, axis=1)
    # Active units (Burda et al. 2016): Cov_x(E_q[z_i]) > 0.01.
    active = int(np.sum(np.var(mean, axis=0) > 0.01))
    samples = model.generate(len(x_test), seed=0)
    standard_samples = model.generate(len(x_test), seed=0, prior="standard")
    results = {
        "test_negative_elbo_nats": round(float(-test_elbo.mean()), 2),
        "test_negative_iw_bound_nats": round(float(-iw.mean()), 2),
        "iw_samples": iw_samples,
        "test_negative_iw_bound_k1_nats": round(float(-iw_single.mean()), 2),
        "train_negative_elbo_nats": round(float(-train_elbo.mean()), 2),
        "test_kl_nats": round(float(kl.mean()), 2),
        "active_units": active,
        "digits_fid_samples_vs_test": round(digits_fid(samples, x_test), 2),
        "digits_fid_standard_prior_samples_vs_test": round(digits_fid(standard_samples, x_test), 2),
        "digits_fid_train_vs_test": round(digits_fid(x_train, x_test), 2),
        "num_test": int(len(x_test)),
        "evaluation_seconds": round(time.time() - t0, 1),
    }
    return results, samples


def model_card(metadata):
    r = metadata["results"]
    t = metadata["training"]
    return f"""# {NAME}

A variational autoencoder (Kingma & Welling 2014) for 28x28x1 handwritten digits
in [-1, 1], trained with `keras_gen.models.VAE` on the embedded MNIST subset.

![samples](samples.png)

- Architecture: `keras_gen.networks.conv_encoder((28, 28, 1), {t["latent_dim"]},
  base_filters={t["base_filters"]})` -> `[mean, log_var]`, reparameterized {t["latent_dim"]}-D code
  (prior N(0, I)), `conv_decoder(..., output="logits")` (resize + conv upsampling);
  {metadata["parameter_count"]:,} parameters ({metadata["weights_megabytes"]:.2f} MB of weights).
- Likelihood: Bernoulli on grey levels (targets `(x + 1) / 2`), summed over the
  784 pixels; KL in closed form; beta = 1, KL warm-up over {t["kl_warmup_steps"]} steps.
- Data: {DATASET}.
- Training: Adam(1e-3), {t["epochs"]} epochs, batch {t["batch_size"]}, seed {t["seed"]},
  {metadata["backend"]} backend, {t["train_seconds"]:.0f} s on {metadata["hardware"]}.
{sampling_line(t)}

## Results (held-out digits, {r["num_test"]:,} images; from this run)

| metric | value |
|---|---|
| negative ELBO (nats, 10 samples per image) | **{r["test_negative_elbo_nats"]:.2f}** |
| negative importance-weighted bound, k = {r["iw_samples"]} (nats) | **{r["test_negative_iw_bound_nats"]:.2f}** |
| negative importance-weighted bound, k = 1 (nats) | {r["test_negative_iw_bound_k1_nats"]:.2f} |
| negative ELBO on {r["num_test"]:,} training digits (nats) | {r["train_negative_elbo_nats"]:.2f} |
| KL(q(z given x) ‖ p(z)) (nats) | {r["test_kl_nats"]:.2f} |
| active latent units (of {t["latent_dim"]}) | {r["active_units"]} |
| digits FID, {r["num_test"]:,} samples vs held-out digits | **{r["digits_fid_samples_vs_test"]:.2f}** |
| digits FID, {r["num_test"]:,} samples of N(0, I) codes vs held-out digits | {r["digits_fid_standard_prior_samples_vs_test"]:.2f} |
| digits FID, {r["num_test"]:,} training vs held-out digits (reference) | {r["digits_fid_train_vs_test"]:.2f} |

The importance-weighted bound (Burda et al. 2016) is tighter than the ELBO, as it
must be: its negative is the better estimate of the held-out negative
log-likelihood. FID uses the features of the shipped `digits_classifier`
preset (comparable between runs of this package only).

Files: `samples.png` (64 samples, seed 0), `reconstructions.png` (held-out
digits above their reconstructions), `interpolations.png` (slerp between the
codes of held-out digits of different classes, originals at the ends),
`traversals.png` (the {min(4, t["latent_dim"])} most active latent dimensions from -3 to 3).

## Reproduce

`{metadata["recipe"]}`

## Limitations

- Trained on 4,000 digits only; samples are blurry, as is usual for a VAE with
  a factorized Bernoulli decoder.
- The likelihood treats grey levels as soft Bernoulli targets, so the numbers
  are cross-entropies, not probabilities of binary images: they compare runs of
  this recipe, not results on binarized MNIST in the literature.

## Usage

```python
vae = keras_gen.presets.from_preset("{NAME}")
images = vae.generate(16, seed=0)                  # in [-1, 1], codes from the fitted mixture
blurrier = vae.generate(16, seed=0, prior="standard")  # codes from N(0, I)
mean, log_var = vae.encode(x)                      # x: (n, 28, 28, 1) in [-1, 1]
log_px = vae.importance_weighted_log_likelihood(x, num_samples=100)
```
"""


def sampling_line(training, model="VAE", codes="the posterior means", prior="N(0, I)"):
    """The model card's line on where `generate()` draws its codes from."""
    k = training.get("latent_density_components")
    if not k:
        return f"- Sampling: codes from the prior {prior}."
    return (f"- Sampling: codes from a {k}-component full-covariance Gaussian mixture fitted by EM\n"
            f"  to {codes} of the 4,000 training digits after training (ex-post density\n"
            f"  estimation, Ghosh et al. 2020; `{model}.fit_latent_density`); the networks are unchanged.\n"
            f"  `generate(n, prior=\"standard\")` draws codes from {prior} instead.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--kl-warmup-steps", type=int, default=200)
    parser.add_argument("--iw-samples", type=int, default=50)
    parser.add_argument("--latent-density-components", type=int, default=10,
                        help="Gaussian mixture fitted to the training codes for sampling "
                             "(VAE.fit_latent_density); 0 samples N(0, I)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (seconds)")
    parser.add_argument("--output", default=None, help="preset folder (default: the shipped one)")
    parser.add_argument("--networks-from", default=None,
                        help="a vae_mnist preset folder whose trained networks to use instead of "
                             "training (its training record, machine and command are kept)")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.iw_samples = 1, 5
    preset_dir = output_dir(NAME, args)

    keras.utils.set_random_seed(args.seed)
    (x_train, _), (x_test, y_test) = load_digits(args.quick)
    model = build(args.latent_dim, args.base_filters, args.kl_warmup_steps, args.seed,
                  args.latent_density_components)
    trained_on = None
    if args.networks_from:
        trained, earlier = networks_from(args.networks_from)
        model.encoder.set_weights(trained.encoder.get_weights())
        model.decoder.set_weights(trained.decoder.get_weights())
        train_seconds, history = earlier["training"]["train_seconds"], None
        for key in ("epochs", "batch_size", "latent_dim", "base_filters", "kl_warmup_steps", "seed"):
            setattr(args, key, earlier["training"][key])
        trained_on = {"hardware": earlier["hardware"], "recipe": earlier["recipe"]}
    else:
        model.compile()
        start = time.time()
        history = model.fit(x_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2)
        train_seconds = time.time() - start
    if args.latent_density_components:
        model.fit_latent_density(x_train, seed=args.seed)

    results, samples = evaluate(model, x_train, x_test, args.iw_samples)
    print(" ".join(f"{k}={v}" for k, v in results.items()))
    if results["test_negative_iw_bound_nats"] > results["test_negative_elbo_nats"] and not args.quick:
        print("WARNING: the importance-weighted bound is not tighter than the ELBO.")

    metadata = {
        "name": NAME,
        "task": "image generation (VAE), density estimation",
        "dataset": DATASET,
        "training": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "latent_dim": args.latent_dim,
            "base_filters": args.base_filters,
            "kl_warmup_steps": args.kl_warmup_steps,
            "optimizer": "Adam(1e-3)",
            "seed": args.seed,
            "train_seconds": round(train_seconds, 1),
            "final_train_elbo_logged": (round(float(history.history["elbo"][-1]), 2) if history
                                        else earlier["training"]["final_train_elbo_logged"]),
            "latent_density_components": args.latent_density_components,
            "quick": bool(args.quick),
        },
        "results": results,
        "metrics": {
            "negative_elbo_nats": results["test_negative_elbo_nats"],
            "negative_iw_bound_nats": results["test_negative_iw_bound_nats"],
            "how_measured": (
                "mean over the held-out embedded digits of -VAE.elbo(x, num_samples=10, "
                f"seed=0) and -VAE.importance_weighted_log_likelihood(x, num_samples="
                f"{args.iw_samples}, seed=0), Bernoulli likelihood on grey levels, nats"
            ),
        },
    }
    mean, _ = model.encode(x_test)
    most_active = np.argsort(-np.var(mean, axis=0))[: min(4, args.latent_dim)]
    figures = {
        "samples.png": lambda path: keras_gen.utils.save_image_grid(samples[:64], path),
        "reconstructions.png": lambda path: reconstruction_grid(
            x_test[:32], model.reconstruct(x_test[:32]), path),
        "interpolations.png": lambda path: interpolation_grid(model, x_test, y_test, path),
        "traversals.png": lambda path: keras_gen.utils.save_image(
            keras_gen.utils.latent_traversal_grid(model, most_active, np.linspace(-3, 3, 11)), path),
    }
    metadata = keras_gen.presets.write_preset(model, preset_dir, metadata, model_card, figures,
                                              trained_on=trained_on)
    print(f"preset written to {preset_dir} ({metadata['weights_megabytes']:.2f} MB of weights)")


if __name__ == "__main__":
    main()
