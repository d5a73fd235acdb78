import importlib.util
import json
import os
import shutil

import h5py
import keras
import numpy as np
import pytest

import keras_gen
import keras_gen.applications
from keras_gen import presets
from keras_gen.applications.sagan import build_sagan
from keras_gen.applications.sagan import sagan_optimizers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRESET = "sagan_mnist"
needs_preset = pytest.mark.skipif(
    PRESET not in presets.list_presets(),
    reason="the sagan_mnist preset is written by recipes/sagan_mnist.py",
)


def layer_types(model):
    return {type(layer).__name__ for layer in model.layers}


def test_random_weights_application_shapes():
    generator = keras_gen.applications.SAGAN(weights=None, latent_dim=8, base_filters=4)
    assert generator.input_shape == (None, 8)
    assert generator.output_shape == (None, 28, 28, 1)
    assert {"SelfAttention2D", "SpectralNormalization"} <= layer_types(generator)
    # Attention sits at half the image side.
    assert generator.get_layer("attention").output.shape[1:3] == (14, 14)


def test_random_weights_gan_for_other_image_shapes():
    gan = keras_gen.applications.SAGAN(
        weights=None, image_shape=(16, 16, 3), latent_dim=8, base_filters=4, include_discriminator=True
    )
    assert isinstance(gan, keras_gen.models.GAN)
    assert gan.loss_name == "hinge"
    assert gan.discriminator.output_shape == (None, 1)
    assert {"SelfAttention2D", "SpectralNormalization"} <= layer_types(gan.discriminator)
    assert gan.generator.get_layer("attention").output.shape[1:3] == (8, 8)
    assert gan.discriminator.get_layer("attention").output.shape[1:3] == (8, 8)
    images = gan.generate(2, seed=0)
    assert images.shape == (2, 16, 16, 3)
    assert np.abs(images).max() <= 1.0


def test_unsupported_image_shape_and_unknown_preset():
    with pytest.raises(ValueError, match="image side"):
        keras_gen.applications.SAGAN(weights=None, image_shape=(30, 30, 1))
    with pytest.raises(ValueError, match="Unknown preset"):
        keras_gen.applications.SAGAN(weights="sagan_imagenet")
    with pytest.raises(ValueError, match="does not exist"):
        keras_gen.applications.SAGAN(weights="/nonexistent/sagan.weights.h5")


def test_two_timescale_optimizers():
    optimizers = sagan_optimizers()
    generator, discriminator = optimizers["generator_optimizer"], optimizers["discriminator_optimizer"]
    assert float(generator.learning_rate) == pytest.approx(1e-4)
    assert float(discriminator.learning_rate) == pytest.approx(4e-4)
    for optimizer in (generator, discriminator):
        assert (optimizer.beta_1, optimizer.beta_2) == (0.0, 0.9)


@pytest.mark.parametrize("ema_decay", [None, 0.999])
def test_weights_file_loads_into_the_given_architecture(ema_decay, tmp_path):
    gan = build_sagan(latent_dim=8, base_filters=4, ema_decay=ema_decay, seed=0)
    # Move the weights off their initial values so that loading is visible.
    for variable in gan.trainable_variables:
        variable.assign(variable + 0.01)
    path = str(tmp_path / "sagan.weights.h5")
    gan.save_weights(path)
    again = keras_gen.applications.SAGAN(
        weights=path, latent_dim=8, base_filters=4, include_discriminator=True
    )
    np.testing.assert_allclose(again.generate(3, seed=1), gan.generate(3, seed=1), atol=1e-5)


@needs_preset
def test_preset_generates_deterministic_digits_matching_the_reference():
    gan = keras_gen.applications.SAGAN(weights=PRESET, include_discriminator=True)
    first = gan.generate(8, seed=0)
    assert first.shape == (8, 28, 28, 1)
    assert first.min() >= -1.0 and first.max() <= 1.0
    np.testing.assert_array_equal(gan.generate(8, seed=0), first)
    reference = np.load(os.path.join(presets.resolve_preset(PRESET), "reference_samples.npz"))
    np.testing.assert_allclose(
        gan.generate(len(reference["images"]), seed=int(reference["seed"])),
        reference["images"], atol=2e-4,
    )
    # The generator alone is the network the GAN samples with.
    generator = keras_gen.applications.SAGAN(weights=PRESET)
    assert generator.output_shape == (None, 28, 28, 1)
    latents = np.random.default_rng(0).standard_normal((8, gan.latent_dim)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(generator(latents, training=False)), first, atol=1e-5
    )


