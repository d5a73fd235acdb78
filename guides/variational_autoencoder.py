"""
Title: Variational autoencoders with keras_gen
Author: keras_gen contributors
Date created: 2026/11/23
Last modified: 2026/11/23
Description: Train a VAE on digits with `fit()`, bound its likelihood, explore its 2-D latents.
Accelerator: None
"""

"""
## Introduction

A variational autoencoder (VAE, Kingma & Welling 2014) is a generative model
with two networks:

- an **encoder** that maps an image `x` to a Gaussian distribution over a
  small latent code, `q(z|x) = N(mean(x), exp(log_var(x)))`;
- a **decoder** that maps a code `z` back to a distribution over images,
  `p(x|z)`.

Training maximizes the *evidence lower bound* (ELBO) on the log-likelihood of
each training image,

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I)),

a reconstruction term minus a KL term that keeps the codes close to the prior
`N(0, I)`. Because the codes follow the prior, decoding `z ~ N(0, I)` gives new
images.

`keras_gen.models.VAE` implements this objective once, with `keras.ops`, so
the same code trains with `model.fit()` on TensorFlow, JAX and PyTorch. In
this guide we train a VAE with a **2-D latent space** on the handwritten
digits that ship with keras_gen, so that we can draw the whole latent space on
a page.

Set `KERAS_GEN_GUIDE_FAST=1` to run the guide in a few seconds on a tiny slice
of the data (the pictures are then meaningless), and
`KERAS_GEN_GUIDE_OUTPUT=<folder>` to choose where the pictures are written.
"""

"""
## Setup
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np

import keras_gen

# Set KERAS_GEN_GUIDE_FAST=1 for a seconds-long smoke run (used by the tests).
FAST = os.environ.get("KERAS_GEN_GUIDE_FAST") == "1"
OUTPUT_DIR = os.environ.get("KERAS_GEN_GUIDE_OUTPUT", "guide_outputs/variational_autoencoder")
os.makedirs(OUTPUT_DIR, exist_ok=True)
keras.utils.set_random_seed(0)


def output_path(name):
    return os.path.join(OUTPUT_DIR, name)


"""
## The data

`keras_gen.datasets.mnist.load_data(source="embedded")` returns 5,000 real
MNIST digits that ship with the package (4,000 for training, 1,000 held out),
so this guide needs no download. Every keras_gen model expects images as
floats in [-1, 1] with a channel axis.
"""

(x_train, y_train), (x_test, y_test) = keras_gen.datasets.mnist.load_data(source="embedded")
x_train = (x_train.astype("float32") / 127.5 - 1.0)[..., None]
x_test = (x_test.astype("float32") / 127.5 - 1.0)[..., None]
if FAST:
    rng = np.random.default_rng(0)
    train_rows = rng.permutation(len(x_train))[:200]
    test_rows = rng.permutation(len(x_test))[:200]
    x_train, y_train = x_train[train_rows], y_train[train_rows]
    x_test, y_test = x_test[test_rows], y_test[test_rows]
print("train:", x_train.shape, "held out:", x_test.shape)

"""
## The networks

`keras_gen.networks.conv_encoder` builds a small convolutional encoder with
two outputs, `mean` and `log_var`. `keras_gen.networks.conv_decoder` builds
the decoder; with `output="logits"` it returns one logit per pixel, the
parameters of a Bernoulli distribution over each pixel (the targets are the
pixel values mapped to [0, 1]).
"""

LATENT_DIM = 2
filters = 8 if FAST else 32
encoder = keras_gen.networks.conv_encoder((28, 28, 1), LATENT_DIM, base_filters=filters)
decoder = keras_gen.networks.conv_decoder(
    (28, 28, 1), LATENT_DIM, output="logits", base_filters=filters
)
encoder.summary()

"""
## The model

The VAE draws a code with the *reparameterization trick*,
`z = mean + exp(log_var / 2) * eps` with `eps ~ N(0, I)`, so gradients flow
through the sampling. The loss of each image is `-log p(x|z) + KL`, summed over
pixels and latent dimensions (in nats) and averaged over the batch.

Two useful options:

- `beta` multiplies the KL term (`beta > 1` is the β-VAE of Higgins et al.
  2017, which trades reconstructions for more disentangled codes);
- `kl_warmup_steps` ramps the KL weight from 0 to `beta` at the start of
  training, which helps the decoder start using the code.

`compile()` takes the optimizer by name (`vae_optimizer=`); the default is
Adam with a learning rate of 1e-3.
"""

vae = keras_gen.models.VAE(encoder, decoder, likelihood="bernoulli", kl_warmup_steps=200, seed=0)
vae.compile()

"""
## Training

`fit()` logs three numbers per epoch: `reconstruction_loss` (`-log p(x|z)`),
`kl_loss`, and `elbo` (their difference, with β = 1 and no warm-up, so it is
comparable between runs). `evaluate()` reports the same numbers on held-out
data.
"""

epochs = 1 if FAST else 30
history = vae.fit(x_train, batch_size=100, epochs=epochs, verbose=2)
held_out = vae.evaluate(x_test, batch_size=200, verbose=0, return_dict=True)
print(f"held-out ELBO: {held_out['elbo']:.1f} nats per image")

"""
## How good is the model? An importance-weighted bound

