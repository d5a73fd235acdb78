"""
Title: Semantic image synthesis with SPADE (GauGAN)
Author: keras_gen developers
Date created: 2026/12/03
Last modified: 2026/12/03
Description: Train SPADE to draw images from label maps, check that the images follow the maps (segmentation IoU, region accuracy, FID), edit a map to edit the image, and train on your own image and label-map folders.
Accelerator: None (runs on CPU in minutes; set KERAS_GEN_GUIDE_FAST=1 for a smoke run)
"""

"""
## Introduction

Semantic image synthesis turns a *label map* (a class id per pixel: sky, road, tree...) into a
photo-like image whose regions have those classes. SPADE (Park et al. 2019, "GauGAN") does it
with **spatially-adaptive normalization**: every normalization layer of the generator is
followed by a scale and a shift computed, pixel by pixel, from the label map resized to that
layer. The map is not fed once at the input (where normalization would wash it out) but
re-injected at every block. The generator starts from a latent code `z` on a coarse grid (so
one map gives many images); the discriminator is pix2pixHD's multi-scale PatchGAN judging
`[label map, image]`; the losses are the hinge loss, feature matching between the
discriminator's features of real and generated images, and (with an ImageNet VGG) a perceptual
term.

`keras_gen.models.SPADE` (saved under the name `SPADEModel`, apart from the layer
`keras_gen.layers.SPADE`) trains with `fit()` on `(label_maps, images)`, on TensorFlow, JAX or
PyTorch. This guide uses `digits_segmentation`, built from the MNIST digits embedded in the
package, so it runs offline on a CPU.
"""

"""
## Setup
"""

import os

import keras
import numpy as np
from scipy import ndimage

import keras_gen
from keras_gen.networks import multiscale_patchgan_discriminator
from keras_gen.networks import spade_generator

# Set KERAS_GEN_GUIDE_FAST=1 for a short smoke run (used by the tests).
FAST = os.environ.get("KERAS_GEN_GUIDE_FAST") == "1"
OUTPUT = os.environ.get("KERAS_GEN_GUIDE_OUTPUT", "guide_outputs/semantic_synthesis")
os.makedirs(OUTPUT, exist_ok=True)
keras.utils.set_random_seed(0)
print("Backend:", keras.backend.backend())

"""
## The data: digit label maps

`digits_segmentation` draws digits on a canvas and labels every pixel: 0 on the background,
`1 + d` on the strokes of a digit of class `d` (11 classes). The map fixes where the strokes go
and which digit they belong to; the image adds what the map leaves out, such as the faint
anti-aliased border of the strokes. We use 16x16 canvases with one digit each. Label maps can be
given to SPADE as integer ids `(n, h, w)` or one-hot floats `(n, h, w, 11)`
(`one_hot_label_maps`).
"""

SIDE, CLASSES = 16, 11
num_train = 64 if FAST else 1024
num_test = 64 if FAST else 500
images, label_maps = keras_gen.datasets.digits_segmentation(
    "train", image_size=SIDE, num_images=num_train, seed=0)
test_images, test_maps = keras_gen.datasets.digits_segmentation(
    "test", image_size=SIDE, num_images=num_test, seed=1)
print(images.shape, label_maps.shape, "classes", np.unique(label_maps))
print(keras_gen.datasets.one_hot_label_maps(label_maps[:2]).shape)

"""
To look at maps, give each class a colour (background black):
"""

