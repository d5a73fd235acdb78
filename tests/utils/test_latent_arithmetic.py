"""keras_gen.utils.latent_arithmetic and latent_groups: vector arithmetic on latents."""

import keras
import numpy as np
import pytest

import keras_gen
import keras_gen.applications
from keras_gen.testing.models import tiny_discriminator
from keras_gen.utils import latent_arithmetic
from keras_gen.utils import latent_groups

LATENT_DIM = 4
IMAGE_SHAPE = (2, 3, 1)


def linear_gan():
    """A GAN whose generator is the known linear map z -> z @ W (no bias, no activation)."""
    latent = keras.Input((LATENT_DIM,))
    pixels = keras.layers.Dense(6, use_bias=False, name="pixels")(latent)
    generator = keras.Model(latent, keras.layers.Reshape(IMAGE_SHAPE)(pixels))
    gan = keras_gen.models.GAN(generator, tiny_discriminator(input_shape=IMAGE_SHAPE))
    kernel = keras.ops.convert_to_numpy(generator.get_layer("pixels").kernel).astype("float64")
    return gan, kernel


def image_of(kernel, z):
    return (np.atleast_2d(z) @ kernel).reshape((-1,) + IMAGE_SHAPE)


def groups(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((k, LATENT_DIM)) for k in (3, 5, 2)]


def test_result_is_the_generator_of_mean_a_plus_mean_b_minus_mean_c():
    gan, kernel = linear_gan()
    a, b, c = groups()
    expected_z = a.mean(0) + b.mean(0) - c.mean(0)
    images, z = latent_arithmetic(gan, (a, b, c), return_latents=True)
    np.testing.assert_allclose(z, [expected_z], rtol=1e-6)
    np.testing.assert_allclose(images, image_of(kernel, expected_z), atol=1e-5)
    # A mapping, and a plain generator model, give the same.
    mapped = latent_arithmetic(gan.generator, {"c": c, "a": a, "b": b})
    np.testing.assert_allclose(mapped, images, atol=1e-6)
    # Scaled direction.
    scaled = latent_arithmetic(gan, (a, b, c), scale=0.5)
    np.testing.assert_allclose(scaled, image_of(kernel, a.mean(0) + 0.5 * (b.mean(0) - c.mean(0))), atol=1e-5)


def test_indices_per_vector_and_variations():
    gan, kernel = linear_gan()
    latents = np.random.default_rng(1).standard_normal((10, LATENT_DIM))
    by_index = latent_arithmetic(gan, ([0, 1], [2, 3, 4], [5]), latents=latents)
    expected = latents[[0, 1]].mean(0) + latents[[2, 3, 4]].mean(0) - latents[5]
    np.testing.assert_allclose(by_index, image_of(kernel, expected), atol=1e-5)
    # average_a=False: the direction b - c added to every vector of a.
    a, b, c = groups()
    each = latent_arithmetic(gan, (a, b, c), average_a=False)
    np.testing.assert_allclose(each, image_of(kernel, a + b.mean(0) - c.mean(0)), atol=1e-5)
    # Variations: the exact result first, then noisy copies within `noise`.
    images, z = latent_arithmetic(gan, (a, b, c), num_variations=3, noise=0.1, return_latents=True)
    assert images.shape == (4,) + IMAGE_SHAPE and z.shape == (4, LATENT_DIM)
    assert np.all(np.abs(z[1:] - z[0]) <= 0.1 + 1e-6) and not np.allclose(z[1], z[0])


def test_errors_name_the_fix():
    gan, _ = linear_gan()
    a, b, c = groups()
    with pytest.raises(ValueError, match="Group 'b' is empty"):
        latent_arithmetic(gan, (a, np.zeros((0, LATENT_DIM)), c))
    with pytest.raises(ValueError, match="latent size"):
        latent_arithmetic(gan, (a, b, np.zeros((2, LATENT_DIM + 1))))
    with pytest.raises(ValueError, match="three groups"):
        latent_arithmetic(gan, (a, b))
    with pytest.raises(ValueError, match="keys 'a', 'b' and 'c'"):
        latent_arithmetic(gan, {"a": a, "plus": b, "minus": c})
    with pytest.raises(ValueError, match="latents="):
        latent_arithmetic(gan, ([0], [1], [2]))
    with pytest.raises(ValueError, match="outside"):
        latent_arithmetic(gan, ([0], [1], [12]), latents=np.zeros((10, LATENT_DIM)))
    with pytest.raises(ValueError, match="average_a=True"):
        latent_arithmetic(gan, (a, b, c), average_a=False, num_variations=2)
    with pytest.raises(ValueError, match="not conditional"):
        latent_arithmetic(gan, (a, b, c), labels=3)
    with pytest.raises(ValueError, match="latent size of"):
        latent_arithmetic(object(), (a, b, c))


def test_latent_groups_sorts_generated_samples_by_the_attribute():
    gan, kernel = linear_gan()

    def brightness(images):
        return images.mean(axis=(1, 2, 3))

    found = latent_groups(gan, brightness, num_samples=50, group_size=5, seed=3)
    assert found["high"].shape == found["low"].shape == (5, LATENT_DIM)
    # The latents are those `generate(n, seed=...)` draws, and the images theirs.
    np.testing.assert_array_equal(found["latents"], gan.latents_for(50, seed=3))
    np.testing.assert_allclose(found["images"], image_of(kernel, found["latents"]), atol=1e-5)
    scores = found["scores"]
    assert scores[found["high_indices"]].min() >= np.sort(scores)[-5]
    assert scores[found["low_indices"]].max() <= np.sort(scores)[4]
    np.testing.assert_array_equal(found["high"], found["latents"][found["high_indices"]])
    # The high - low direction raises the attribute.
    brighter = latent_arithmetic(gan, (found["low"], found["high"], found["low"]), average_a=False)
    assert np.all(brightness(brighter) > scores[found["low_indices"]])
    with pytest.raises(ValueError, match="one number per image"):
        latent_groups(gan, lambda x: x.mean(axis=1), num_samples=10)
    with pytest.raises(ValueError, match="group_size"):
        latent_groups(gan, brightness, num_samples=10, group_size=6)
    with pytest.raises(ValueError, match="attribute_fn"):
        latent_groups(gan, "thickness", num_samples=10)


def test_thick_minus_thin_thickens_the_strokes_of_dcgan_mnist_digits():
    """On the shipped dcgan_mnist preset, the thick - thin direction found from 300 samples
    adds ink to the thinnest of new samples (not used to find it)."""
    gan = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)

    def ink(images):
        return (images + 1.0).mean(axis=(1, 2, 3)) / 2.0  # share of the canvas that is ink

    found = latent_groups(gan, ink, num_samples=300, group_size=30, seed=0)
    fresh = gan.latents_for(64, seed=1)
    before = ink(gan.generate(64, latents=fresh))
    thin = fresh[np.argsort(before)[:16]]
    after = ink(latent_arithmetic(gan, (thin, found["high"], found["low"]), average_a=False))
    before = np.sort(before)[:16]
    print(f"dcgan_mnist mean ink: {before.mean():.3f} -> {after.mean():.3f}")
    assert after.mean() > before.mean() + 0.03
    assert np.mean(after > before) >= 0.8
