"""
Title: Conditional and modern GANs
Author: keras_gen developers
Date created: 2026/11/23
Last modified: 2026/11/23
Description: Class-conditional GANs, SAGAN, BigGAN techniques, a StyleGAN-style generator, and the training tricks that make GANs work, all with `fit()`.
Accelerator: None (runs on CPU; set KERAS_GEN_GUIDE_FAST=1 for a smoke run)
"""

"""
## Introduction

After DCGAN, most progress in GANs came from a list of techniques, each fixing a failure:

| technique | fixes | in keras_gen |
|---|---|---|
| conditioning (Mirza & Osindero 2014; Miyato & Koyama 2018; Odena et al. 2017) | no control over what is generated | `models.ConditionalGAN(conditioning="concat" / "projection" / "auxiliary")` |
| self-attention (Zhang et al. 2019) | convolutions only see local structure | `layers.SelfAttention2D`, `networks.sagan_*` |
| spectral normalization + hinge loss (Miyato et al. 2018) | unstable discriminator | `keras.layers.SpectralNormalization`, `loss="hinge"` |
| two time-scale learning rates (Heusel et al. 2017) | slow discriminator | `compile(generator_optimizer=Adam(1e-4), discriminator_optimizer=Adam(4e-4))` |
| BigGAN tricks (Brock et al. 2019) | scaling up; fidelity vs variety | `networks.biggan_generator`, `losses.OrthogonalRegularizer`, `generate(truncation=)`, `discriminator_steps=2` |
| style-based generator (Karras et al. 2019) | entangled latent space | `models.StyleGAN`, `networks.stylegan_*` |
| DiffAugment (Zhao et al. 2020) | discriminator overfitting on small data | `GAN(augmentation="color,translation,cutout")` |
| adaptive D/G schedules, EMA of G | one network overpowering the other; noisy iterates | `callbacks.AdaptiveSchedule`, `ema_decay=` |

Every one of them is an option of a model you train with `fit()`, on TensorFlow, JAX or PyTorch.
"""

"""
## Setup
"""

import os

import keras
import numpy as np

import keras_gen
import keras_gen.applications

FAST = os.environ.get("KERAS_GEN_GUIDE_FAST") == "1"
OUTPUT = os.environ.get("KERAS_GEN_GUIDE_OUTPUT", "guide_outputs/conditional_and_modern_gans")
os.makedirs(OUTPUT, exist_ok=True)
keras.utils.set_random_seed(0)
print("Backend:", keras.backend.backend())

(x_train, y_train), (x_test, y_test) = keras_gen.datasets.mnist.load_data(source="embedded")
x_train = keras_gen.datasets.scale_images(x_train)
y_train = y_train.astype("int32")
if FAST:
    x_train, y_train = x_train[:128], y_train[:128]
EPOCHS = 1 if FAST else 5
WIDTH = 8 if FAST else 32

"""
## 1. Conditioning: ask for a digit

A conditional GAN feeds the class label to both networks. The generator gets a learned label
embedding next to `z`. The discriminator can be conditioned in three ways:

- `"concat"`: the one-hot label becomes extra input channels;
- `"projection"`: the logit gets a term `<embed(y), phi(x)>` on the discriminator's features,
  the conditioning used by SAGAN and BigGAN;
- `"auxiliary"` (ACGAN): the discriminator also classifies the image, and both networks get a
  classification loss.

`fit(images, labels)` trains it; `generate(labels=...)` draws the requested classes.
"""

generator = keras_gen.networks.conditional_dcgan_generator(
    image_shape=(28, 28, 1), latent_dim=64, num_classes=10, base_filters=WIDTH, upsampling="subpixel"
)
discriminator = keras_gen.networks.conditional_dcgan_discriminator(
    image_shape=(28, 28, 1), num_classes=10, conditioning="projection", base_filters=WIDTH
)
cgan = keras_gen.models.ConditionalGAN(
    generator, discriminator, num_classes=10, conditioning="projection", ema_decay=0.999
)
cgan.compile()
cgan.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, verbose=2)
rows = cgan.generate(labels=np.repeat(np.arange(10), 8), seed=0)
keras_gen.utils.save_image_grid(rows, os.path.join(OUTPUT, "cgan_by_class.png"), num_rows=10)

