import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gen
import keras_gen.applications
from keras_gen import presets

PRESET = "cgan_mnist"
RECIPE = os.path.join(os.path.dirname(__file__), "..", "..", "recipes", "cgan_mnist.py")
needs_preset = pytest.mark.skipif(
    PRESET not in presets.list_presets(),
    reason="the cgan_mnist preset is written by recipes/cgan_mnist.py",
)


def test_random_weights_application_shapes_and_conditioning():
    model = keras_gen.applications.ConditionalDCGAN(
        weights=None, image_shape=(32, 32, 3), latent_dim=16, num_classes=4, base_filters=8,
        conditioning="auxiliary",
    )
    assert isinstance(model, keras_gen.models.ConditionalGAN)
    assert model.conditioning == "auxiliary" and model.num_classes == 4
    assert model.generate(labels=[0, 1, 2, 3], seed=0).shape == (4, 32, 32, 3)


@needs_preset
def test_preset_generates_the_requested_digits():
    model = keras_gen.applications.ConditionalDCGAN(weights=PRESET)
    labels = np.repeat(np.arange(10), 20)
    images = model.generate(labels=labels, seed=3)
    assert images.shape == (200, 28, 28, 1) and images.min() >= -1 and images.max() <= 1
    # Same seed, same latents: a smaller batch gives the same digits (up to
    # float differences between batch sizes under XLA).
    np.testing.assert_allclose(images[:10], model.generate(labels=labels[:10], seed=3), atol=1e-4)
    classifier = keras_gen.metrics.load_digits_classifier()
    predicted = np.argmax(classifier.predict(images, verbose=0), axis=-1)
    per_class = [np.mean(predicted[labels == k] == k) for k in range(10)]
    # Measured 95% overall when the preset was trained; chance is 10%.
    assert np.mean(predicted == labels) > 0.8, per_class
    assert min(per_class) > 0.5, per_class


@needs_preset
def test_preset_arguments_must_match():
    with pytest.raises(ValueError, match="num_classes"):
        keras_gen.applications.ConditionalDCGAN(weights=PRESET, num_classes=5)
    with pytest.raises(ValueError, match="conditioning"):
        keras_gen.applications.ConditionalDCGAN(weights=PRESET, conditioning="concat")


@needs_preset
def test_preset_loads_channels_first_and_draws_the_same_digits():
    last = keras_gen.applications.ConditionalDCGAN(weights=PRESET, data_format="channels_last")
    first = keras_gen.applications.ConditionalDCGAN(weights=PRESET, data_format="channels_first")
    assert first.generator.output_shape == (None, 1, 28, 28)
    labels = np.arange(10)
    images = first.generate(labels=labels, seed=5)
    np.testing.assert_allclose(images.transpose(0, 2, 3, 1), last.generate(labels=labels, seed=5),
                               atol=2e-4)
    assert keras_gen.applications.conditional_dcgan.conditional_dcgan_architecture(first) == \
        keras_gen.applications.conditional_dcgan.conditional_dcgan_architecture(last)


@pytest.mark.parametrize("conditioning", ["projection", "concat", "auxiliary"])
def test_a_weights_file_loads_into_either_layout(tmp_path, conditioning):
    arguments = dict(latent_dim=8, num_classes=3, base_filters=4, conditioning=conditioning)
    model = keras_gen.applications.ConditionalDCGAN(weights=None, data_format="channels_last",
                                                    **arguments)
    model.generator.set_weights(keras_gen.testing.perturbed_weights(model.generator, seed=1))
    model.discriminator.set_weights(keras_gen.testing.perturbed_weights(model.discriminator, seed=2))
    path = str(tmp_path / "cgan.weights.h5")
    model.save_weights(path)
    first = keras_gen.applications.ConditionalDCGAN(weights=path, data_format="channels_first",
                                                    **arguments)
    z = np.random.default_rng(0).standard_normal((3, 8)).astype("float32")
    labels = np.arange(3)
    made = keras.ops.convert_to_numpy(model.generator([z, labels], training=False))
    made_first = keras.ops.convert_to_numpy(first.generator([z, labels], training=False))
    assert made_first.shape == (3, 1, 28, 28)
    np.testing.assert_allclose(made_first.transpose(0, 2, 3, 1), made, atol=1e-5)
    if conditioning == "auxiliary":
        outputs, outputs_first = model.discriminator(made), first.discriminator(made_first)
    else:
        outputs, outputs_first = model.discriminator([made, labels]), first.discriminator([made_first, labels])
    for value, value_first in zip(keras.tree.flatten(outputs), keras.tree.flatten(outputs_first)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(value_first),
                                   keras.ops.convert_to_numpy(value), atol=1e-5)


def test_a_layout_copy_keeps_every_training_option():
    model = keras_gen.applications.conditional_dcgan.build_conditional_dcgan(
        latent_dim=8, num_classes=3, base_filters=4, conditioning="auxiliary", auxiliary_weight=0.5,
        loss="hinge", ema_decay=0.99, seed=3, data_format="channels_last")
    copy = keras_gen.applications.dcgan.copy_in_data_format(
        model, "channels_first", keras_gen.applications.conditional_dcgan.build_conditional_dcgan,
        keras_gen.applications.conditional_dcgan.conditional_dcgan_architecture(model))
    assert keras_gen.networks.network_data_format(copy.generator) == "channels_first"
    for key, value in model.get_config().items():
        if key not in ("generator", "discriminator"):
            assert copy.get_config()[key] == value, key
    for variable, copied in zip(model.ema_model.weights, copy.ema_model.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(copied),
                                      keras.ops.convert_to_numpy(variable))


@pytest.mark.guide  # the recipe end to end: runs once, on the rotating backend
def test_recipe_fast_mode_writes_a_loadable_preset(tmp_path):
    preset_dir = tmp_path / "preset"
    result = subprocess.run(
        [sys.executable, RECIPE, "--fast", "--output", str(tmp_path / "out"),
         "--preset-dir", str(preset_dir)],
        capture_output=True, text=True, timeout=900, cwd=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("config.json", "model.weights.h5", "metadata.json", "README.md", "samples.png"):
        assert (preset_dir / name).is_file(), name
    metadata = presets.load_metadata(str(preset_dir))
    assert 0.0 <= metadata["metrics"]["class_accuracy"] <= 1.0
    assert len(metadata["metrics"]["class_accuracy_per_label"]) == 10
    model = keras_gen.applications.ConditionalDCGAN(weights=str(preset_dir))
    assert model.generate(labels=[1, 2], seed=0).shape == (2, 28, 28, 1)
