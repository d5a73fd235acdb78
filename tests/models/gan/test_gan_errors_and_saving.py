"""Bad input gets a clear error and leaves the model usable; saving round-trips."""

import os
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import snapshot_weights
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator


def image_gan(**kwargs):
    generator = tiny_generator(latent_dim=4, output_shape=(4, 4, 1))
    discriminator = tiny_discriminator(input_shape=(4, 4, 1))
    gan = keras_gen.models.GAN(generator, discriminator, seed=0, **kwargs)
    gan.compile()
    return gan


def images(n=32, dtype="float32"):
    x = np.random.default_rng(0).uniform(-1, 1, (n, 4, 4, 1))
    return x.astype(dtype)


def assert_still_trains(gan):
    history = gan.fit(images(), batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


def test_wrong_image_shape_names_the_expected_shape():
    gan = image_gan()
    with pytest.raises(ValueError, match=r"expects \(batch,\) \+ \(4, 4, 1\)"):
        gan.fit(np.zeros((32, 4, 4), "float32"), batch_size=16, verbose=0)
    assert_still_trains(gan)


def test_wrong_shape_in_tf_data_is_caught_before_training():
    import tensorflow as tf

    gan = image_gan()
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((32, 5, 5, 1), "float32")).batch(16)
    with pytest.raises(ValueError, match="discriminator"):
        gan.fit(dataset, verbose=0)
    assert_still_trains(gan)


def test_uint8_images_get_a_type_error_naming_the_fix():
    gan = image_gan()
    with pytest.raises(TypeError, match="scale_images"):
        gan.fit(np.zeros((32, 4, 4, 1), "uint8"), batch_size=16, verbose=0)
    assert_still_trains(gan)


def test_unknown_loss_and_penalty_names():
    g, d = tiny_generator(latent_dim=4), tiny_discriminator()
    with pytest.raises(ValueError, match="hinge"):
        keras_gen.models.GAN(g, d, loss="wgan")
    with pytest.raises(ValueError, match="wgan_gp"):
        keras_gen.models.GAN(g, d, gradient_penalty="gp")


def test_latent_dim_mismatch():
    with pytest.raises(ValueError, match="latent_dim=4"):
        keras_gen.models.GAN(tiny_generator(latent_dim=4), tiny_discriminator(), latent_dim=8)


def test_compile_rejects_keras_loss_argument():
    gan = image_gan()
    with pytest.raises(ValueError, match="generator_optimizer"):
        gan.compile(loss="mse")


def test_fit_before_compile():
    gan = keras_gen.models.GAN(tiny_generator(latent_dim=4), tiny_discriminator())
    with pytest.raises(ValueError, match="compile"):
        gan.fit(np.zeros((8, 2), "float32"), verbose=0)


def test_nan_batch_stops_training_without_writing_nan_weights():
    gan = keras_gen.models.GAN(
        tiny_generator(latent_dim=4, batch_norm=True),
        tiny_discriminator(batch_norm=True),
        seed=0,
    )
    gan.compile()
    x = np.random.default_rng(0).standard_normal((64, 2)).astype("float32")
    x[40] = np.nan  # third batch of 16
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = gan.fit(x, batch_size=16, epochs=3, shuffle=False, verbose=0)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("epoch 1, step 3" in m for m in messages), messages
    assert len(history.history["d_loss"]) == 1  # stopped in the first epoch
    for value in snapshot_weights(gan.variables):
        if value.dtype.kind == "f":
            assert np.all(np.isfinite(value))
    # The model is still usable.
    history = gan.fit(x[:32], batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


def test_generate_is_reproducible_with_a_seed():
    gan = image_gan()
    a = gan.generate(5, seed=7)
    np.testing.assert_array_equal(a, gan.generate(5, seed=7))
    assert a.shape == (5, 4, 4, 1)
    assert not np.array_equal(a, gan.generate(5, seed=8))
    with pytest.raises(ValueError, match="latents must have shape"):
        gan.generate(2, latents=np.zeros((2, 3)))


OTHER_BACKEND = {"tensorflow": "jax", "jax": "torch", "torch": "tensorflow"}

_WRITER = """
import numpy as np, keras, keras_gen
from keras_gen.testing import tiny_generator, tiny_discriminator
keras.utils.set_random_seed(5)
gan = keras_gen.models.GAN(tiny_generator(4, (4, 4, 1), batch_norm=True),
                           tiny_discriminator((4, 4, 1)), seed=0)
gan.generator.layers[2].moving_mean.assign(np.full((16,), 0.3, "float32"))
gan.save_weights({path!r})
np.save({out!r}, gan.generate(6, seed=3))
"""


def test_weights_load_across_backends(tmp_path):
    """Weights written under another backend give identical outputs here."""
    other = OTHER_BACKEND[keras.backend.backend()]
    path, out = str(tmp_path / "gan.weights.h5"), str(tmp_path / "out.npy")
    env = dict(os.environ, KERAS_BACKEND=other)
    subprocess.run(
        [sys.executable, "-c", _WRITER.format(path=path, out=out)], env=env, check=True,
        capture_output=True,
    )
    gan = keras_gen.models.GAN(
        tiny_generator(4, (4, 4, 1), batch_norm=True), tiny_discriminator((4, 4, 1)), seed=0
    )
    gan.load_weights(path)
    np.testing.assert_allclose(gan.generate(6, seed=3), np.load(out), rtol=1e-5, atol=1e-6)


def test_error_found_only_when_tracing_leaves_the_model_usable():
    # A Python generator cannot be checked before fit(); its uint8 batches
    # are refused when the step is traced. On JAX, fit() has by then moved
    # the weights into its training state: they must come back.
    gan = keras_gen.models.GAN(tiny_generator(latent_dim=4), tiny_discriminator(), seed=0)
    gan.compile()

    def integer_batches():
        while True:
            yield (np.ones((8, 2), "uint8"),)

    with pytest.raises(TypeError, match="float"):
        gan.fit(integer_batches(), steps_per_epoch=2, epochs=1, verbose=0)
    good = np.random.default_rng(0).standard_normal((32, 2)).astype("float32")
    history = gan.fit(good, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
    assert gan.generate(2, seed=0).shape == (2, 2)
