import os
import tempfile

import keras
import numpy as np
import pytest

from keras_gen.layers import DiffAugment
from keras_gen.testing import run_layer_test


def _images(shape=(4, 16, 16, 3)):
    return np.random.default_rng(0).uniform(-1, 1, shape).astype("float32")


def test_layer_contract():
    # Randomness aside (tested below), the contract: shapes, config, saving.
    run_layer_test(
        DiffAugment,
        {"policy": "color,translation,cutout", "seed": 1},
        (2, 8, 8, 3),
        (2, 8, 8, 3),
        call_kwargs={"training": False},
    )


def test_saved_seed_state_reproduces_the_augmentation():
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, DiffAugment(seed=5)(inputs))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "augment.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path)
    x = _images((2, 8, 8, 3))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(x)), keras.ops.convert_to_numpy(reloaded(x)), atol=1e-6
    )


def test_identity_when_not_training():
    x = _images()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(DiffAugment()(x, training=False)), x)


def test_translation_shifts_with_zero_padding():
    x = _images((8, 16, 16, 1))
    y = keras.ops.convert_to_numpy(DiffAugment("translation", seed=2)(x))
    for image, shifted in zip(x[..., 0], y[..., 0]):
        matches = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.array_equal(shifted, _shift(image, dy, dx))
        ]
        assert matches, "output is not an integer shift of at most 1/8 of the size"


def _shift(image, dy, dx):
    h, w = image.shape
    out = np.zeros_like(image)
    for i in range(h):
        for j in range(w):
            if 0 <= i + dy < h and 0 <= j + dx < w:
                out[i, j] = image[i + dy, j + dx]
    return out


def test_cutout_zeros_at_most_half_size_square():
    x = np.ones((16, 8, 8, 2), "float32")
    y = keras.ops.convert_to_numpy(DiffAugment("cutout", seed=3)(x))
    zeroed = (y == 0).all(axis=-1)
    assert np.all((y == 0) | (y == 1))
    counts = zeroed.sum(axis=(1, 2))
    assert counts.max() == 16 and counts.min() >= 4  # 4x4 square, possibly cropped
    rows, cols = zeroed.any(axis=2), zeroed.any(axis=1)
    np.testing.assert_array_equal(counts, rows.sum(axis=1) * cols.sum(axis=1))  # a rectangle


def test_color_is_per_sample_and_random_per_call():
    layer = DiffAugment("color", seed=4)
    x = np.repeat(_images((1, 8, 8, 3)), 4, axis=0)
    first = keras.ops.convert_to_numpy(layer(x))
    second = keras.ops.convert_to_numpy(layer(x))
    assert not np.allclose(first[0], first[1])
    assert not np.allclose(first, second)


def test_fresh_randomness_under_jit(jit_twice):
    layer = DiffAugment(seed=6)
    x = _images()
    layer(x)
    first, second = jit_twice(layer, x, training=True)
    assert not np.allclose(first, second)


def test_gradient_flows_to_input(gradient_of_sum):
    layer = DiffAugment(seed=7)
    x = _images()
    layer.build(x.shape)
    grad = gradient_of_sum(lambda inputs: layer(inputs, training=True), x)
    assert grad.shape == x.shape
    assert np.all(np.isfinite(grad))
    assert np.abs(grad).sum() > 0


def test_unknown_policy_is_a_clear_error():
    with pytest.raises(ValueError, match="comma-separated subset"):
        DiffAugment("color,flip")


def test_channels_first_contract():
    run_layer_test(
        DiffAugment,
        {"policy": "color,translation,cutout", "seed": 1, "data_format": "channels_first"},
        (2, 3, 8, 8),
        (2, 3, 8, 8),
        call_kwargs={"training": False},
    )


def test_channels_first_draws_the_same_augmentation_transposed():
    x = _images((4, 16, 12, 3))  # height != width: a swapped axis would show
    last = DiffAugment(seed=7, data_format="channels_last")
    first = DiffAugment(seed=7, data_format="channels_first")
    out_last = keras.ops.convert_to_numpy(last(x))
    out_first = keras.ops.convert_to_numpy(first(np.ascontiguousarray(x.transpose(0, 3, 1, 2))))
    assert out_first.shape == (4, 3, 16, 12)
    assert not np.allclose(out_last, x)
    np.testing.assert_allclose(out_first.transpose(0, 2, 3, 1), out_last, atol=1e-6)


def test_a_gan_augments_in_the_layout_of_its_discriminator():
    import keras_gen

    gan = keras_gen.applications.dcgan.build_dcgan(
        latent_dim=8, base_filters=4, augmentation="color,translation", data_format="channels_first")
    assert gan.augmentation.data_format == "channels_first"
    generator, discriminator = gan.generator, gan.discriminator
    with pytest.raises(ValueError, match="data_format='channels_first'"):
        keras_gen.models.GAN(generator, discriminator, augmentation=DiffAugment(data_format="channels_last"))