@needs_preset
def test_preset_samples_are_recognisable_digits_of_every_class():
    gan = keras_gen.applications.SAGAN(weights=PRESET, include_discriminator=True)
    classifier = keras_gen.metrics.load_digits_classifier()
    probabilities = np.asarray(classifier.predict(gan.generate(500, seed=0), verbose=0))
    counts = np.bincount(probabilities.argmax(axis=1), minlength=10)
    # Held-out real digits: mean top probability ~0.99; untrained generators ~0.6
    # with all samples in one class. Thresholds sit below what the preset measures.
    assert probabilities.max(axis=1).mean() > 0.8
    assert np.count_nonzero(counts >= 10) == 10, counts
    assert counts.max() < 0.3 * len(probabilities), counts


@needs_preset
def test_preset_arguments_must_match():
    for kwargs in ({"latent_dim": 7}, {"base_filters": 64}, {"image_shape": (32, 32, 1)}):
        key = next(iter(kwargs))
        with pytest.raises(ValueError, match=key):
            keras_gen.applications.SAGAN(weights=PRESET, **kwargs)
    # Matching arguments are accepted.
    metadata = presets.load_metadata(PRESET)
    keras_gen.applications.SAGAN(
        weights=PRESET, image_shape=(28, 28, 1), latent_dim=metadata["architecture"]["latent_dim"]
    )


@needs_preset
def test_corrupted_weights_are_refused(tmp_path):
    copy = tmp_path / "broken"
    shutil.copytree(presets.resolve_preset(PRESET), copy)
    weights = copy / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupted"):
        keras_gen.applications.SAGAN(weights=str(copy))


@pytest.mark.guide  # the recipe end to end: runs once, on the rotating backend
@pytest.mark.filterwarnings("ignore:The covariance:UserWarning")  # 64-sample FID in fast mode
def test_recipe_fast_mode_writes_a_loadable_preset(tmp_path):
    if keras.backend.backend() == "jax":
        # The recipe's code is backend-neutral; on JAX its eager smoke run spends
        # about a minute compiling one XLA program per op and weight shape.
        pytest.skip("covered by the TensorFlow and torch runs (XLA compile time)")
    spec = importlib.util.spec_from_file_location(
        "sagan_mnist_recipe", os.path.join(ROOT, "recipes", "sagan_mnist.py")
    )
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    out = tmp_path / "preset"
    summary = recipe.main(["--fast", "--output", str(tmp_path / "work"), "--preset-dir", str(out)])
    for name in ("config.json", "model.weights.h5", "metadata.json", "README.md", "samples.png",
                 "reference_samples.npz", "training_metrics.json"):
        assert (out / name).is_file(), name
    metadata = presets.load_metadata(str(out))
    assert metadata["recipe"] in (out / "README.md").read_text()
    assert json.loads((out / "training_metrics.json").read_text())["fast"] is True
    assert summary["steps"] == 2 and len(summary["history"]["d_loss"]) == 1
    for key, value in metadata["metrics"].items():
        assert np.isfinite(value), key
    with h5py.File(out / "model.weights.h5", "r") as f:
        assert "optimizer" not in f, "the preset must not carry optimizer state"
    gan = keras_gen.applications.SAGAN(weights=str(out), include_discriminator=True)
    reference = np.load(out / "reference_samples.npz")
    np.testing.assert_allclose(gan.generate(8, seed=0), reference["images"], atol=1e-5)


def _to_first(images):
    return np.ascontiguousarray(np.moveaxis(images, -1, 1))


