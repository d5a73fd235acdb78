import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from keras_gen.datasets import load_tfds  # noqa: E402
from keras_gen.datasets import make_image_dataset  # noqa: E402
from keras_gen.datasets import scale_images  # noqa: E402

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def _batches(dataset):
    return list(dataset.as_numpy_iterator())


def _indexed_images(n, size=4):
    """uint8 images whose every pixel equals the image index."""
    return np.repeat(np.arange(n, dtype=np.uint8), size * size).reshape(n, size, size)


def _write_png(path, array):
    from PIL import Image

    Image.fromarray(array).save(path)


def test_scale_images():
    x = scale_images(np.array([[[0, 255], [51, 204]]], np.uint8))
    assert x.dtype == np.float32 and x.shape == (1, 2, 2, 1)
    np.testing.assert_allclose(x[0, :, :, 0], [[-1.0, 1.0], [-0.6, 0.6]], atol=1e-6)
    unit = np.array([[[[0.0, 0.5, 1.0]]]], np.float32)
    np.testing.assert_allclose(scale_images(unit, value_range=(0, 1)), [[[[-1.0, 0.0, 1.0]]]])
    np.testing.assert_array_equal(scale_images(unit), unit)  # float in [-1, 1]: unchanged
    with pytest.raises(ValueError, match="value_range"):
        scale_images(np.full((1, 2, 2), 200.0))
    with pytest.raises(ValueError, match="shape"):
        scale_images(np.zeros((2, 2), np.uint8))


def test_array_dataset_scales_batches_and_covers_every_image():
    images = _indexed_images(10)
    dataset = make_image_dataset(images, batch_size=4, seed=1)
    batches = _batches(dataset)
    assert [b.shape for b in batches] == [(4, 4, 4, 1), (4, 4, 4, 1), (2, 4, 4, 1)]
    assert batches[0].dtype == np.float32
    seen = np.concatenate(batches)[:, 0, 0, 0]
    np.testing.assert_allclose(np.sort(seen), np.arange(10) / 127.5 - 1.0, atol=1e-6)
    assert not np.array_equal(seen, np.sort(seen))  # shuffled


def test_shuffle_seed_and_no_shuffle():
    images = _indexed_images(32)
    first = lambda ds: _batches(ds)[0][:, 0, 0, 0]  # noqa: E731
    np.testing.assert_array_equal(
        first(make_image_dataset(images, 8, seed=3)), first(make_image_dataset(images, 8, seed=3))
    )
    ordered = first(make_image_dataset(images, 8, shuffle=False))
    np.testing.assert_allclose(ordered, np.arange(8) / 127.5 - 1.0, atol=1e-6)


def test_labels_stay_paired_and_drop_remainder():
    images = _indexed_images(10)
    labels = np.arange(10) * 3
    for data, kwargs in [((images, labels), {}), (images, {"labels": labels})]:
        batches = _batches(make_image_dataset(data, 4, seed=0, drop_remainder=True, **kwargs))
        assert len(batches) == 2
        for x, y in batches:
            np.testing.assert_allclose((x[:, 0, 0, 0] + 1.0) * 127.5 * 3, y, atol=1e-3)
    spec = make_image_dataset(images, 4, drop_remainder=True).element_spec
    assert spec.shape == (4, 4, 4, 1)


def test_resize():
    dataset = make_image_dataset(np.zeros((3, 8, 8, 3), np.uint8), 3, image_size=(4, 6))
    assert _batches(dataset)[0].shape == (3, 4, 6, 3)


def test_bad_inputs():
    with pytest.raises(ValueError, match="labels"):
        make_image_dataset(np.zeros((3, 4, 4), np.uint8), 2, labels=np.zeros(2))
    with pytest.raises(TypeError, match="tf.data.Dataset or a folder path"):
        make_image_dataset({"images": 1}, 2)
    with pytest.raises(ValueError, match="batch_size"):
        make_image_dataset(np.zeros((3, 4, 4), np.uint8), 0)
    with pytest.raises(ValueError, match="labels=y"):
        make_image_dataset(np.zeros((3, 4, 4), np.uint8), 2, labels=True)


