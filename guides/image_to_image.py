"""
Title: Image-to-image translation with Pix2Pix and CycleGAN
Author: keras_gen developers
Date created: 2026/11/23
Last modified: 2026/11/23
Description: Fill digit outlines with Pix2Pix (paired), invert digits with CycleGAN (unpaired), save the models, and point both at your own image folders.
Accelerator: None (runs on CPU in minutes)
"""

"""
## Introduction

Image-to-image translation maps an image of one kind to an image of another kind.

- **Pix2Pix** (Isola et al. 2017) learns from *pairs* `(input, target)`: a U-Net generator
  and a conditional PatchGAN discriminator that judges `[input, image]` patch by patch, plus an
  L1 term (weight 100) that pulls the output towards the target.
- **CycleGAN** (Zhu et al. 2017) learns from two *unpaired* collections A and B: two generators
  (A->B and B->A), two discriminators, least-squares adversarial losses, a cycle-consistency
  loss `|F(G(a)) - a| + |G(F(b)) - b|` (weight 10), an identity loss, and image pools that show
  the discriminators a history of translations.

Both are `keras.Model`s trained with `fit()`, on TensorFlow, JAX or PyTorch. This guide uses
two offline tasks built from the MNIST digits embedded in the package, so it runs without a
download.
"""

"""
## Setup
"""

import os

import keras
import numpy as np

import keras_gen
from keras_gen.datasets import image_to_image as i2i_data
from keras_gen.datasets import tasks
from keras_gen.networks.patchgan import patchgan_discriminator
from keras_gen.networks.resnet_generator import resnet_generator
from keras_gen.networks.unet import unet_generator

# Set KERAS_GEN_GUIDE_FAST=1 for a short smoke run (used by the tests).
FAST = os.environ.get("KERAS_GEN_GUIDE_FAST") == "1"
OUTPUT = os.environ.get("KERAS_GEN_GUIDE_OUTPUT", "guide_outputs/image_to_image")
os.makedirs(OUTPUT, exist_ok=True)
keras.utils.set_random_seed(42)
print("Backend:", keras.backend.backend())

"""
## Pix2Pix on edges2digits

`edges2digits` pairs the 1-pixel outline of each digit (input) with the digit (target), both
32x32 floats in [-1, 1] — a miniature of pix2pix's edges2shoes. `paired_dataset` turns two
aligned arrays into shuffled `(input, target)` batches (optionally with pix2pix's random jitter:
`load_size` then a random crop to `image_size`, and flips).
"""

edges, digits = tasks.edges2digits("train")
test_edges, test_digits = tasks.edges2digits("test")
num_pairs = 128 if FAST else 2000
train_data = i2i_data.paired_dataset(edges[:num_pairs], digits[:num_pairs], batch_size=32, seed=0)
print(edges.shape, digits.shape)

"""
The generator is the pix2pix U-Net (skip connections between mirrored encoder and decoder
levels); the discriminator is a PatchGAN given `target_shape`, which makes it conditional: it
takes `[input, image]` and returns a map of logits, one per overlapping patch. Two layers give
each logit a 34x34 receptive field, the whole 32x32 image here.
"""

print("receptive field:", keras_gen.networks.patchgan.patchgan_receptive_field(2))
filters = 8 if FAST else 16
generator = unet_generator((32, 32, 1), output_channels=1, base_filters=filters, num_downsamples=4)
discriminator = patchgan_discriminator(
    (32, 32, 1), target_shape=(32, 32, 1), base_filters=filters, num_layers=2
)
pix2pix = keras_gen.models.Pix2Pix(generator, discriminator, l1_weight=100.0, seed=0)
pix2pix.compile()  # Adam(2e-4, beta_1=0.5) for both networks, as in the paper

"""
Each step updates the discriminator (`d_loss`, halved as in the paper), then the generator
(`g_loss` = `g_adversarial_loss` + 100 x `l1_loss`). `fit(x=inputs, y=targets)` works as well
as a dataset of tuples.
"""