PALETTE = np.array(
    [[0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
     [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212]],
    "float32",
) / 127.5 - 1.0


def coloured(maps):
    return PALETTE[maps]


def grey_to_rgb(x):
    return np.repeat(x, 3, axis=-1)


"""
## The model

`spade_generator` maps a one-hot map and a latent code to an image: a dense layer puts the code
on a coarse grid, then SPADE residual blocks (each modulated by the map) alternate with
nearest-neighbour upsamplings. `multiscale_patchgan_discriminator(target_shape=...)` takes
`[label map, image]` and returns, per scale, its intermediate features (for feature matching)
and its patch logits. The widths here are small; the paper uses `base_filters=64`,
`hidden_filters=128`, `latent_dim=256` and two discriminator scales.
"""


def build_spade(seed=0):
    keras.utils.set_random_seed(seed)
    generator = spade_generator(
        (SIDE, SIDE, CLASSES), output_channels=1, latent_dim=16,
        base_filters=8 if FAST else 16, hidden_filters=16 if FAST else 32, num_upsamples=1)
    discriminator = multiscale_patchgan_discriminator(
        (SIDE, SIDE, CLASSES), target_shape=(SIDE, SIDE, 1), num_scales=1,
        base_filters=8 if FAST else 16, num_layers=2, spectral_norm=True)
    return keras_gen.models.SPADE(generator, discriminator, seed=0)


spade = build_spade()
untrained = build_spade()  # the same networks, never trained: a baseline

"""
The paper's optimizers are Adam with `beta_1=0, beta_2=0.9` and two time scales (1e-4 for the
generator, 4e-4 for the discriminator). For a run of a few hundred steps we use three times
those rates, with the same ratio. The logs are the discriminator's hinge loss `d_loss` and the
generator's `g_adversarial_loss` and `feature_matching_loss` (weight 10) summed in `g_loss`.
"""

spade.compile(
    generator_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.0, beta_2=0.9),
    discriminator_optimizer=keras.optimizers.Adam(1.2e-3, beta_1=0.0, beta_2=0.9),
)
spade.fit(label_maps, images, batch_size=32, epochs=1 if FAST else 4, verbose=2)

"""
## Synthesis

`synthesize(maps, seed=0)` draws one code per map (NumPy codes: the same images on every
backend); `num_samples=4` gives four images per map, `(n, 4, h, w, c)`. The grid shows, per
row, a held-out label map, the real image it came from, and four syntheses.
"""

synthesized = spade.synthesize(test_maps, seed=0)
several = spade.synthesize(test_maps[:8], seed=0, num_samples=4)
rows = [np.concatenate([coloured(test_maps[i : i + 1]), grey_to_rgb(test_images[i : i + 1]),
                        grey_to_rgb(several[i])]) for i in range(8)]
keras_gen.utils.save_image_grid(
    np.concatenate(rows), os.path.join(OUTPUT, "spade_maps_and_images.png"), num_rows=8)

"""
In `spade_maps_and_images.png` from the full run, every synthesis is a clean digit of the map's
class drawn on the map's strokes; the four codes of one map give nearly the same image, since in
these maps the strokes fix almost everything (the code only changes the faint stroke borders).
"""

"""
## Does the image follow the map?

SPADE's protocol runs a segmentation network on the synthesized images and compares its
prediction with the input map (mean IoU, pixel accuracy). `segmentation_faithfulness` does it for
digit maps offline: each digit region is cut out and classified by the shipped digits
classifier, and its ink pixels are labelled with the predicted class. `mean_iou` (over the digit
classes) counts the shape of the strokes and their class; `region_accuracy` only the class of
each digit. We compare:

- the real test images (the ceiling of the protocol);
- the trained model;
- the trained model given *another* test map for each image (the images are real-looking
  digits, but not the ones asked for): how much of the score comes from following the map;
- the untrained model.
"""


def faithfulness(name, generated):
    scores = keras_gen.metrics.segmentation_faithfulness(generated, test_maps)
    print(f"{name}: mean IoU {scores['mean_iou']:.3f}, region accuracy "
          f"{scores['region_accuracy']:.3f}, pixel accuracy {scores['pixel_accuracy']:.3f}")
    return scores


faithfulness("real images", test_images)
trained_scores = faithfulness("SPADE", synthesized)
faithfulness("SPADE, other maps", spade.synthesize(np.roll(test_maps, 1, axis=0), seed=0))
faithfulness("untrained", untrained.synthesize(test_maps, seed=0))