"""
The shipped `cgan_mnist` preset was trained by `recipes/cgan_mnist.py`. The digits classifier
tells how often its samples are the digit we asked for (chance: 10%).
"""

classifier = keras_gen.metrics.load_digits_classifier()


def class_accuracy(model, per_class, truncation=None):
    labels = np.repeat(np.arange(10), per_class)
    images = model.generate(labels=labels, seed=1, truncation=truncation)
    predicted = np.argmax(classifier.predict(images, verbose=0), axis=-1)
    return float(np.mean(predicted == labels)), images


if "cgan_mnist" in keras_gen.presets.list_presets():
    pretrained = keras_gen.applications.ConditionalDCGAN(weights="cgan_mnist")
    accuracy, _ = class_accuracy(pretrained, per_class=10 if FAST else 100)
    print(f"cgan_mnist: {accuracy:.1%} of generated digits are the requested class")

"""
## 2. BigGAN's truncation trick

Sampling `z` from a normal truncated to `[-t, t]` gives more typical, less varied samples as `t`
falls. The mean pairwise distance between samples measures the variety.
"""


def mean_pairwise_distance(images):
    flat = images.reshape(len(images), -1).astype("float64")
    squared = (flat**2).sum(1)
    distances = np.sqrt(np.maximum(squared[:, None] + squared[None] - 2 * flat @ flat.T, 0))
    return distances[np.triu_indices(len(flat), 1)].mean()


model = pretrained if "cgan_mnist" in keras_gen.presets.list_presets() else cgan
for truncation in (None, 1.0, 0.5, 0.25):
    images = model.generate(labels=[3] * 64, seed=2, truncation=truncation)
    print(f"truncation={truncation}: mean pairwise distance {mean_pairwise_distance(images):.2f}")

"""
The other BigGAN techniques are options of the networks and the model: orthogonal
initialization and regularization `beta * ||W^T W * (1 - I)||^2` (its penalty is added to the
generator's loss and logged as `g_reg`), a shared class embedding with hierarchical latents,
and two discriminator steps per generator step. A projection discriminator from SAGAN completes
it.
"""

biggan = keras_gen.models.ConditionalGAN(
    keras_gen.networks.biggan_generator(
        image_shape=(28, 28, 1), latent_dim=60, num_classes=10, base_filters=8,
        attention_resolution=14, orthogonal_regularization=1e-4,
    ),
    keras_gen.networks.sagan_discriminator(
        image_shape=(28, 28, 1), base_filters=8, num_classes=10, kernel_initializer="orthogonal"
    ),
    num_classes=10,
    conditioning="projection",
    loss="hinge",
    discriminator_steps=2,
)
biggan.compile(
    generator_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.999),
    discriminator_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.999),
)
history = biggan.fit(x_train[:128], y_train[:128], batch_size=32, epochs=1, verbose=0)
print("BigGAN-style step:", {k: round(v[-1], 4) for k, v in history.history.items()})

"""
## 3. SAGAN: self-attention, spectral normalization, hinge loss, TTUR

`SelfAttention2D` lets every position attend to every other one; its output is
`x + gamma * attention(x)` with `gamma` initialised at 0, so the network starts as a plain
convolutional one and learns how much global structure to use. SAGAN puts spectral
normalization in both networks, uses the hinge loss and two time-scale learning rates. The
`sagan_mnist` preset was trained by `recipes/sagan_mnist.py`.
"""

sagan = keras_gen.models.GAN(
    keras_gen.networks.sagan_generator(
        image_shape=(28, 28, 1), latent_dim=64, base_filters=8, attention_resolution=14
    ),
    keras_gen.networks.sagan_discriminator(image_shape=(28, 28, 1), base_filters=8, attention_resolution=14),
    loss="hinge",
)
sagan.compile(
    generator_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
    discriminator_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
)
sagan.fit(x_train[:128], batch_size=32, epochs=1, verbose=0)

