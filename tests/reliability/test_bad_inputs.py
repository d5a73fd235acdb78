"""The bad inputs users really make get a clear error that names the fix.

Each test gives one mistake and checks the error type, that the message names
the fix, and that the model is unchanged (weights identical) and usable after
(a following correct fit trains). Mistakes found at construction leave the
networks usable in a correct model. Data a `fit()` cannot read beforehand (a
`tf.data` pipeline) are checked inside the step: training stops at the bad
batch, whose updates are not applied.
"""

import json
import os
import shutil
import warnings

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen import networks
from keras_gen import presets
from keras_gen.testing import MODEL_CASES
from keras_gen.testing import snapshot_weights
from keras_gen.testing.models import dense_decoder
from keras_gen.testing.models import dense_encoder
from keras_gen.testing.models import tiny_discriminator
from keras_gen.testing.models import tiny_generator
from keras_gen.testing.models import tiny_image_generator
from keras_gen.testing.models import tiny_patch_discriminator

IMAGE = (4, 4, 1)
CLASSES = 3


# ----------------------------------------------------------------- helpers
def images(n=16, seed=0, low=-1.0, high=1.0, shape=IMAGE):
    return np.random.default_rng(seed).uniform(low, high, (n,) + shape).astype("float32")


def labels(n=16):
    return (np.arange(n) % CLASSES).astype("int32")


def image_gan(**kwargs):
    kwargs.setdefault("seed", 0)
    return keras_gen.models.GAN(tiny_generator(4, IMAGE), tiny_discriminator(IMAGE), **kwargs)


def vae():
    return keras_gen.models.VAE(dense_encoder(), dense_decoder(), seed=0)


def conditional_vae():
    return keras_gen.models.ConditionalVAE(
        dense_encoder(num_classes=CLASSES), dense_decoder(num_classes=CLASSES), seed=0
    )


def cgan(conditioning="projection", generator_classes=CLASSES, discriminator_classes=CLASSES,
         num_classes=CLASSES):
    return keras_gen.models.ConditionalGAN(
        networks.conditional_mlp_generator(2, 2, generator_classes, hidden_units=(8,)),
        networks.conditional_mlp_discriminator(
            2, discriminator_classes, conditioning, hidden_units=(8,)),
        num_classes=num_classes, conditioning=conditioning, seed=0,
    )


def cyclegan_networks():
    """Tiny `generator_ab, generator_ba, discriminator_a, discriminator_b` for 8x8 images.

    The discriminators return PatchGAN-style maps `(batch, 4, 4, 1)`.
    """
    return (tiny_image_generator(name="g_ab"), tiny_image_generator(name="g_ba"),
            tiny_patch_discriminator(name="d_a"), tiny_patch_discriminator(name="d_b"))


def cyclegan(**kwargs):
    return keras_gen.models.CycleGAN(*cyclegan_networks(), pool_size=2, seed=0, **kwargs)


def compiled(model, eager=True):
    """`model` compiled; eagerly unless `eager=False`.

    The errors here are raised before any step runs, and the fit that shows
    the model still trains runs the same step code eagerly without paying
    for a compile. Checks made inside the step (`tf.data` batches) use
    `eager=False`: the compiled step is what users run.
    """
    model.compile(run_eagerly=eager)
    return model


def good_data(model):
    """A correct `(x, y)` for `model` (16 samples)."""
    if isinstance(model, keras_gen.models.ConditionalGAN):
        return np.random.default_rng(0).standard_normal((16, 2)).astype("float32"), labels()
    if isinstance(model, keras_gen.models.CycleGAN):
        return images(shape=(8, 8, 1)), images(seed=1, shape=(8, 8, 1))
    if getattr(model, "num_classes", None):
        return images(), labels()
    if isinstance(model, keras_gen.models.GAN) and tuple(model.discriminator.inputs[0].shape[1:]) == (2,):
        return np.random.default_rng(0).standard_normal((16, 2)).astype("float32"), None
    return images(), None


