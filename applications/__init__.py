"""Pretrained-style constructors in the style of `keras.applications`, and the shipped presets.

This folder is the package `keras_gen.applications` (see `keras_gen/__init__.py`);
the preset folders live in `presets/`. Each application module registers the
presets it loads; the presets that only `keras_gen.presets.from_preset` loads
are registered here.
"""

import keras

from keras_gen import models
from keras_gen import presets
from keras_gen.applications.conditional_dcgan import ConditionalDCGAN
from keras_gen.applications.dcgan import DCGAN
from keras_gen.applications.sagan import SAGAN
from keras_gen.presets import list_presets  # noqa: F401 (keras.applications-style listing)

for _name, _model_class, _description in (
    ("vae_mnist", models.VAE,
     "convolutional VAE (16-D latent, Bernoulli likelihood) trained on the embedded MNIST digits"),
    ("aae_mnist", models.AdversarialAutoencoder,
     "adversarial autoencoder (8-D codes, Gaussian prior) trained on the embedded MNIST digits"),
    ("pix2pix_edges2digits", models.Pix2Pix,
     "Pix2Pix (U-Net, PatchGAN) that fills 32x32 digit outlines (edges2digits task)"),
    ("cyclegan_digits2inverted", models.CycleGAN,
     "CycleGAN between white-on-black and black-on-white digits, trained without pairs"),
    ("bicyclegan_skeletons2digits", models.BicycleGAN,
     "BicycleGAN that draws 32x32 digits along skeletons in many stroke styles (skeletons2digits task)"),
    ("munit_digits2styled", models.MUNIT,
     "MUNIT between grey digits and colour-styled digits: random or example-guided styles, unpaired"),
    ("spade_digits", models.SPADE,
     "SPADE (GauGAN) that paints grey digits from 11-class label maps (digits_segmentation task)"),
    ("digits_classifier", keras.Model,
     "CNN digits classifier whose features and probabilities serve keras_gen.metrics"),
):
    presets.register_preset(_name, _model_class, _description)
