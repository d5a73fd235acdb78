"""
Title: Getting started with keras_gen
Author: keras_gen developers
Date created: 2026/11/23
Last modified: 2026/11/23
Description: Train a DCGAN on MNIST digits with `fit()`, look at samples, save it, and load the pretrained application.
Accelerator: None (runs on CPU in minutes)
"""

"""
## Introduction

`keras_gen` models are ordinary `keras.Model`s: you build them from a generator and a
discriminator, `compile()` them with one optimizer per network, and train them with `fit()`.
The same code runs on TensorFlow, JAX and PyTorch — set `KERAS_BACKEND` before importing Keras.

This guide trains a DCGAN (Radford et al. 2016) on the MNIST digits that ship with the package,
so it runs offline.
"""

"""
## Setup
"""

import os

import keras
import numpy as np

import keras_gen
import keras_gen.applications

# Set KERAS_GEN_GUIDE_FAST=1 for a seconds-long smoke run (used by the tests).
FAST = os.environ.get("KERAS_GEN_GUIDE_FAST") == "1"
OUTPUT = os.environ.get("KERAS_GEN_GUIDE_OUTPUT", "guide_outputs/getting_started")
os.makedirs(OUTPUT, exist_ok=True)
keras.utils.set_random_seed(42)
print("Backend:", keras.backend.backend())

"""
## Load the data

`keras_gen.datasets.mnist.load_data()` returns the full MNIST when it is cached or reachable,
and otherwise the 5,000 real digits embedded in the package. Images come as uint8 in [0, 255];
GANs with a `tanh` generator want floats in [-1, 1], which `scale_images` produces (adding a
channel axis).
"""

(x_train, y_train), (x_test, y_test) = keras_gen.datasets.mnist.load_data(source="embedded")
x_train = keras_gen.datasets.scale_images(x_train)
if FAST:
    x_train = x_train[:256]
print(x_train.shape, x_train.dtype, x_train.min(), x_train.max())

"""
## Build the model

The DCGAN builders follow the paper: strided convolutions, batch normalization, ReLU/tanh in
the generator, LeakyReLU(0.2) in the discriminator, N(0, 0.02) initialization. Sub-pixel
upsampling (depth-to-space) is fast on every backend; transposed convolutions are much slower
under XLA on CPU.
"""

latent_dim = 100
generator = keras_gen.networks.dcgan_generator(
    image_shape=(28, 28, 1), latent_dim=latent_dim, base_filters=8 if FAST else 32, upsampling="subpixel"
)
discriminator = keras_gen.networks.dcgan_discriminator(image_shape=(28, 28, 1), base_filters=8 if FAST else 32)
gan = keras_gen.models.GAN(generator, discriminator, loss="non_saturating")
gan.compile(
    generator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    discriminator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
)

"""
## Train with `fit()`

Each step updates the discriminator, then the generator. The History records `d_loss` and
`g_loss`. `SampleGrid` saves a grid of samples from the same latent vectors at the end of
every epoch, so progress is easy to see; `GeneratorEMA` keeps a moving average of the
generator, which usually gives cleaner samples.
"""

history = gan.fit(
    x_train,
    batch_size=64,
    epochs=1 if FAST else 10,
    callbacks=[
        keras_gen.callbacks.SampleGrid(OUTPUT, num_samples=64),
        keras_gen.callbacks.GeneratorEMA(0.999),
    ],
)
print({k: [round(v, 3) for v in vs] for k, vs in history.history.items()})

"""
## Look at samples

`generate()` returns NumPy images in [-1, 1]. With an integer seed the latent vectors are drawn
with NumPy, so the same seed gives the same images on every backend.
"""

samples = gan.generate(64, seed=0)
keras_gen.utils.save_image_grid(samples, os.path.join(OUTPUT, "samples.png"), num_rows=8)

"""
## Save and load

A `keras_gen` model saves like any Keras model; the reloaded model generates the same images.
"""

path = os.path.join(OUTPUT, "dcgan.keras")
gan.save(path)
reloaded = keras.saving.load_model(path)
np.testing.assert_allclose(reloaded.generate(8, seed=0), gan.generate(8, seed=0), atol=1e-5)

"""
## The pretrained application

`keras_gen.applications.DCGAN(weights="dcgan_mnist")` loads the generator trained by
`recipes/dcgan_mnist.py` (weights ship with the package and are verified by sha256).
`include_discriminator=True` returns the whole GAN, ready to fine-tune with `fit()`.
"""

if "dcgan_mnist" in keras_gen.presets.list_presets():
    pretrained = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
    keras_gen.utils.save_image_grid(
        pretrained.generate(64, seed=0), os.path.join(OUTPUT, "pretrained_samples.png"), num_rows=8
    )
    print(keras_gen.presets.load_metadata("dcgan_mnist")["metrics"])

"""
## Next steps

- Other objectives: `loss="hinge"`, `loss="wasserstein", gradient_penalty="wgan_gp",
  discriminator_steps=5`, `gradient_penalty="r1"`.
- Measure sample quality with `keras_gen.metrics.FrechetInceptionDistance` or during training
  with `keras_gen.callbacks.GenerativeMetrics`.
"""