def assert_trains(model):
    """A correct fit after the error trains and logs finite values."""
    x, y = good_data(model)
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values()), history.history


def assert_unchanged(variables, before):
    for variable, old in zip(variables, before):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(variable), old, err_msg=f"{variable.path} changed"
        )


def weights_of(model):
    """The weights a step may train or update (not seed-generator states, which a step advances)."""
    return [v for v in model.trainable_variables + model.non_trainable_variables
            if "float" in str(v.dtype)]


def dataset(*arrays, batch_size=8):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(arrays if len(arrays) > 1 else arrays[0]).batch(
        batch_size)


# ------------------------------------------------ a. images in [0, 255]
IMAGE_MODELS = {"gan": image_gan, "vae": vae, "conditional_vae": conditional_vae,
                "cyclegan": cyclegan}


@pytest.mark.parametrize("name", sorted(IMAGE_MODELS))
def test_images_in_0_255_are_refused_naming_scale_images(name):
    model = compiled(IMAGE_MODELS[name]())
    x, y = good_data(model)
    before = snapshot_weights(model.variables)
    with pytest.raises(ValueError, match=r"scale_images\(x, value_range=\(0, 255\)\)"):
        model.fit((x + 1) * 127.5, y, batch_size=8, verbose=0)
    if name == "cyclegan":  # the second domain too
        with pytest.raises(ValueError, match="Domain B images.*scale_images"):
            model.fit(x, (y + 1) * 127.5, batch_size=8, verbose=0)
    assert_unchanged(model.variables, before)
    assert_trains(model)


@pytest.mark.parametrize("name", ["gan", "vae"])
def test_images_in_0_255_from_a_dataset_stop_fit_at_the_first_step(name):
    model = compiled(IMAGE_MODELS[name](), eager=False)
    # The network that reads the images (a GAN's generator never does).
    reader = model.discriminator if name == "gan" else model
    before = snapshot_weights(weights_of(reader))
    with pytest.raises(ValueError, match=r"epoch 1, step 1.*\[0, 255\].*x / 127.5 - 1"):
        model.fit(shuffle=False, x=dataset((images() + 1) * 127.5), verbose=0)
    assert_unchanged(weights_of(reader), before)
    assert_trains(model)