def test_a_weights_file_loads_into_either_layout(tmp_path):
    gan = build_sagan(image_shape=(16, 16, 1), latent_dim=6, base_filters=3, seed=0,
                      data_format="channels_last")
    gan.generator.set_weights(keras_gen.testing.perturbed_weights(gan.generator, 0))
    gan.discriminator.set_weights(keras_gen.testing.perturbed_weights(gan.discriminator, 1))
    path = str(tmp_path / "sagan.weights.h5")
    gan.save_weights(path)
    first = keras_gen.applications.SAGAN(weights=path, image_shape=(16, 16, 1), latent_dim=6,
                                         base_filters=3, include_discriminator=True,
                                         data_format="channels_first")
    assert first.generator.output_shape == (None, 1, 16, 16)
    assert first.generator.get_layer("attention").output.shape[1:] == (6, 8, 8)
    assert keras_gen.applications.sagan.sagan_architecture(first) == {
        "image_shape": (16, 16, 1), "latent_dim": 6, "base_filters": 3, "attention_resolution": 8}
    images = gan.generate(3, seed=1)
    images_first = first.generate(3, seed=1)
    np.testing.assert_allclose(images_first.transpose(0, 2, 3, 1), images, atol=1e-5)
    logits = keras.ops.convert_to_numpy(gan.discriminator(images, training=False))
    logits_first = keras.ops.convert_to_numpy(first.discriminator(images_first, training=False))
    np.testing.assert_allclose(logits_first, logits, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="data_format"):
        keras_gen.applications.SAGAN(weights=None, data_format="NCHW")


def test_a_layout_copy_keeps_every_training_option():
    gan = build_sagan(image_shape=(16, 16, 1), latent_dim=6, base_filters=3, attention_resolution=4,
                      ema_decay=0.99, seed=3, gradient_penalty="r1", penalty_weight=0.5,
                      data_format="channels_last")
    copy = keras_gen.applications.sagan.with_data_format(gan, "channels_first")
    for key, value in gan.get_config().items():
        if key not in ("generator", "discriminator"):
            assert copy.get_config()[key] == value, key
    # 4 rounds to the generator's smallest side, 8; the discriminator attends at 4.
    assert copy.generator.get_layer("attention").output.shape[2:] == (8, 8)
    assert copy.discriminator.get_layer("attention").output.shape[2:] == (4, 4)
    assert keras_gen.applications.sagan.sagan_architecture(copy)["attention_resolution"] == 4
    np.testing.assert_allclose(copy.generate(2, seed=0).transpose(0, 2, 3, 1),
                               gan.generate(2, seed=0), atol=1e-5)


def test_one_training_step_is_the_same_in_either_layout():
    """Same weights, seed and (transposed) data: the same losses, and networks that still agree."""
    data = np.random.default_rng(5).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    z = np.random.default_rng(6).standard_normal((2, 6)).astype("float32")
    gan = build_sagan(image_shape=(16, 16, 1), latent_dim=6, base_filters=3, seed=0,
                      data_format="channels_last")
    copy = keras_gen.applications.sagan.with_data_format(gan, "channels_first")
    before = keras.ops.convert_to_numpy(gan.generator(z, training=False))
    logs, after = {}, {}
    for model, images in ((gan, data), (copy, _to_first(data))):
        data_format = keras_gen.networks.network_data_format(model.generator)
        # SGD: Adam's first steps (beta_1=0) are about lr * sign(gradient), which turns the
        # rounding differences of near-zero gradients into full-size updates.
        model.compile(generator_optimizer=keras.optimizers.SGD(0.01),
                      discriminator_optimizer=keras.optimizers.SGD(0.01))
        logs[data_format] = model.fit(images, batch_size=4, epochs=1, verbose=0,
                                      shuffle=False).history
        after[data_format] = keras.ops.convert_to_numpy(model.generator(z, training=False))
    for key, values in logs["channels_last"].items():
        np.testing.assert_allclose(logs["channels_first"][key], values, rtol=1e-4, err_msg=key)
    change = np.max(np.abs(after["channels_last"] - before))
    assert change > 0
    np.testing.assert_allclose(np.moveaxis(after["channels_first"], 1, -1), after["channels_last"],
                               atol=0.05 * change + 1e-6)


@needs_preset
def test_preset_loads_channels_first_and_draws_the_same_images():
    gan = keras_gen.applications.SAGAN(weights=PRESET, include_discriminator=True,
                                       data_format="channels_first")
    reference = np.load(os.path.join(presets.resolve_preset(PRESET), "reference_samples.npz"))
    images = gan.generate(len(reference["images"]), seed=int(reference["seed"]))
    assert images.shape[1:] == (1, 28, 28)
    np.testing.assert_allclose(images.transpose(0, 2, 3, 1), reference["images"], atol=2e-4)
    generator = keras_gen.applications.SAGAN(weights=PRESET, data_format="channels_first")
    assert generator.output_shape == (None, 1, 28, 28)
    assert keras_gen.applications.sagan.sagan_architecture(gan)["image_shape"] == (28, 28, 1)