pix2pix.fit(train_data, epochs=1 if FAST else 8, verbose=2)

"""
The L1 error of the translations on held-out pairs should fall far below the identity baseline
(returning the outline unchanged). `translate` returns NumPy arrays.
"""

num_test = 64 if FAST else 1000
filled = pix2pix.translate(test_edges[:num_test])
print("held-out L1:", np.mean(np.abs(filled - test_digits[:num_test])))
print("identity baseline:", np.mean(np.abs(test_edges[:num_test] - test_digits[:num_test])))
keras_gen.utils.save_image_grid(
    np.concatenate([test_edges[:8], filled[:8], test_digits[:8]]),
    os.path.join(OUTPUT, "pix2pix_triplets.png"),
    num_rows=3,
)

"""
The trained model saves and loads like any Keras model.
"""

pix2pix.save(os.path.join(OUTPUT, "pix2pix.keras"))
reloaded = keras.saving.load_model(os.path.join(OUTPUT, "pix2pix.keras"))
np.testing.assert_allclose(reloaded.translate(test_edges[:4]), filled[:4], atol=1e-5)

"""
A pretrained model of this kind ships as the preset `pix2pix_edges2digits`
(`recipes/pix2pix_edges2digits.py` reproduces it):
"""

if "pix2pix_edges2digits" in keras_gen.presets.list_presets():
    pretrained = keras_gen.presets.from_preset("pix2pix_edges2digits")
    print("preset L1:", np.mean(np.abs(pretrained.translate(test_edges[:num_test]) - test_digits[:num_test])))

"""
## CycleGAN on unpaired digits

`digits2inverted` gives two domains drawn from *different* digits: A holds white-on-black
digits, B black-on-white digits of other writers, so the model never sees a pair. With
`unpaired_dataset`, each domain is shuffled on its own and zipped into `(a, b)` batches.
"""

a, labels_a, b, labels_b = tasks.digits2inverted("train")
test_a, _, test_b, _ = tasks.digits2inverted("test")
num_images = 64 if FAST else 1000
unpaired = i2i_data.unpaired_dataset(a[:num_images], b[:num_images], batch_size=16, seed=0)

"""
The generators are the CycleGAN ResNet generators (downsample twice, residual blocks,
upsample twice); the discriminators are unconditional PatchGANs with instance normalization.
"""

blocks = 1 if FAST else 3
cyclegan = keras_gen.models.CycleGAN(
    generator_ab=resnet_generator((32, 32, 1), 1, base_filters=filters, num_blocks=blocks, name="g_ab"),
    generator_ba=resnet_generator((32, 32, 1), 1, base_filters=filters, num_blocks=blocks, name="g_ba"),
    discriminator_a=patchgan_discriminator((32, 32, 1), base_filters=filters, num_layers=2, norm="instance", name="d_a"),
    discriminator_b=patchgan_discriminator((32, 32, 1), base_filters=filters, num_layers=2, norm="instance", name="d_b"),
    cycle_weight=10.0,
    identity_weight=0.5,
    pool_size=50,
    seed=0,
)

"""
The paper trains at a constant learning rate for the first half and then decays it linearly to
zero; `LinearDecayAfter` is that schedule, counted in optimizer steps. One optimizer updates
both generators, another both discriminators, as in the authors' code.
"""

epochs = 1 if FAST else 4
steps = epochs * (num_images // 16)
schedule = keras_gen.models.image_to_image.LinearDecayAfter(
    constant_steps=steps // 2, decay_steps=steps - steps // 2, initial_learning_rate=2e-4
)
cyclegan.compile(
    generator_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5),
    discriminator_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5),
)
print("cycle error before:", cyclegan.cycle_error(test_a[:64], test_b[:64]))
cyclegan.fit(unpaired, epochs=epochs, verbose=2)
print("cycle error after:", cyclegan.cycle_error(test_a[:64], test_b[:64]))