def test_folder_with_class_subfolders(tmp_path):
    for label, name in enumerate(["cat", "dog"]):
        (tmp_path / name).mkdir()
        for i in range(3):
            value = 10 * (label + 1) + i
            _write_png(tmp_path / name / f"{i}.png", np.full((6, 5), value, np.uint8))
    dataset = make_image_dataset(str(tmp_path), 4, labels=True, seed=0)
    assert dataset.class_names == ["cat", "dog"]
    batches = _batches(dataset)  # one pass: every pass reshuffles
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert x.shape == (6, 6, 5, 1)
    pixel = np.round((x[:, 0, 0, 0] + 1.0) * 127.5)
    np.testing.assert_array_equal(pixel // 10 - 1, y)  # labels match their folder
    no_labels = _batches(make_image_dataset(tmp_path, 6, shuffle=False))
    assert no_labels[0].shape == (6, 6, 5, 1)


def test_folder_rgb_jpg_and_mixed_sizes(tmp_path):
    _write_png(tmp_path / "a.png", np.zeros((8, 8, 3), np.uint8))
    _write_png(tmp_path / "b.jpg", np.full((8, 8, 3), 255, np.uint8))
    batches = _batches(make_image_dataset(tmp_path, 2, shuffle=False))
    assert batches[0].shape == (2, 8, 8, 3)
    assert batches[0][0].max() == -1.0 and batches[0][1].min() > 0.95
    _write_png(tmp_path / "c.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="image_size"):
        make_image_dataset(tmp_path, 2)
    resized = _batches(make_image_dataset(tmp_path, 3, image_size=(4, 4)))
    assert resized[0].shape == (3, 4, 4, 3)
    with pytest.raises(ValueError, match="class subfolders"):
        make_image_dataset(tmp_path, 2, labels=True, image_size=(4, 4))


def test_empty_or_missing_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("no images")
    with pytest.raises(ValueError, match="No images"):
        make_image_dataset(tmp_path, 2)
    with pytest.raises(ValueError, match="not found"):
        make_image_dataset(tmp_path / "missing", 2)


def test_tf_dataset_inputs():
    images = _indexed_images(6)
    tuples = tf.data.Dataset.from_tensor_slices((images, np.arange(6)))
    x, y = _batches(make_image_dataset(tuples, 6, shuffle=False, labels=True))[0]
    assert x.shape == (6, 4, 4, 1)
    np.testing.assert_array_equal(y, np.arange(6))
    images_only = _batches(make_image_dataset(tuples, 6, shuffle=False))[0]
    np.testing.assert_allclose(images_only, x)
    batched = tf.data.Dataset.from_tensor_slices(images[..., None]).batch(4)
    assert [b.shape[0] for b in _batches(make_image_dataset(batched, 3, shuffle=False))] == [3, 3]
    no_image_key = tf.data.Dataset.from_tensor_slices({"pixels": images})
    with pytest.raises(ValueError, match="'image'"):
        make_image_dataset(no_image_key, 2)
    with pytest.raises(ValueError, match="no labels"):
        make_image_dataset(tf.data.Dataset.from_tensor_slices(images), 2, labels=True)


def test_tfds_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=10):
        train = load_tfds("mnist", "train")
        dataset = make_image_dataset(train, 4, labels=True, seed=0)
        batches = _batches(dataset)
    assert [x.shape for x, _ in batches] == [(4, 28, 28, 1)] * 2 + [(2, 28, 28, 1)]
    x = np.concatenate([b[0] for b in batches])
    assert x.dtype == np.float32 and x.min() >= -1.0 and x.max() <= 1.0


def test_load_tfds_without_data_says_what_to_do(tmp_path):
    pytest.importorskip("tensorflow_datasets")
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_tfds("mnist", "train", data_dir=str(tmp_path), download=False)
