import os
import shutil

import keras
import numpy as np
import pytest

import keras_gen
import keras_gen.applications
from keras_gen import presets

PRESET = "dcgan_mnist"
needs_preset = pytest.mark.skipif(
    PRESET not in presets.list_presets(),
    reason="the dcgan_mnist preset is written by recipes/dcgan_mnist.py",
)


def test_random_weights_application_shapes():
    generator = keras_gen.applications.DCGAN(weights=None, latent_dim=16, base_filters=8)
    assert generator.output_shape == (None, 28, 28, 1)
    gan = keras_gen.applications.DCGAN(
        weights=None, image_shape=(32, 32, 3), latent_dim=16, base_filters=8, include_discriminator=True
    )
    assert isinstance(gan, keras_gen.models.GAN)
    assert gan.generate(2, seed=0).shape == (2, 32, 32, 3)


def test_unknown_preset_name():
    with pytest.raises(ValueError, match="Unknown preset"):
        keras_gen.applications.DCGAN(weights="dcgan_imagenet")


@needs_preset
def test_preset_generates_reference_images_on_every_backend():
    gan = keras_gen.applications.DCGAN(weights=PRESET, include_discriminator=True)
    reference = np.load(os.path.join(presets.resolve_preset(PRESET), "reference_samples.npz"))
    np.testing.assert_allclose(
        gan.generate(len(reference["images"]), seed=int(reference["seed"])),
        reference["images"], atol=2e-4,
    )
    generator = keras_gen.applications.DCGAN(weights=PRESET)
    assert generator.output_shape == (None, 28, 28, 1)


@needs_preset
def test_preset_arguments_must_match():
    with pytest.raises(ValueError, match="latent_dim"):
        keras_gen.applications.DCGAN(weights=PRESET, latent_dim=7)


@needs_preset
def test_corrupted_weights_are_refused(tmp_path):
    copy = tmp_path / "broken"
    shutil.copytree(presets.resolve_preset(PRESET), copy)
    weights = copy / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupted"):
        keras_gen.applications.DCGAN(weights=str(copy))


def test_preset_round_trip_of_any_model(tmp_path):
    gan = keras_gen.applications.DCGAN(weights=None, latent_dim=8, base_filters=8, include_discriminator=True)
    path = presets.save_to_preset(gan, str(tmp_path / "p"), metadata={"dataset": "none"})
    for name in ("config.json", "model.weights.h5", "metadata.json", "README.md"):
        assert os.path.isfile(os.path.join(path, name))
    assert presets.load_metadata(path)["dataset"] == "none"
    loaded = presets.from_preset(path)
    np.testing.assert_allclose(loaded.generate(3, seed=1), gan.generate(3, seed=1), atol=1e-6)
    # Weights of a .weights.h5 file load into the architecture given by arguments.
    weights = str(tmp_path / "dcgan.weights.h5")
    gan.save_weights(weights)
    again = keras_gen.applications.DCGAN(weights=weights, latent_dim=8, base_filters=8, include_discriminator=True)
    np.testing.assert_allclose(again.generate(3, seed=1), gan.generate(3, seed=1), atol=1e-6)


def test_preset_of_a_trained_model_stores_no_optimizer_state(tmp_path):
    gan = keras_gen.applications.DCGAN(weights=None, latent_dim=8, base_filters=8, include_discriminator=True)
    gan.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    gan.fit(images, batch_size=8, epochs=1, verbose=0)
    path = presets.save_to_preset(gan, str(tmp_path / "trained"))
    loaded = presets.from_preset(path)
    assert not loaded.compiled
    # Every stored variable is a model variable: no optimizer moments.
    import h5py

    with h5py.File(os.path.join(path, "model.weights.h5")) as f:
        assert "optimizer" not in f
    np.testing.assert_allclose(loaded.generate(3, seed=1), gan.generate(3, seed=1), atol=1e-6)
    loaded.compile()
    loaded.fit(images, batch_size=8, epochs=1, verbose=0)


@needs_preset
def test_preset_loads_channels_first_and_draws_the_same_images():
    gan = keras_gen.applications.DCGAN(weights=PRESET, include_discriminator=True,
                                       data_format="channels_first")
    reference = np.load(os.path.join(presets.resolve_preset(PRESET), "reference_samples.npz"))
    images = gan.generate(len(reference["images"]), seed=int(reference["seed"]))
    assert images.shape[1:] == (1, 28, 28)
    np.testing.assert_allclose(images.transpose(0, 2, 3, 1), reference["images"], atol=2e-4)
    generator = keras_gen.applications.DCGAN(weights=PRESET, data_format="channels_first")
    assert generator.output_shape == (None, 1, 28, 28)
    assert keras_gen.applications.dcgan.dcgan_architecture(gan.generator, gan.discriminator)[
        "image_shape"] == (28, 28, 1)


def test_a_weights_file_loads_into_either_layout(tmp_path):
    gan = keras_gen.applications.DCGAN(weights=None, latent_dim=8, base_filters=4,
                                       include_discriminator=True, data_format="channels_last")
    path = str(tmp_path / "dcgan.weights.h5")
    gan.save_weights(path)
    first = keras_gen.applications.DCGAN(weights=path, latent_dim=8, base_filters=4,
                                         include_discriminator=True, data_format="channels_first")
    z = np.random.default_rng(0).standard_normal((2, 8)).astype("float32")
    made = keras.ops.convert_to_numpy(gan.generator(z, training=False))
    made_first = keras.ops.convert_to_numpy(first.generator(z, training=False))
    np.testing.assert_allclose(made_first.transpose(0, 2, 3, 1), made, atol=1e-5)
    logits = keras.ops.convert_to_numpy(gan.discriminator(made, training=False))
    logits_first = keras.ops.convert_to_numpy(first.discriminator(made_first, training=False))
    np.testing.assert_allclose(logits_first, logits, atol=1e-5)
    with pytest.raises(ValueError, match="data_format"):
        keras_gen.applications.DCGAN(weights=None, data_format="NCHW")