The ELBO is only a lower bound on `log p(x)`. Burda et al. (2016) give a
tighter one by averaging `k` importance weights `p(x|z) p(z) / q(z|x)` inside
the logarithm; it equals the ELBO for `k = 1` and approaches `log p(x)` as `k`
grows. `importance_weighted_log_likelihood` returns it per image, in nats.
"""

subset = x_test[:200]
elbo = vae.elbo(subset, num_samples=10, seed=0)
iw_bound = vae.importance_weighted_log_likelihood(subset, num_samples=2 if FAST else 100, seed=0)
print(f"ELBO: {elbo.mean():.1f} nats, importance-weighted bound: {iw_bound.mean():.1f} nats")

"""
With a 2-D code the model cannot store much about each digit, so expect the
bound to sit well below that of the 16-D model of `recipes/vae_mnist.py`.

## Reconstructions

`reconstruct()` decodes the posterior mean of each image; images come back in
[-1, 1]. Top row: held-out digits; bottom row: their reconstructions.
"""

originals = x_test[:10]
reconstructions = vae.reconstruct(originals)
keras_gen.utils.save_image_grid(
    np.concatenate([originals, reconstructions]), output_path("vae_reconstructions.png"), num_rows=2
)

"""
## Samples from the prior

`generate()` decodes codes drawn from `N(0, I)`. An integer seed draws them
with NumPy, so the same seed gives the same images on every backend.
"""

samples = vae.generate(64, seed=0)
keras_gen.utils.save_image_grid(samples, output_path("vae_samples.png"))

"""
## Sampling where the codes are: a latent density fitted after training

The codes of the training digits do not fill `N(0, I)`: the KL term pulls them
towards it, but they sit in clumps with empty space between, and codes drawn
from the prior in that space decode to blurred, ambiguous digits. Ex-post density
estimation (Ghosh et al. 2020) fits a Gaussian mixture to the posterior means of
the training set once training is done, and samples codes from it instead; the
networks do not change. Build the VAE with `latent_density_components=` (here
around the trained networks) and call `fit_latent_density`. The mixture is kept
in the model's (non-trainable) weights, so it is saved with them;
`generate(n, prior="standard")` still draws from `N(0, I)`. On the shipped
`vae_mnist` preset it takes the digits FID of 1,000 samples from 83.4 to 20.7.
`AutoEncoder` and `AdversarialAutoencoder` take the same option: a plain
autoencoder, which has no prior, can then `generate()`.
"""

with_density = keras_gen.models.VAE(encoder, decoder, likelihood="bernoulli", seed=0,
                                    latent_density_components=10)
log_density = with_density.fit_latent_density(x_train)
print(f"mean log-density of the training codes under the 10-component mixture: {log_density:.2f}")
keras_gen.utils.save_image_grid(with_density.generate(64, seed=0),
                                output_path("vae_samples_fitted_density.png"))

"""
## Interpolating between two digits

`keras_gen.utils.interpolation_strip` encodes two images, walks between their
codes and decodes every step. `method="slerp"` follows a great circle, which
keeps codes at a typical distance from the origin of the Gaussian prior.
"""

first = int(np.flatnonzero(y_test == 1)[0])
second = int(np.flatnonzero(y_test == 7)[0]) if np.any(y_test == 7) else 1
strip = keras_gen.utils.interpolation_strip(
    vae, x_test[first], x_test[second], num_steps=10, method="slerp", include_inputs=True
)
keras_gen.utils.save_image(strip, output_path("vae_interpolation.png"))

"""
## The 2-D latent space

With two latent dimensions we can look at the whole code space at once.
`keras_gen.utils.latent_scatter` plots the posterior means of held-out digits
coloured by their label: digits of the same class gather in regions of the
plane, even though the model never saw a label.
"""

keras_gen.utils.latent_scatter(
    vae,
    x_test,
    y_test,
    output_path("vae_latent_map.png"),
    title="Posterior means of held-out digits",
)

"""
The decoder's view of the same plane: decode a regular grid of codes. Using
the quantiles of the prior for the grid (as in Kingma & Welling's figure 4)
spreads the grid evenly over the prior's probability mass.
"""

from scipy.stats import norm  # noqa: E402

side = 15
quantiles = norm.ppf(np.linspace(0.05, 0.95, side)).astype("float32")
grid_codes = np.array([[a, b] for b in quantiles[::-1] for a in quantiles], "float32")
manifold = vae.decode(grid_codes)
keras_gen.utils.save_image_grid(manifold, output_path("vae_manifold.png"), num_rows=side)

"""
And one dimension at a time, from the prior mean:
"""

traversal = keras_gen.utils.latent_traversal_grid(
    vae, dims=[0, 1], values=np.linspace(-2.5, 2.5, 11)
)
keras_gen.utils.save_image(traversal, output_path("vae_traversal.png"))

"""
## Saving and loading

A `VAE` is a Keras model: `save()` writes both networks and the optimizer
state to one `.keras` file, and `keras.saving.load_model` brings it back (also
under another backend).
"""

path = output_path("vae_digits.keras")
vae.save(path)
restored = keras.saving.load_model(path)
np.testing.assert_allclose(restored.decode(grid_codes[:4]), vae.decode(grid_codes[:4]), atol=1e-5)
print("written:", sorted(name for name in os.listdir(OUTPUT_DIR) if name.startswith("vae_")))

"""
## Where to go next

- `keras_gen.models.ConditionalVAE` gives both networks the class label, so
  `generate(n, labels=7)` draws sevens.
- `keras_gen.models.AdversarialAutoencoder` replaces the KL term with a
  discriminator on the codes and can match any prior you can sample, such as
  a mixture of Gaussians; `recipes/aae_mnist.py` trains the `aae_mnist` preset.
- `recipes/vae_mnist.py` trains the 16-D model behind the `vae_mnist` preset
  and reports its held-out bounds.
"""
