"""sample_diversity: BicycleGAN's pairwise-distance protocol, hand-checked distances, feature spaces."""

import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.metrics import sample_diversity
from keras_gen.metrics.digits_classifier import digits_preset_dir
from keras_gen.metrics.diversity import digits_feature_space_applies

HAS_PRESET = os.path.isfile(os.path.join(digits_preset_dir(), "model.weights.h5"))
needs_preset = pytest.mark.skipif(not HAS_PRESET, reason="run recipes/digits_classifier.py first")


def constant_samples(values, shape=(4, 4, 3)):
    return np.stack([np.full(shape, v, np.float32) for v in values])


def test_identical_samples_have_zero_diversity():
    rng = np.random.default_rng(0)
    one = rng.uniform(-1, 1, (5, 1, 8, 8, 3))
    outputs = np.repeat(one, 20, axis=1)  # 5 inputs, 20 identical samples each
    assert sample_diversity(outputs) == 0.0
    assert sample_diversity(outputs, pairs="all", distance="l2") == 0.0


def test_hand_computed_pixel_l1():
    # Samples 0, 0.5, -0.5 everywhere: consecutive pairs |0 - 0.5| = 0.5, |0.5 + 0.5| = 1.
    first = constant_samples([0.0, 0.5, -0.5])
    # A second input with distances 0.2 and 0.2.
    second = constant_samples([0.1, 0.3, 0.1])
    outputs = np.stack([first, second])
    details = sample_diversity(outputs, feature_fn="pixels", return_details=True)
    np.testing.assert_allclose(details["per_input"], [0.75, 0.2], atol=1e-7)
    np.testing.assert_allclose(details["diversity"], 0.475, atol=1e-7)
    assert details["num_pairs"] == [2, 2] and details["feature_space"] == "pixels"
    # All pairs: (0.5 + 1.0 + 0.5) / 3 and (0.2 + 0.0 + 0.2) / 3.
    np.testing.assert_allclose(
        sample_diversity(outputs, feature_fn="pixels", pairs="all"), (2.0 / 3 + 0.4 / 3) / 2, atol=1e-7
    )
    # 3-channel images use pixels by default.
    assert sample_diversity(outputs) == pytest.approx(0.475)


def test_bicyclegan_protocol_counts_19_consecutive_pairs():
    values = np.arange(20, dtype=np.float32) ** 2 / 400.0
    outputs = constant_samples(values)[None]
    details = sample_diversity(outputs, feature_fn="pixels", return_details=True)
    assert details["num_pairs"] == [19]
    np.testing.assert_allclose(details["diversity"], np.mean(np.diff(values)), rtol=1e-6)
    assert sample_diversity(outputs, pairs="all", return_details=True)["num_pairs"] == [190]


def test_list_of_inputs_with_different_k_weigh_the_same():
    outputs = [constant_samples([0.0, 1.0]), constant_samples([0.0, 0.0, 0.0, 0.0])]
    assert sample_diversity(outputs) == pytest.approx(0.5)  # (1 + 0) / 2, not 1 / 4
    # Backend tensors and images without a channel axis are accepted.
    tensor = keras.ops.convert_to_tensor(np.stack(outputs[:1])[..., 0])
    assert sample_diversity(tensor, feature_fn="pixels") == pytest.approx(1.0)


def test_normalised_l2_and_custom_features():
    a = constant_samples([1.0, 2.0], shape=(1, 1, 2))  # vectors (1, 1) and (2, 2): same direction
    assert sample_diversity(a[None], distance="l2") == pytest.approx(0.0)
    b = np.array([[1.0, 0.0], [0.0, 3.0]], np.float32).reshape(2, 1, 1, 2)
    assert sample_diversity(b[None], distance="l2") == pytest.approx(np.sqrt(2.0))

    def first_pixel(images):
        return images[:, 0, 0, :1]

    outputs = np.stack([constant_samples([0.0, 0.5, 1.5])])
    details = sample_diversity(outputs, feature_fn=first_pixel, return_details=True)
    assert details["feature_space"] == "first_pixel"
    assert details["diversity"] == pytest.approx(0.75)


