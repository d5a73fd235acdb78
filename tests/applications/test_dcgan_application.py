import json
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


def test_discriminator_width_is_its_own_argument_and_read_back():
    gan = keras_gen.applications.DCGAN(weights=None, latent_dim=8, base_filters=4,
                                       include_discriminator=True)
    architecture = keras_gen.applications.dcgan.dcgan_architecture(gan.generator, gan.discriminator)
    assert architecture["base_filters"] == 4 and architecture["discriminator_filters"] == 8
    assert gan.discriminator.get_layer("down_0_conv").filters == 8
    gan = keras_gen.applications.DCGAN(weights=None, latent_dim=8, base_filters=4,
                                       discriminator_filters=3, include_discriminator=True)
    assert gan.discriminator.get_layer("down_0_conv").filters == 3
    assert gan.discriminator.get_layer("down_1_conv").filters == 6
    assert keras_gen.applications.dcgan.dcgan_architecture(
        gan.generator, gan.discriminator)["discriminator_filters"] == 3


def test_a_layout_copy_keeps_every_training_option():
    gan = keras_gen.applications.dcgan.build_dcgan(
        latent_dim=8, base_filters=4, discriminator_filters=6, gradient_penalty="r1",
        penalty_weight=0.5, label_smoothing=0.1, ema_decay=0.99, seed=3,
        data_format="channels_last")
    copy = keras_gen.applications.dcgan.with_data_format(gan, "channels_first")
    for key, value in gan.get_config().items():
        if key not in ("generator", "discriminator"):
            assert copy.get_config()[key] == value, key
    assert copy.discriminator.get_layer("down_0_conv").filters == 6


@needs_preset
def test_preset_architecture_is_the_recipe_s():
    gan = keras_gen.applications.DCGAN(weights=PRESET, include_discriminator=True)
    architecture = keras_gen.applications.dcgan.dcgan_architecture(gan.generator, gan.discriminator)
    config = keras_gen.applications.dcgan.DCGAN_MNIST_CONFIG
    assert {key: architecture[key] for key in architecture} == {
        key: config[key] for key in architecture}
    # The same arguments, given explicitly, load it.
    keras_gen.applications.DCGAN(weights=PRESET, base_filters=64)
    with pytest.raises(ValueError, match="discriminator_filters"):
        keras_gen.applications.DCGAN(weights=PRESET, discriminator_filters=64)


def test_recipe_writes_a_preset_that_states_its_training(tmp_path):
    """`recipes/dcgan_mnist.py` end to end (one epoch of tiny networks): the preset loads, and
    its card and metadata state the discriminator width, the R1 penalty and where it ran."""
    import importlib.util

    path = os.path.join(os.path.dirname(__file__), "..", "..", "recipes", "dcgan_mnist.py")
    spec = importlib.util.spec_from_file_location("dcgan_mnist_recipe", path)
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    argv = ["--epochs", "1", "--base-filters", "4", "--discriminator-filters", "6", "--r1", "0.5",
            "--output", str(tmp_path / "run"), "--preset-dir", str(tmp_path / "preset")]
    recipe.main(argv)
    gan = keras_gen.applications.DCGAN(weights=str(tmp_path / "preset"), include_discriminator=True)
    assert gan.gradient_penalty == "r1" and gan.penalty_weight == 0.5
    assert gan.discriminator.get_layer("down_0_conv").filters == 6
    card = (tmp_path / "preset" / "README.md").read_text()
    assert "(6 and 12 filters)" in card and "gamma = 0.5" in card
    assert "--discriminator-filters 6" in card

    # Weights trained elsewhere: the card and metadata name that machine and command.
    args = recipe.parse_args(argv[:-2] + ["--preset-dir", str(tmp_path / "elsewhere")])
    summary = json.loads((tmp_path / "preset" / "training_metrics.json").read_text())
    trained_on = {"hardware": "a GPU", "recipe": "python recipes/dcgan_mnist.py --epochs 1"}
    recipe.write_dcgan_preset(gan, summary, args, argv, trained_on=trained_on)
    metadata = presets.load_metadata(str(tmp_path / "elsewhere"))
    card = (tmp_path / "elsewhere" / "README.md").read_text()
    assert "on a GPU." in card and "`python recipes/dcgan_mnist.py --epochs 1`" in card
    assert metadata["hardware"] == "a GPU" and metadata["recipe"] == trained_on["recipe"]