# ------------------------------------------------------ b. images in [0, 1]
def test_images_in_0_1_warn_for_a_model_documented_for_minus_1_1():
    model = compiled(vae())
    unit = (images() + 1) / 2
    with pytest.warns(UserWarning, match=r"\[0, 1\].*scale_images\(x, value_range=\(0, 1\)\)"):
        model.fit(unit, batch_size=8, epochs=1, verbose=0)
    with pytest.warns(UserWarning, match=r"\[0, 1\]"):
        model.reconstruct(unit)
    with pytest.warns(UserWarning, match=r"\[0, 1\].*x \* 2 - 1"):
        model.fit(shuffle=False, x=dataset(unit), epochs=1, verbose=0)
    # Points (not images) of a GAN are not held to an image range.
    gan = compiled(keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        gan.fit(np.abs(good_data(gan)[0]), batch_size=8, verbose=0)


# ------------------------------------------------ c. weights of the objective
@pytest.mark.parametrize("value", [-10.0, float("nan"), float("inf")])
def test_penalty_weight_must_be_finite_and_non_negative(value):
    g, d = tiny_generator(4, IMAGE), tiny_discriminator(IMAGE)
    with pytest.raises(ValueError, match=r"penalty_weight must be a finite number >= 0"):
        keras_gen.models.GAN(g, d, gradient_penalty="wgan_gp", penalty_weight=value)
    assert_trains(compiled(keras_gen.models.GAN(g, d, gradient_penalty="wgan_gp", seed=0)))


@pytest.mark.parametrize("argument", [{"penalty_weight": 10.0}, {"penalty_interval": 16}])
def test_penalty_arguments_without_a_penalty_name_gradient_penalty(argument):
    g, d = tiny_generator(4, IMAGE), tiny_discriminator(IMAGE)
    with pytest.raises(ValueError, match=r"gradient_penalty='wgan_gp', 'r1' or 'r2'"):
        keras_gen.models.GAN(g, d, **argument)
    assert_trains(compiled(keras_gen.models.GAN(g, d, gradient_penalty="r1", seed=0, **argument)))


@pytest.mark.parametrize("build", [
    lambda: image_gan(loss="wasserstein", weight_clip=float("nan")),
    lambda: keras_gen.models.ConditionalGAN(
        networks.conditional_mlp_generator(2, 2, CLASSES, hidden_units=(8,)),
        networks.conditional_mlp_discriminator(2, CLASSES, "auxiliary", hidden_units=(8,)),
        num_classes=CLASSES, conditioning="auxiliary", auxiliary_weight=float("inf")),
    lambda: cyclegan(cycle_weight=float("nan")),
    lambda: cyclegan(identity_weight=-1.0),
], ids=["weight_clip", "auxiliary_weight", "cycle_weight", "identity_weight"])
def test_other_loss_weights_must_be_finite(build):
    with pytest.raises(ValueError, match="must be a finite number"):
        build()


# ------------------------------------------------------ d. networks that do not fit
def two_logit_discriminator():
    x = keras.Input(IMAGE)
    return keras.Model(x, keras.layers.Dense(2)(keras.layers.Flatten()(x)), name="two_logits")


def two_output_discriminator():
    x = keras.Input(IMAGE)
    flat = keras.layers.Flatten()(x)
    return keras.Model(x, [keras.layers.Dense(1)(flat), keras.layers.Dense(1)(flat)],
                       name="two_outputs")


@pytest.mark.parametrize("discriminator, fix", [
    (two_logit_discriminator, r"one logit per sample, shape \(batch, 1\).*Dense\(1\)"),
    (two_output_discriminator, r"returns 2 tensors.*Dense\(1\)"),
], ids=["two_logits", "two_outputs"])
def test_discriminator_must_return_one_logit_per_sample(discriminator, fix):
    generator = tiny_generator(4, IMAGE)
    with pytest.raises(ValueError, match=fix):
        keras_gen.models.GAN(generator, discriminator())
    assert_trains(compiled(keras_gen.models.GAN(generator, tiny_discriminator(IMAGE), seed=0)))


def patch_discriminator(channels):
    x = keras.Input(IMAGE)
    return keras.Model(x, keras.layers.Conv2D(channels, 3, padding="same")(x))


def test_patch_maps_are_accepted_but_not_several_channels_per_patch():
    g_ab, g_ba, d_a, d_b = cyclegan_networks()  # patch maps (batch, h, w, 1)
    x = keras.Input((8, 8, 1))
    two_channels = keras.Model(x, keras.layers.Conv2D(2, 3, padding="same")(x))
    with pytest.raises(ValueError, match=r"patch map \(batch, height, width, 1\)"):
        keras_gen.models.CycleGAN(g_ab, g_ba, two_channels, d_b)
    keras_gen.models.CycleGAN(g_ab, g_ba, d_a, d_b)
    # A GAN with a patch map of one channel trains; two channels per patch are refused.
    generator = tiny_generator(4, IMAGE)
    with pytest.raises(ValueError, match=r"\(None, 4, 4, 2\): 2 values per sample"):
        keras_gen.models.GAN(generator, patch_discriminator(2))
    assert_trains(compiled(keras_gen.models.GAN(generator, patch_discriminator(1), seed=0)))


def test_generator_output_must_match_the_discriminator_input_at_construction():
    discriminator = tiny_discriminator(IMAGE)
    with pytest.raises(ValueError, match=r"\(5, 5, 1\).*\(4, 4, 1\).*same sample shape"):
        keras_gen.models.GAN(tiny_generator(4, (5, 5, 1)), discriminator)
    assert_trains(compiled(keras_gen.models.GAN(tiny_generator(4, IMAGE), discriminator, seed=0)))


# --------------------------------------------------- e. classes of the networks
@pytest.mark.parametrize("conditioning", ["projection", "concat", "auxiliary"])
def test_num_classes_must_match_the_networks(conditioning):
    with pytest.raises(ValueError, match=r"num_classes=5"):
        cgan(conditioning, num_classes=5)
    with pytest.raises(ValueError, match=r"generator handles labels of 4 classes.*num_classes=3"):
        cgan(conditioning, generator_classes=4)
    if conditioning != "auxiliary":  # an auxiliary head is checked by its width
        with pytest.raises(ValueError, match=r"discriminator handles labels of 4 classes"):
            cgan(conditioning, discriminator_classes=4)
    assert_trains(compiled(cgan(conditioning)))


# ------------------------------------------- f. labels from a tf.data pipeline
@pytest.mark.parametrize("bad_batch", [0, 2])
def test_out_of_range_labels_from_a_dataset_stop_fit_naming_step_and_label(bad_batch):
    model = compiled(cgan(), eager=False)
    x, y = good_data(model)
    x, y = np.concatenate([x, x]), np.concatenate([y, y])
    y[8 * bad_batch + 3] = 7
    before = snapshot_weights(model.discriminator.trainable_variables)
    with pytest.raises(ValueError, match=rf"epoch 1, step {bad_batch + 1}.*label 7.*num_classes=8"):
        model.fit(shuffle=False, x=dataset(x, y), epochs=1, verbose=0)
    if bad_batch == 0:  # the discriminator reads the labels: its update was not applied
        assert_unchanged(model.discriminator.trainable_variables, before)
    assert_trains(model)


@pytest.mark.parametrize("rows", [False, True], ids=["indices", "one_hot_rows"])
def test_conditional_vae_labels_from_a_dataset_are_checked_in_the_step(rows):
    model = compiled(conditional_vae(), eager=False)
    x, y = good_data(model)
    y = y.copy()
    if rows:
        y = np.eye(CLASSES, dtype="float32")[y]
        y[2] = 0.0
        match = r"epoch 1, step 1.*row 2 .*not one-hot"
    else:
        y[2] = -1
        match = r"epoch 1, step 1.*label -1"
    before = snapshot_weights(weights_of(model))
    with pytest.raises(ValueError, match=match):
        model.fit(shuffle=False, x=dataset(x, y), epochs=1, verbose=0)
    assert_unchanged(weights_of(model), before)
    assert_trains(model)


# ------------------------------------------------ g. weights files and presets
def test_ema_weights_into_a_model_without_ema_are_refused(tmp_path):
    path = str(tmp_path / "ema.weights.h5")
    image_gan(ema_decay=0.9).save_weights(path)
    model = compiled(image_gan())
    before = snapshot_weights(model.variables)
    with pytest.raises(ValueError, match=r"moving average.*ema_decay=.*GeneratorEMA"):
        model.load_weights(path)
    assert_unchanged(model.variables, before)
    assert_trains(model)
    # The fix named: a model keeping an average loads the file.
    fixed = image_gan(ema_decay=0.9)
    fixed.load_weights(path)
    plain = str(tmp_path / "plain.weights.h5")
    model.save_weights(plain)
    with pytest.raises(ValueError, match="without `ema_decay`"):
        fixed.load_weights(plain)


@pytest.fixture
def preset_folder(tmp_path):
    folder = str(tmp_path / "preset")
    presets.save_to_preset(image_gan(), folder, metadata={"name": "tiny"})
    return folder


def test_an_edited_config_of_a_preset_is_refused(preset_folder):
    path = os.path.join(preset_folder, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["config"]["discriminator_steps"] = 5
    with open(path, "w") as f:
        json.dump(config, f)
    with pytest.raises(ValueError, match=r"Config file .* sha256.*re-run"):
        presets.from_preset(preset_folder)


@pytest.mark.skipif("dcgan_mnist" not in presets.list_presets(), reason="needs dcgan_mnist")
def test_an_edited_config_of_a_shipped_preset_is_refused(tmp_path):
    folder = str(tmp_path / "dcgan_mnist")
    shutil.copytree(presets.resolve_preset("dcgan_mnist"), folder)
    with open(os.path.join(folder, "config.json"), "a") as f:
        f.write(" ")
    with pytest.raises(ValueError, match="Config file .*sha256"):
        keras_gen.applications.DCGAN(weights=folder)


def test_metadata_without_hashes_names_record_file_hashes(preset_folder):
    path = os.path.join(preset_folder, "metadata.json")
    with open(path) as f:
        metadata = json.load(f)
    for key in ("files_sha256", "weights_sha256"):
        metadata.pop(key)
    with open(path, "w") as f:
        json.dump(metadata, f)
    model = image_gan()
    for load in (lambda: presets.from_preset(preset_folder),
                 lambda: presets.load_preset_weights(model, preset_folder)):
        with pytest.raises(ValueError, match=r"records no sha256 for .*record_file_hashes"):
            load()
    presets.record_file_hashes(preset_folder)
    assert_trains(compiled(presets.from_preset(preset_folder)))


# ------------------------------------------------------- h. unclear errors
# Models that generate from noise alone (image-to-image models translate inputs).
GENERATING = sorted(name for name, case in MODEL_CASES.items()
                    if case.model_class is not keras_gen.models.AutoEncoder
                    and not case.model_class.__module__.startswith("keras_gen.models.image_to_image"))


@pytest.mark.parametrize("name", GENERATING)
def test_generate_with_a_negative_or_zero_count(name):
    case = MODEL_CASES[name]
    model = case.model_class(**case.init_kwargs())
    with pytest.raises(ValueError, match=r"num_samples must be an integer >= 0; received -1"):
        model.generate(-1)
    one, none = model.generate(1, seed=0), model.generate(0, seed=0)
    assert none.shape == (0,) + one.shape[1:] and none.dtype == one.dtype


EMPTY_DATA_MODELS = {"gan": image_gan, "cgan": cgan, "vae": vae,
                     "conditional_vae": conditional_vae, "cyclegan": cyclegan}


@pytest.mark.parametrize("name", sorted(EMPTY_DATA_MODELS))
def test_empty_training_data_are_refused_before_fit(name):
    import tensorflow as tf

    model = compiled(EMPTY_DATA_MODELS[name]())
    data = tuple(a for a in good_data(model) if a is not None)
    before = snapshot_weights(model.variables)
    with pytest.raises(ValueError, match="0 samples"):
        model.fit(*(a[:0] for a in data), batch_size=8, verbose=0)
    nothing = tf.data.Dataset.from_tensor_slices(data if len(data) > 1 else data[0]).take(0)
    with pytest.raises(ValueError, match="empty dataset"):
        model.fit(nothing.batch(8), verbose=0)
    assert_unchanged(model.variables, before)
    assert_trains(model)


def test_truncated_files_are_named_as_such(tmp_path):
    model = compiled(image_gan())
    for suffix, save in ((".keras", model.save), (".weights.h5", model.save_weights)):
        path = str(tmp_path / f"model{suffix}")
        save(path)
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
    before = snapshot_weights(model.variables)
    with pytest.raises(ValueError, match="truncated"):
        presets.load_model_file(str(tmp_path / "model.keras"))
    with pytest.raises(ValueError, match="truncated"):
        keras_gen.applications.DCGAN(weights=str(tmp_path / "model.keras"))
    for load in (model.load_weights, lambda p: presets.load_weights_file(model, p)):
        with pytest.raises(ValueError, match=r"truncated.*save_weights"):
            load(str(tmp_path / "model.weights.h5"))
    assert_unchanged(model.variables, before)
    assert_trains(model)
    # A complete `.keras` file is a whole model: the applications name its loader.
    complete = str(tmp_path / "complete.keras")
    model.save(complete)
    with pytest.raises(ValueError, match=r"load_model_file"):
        keras_gen.applications.DCGAN(weights=complete)
    assert isinstance(presets.load_model_file(complete), keras_gen.models.GAN)