def test_lpips_is_refused_clearly(tmp_path):
    outputs = np.zeros((1, 2, 8, 8, 3))
    weights = tmp_path / "lpips_alex.npz"
    weights.write_bytes(b"")
    for path in (str(weights), str(tmp_path / "missing.npz")):
        with pytest.raises(NotImplementedError, match="LPIPS is not implemented"):
            sample_diversity(outputs, lpips_weights=path)


def test_bad_arguments():
    good = np.zeros((2, 3, 8, 8, 1))
    for outputs, match in [(np.zeros((2, 1, 8, 8, 1)), "k >= 2"), (np.zeros((8, 8)), "shape"),
                           ([], "empty"), ([np.zeros((2, 8, 8, 1)), np.zeros((2, 4, 4, 1))], "same image shape"),
                           (np.full((1, 2, 4, 4, 1), np.nan), "finite")]:
        with pytest.raises(ValueError, match=match):
            sample_diversity(outputs, feature_fn="pixels")
    with pytest.raises(ValueError, match="pairs"):
        sample_diversity(good, pairs="random")
    with pytest.raises(ValueError, match="distance"):
        sample_diversity(good, distance="cosine")
    with pytest.raises(ValueError, match="feature_fn"):
        sample_diversity(good, feature_fn="inception")
    with pytest.raises(ValueError, match="one-channel"):
        sample_diversity(np.zeros((1, 2, 28, 28, 3)), feature_fn="digits")
    with pytest.raises(ValueError, match="feature vectors"):
        sample_diversity(good, feature_fn=lambda images: images[:1].reshape(1, -1))


def test_default_feature_space_rule():
    assert digits_feature_space_applies((28, 28, 1)) and digits_feature_space_applies((32, 32, 1))
    assert digits_feature_space_applies((16, 16, 1))
    assert not digits_feature_space_applies((32, 32, 3))
    assert not digits_feature_space_applies((64, 64, 1))
    assert not digits_feature_space_applies((28, 32, 1))


@needs_preset
def test_digits_features_by_default_and_more_styles_more_diversity():
    from keras_gen.datasets import tasks

    digits, _ = tasks._mnist_split("test", 32)
    num_inputs, k = 12, 5
    skeletons = np.repeat(tasks.digit_skeletons(digits[:num_inputs]), k, axis=0)
    rng = np.random.default_rng(0)
    varied = tasks.render_strokes(skeletons, rng.uniform(1.0, 4.0, num_inputs * k),
                                  rng.uniform(0.4, 1.0, num_inputs * k))
    varied = varied.reshape(num_inputs, k, 32, 32, 1)  # k styles of each skeleton
    details = sample_diversity(varied, return_details=True)
    assert details["feature_space"] == "digits"
    assert details["diversity"] > 0 and np.all(details["per_input"] > 0)
    # The same features through an explicit extractor give the same number.
    extractor = keras_gen.metrics.get_feature_extractor("digits")
    assert sample_diversity(varied, feature_fn=extractor.features) == pytest.approx(details["diversity"])
    assert sample_diversity(varied, feature_fn=extractor) == pytest.approx(details["diversity"])
    # The same output k times: no diversity; nearly equal widths: less than the full range.
    assert sample_diversity(np.repeat(varied[:, :1], k, axis=1), feature_fn=extractor.features) == 0.0
    thin = tasks.render_strokes(skeletons, np.tile(np.linspace(1.5, 1.7, k), num_inputs), 1.0)
    thin = thin.reshape(num_inputs, k, 32, 32, 1)
    assert sample_diversity(thin, feature_fn=extractor.features) < 0.5 * details["diversity"]
