import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.metrics import feature_extractors
from keras_gen.metrics.digits_classifier import digits_preset_dir

REFERENCE = os.path.join(os.path.dirname(__file__), "digits_reference.npz")
HAS_PRESET = os.path.isfile(os.path.join(digits_preset_dir(), "model.weights.h5"))
needs_preset = pytest.mark.skipif(not HAS_PRESET, reason="run recipes/digits_classifier.py first")


def test_inception_missing_weights_names_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        keras_gen.metrics.get_feature_extractor("inception_v3")
    message = str(error.value)
    assert feature_extractors.INCEPTION_NOTOP_FILE in message
    assert os.path.join(str(tmp_path), "models") in message
    with pytest.raises(FileNotFoundError, match="No InceptionV3 weights file"):
        keras_gen.metrics.get_feature_extractor("inception_v3", weights=str(tmp_path / "nope.h5"))


def test_inception_uses_the_keras_cache_file(tmp_path, monkeypatch):
    cached = tmp_path / "models" / feature_extractors.INCEPTION_NOTOP_FILE
    cached.parent.mkdir()
    cached.write_bytes(b"")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    seen = {}

    def fake_inception(**kwargs):
        seen.update(kwargs)
        inputs = keras.Input((299, 299, 3))
        return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))

    monkeypatch.setattr(keras.applications, "InceptionV3", fake_inception)
    extractor = keras_gen.metrics.get_feature_extractor("inception_v3")
    assert seen["weights"] == str(cached) and seen["include_top"] is False
    assert seen["pooling"] == "avg"
    # Grayscale uint8 is repeated to 3 channels and resized to 299x299.
    features = extractor.features(np.full((2, 8, 8), 255, np.uint8))
    np.testing.assert_allclose(features, np.ones((2, 3)), atol=1e-5)


@pytest.mark.slow
@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="building InceptionV3 alone takes ~45 s on JAX CPU; the wrapper is backend-neutral "
    "and this runs on TensorFlow and torch",
)
def test_inception_random_weights_give_2048_features():
    extractor = keras_gen.metrics.get_feature_extractor("inception_v3", weights=None, batch_size=2)
    features = extractor.features(np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)))
    assert features.shape == (2, 2048) and features.dtype == np.float64
    assert np.all(np.isfinite(features))


def test_bad_extractor_arguments():
    with pytest.raises(ValueError, match="Unknown feature extractor"):
        keras_gen.metrics.get_feature_extractor("vgg")
    with pytest.raises(TypeError, match="keras.Model"):
        keras_gen.metrics.get_feature_extractor(3)
    extractor = keras_gen.metrics.get_feature_extractor("digits", weights=None)
    assert keras_gen.metrics.get_feature_extractor(extractor) is extractor
    with pytest.raises(ValueError, match="grayscale"):
        extractor.features(np.zeros((2, 28, 28, 3), np.float32))


def test_random_digits_network_shapes_and_resizing():
    extractor = keras_gen.metrics.get_feature_extractor("digits", weights=None, batch_size=4)
    outputs = extractor.extract(np.zeros((5, 32, 32, 1), np.float32))  # resized to 28x28
    assert outputs["features"].shape == (5, 128)
    assert outputs["probabilities"].shape == (5, 10)
    np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, rtol=1e-5)


@needs_preset
def test_digits_preset_is_accurate_and_identical_on_every_backend():
    """Held-out accuracy >= 97% and the same outputs as the TF-computed reference."""
    (_, _), (x_test, y_test) = keras_gen.datasets.mnist.load_data(source="embedded")
    extractor = keras_gen.metrics.get_feature_extractor("digits")
    outputs = extractor.extract(x_test)
    accuracy = (outputs["probabilities"].argmax(axis=1) == y_test).mean()
    assert accuracy >= 0.97
    reference = np.load(REFERENCE)
    rows = reference_positions(reference["rows"])
    np.testing.assert_array_equal(outputs["probabilities"][rows].argmax(axis=1), reference["predictions"])
    np.testing.assert_allclose(outputs["probabilities"][rows], reference["probabilities"], atol=1e-5)
    np.testing.assert_allclose(outputs["features"][rows], reference["features"], rtol=1e-4, atol=1e-4)


def reference_positions(rows):
    """Where `rows` of the class-grouped test split are in `load_data`'s shuffled order.

    The reference's `rows` index the test split grouped by class (100 zeros,
    then 100 ones, ...), the order `load_data(source="embedded")` had when
    the reference was written; it now returns the split in the documented
    `keras_gen.datasets.mnist.stratified_order`.
    """
    grouped_labels = np.repeat(np.arange(10), 100)
    order = keras_gen.datasets.mnist.stratified_order(grouped_labels)
    return np.argsort(order)[rows]


def write_reference():
    """Regenerates digits_reference.npz (run on TensorFlow after retraining the preset)."""
    (_, _), (x_test, _) = keras_gen.datasets.mnist.load_data(source="embedded")
    rows = np.arange(0, 1000, 25)  # of the class-grouped split: see reference_positions
    outputs = keras_gen.metrics.get_feature_extractor("digits").extract(x_test)
    positions = reference_positions(rows)
    np.savez(
        REFERENCE,
        rows=rows,
        predictions=outputs["probabilities"][positions].argmax(axis=1),
        probabilities=outputs["probabilities"][positions].astype(np.float32),
        features=outputs["features"][positions].astype(np.float32),
    )


if __name__ == "__main__":
    write_reference()