"""
In a full run of this guide (torch backend; 1,024 training maps, 128 steps, under a minute on
two CPU cores) the scores were:

| images | mean IoU | region accuracy | pixel accuracy |
|---|---|---|---|
| real test images | 0.956 | 0.976 | 0.997 |
| SPADE | 0.932 | 0.968 | 0.995 |
| SPADE, other maps | 0.029 | 0.126 | 0.798 |
| untrained | 0.011 | 0.196 | 0.773 |

The syntheses follow their maps almost as well as the real images do; given another map, the
same generator draws that map's digit, so its images no longer match.
"""

"""
`mean_iou` works on any pair of predicted and true maps, e.g. those of your own segmenter:
"""

print("mean IoU of the predicted maps:", keras_gen.metrics.mean_iou(
    trained_scores["predicted_maps"], test_maps, num_classes=CLASSES))

"""
**FID** in the digits classifier's feature space (128-d) is cheap here: the Frechet distance
between the features of the held-out real images and of the syntheses. For scale, the distance
between two disjoint sets of real images (as many train images as test images). Mind what it
measures here: the syntheses are drawn from the *test* maps, so a model that follows the maps
reproduces the test digits' shapes and can come closer to the test images than other real
digits do.
"""

extractor = keras_gen.metrics.get_feature_extractor("digits")
stats_test = keras_gen.metrics.feature_statistics(extractor.features(test_images))


def fid(generated):
    return keras_gen.metrics.frechet_distance(
        *stats_test, *keras_gen.metrics.feature_statistics(extractor.features(generated)))


print(f"FID (digits features) real train vs test: {fid(images[:num_test]):.2f}")
print(f"FID (digits features) SPADE: {fid(synthesized):.2f}")
print(f"FID (digits features) untrained: {fid(untrained.synthesize(test_maps, seed=0)):.2f}")

"""
The full run printed 7.85 for train vs test, 1.60 for SPADE and 256.72 for the untrained
generator.
"""

"""
## Edit the map, edit the image

A GauGAN user edits the map and gets the edited image. Three edits of the held-out maps, each
synthesized with the same code (`seed=0`) as the original:

- **erase** the digit (its strokes become background);
- **replace** it: the strokes and class of another test digit instead of its own;
- **relabel** it: the same strokes with the class of the next digit (`d -> d + 1`).

Pixels more than two pixels away from the edited strokes should hardly move. In these maps the
class and the shape of the strokes go together (a "7" region has the shape of a 7), so the
digit the classifier reads follows the shape: a replaced digit reads as the new one, while a
relabelled one keeps its shape and changes only in its details.
"""

maps = test_maps[:64]  # the figure shows the first 8
strokes = maps > 0
erased, replaced, relabelled = maps.copy(), np.roll(maps, 1, axis=0), maps.copy()
erased[strokes] = 0
relabelled[strokes] = 1 + maps[strokes] % 10  # class d -> d + 1 (mod 10)
before, after_erasing, after_replacing, after_relabelling = (
    spade.synthesize(m, seed=0)[..., 0] for m in (maps, erased, replaced, relabelled))


def far_from(*stroke_sets):
    near = np.any(stroke_sets, axis=0)
    return ~ndimage.binary_dilation(near, structure=np.ones((1, 3, 3), bool), iterations=2)


far = far_from(strokes)
far_replaced = far_from(strokes, replaced > 0)


def read_as(images, label_maps):
    """Fraction of digits the classifier reads as the class of `label_maps`."""
    return keras_gen.metrics.segmentation_faithfulness(images[..., None], label_maps)["region_accuracy"]


print(f"erased: darkening of the strokes {np.mean((before - after_erasing)[strokes]):.3f}, "
      f"change far from them {np.mean(np.abs(before - after_erasing)[far]):.3f}")
print(f"replaced: change far from both digits "
      f"{np.mean(np.abs(before - after_replacing)[far_replaced]):.3f}, "
      f"read as the new digit {read_as(after_replacing, replaced):.3f}")
print(f"relabelled: change on the strokes {np.mean(np.abs(before - after_relabelling)[strokes]):.3f}, "
      f"far from them {np.mean(np.abs(before - after_relabelling)[far]):.3f}, "
      f"read as the old digit {read_as(after_relabelling, maps):.3f}")

