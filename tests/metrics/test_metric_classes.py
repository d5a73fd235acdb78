"""The streaming metric classes on every backend against NumPy references."""

import keras
import numpy as np
import pytest

import keras_gen

FEATURE_DIM = 6
NUM_CLASSES = 4


def tiny_extractor():
    """Images (8, 8, 1) -> {"features": linear map, "probabilities": softmax of another}.

    The weights are fixed NumPy arrays so the test can compute the outputs itself.
    """
    rng = np.random.default_rng(0)
    w_features = rng.standard_normal((64, FEATURE_DIM)).astype("float32") / 8
    w_logits = rng.standard_normal((64, NUM_CLASSES)).astype("float32") / 2
    inputs = keras.Input((8, 8, 1))
    flat = keras.layers.Flatten()(inputs)
    features = keras.layers.Dense(FEATURE_DIM, use_bias=False, name="f")(flat)
    probabilities = keras.layers.Dense(NUM_CLASSES, use_bias=False, activation="softmax", name="p")(flat)
    model = keras.Model(inputs, {"features": features, "probabilities": probabilities})
    model.get_layer("f").set_weights([w_features])
    model.get_layer("p").set_weights([w_logits])
    return model, w_features, w_logits


def numpy_outputs(images, w_features, w_logits):
    flat = images.reshape(len(images), -1).astype(np.float64)
    logits = flat @ w_logits
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    return flat @ w_features, probabilities / probabilities.sum(axis=1, keepdims=True)


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    real = rng.uniform(-1, 1, (60, 8, 8, 1)).astype("float32")
    fake = (rng.uniform(-1, 1, (50, 8, 8, 1)) * 0.5 + 0.2).astype("float32")
    return real, fake


def test_streaming_fid_equals_one_shot_and_numpy_reference(data):
    real, fake = data
    model, w_f, w_p = tiny_extractor()
    fid = keras_gen.metrics.FrechetInceptionDistance(feature_extractor=model, batch_size=16)
    for real_batch, fake_batch in zip(np.array_split(real, 4), np.array_split(fake, 4)):
        fid.update_state(real_batch, fake_batch)
    streamed = fid.result()
    one_shot = keras_gen.metrics.FrechetInceptionDistance(feature_extractor=model, batch_size=16)
    one_shot.update_state(real, fake)
    # Not bit-exact: float32 matmuls (torch) round rows differently by batch layout.
    np.testing.assert_allclose(streamed, one_shot.result(), rtol=1e-6)

    real_f, _ = numpy_outputs(real, w_f, w_p)
    fake_f, _ = numpy_outputs(fake, w_f, w_p)
    reference = keras_gen.metrics.frechet_distance(
        real_f.mean(0), np.cov(real_f, rowvar=False), fake_f.mean(0), np.cov(fake_f, rowvar=False)
    )
    np.testing.assert_allclose(streamed, reference, rtol=1e-4)
    assert streamed > 0.01

    fid.reset_state()
    with pytest.raises(ValueError, match="At least 2 samples"):
        fid.result()
    fid.update_state(real, real)
    assert fid.result() < 1e-6


def test_fid_reset_generated_state_keeps_real_statistics(data):
    real, fake = data
    model, _, _ = tiny_extractor()
    fid = keras_gen.metrics.FrechetInceptionDistance(feature_extractor=model)
    fid.update_state(real, fake)
    expected = fid.result()
    fid.reset_generated_state()
    fid.update_state(generated_images=fake)
    np.testing.assert_allclose(fid.result(), expected, rtol=1e-12)


def test_kid_is_pr_classes_match_numpy_reference(data):
    real, fake = data
    model, w_f, w_p = tiny_extractor()
    real_f, _ = numpy_outputs(real, w_f, w_p)
    fake_f, fake_p = numpy_outputs(fake, w_f, w_p)

    kid = keras_gen.metrics.KernelInceptionDistance(feature_extractor=model, num_subsets=10, subset_size=30)
    for real_batch, fake_batch in zip(np.array_split(real, 3), np.array_split(fake, 3)):
        kid.update_state(real_batch, fake_batch)
    expected = keras_gen.metrics.kernel_inception_distance(real_f, fake_f, num_subsets=10, subset_size=30)
    result = kid.result()
    np.testing.assert_allclose([result["kid"], result["kid_std"]], expected, rtol=1e-4, atol=1e-7)

    score = keras_gen.metrics.InceptionScore(classifier=model, num_splits=5)
    score.update_state(fake[:25])
    score.update_state(real[:10], fake[25:])  # the real images are ignored
    expected = keras_gen.metrics.inception_score(fake_p, num_splits=5)
    result = score.result()
    np.testing.assert_allclose([result["is"], result["is_std"]], expected, rtol=1e-4)

    pr = keras_gen.metrics.PrecisionRecall(feature_extractor=model, k=3)
    pr.update_state(real, fake)
    assert pr.result() == keras_gen.metrics.precision_recall(real_f, fake_f, k=3)
    pr.reset_state()
    with pytest.raises(ValueError, match="update_state"):
        pr.result()


def test_uint8_and_channel_last_less_images_are_accepted(data):
    real, _ = data
    model, w_f, w_p = tiny_extractor()
    uint8 = np.round((real[..., 0] + 1) * 127.5).astype(np.uint8)
    extractor = keras_gen.metrics.get_feature_extractor(model)
    features = extractor.features(uint8)
    expected, _ = numpy_outputs(uint8.astype(np.float64) / 127.5 - 1, w_f, w_p)
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-5)


def test_metric_config_round_trip(data):
    real, fake = data
    model, _, _ = tiny_extractor()
    kid = keras_gen.metrics.KernelInceptionDistance(feature_extractor=model, num_subsets=4, subset_size=20, seed=3)
    restored = keras_gen.metrics.KernelInceptionDistance.from_config(kid.get_config())
    assert (restored.num_subsets, restored.subset_size, restored.seed) == (4, 20, 3)
    # The config holds the extractor's architecture; its weights travel separately.
    restored.feature_extractor.model.set_weights(model.get_weights())
    kid.update_state(real, fake)
    restored.update_state(real, fake)
    assert kid.result() == restored.result()
    score = keras_gen.metrics.InceptionScore(classifier=model, num_splits=2)
    restored = keras_gen.metrics.InceptionScore.from_config(score.get_config())
    assert restored.num_splits == 2 and restored.name == "is"