if "sagan_mnist" in keras_gen.presets.list_presets():
    pretrained_sagan = keras_gen.applications.SAGAN(weights="sagan_mnist", include_discriminator=True)
    keras_gen.utils.save_image_grid(
        pretrained_sagan.generate(64, seed=0), os.path.join(OUTPUT, "sagan_samples.png"), num_rows=8
    )

"""
## 4. A style-based generator

StyleGAN maps `z` to an intermediate latent `w` with an MLP, starts synthesis from a learned
constant, and modulates every convolution with a style from `w` through adaptive instance
normalization, adding per-pixel noise. Two regularizers come with it: *style mixing* (during
training a random part of the styles comes from a second `w`) and, in the discriminator, the
minibatch standard deviation and a lazy R1 penalty (every 16 steps). Truncation works in `W`:
`w = w_avg + psi (w - w_avg)`.

Here it is at 32x32 (the digits padded by 2 pixels).
"""

padded = np.pad(x_train, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1.0)
style_dim = 32
stylegan = keras_gen.models.StyleGAN(
    keras_gen.networks.stylegan_mapping_network(latent_dim=style_dim, style_dim=style_dim, num_layers=4),
    keras_gen.networks.stylegan_synthesis_network(
        style_dim=style_dim, image_shape=(32, 32, 1), base_filters=WIDTH // 2, max_filters=2 * WIDTH
    ),
    keras_gen.networks.stylegan_discriminator(
        image_shape=(32, 32, 1), base_filters=WIDTH // 2, max_filters=2 * WIDTH
    ),
)
stylegan.compile()
stylegan.fit(padded, batch_size=32, epochs=1 if FAST else 3, verbose=2)
keras_gen.utils.save_image_grid(
    stylegan.generate(16, seed=0, truncation=0.7), os.path.join(OUTPUT, "stylegan_samples.png"), num_rows=4
)
coarse = np.random.default_rng(0).standard_normal((4, style_dim)).astype("float32")
fine = np.random.default_rng(1).standard_normal((4, style_dim)).astype("float32")
mixed = stylegan.style_mix(coarse, fine, crossover=4)
keras_gen.utils.save_image_grid(
    mixed.reshape((-1,) + mixed.shape[-3:]), os.path.join(OUTPUT, "style_mixing.png"), num_rows=4
)

"""
## 5. Training tricks

**DiffAugment.** With little data the discriminator memorises the training set. Augmenting
*both* real and generated images with the same differentiable transformations (colour,
translation, cutout) stops that without leaking augmentations into the samples, because the
generator's gradients flow through them. Any GAN takes `augmentation=`.

**Adaptive schedules.** `AdaptiveSchedule` updates the discriminator only while its loss is
above a threshold (and the generator only while its own is above another). The decision is made
inside each train step from that step's loss; `fit()` logs how often each network was updated.

**EMA of the generator.** `ema_decay=0.999` (or the `GeneratorEMA` callback) averages the
generator's weights; `generate()` uses the average.
"""

small = keras_gen.models.GAN(
    keras_gen.networks.dcgan_generator(image_shape=(28, 28, 1), latent_dim=64, base_filters=WIDTH,
                                       upsampling="subpixel"),
    keras_gen.networks.dcgan_discriminator(image_shape=(28, 28, 1), base_filters=WIDTH),
    augmentation="color,translation,cutout",
    ema_decay=0.999,
)
small.compile()
schedule = keras_gen.callbacks.AdaptiveSchedule(discriminator_threshold=0.3)
history = small.fit(x_train[:512], batch_size=64, epochs=EPOCHS, verbose=2, callbacks=[schedule])
print("discriminator updated in", history.history["discriminator_update_rate"], "of the steps")
keras_gen.utils.save_image_grid(
    small.generate(16, seed=0), os.path.join(OUTPUT, "diffaugment_samples.png"), num_rows=4
)