inverted = cyclegan.translate_ab(test_a[:8])
restored = cyclegan.translate_ba(inverted)
keras_gen.utils.save_image_grid(
    np.concatenate([test_a[:8], inverted, restored]),
    os.path.join(OUTPUT, "cyclegan_cycle.png"),
    num_rows=3,
)

"""
The image pools are layers of the model: their contents are saved with it, so training resumes
exactly where it stopped.
"""

cyclegan.save(os.path.join(OUTPUT, "cyclegan.keras"))
restored_model = keras.saving.load_model(os.path.join(OUTPUT, "cyclegan.keras"))
np.testing.assert_array_equal(
    keras.ops.convert_to_numpy(restored_model.pool_b.buffer),
    keras.ops.convert_to_numpy(cyclegan.pool_b.buffer),
)

"""
## Your own images

For paired data, the pix2pix datasets store each pair side by side in one file (input on the
left, target on the right: e.g. `facades/train/*.jpg`); `paired_dataset_from_folder` reads such
a folder, with the paper's jitter (`load_size=286`, random crop to `image_size=256`, flips).
Unpaired data follows the CycleGAN layout (`trainA/`, `trainB/`, `testA/`, `testB/`), read by
`unpaired_dataset_from_folder`. Here we write a few digits in both layouts to show the calls.
"""

from PIL import Image  # noqa: E402

paired_folder = os.path.join(OUTPUT, "my_pairs", "train")
os.makedirs(paired_folder, exist_ok=True)
unpaired_root = os.path.join(OUTPUT, "my_domains")
for side in ("trainA", "trainB"):
    os.makedirs(os.path.join(unpaired_root, side), exist_ok=True)
to_uint8 = keras_gen.utils.to_uint8
for i in range(16):
    side_by_side = np.concatenate([test_edges[i], test_digits[i]], axis=1)[..., 0]
    Image.fromarray(to_uint8(side_by_side)).save(os.path.join(paired_folder, f"{i:03d}.png"))
    Image.fromarray(to_uint8(test_a[i])[..., 0]).save(os.path.join(unpaired_root, "trainA", f"{i:03d}.png"))
    Image.fromarray(to_uint8(test_b[i])[..., 0]).save(os.path.join(unpaired_root, "trainB", f"{i:03d}.png"))

folder_pairs = i2i_data.paired_dataset_from_folder(
    paired_folder, batch_size=4, image_size=32, load_size=36, flip=True, seed=0
)
folder_domains = i2i_data.unpaired_dataset_from_folder(
    unpaired_root, batch_size=4, image_size=32, load_size=32, flip=False, seed=0, channels=1
)
print(folder_pairs.element_spec)
print(folder_domains.element_spec)

"""
Folder images decode with their own channel count (often RGB); build the networks for the
shape the dataset yields. A model whose networks do not match the data fails before training
with a message that says what to change.
"""

channels = folder_pairs.element_spec[0].shape[-1]
folder_pix2pix = keras_gen.models.Pix2Pix(
    unet_generator((32, 32, channels), output_channels=channels, base_filters=8, num_downsamples=3),
    patchgan_discriminator((32, 32, channels), target_shape=(32, 32, channels), base_filters=8, num_layers=2),
)
folder_pix2pix.compile()
folder_pix2pix.fit(folder_pairs, epochs=1, verbose=2)

cyclegan.fit(folder_domains, epochs=1, verbose=2)  # the digits CycleGAN goes on training

try:
    cyclegan.fit(np.zeros((8, 32, 32, 3), "float32"), np.zeros((8, 32, 32, 1), "float32"))
except ValueError as error:
    print("ValueError:", error)

"""
## Where next

- `recipes/pix2pix_edges2digits.py` and `recipes/cyclegan_digits.py` train the shipped presets
  and write their model cards.
- At 256x256, use the papers' settings: `unet_generator((256, 256, 3))` with a 3-layer (70x70)
  PatchGAN and batch size 1 for pix2pix; `resnet_generator((256, 256, 3))` (9 blocks),
  PatchGANs with `norm="instance"`, batch size 1 and 100 + 100 epochs for CycleGAN.
"""