edits = ((maps, before), (erased, after_erasing), (replaced, after_replacing),
         (relabelled, after_relabelling))
rows = [np.concatenate([coloured(m[i : i + 1]), grey_to_rgb(x[i : i + 1, ..., None])])
        for i in range(8) for m, x in edits]
keras_gen.utils.save_image_grid(
    np.concatenate(rows), os.path.join(OUTPUT, "spade_edit_regions.png"), num_rows=8)

"""
The full run printed: erasing darkens the strokes by 1.79 (from ink to background: the full
range is 2) while pixels far from them move by 0.002; a replaced digit reads as the new digit in
98.4% of the maps, pixels far from both digits moving by 0.002; a relabelled digit changes by
0.071 on its strokes (0.001 far from them) and still reads as its old digit in 98.4% of the
maps. In the figure (`spade_edit_regions.png`), each row holds the map and its image, then the
erased, replaced and relabelled maps with their images.
"""

"""
The model saves and loads like any Keras model:
"""

spade.save(os.path.join(OUTPUT, "spade.keras"))
reloaded = keras.saving.load_model(os.path.join(OUTPUT, "spade.keras"))
np.testing.assert_allclose(reloaded.synthesize(test_maps[:4], seed=0), synthesized[:4], atol=1e-5)

"""
## Your own data

The SPADE data sets (ADE20K, COCO-Stuff, Cityscapes) come as an image folder and a label-map
folder whose files share their names: `images/0001.jpg` with `labels/0001.png`, the label map a
one-channel PNG (greyscale, palette or 16-bit) holding the class id of each pixel.
`label_map_dataset_from_folder` pairs them by file name, checks that every image has a map (and
the reverse) and that every id is below `num_classes`, resizes images bilinearly and maps by
nearest neighbour, and yields `(one-hot maps, images in [-1, 1])` batches for `fit()`.

We write some of the digits in that layout and go on training the model on them for an epoch.
"""

from PIL import Image  # noqa: E402

image_dir = os.path.join(OUTPUT, "my_data", "images")
label_dir = os.path.join(OUTPUT, "my_data", "labels")
os.makedirs(image_dir, exist_ok=True)
os.makedirs(label_dir, exist_ok=True)
for i in range(32):
    Image.fromarray(keras_gen.utils.to_uint8(test_images[i])[..., 0]).save(
        os.path.join(image_dir, f"{i:04d}.png"))
    Image.fromarray(test_maps[i].astype("uint8")).save(os.path.join(label_dir, f"{i:04d}.png"))

folder_data = keras_gen.datasets.label_map_dataset_from_folder(
    image_dir, label_dir, num_classes=CLASSES, image_size=SIDE, batch_size=8, seed=0)
print(folder_data.element_spec)
spade.fit(folder_data, epochs=1, verbose=2)

"""
A map that breaks the rules fails early, with the fix in the message:
"""

Image.fromarray(np.full((SIDE, SIDE), 12, "uint8")).save(os.path.join(label_dir, "0000.png"))
try:
    keras_gen.datasets.label_map_dataset_from_folder(image_dir, label_dir, num_classes=CLASSES)
except ValueError as error:
    print("ValueError:", error)

"""
For a real data set, build the networks for its classes and size, e.g. for ADE20K (150 classes
plus "other") at 256x256: `spade_generator((256, 256, 151), output_channels=3)` and
`multiscale_patchgan_discriminator((256, 256, 151), target_shape=(256, 256, 3), num_scales=2,
num_layers=4, spectral_norm=True)`, the paper's optimizers (`compile()` with no arguments) and
a perceptual network (`perceptual_network=`) if ImageNet VGG19 weights are at hand.

## Where next

- The image-to-image guide: Pix2Pix and CycleGAN; the multimodal translation guide: BicycleGAN
  and MUNIT.
- With an image encoder (`spade_image_encoder`, `encoder=`), SPADE is trained as a VAE-GAN and
  `synthesize(maps, style=images)` draws the maps in the style of example images.
"""