"""
## 6. What the networks learned: discriminator features and latent arithmetic

Two checks from the DCGAN paper (Radford et al. 2016), on the shipped `dcgan_mnist` preset.

**Discriminator features.** A discriminator that has learned what digits look like has features
in which the classes are close to linearly separable. `keras_gen.metrics.discriminator_probe`
freezes it, fits only a linear softmax classifier on its features (the input of its logit layer)
for half of a set of labelled real digits and reports the accuracy on the other half. The same
architecture with random weights is the baseline: random convolutions already help a linear
classifier, so the gap above them is what the discriminator learned. During training,
`keras_gen.callbacks.DiscriminatorProbe(images, labels)` logs the same number as
`d_probe_accuracy` (higher is better, so `ModelCheckpoint` can monitor it without `mode=`).

**Latent arithmetic.** Averages of latents that share a visual attribute can be added and
subtracted: `mean(a) + mean(b) - mean(c)`, the paper's "smiling woman - neutral woman + neutral
man". `keras_gen.utils.latent_groups` generates samples, scores them with any function of the
images and returns the latents of the highest and the lowest scorers. Scored by the share of the
canvas covered by ink, adding `mean(thick) - mean(thin)` to the latents of the thinnest of some
new digits adds ink, but mostly by turning them into other digits: the inkiest samples are
0s and 8s, the thinnest 1s and 7s, so the direction is as much "1 -> 0" as "thin -> thick".
Scoring ink *relative to the mean ink of the samples the digits classifier puts in the same
class* separates thickness from identity: the same arithmetic (half a step) then thickens the
strokes and keeps most digits.
"""

if "dcgan_mnist" in keras_gen.presets.list_presets():
    dcgan = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
    probe_count = 300 if FAST else 1000
    probe_images = keras_gen.datasets.scale_images(x_test[:probe_count])  # digits the GAN never saw
    probe_labels = y_test[:probe_count]
    trained = keras_gen.metrics.discriminator_probe(dcgan, probe_images, probe_labels, holdout=0.5)
    untrained = keras_gen.metrics.discriminator_probe(
        keras.models.clone_model(dcgan.discriminator), probe_images, probe_labels, holdout=0.5
    )
    print(f"linear probe on discriminator features: trained {trained:.1%}, "
          f"random weights {untrained:.1%} (chance 10.0%)")

    def ink(images):
        return (images + 1.0).mean(axis=(1, 2, 3)) / 2.0

    def digit(images):
        return np.argmax(classifier.predict(images, verbose=0), axis=-1)

    def ink_for_its_digit(images):
        values, digits = ink(images), digit(images)
        class_means = np.array([values[digits == d].mean() if np.any(digits == d) else 0.0
                                for d in range(10)])
        return values - class_means[digits]

    fresh = dcgan.latents_for(64, seed=1)
    fresh_images = dcgan.generate(64, latents=fresh)
    thinnest = np.argsort(ink(fresh_images))[:8]
    rows = [fresh_images[thinnest]]
    for name, attribute, scale in (("ink", ink, 1.0), ("ink for its digit", ink_for_its_digit, 0.5)):
        found = keras_gen.utils.latent_groups(dcgan, attribute, num_samples=300 if FAST else 2000, seed=0)
        thicker = keras_gen.utils.latent_arithmetic(
            dcgan, (fresh[thinnest], found["high"], found["low"]), scale=scale, average_a=False
        )
        before, after = ink(rows[0]), ink(thicker)
        print(f"thin + {scale} * (thick - thin) by {name}: mean ink {before.mean():.3f} -> "
              f"{after.mean():.3f}, thicker in {np.mean(after > before):.0%} of the digits, "
              f"same digit in {np.mean(digit(thicker) == digit(rows[0])):.0%}")
        rows.append(thicker)
    keras_gen.utils.save_image_grid(
        np.concatenate(rows), os.path.join(OUTPUT, "latent_arithmetic.png"), num_rows=len(rows)
    )

"""
## Where next

- `recipes/cgan_mnist.py` and `recipes/sagan_mnist.py` train the shipped presets.
- `benchmarks/gaussian_grid_benchmark.py` compares a spectrally normalised hinge GAN with the
  plain non-saturating GAN on the 25-Gaussian grid (results in `benchmarks/README.md`).
- Measure FID/IS during training with `keras_gen.callbacks.GenerativeMetrics`.
"""
