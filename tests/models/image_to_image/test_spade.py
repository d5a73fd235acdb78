"""SPADE: the objective by hand, label-map forms, synthesis, errors, learning on digit maps."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.networks import multiscale_patchgan_discriminator
from keras_gen.networks import spade_generator
from keras_gen.testing.models import tiny_spade_networks

LABELS = (4, 4, 3)
IMAGE = (4, 4, 1)
# A few steps run faster eagerly than compiled, except on JAX (op by op it compiles each op).
EAGER = keras.backend.backend() != "jax"


def as_float(value):
    return float(keras.ops.convert_to_numpy(value))


def _fixed_conv(x, kernel, bias=None, name=None):
    kernel = np.asarray(kernel, "float32")
    conv = keras.layers.Conv2D(kernel.shape[-1], 1, use_bias=bias is not None, name=name)
    y = conv(x)
    conv.set_weights([kernel.reshape((1, 1) + kernel.shape)] + ([np.asarray(bias, "float32")]
                                                                 if bias is not None else []))
    return y


def _fixed_dense(x, units, bias, name):
    dense = keras.layers.Dense(units, name=name)
    y = dense(x)
    dense.set_weights([np.zeros(dense.kernel.shape, "float32"), np.asarray(bias, "float32")])
    return y


G_KERNEL = np.array([[0.5], [-0.5], [1.0]])  # fake = G_KERNEL[class] per pixel
D_FEATURES = np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2], [0.7, -0.6]])  # concat(map, image)
D_LOGITS, D_BIAS = np.array([[1.5], [-2.0]]), np.array([0.1])
MEAN, LOG_VAR = np.array([0.5, -1.0]), np.array([0.2, -0.4])


def controlled_model(vae=False):
    """Linear networks whose every loss piece has a closed form (the code z is ignored)."""
    maps, z = keras.Input(LABELS), keras.Input((2,))
    ignored = keras.layers.Reshape(IMAGE)(_fixed_dense(z, 16, np.zeros(16), "ignored"))
    generator = keras.Model([maps, z], keras.layers.Add()([_fixed_conv(maps, G_KERNEL), ignored]))
    d_maps, d_images = keras.Input(LABELS), keras.Input(IMAGE)
    pair = keras.layers.Concatenate()([d_maps, d_images])
    features = _fixed_conv(pair, D_FEATURES)
    logits = _fixed_conv(features, D_LOGITS, D_BIAS)
    discriminator = keras.Model([d_maps, d_images], [[features, logits]])
    images = keras.Input(IMAGE)
    feature_network = keras.Model(images, _fixed_conv(images, [[2.0]]))
    encoder = None
    if vae:
        encoder_input = keras.Input(IMAGE)
        flat = keras.layers.Flatten()(encoder_input)
        encoder = keras.Model(
            encoder_input,
            [_fixed_dense(flat, 2, MEAN, "mean"), _fixed_dense(flat, 2, LOG_VAR, "log_var")],
        )
    return keras_gen.models.SPADE(generator, discriminator, encoder=encoder,
                                  feature_network=feature_network, seed=0)


def data(n=3, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 3, (n,) + LABELS[:2]).astype("int32")
    return ids, rng.uniform(-1, 1, (n,) + IMAGE).astype("float32")


@pytest.mark.parametrize("vae", [False, True])
@pytest.mark.parametrize("one_hot", [False, True])
def test_loss_pieces_match_a_hand_computation(one_hot, vae):
    model = controlled_model(vae)
    ids, x = data()
    onehot = np.eye(3, dtype="float32")[ids]
    fake = onehot @ G_KERNEL
    real_features = np.concatenate([onehot, x], -1) @ D_FEATURES
    fake_features = np.concatenate([onehot, fake], -1) @ D_FEATURES
    real_logits, fake_logits = real_features @ D_LOGITS + D_BIAS, fake_features @ D_LOGITS + D_BIAS
    d_expected = np.mean(np.maximum(0, 1 - real_logits)) + np.mean(np.maximum(0, 1 + fake_logits))
    adversarial = -np.mean(fake_logits)
    matching = np.mean(np.abs(real_features - fake_features))
    perceptual = np.mean(np.abs(2 * x - 2 * fake))
    kl = 0.5 * np.sum(np.exp(LOG_VAR) + MEAN**2 - 1 - LOG_VAR)

    batch = (onehot if one_hot else ids, x)
    d_loss, _ = model.compute_phase_loss("discriminator", batch, training=False)
    g_loss, logs = model.compute_phase_loss("generator", batch, training=False)
    np.testing.assert_allclose(as_float(d_loss), d_expected, rtol=1e-5)
    np.testing.assert_allclose(as_float(logs["g_adversarial_loss"]), adversarial, rtol=1e-5)
    np.testing.assert_allclose(as_float(logs["feature_matching_loss"]), matching, rtol=1e-5)
    np.testing.assert_allclose(as_float(logs["perceptual_loss"]), perceptual, rtol=1e-5)
    expected = adversarial + 10 * matching + 10 * perceptual
    if vae:
        np.testing.assert_allclose(as_float(logs["kl_loss"]), kl, rtol=1e-5)
        expected += 0.05 * kl
    else:
        assert "kl_loss" not in logs
    np.testing.assert_allclose(as_float(g_loss), expected, rtol=1e-5)


def test_phases_optimizers_and_logs():
    model = keras_gen.models.SPADE(**tiny_spade_networks(encoder=True, feature_network=True))
    discriminator, generator = model.phases()
    assert (discriminator.name, generator.name) == ("discriminator", "generator")
    assert len(generator.variables) == len(model.generator.trainable_variables) + len(
        model.encoder.trainable_variables)  # the encoder trains with the generator
    assert generator.log_names == ("g_loss", "g_adversarial_loss", "feature_matching_loss",
                                   "perceptual_loss", "kl_loss")
    assert not model.feature_network.trainable
    optimizers = model.default_optimizers()
    for name, rate in (("generator", 1e-4), ("discriminator", 4e-4)):
        config = optimizers[name].get_config()
        assert np.isclose(config["learning_rate"], rate)
        assert (config["beta_1"], config["beta_2"]) == (0.0, 0.9)
    noise = keras_gen.models.SPADE(**tiny_spade_networks())
    assert noise.phases()[1].log_names == ("g_loss", "g_adversarial_loss", "feature_matching_loss")


def test_the_model_and_the_spade_layer_have_their_own_registered_names():
    get = keras.saving.get_registered_object
    assert get("keras_gen>SPADE") is keras_gen.layers.SPADE
    assert get("keras_gen>SPADEModel") is keras_gen.models.SPADE


def test_vae_mode_trains_the_encoder_and_saves_it(tmp_path):
    ids = np.random.default_rng(0).integers(0, 3, (2, 8, 8)).astype("int32")
    images = np.random.default_rng(1).uniform(-1, 1, (2, 8, 8, 1)).astype("float32")
    model = keras_gen.models.SPADE(**tiny_spade_networks(encoder=True), seed=0)
    model.compile(run_eagerly=EAGER)
    kernel = keras.ops.convert_to_numpy(model.encoder.get_layer("mean").kernel).copy()
    history = model.fit(ids, images, batch_size=2, epochs=1, verbose=0)
    assert all(np.isfinite(history.history[k][0]) for k in ("d_loss", "g_loss", "kl_loss"))
    assert not np.array_equal(keras.ops.convert_to_numpy(model.encoder.get_layer("mean").kernel),
                              kernel)
    path = str(tmp_path / "spade.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(reloaded.synthesize(ids[:2], seed=0), model.synthesize(ids[:2], seed=0))
    np.testing.assert_array_equal(reloaded.synthesize(ids[:2], style=images[:2]),
                                  model.synthesize(ids[:2], style=images[:2]))


# ------------------------------------------------------------------ synthesis


def test_synthesize_shapes_seeds_and_forms():
    model = keras_gen.models.SPADE(**tiny_spade_networks(), seed=0)
    ids = np.random.default_rng(0).integers(0, 3, (5, 8, 8))
    one_hot = np.eye(3, dtype="float32")[ids]
    out = model.synthesize(ids, seed=0)
    assert out.shape == (5, 8, 8, 1)
    np.testing.assert_array_equal(model.synthesize(one_hot, seed=0), out)  # same rule, same images
    np.testing.assert_array_equal(model.synthesize(ids, seed=0), out)  # reproducible
    assert not np.array_equal(model.synthesize(ids, seed=1), out)
    assert not np.array_equal(model.synthesize(ids), model.synthesize(ids))  # the seed generator
    many = model.synthesize(ids, seed=0, num_samples=3, batch_size=4)
    assert many.shape == (5, 3, 8, 8, 1)
    assert not np.allclose(many[:, 0], many[:, 1])
    assert model.synthesize(ids[0], seed=0).shape == (1, 8, 8, 1)  # one map
    codes = np.random.default_rng(3).standard_normal((1, 4)).astype("float32")
    fixed = model.synthesize(ids, style=codes)  # one code for every map, used as it is
    np.testing.assert_array_equal(fixed, model.synthesize(ids, style=np.repeat(codes, 5, 0), seed=9))


def test_style_images_are_encoded_to_their_posterior_mean():
    model = keras_gen.models.SPADE(**tiny_spade_networks(encoder=True), seed=0)
    ids = np.random.default_rng(0).integers(0, 3, (4, 8, 8))
    styles = np.random.default_rng(1).uniform(-1, 1, (4, 8, 8, 1)).astype("float32")
    mean, log_var = model.encode(styles)
    assert mean.shape == log_var.shape == (4, 4)
    np.testing.assert_allclose(model.synthesize(ids, style=styles),
                               model.synthesize(ids, style=mean), rtol=1e-6, atol=1e-6)
    one = model.synthesize(ids, style=styles[0])  # one style image for every map
    np.testing.assert_allclose(one, model.synthesize(ids, style=np.repeat(mean[:1], 4, 0)),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m, ids: m.synthesize(ids + 1), ValueError, r"class ids in \[0, 2\]"),
        (lambda m, ids: m.synthesize(ids[:, :4, :4]), ValueError, r"\(batch, 8, 8\)"),
        (lambda m, ids: m.synthesize(np.eye(4, dtype="float32")[ids]), ValueError,
         r"\(batch, 8, 8, 3\)"),
        (lambda m, ids: m.synthesize(ids.astype("float32")), TypeError, "must be integers"),
        (lambda m, ids: m.synthesize(np.eye(3, dtype="int32")[ids]), TypeError, "must be float"),
        (lambda m, ids: m.synthesize(0.5 * np.eye(3, dtype="float32")[ids]), ValueError,
         "not one-hot"),
        (lambda m, ids: m.synthesize(ids, style=np.zeros((2, 5), "float32")), ValueError,
         r"\(n, 4\)"),
        (lambda m, ids: m.synthesize(ids, style=np.zeros((3, 4), "float32")), ValueError,
         "3 styles for 2 label maps"),
        (lambda m, ids: m.synthesize(ids, num_samples=0), ValueError, "num_samples"),
        (lambda m, ids: m.synthesize(ids, style=np.zeros((2, 4), "float32"), num_samples=2),
         ValueError, "num_samples=1"),
        (lambda m, ids: m.synthesize(ids, style=np.zeros((2, 8, 8, 1), "float32")), ValueError,
         "noise mode"),
        (lambda m, ids: m.encode(np.zeros((2, 8, 8, 1), "float32")), ValueError, "no encoder"),
    ],
)
def test_synthesis_errors_name_the_fix_and_change_nothing(call, error, match):
    model = keras_gen.models.SPADE(**tiny_spade_networks(), seed=0)
    ids = np.random.default_rng(0).integers(0, 3, (2, 8, 8))
    state = keras.ops.convert_to_numpy(model.seed_generator.state).copy()
    with pytest.raises(error, match=match):
        call(model, ids)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.seed_generator.state), state)


# ------------------------------------------------------------------ training errors


def test_bad_training_data_raise_before_anything_changes_and_the_model_still_trains():
    import tensorflow as tf

    from keras_gen.testing import snapshot_weights

    model = keras_gen.models.SPADE(**tiny_spade_networks(), seed=0)
    model.compile(run_eagerly=EAGER)
    ids = np.random.default_rng(0).integers(0, 3, (16, 8, 8)).astype("int32")
    images = np.random.default_rng(1).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    before = snapshot_weights(model.variables)
    with pytest.raises(ValueError, match=r"class ids in \[0, 2\]; received ids in \[0, 3\]"):
        model.fit(ids + (ids == 2), images, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="generator's output"):
        model.fit(ids, np.zeros((16, 8, 8, 3), "float32"), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="pairs"):
        model.fit(ids, batch_size=8, verbose=0)
    with pytest.raises(TypeError, match="must be float"):
        model.fit(np.eye(3, dtype="int32")[ids], images, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="scale_images"):
        model.fit(ids, (images + 1) * 127.5, batch_size=8, verbose=0)
    for old, new in zip(before, snapshot_weights(model.variables)):
        np.testing.assert_array_equal(old, new)
    # A pipeline hides the ids from fit(): the step finds them and trains on nothing.
    bad = tf.data.Dataset.from_tensor_slices((ids + 5, images)).batch(8)
    with pytest.raises(ValueError, match=r"Label maps must be class indices in \[0, 2\], .* holds label"):
        model.fit(bad, verbose=0)
    assert np.isfinite(model.fit(ids, images, batch_size=8, verbose=0).history["g_loss"][0])


def test_mismatched_networks_are_rejected():
    nets = tiny_spade_networks()
    wrong_classes = multiscale_patchgan_discriminator(
        (8, 8, 4), target_shape=(8, 8, 1), num_scales=1, base_filters=4, num_layers=1)
    with pytest.raises(ValueError, match=r"\[\(8, 8, 3\), \(8, 8, 1\)\]"):
        keras_gen.models.SPADE(nets["generator"], wrong_classes)
    logits_only = multiscale_patchgan_discriminator(
        (8, 8, 3), target_shape=(8, 8, 1), num_scales=1, base_filters=4, num_layers=1,
        return_features=False)
    with pytest.raises(ValueError, match="return_features=True"):
        keras_gen.models.SPADE(nets["generator"], logits_only)
    keras_gen.models.SPADE(nets["generator"], logits_only, feature_matching_weight=0)
    other_latent = tiny_spade_networks(latent_dim=3, encoder=True)["encoder"]
    with pytest.raises(ValueError, match="latent_dim=4"):
        keras_gen.models.SPADE(nets["generator"], nets["discriminator"], encoder=other_latent)
    no_latent = spade_generator((8, 8, 3), output_channels=1, latent_dim=None, base_filters=4,
                                hidden_filters=4, num_upsamples=0)
    with pytest.raises(ValueError, match="no latent input"):
        keras_gen.models.SPADE(no_latent, nets["discriminator"],
                               encoder=tiny_spade_networks(encoder=True)["encoder"])
    deterministic = keras_gen.models.SPADE(no_latent, nets["discriminator"])
    ids = np.zeros((2, 8, 8), "int32")
    assert deterministic.synthesize(ids).shape == (2, 8, 8, 1)
    with pytest.raises(ValueError, match="no latent input"):
        deterministic.synthesize(ids, num_samples=2)


# ------------------------------------------------------------------ learning


@pytest.mark.quality
def test_short_fit_on_digit_maps_follows_the_maps_region_by_region():
    from scipy import ndimage

    from keras_gen.datasets.tasks import digits_segmentation
    from keras_gen.metrics import segmentation_faithfulness

    side, classes = 16, 11
    images, ids = digits_segmentation("train", image_size=side, num_images=512, seed=0)
    test_ids = digits_segmentation("test", image_size=side, num_images=200, seed=1)[1]
    keras.utils.set_random_seed(0)
    generator = spade_generator((side, side, classes), output_channels=1, latent_dim=16,
                                base_filters=16, hidden_filters=32, num_upsamples=1)
    discriminator = multiscale_patchgan_discriminator(
        (side, side, classes), target_shape=(side, side, 1), num_scales=1, base_filters=16,
        num_layers=2, spectral_norm=True)
    model = keras_gen.models.SPADE(generator, discriminator, seed=0)
    # Three times the paper's rates (same 1:4 ratio and betas) for a run of 64 steps.
    model.compile(generator_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.0, beta_2=0.9),
                  discriminator_optimizer=keras.optimizers.Adam(1.2e-3, beta_1=0.0, beta_2=0.9))
    model.fit(ids, images, batch_size=32, epochs=4, verbose=0)

    # Faithfulness to held-out maps, against the same generator and codes making each
    # image from another test map (real test images score about 0.97 IoU, 0.98 accuracy).
    scores = segmentation_faithfulness(model.synthesize(test_ids, seed=0), test_ids)
    shuffled = model.synthesize(np.roll(test_ids, 1, axis=0), seed=0)
    baseline = segmentation_faithfulness(shuffled, test_ids)
    measured = {k: (round(scores[k], 3), round(baseline[k], 3))
                for k in ("mean_iou", "region_accuracy")}
    assert scores["mean_iou"] > baseline["mean_iou"] + 0.4, measured
    assert scores["region_accuracy"] > baseline["region_accuracy"] + 0.4, measured

    # Changing one region's class changes that region: the digit's strokes erased (to
    # background) go dark; given the next digit's class they change; pixels more than
    # two pixels away from the strokes hardly move.
    maps = test_ids[:8]
    strokes = maps > 0
    far = ~ndimage.binary_dilation(strokes, structure=np.ones((1, 3, 3), bool), iterations=2)
    erased, relabelled = maps.copy(), maps.copy()
    erased[strokes] = 0
    relabelled[strokes] = 1 + maps[strokes] % 10  # class d -> d + 1 (mod 10)
    before, after_erasing, after_relabelling = (
        model.synthesize(m, seed=0)[..., 0] for m in (maps, erased, relabelled))
    darkening = np.mean(before[strokes] - after_erasing[strokes])
    moved = np.mean(np.abs(before - after_relabelling)[strokes])
    moved_far = [np.mean(np.abs(before - after)[far]) for after in (after_erasing, after_relabelling)]
    assert darkening > 0.5 and max(moved_far) < 0.1, (darkening, moved_far)
    assert moved > 5 * moved_far[1], (moved, moved_far)
