"""Paired/unpaired pipelines: arrays, folders, tfds mocks, identical pair augmentation, errors."""

import os

import numpy as np
import pytest
from PIL import Image

from keras_gen.datasets.image_to_image import paired_dataset
from keras_gen.datasets.image_to_image import paired_dataset_from_folder
from keras_gen.datasets.image_to_image import unpaired_dataset
from keras_gen.datasets.image_to_image import unpaired_dataset_from_folder
from keras_gen.datasets.image_to_image import unpaired_dataset_from_tfds

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def _random_uint8(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _write_pngs(folder, images):
    os.makedirs(folder, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(np.squeeze(image)).save(os.path.join(folder, f"{i:03d}.png"))


def _batches(dataset):
    return [tuple(np.asarray(part) for part in batch) for batch in dataset]


def test_paired_arrays_scaling_and_shapes():
    a = _random_uint8((10, 8, 8, 1))
    b = _random_uint8((10, 8, 8, 3), 1)
    batches = _batches(paired_dataset(a, b, batch_size=4, shuffle=False))
    assert [x.shape for x, _ in batches] == [(4, 8, 8, 1), (4, 8, 8, 1), (2, 8, 8, 1)]
    assert batches[0][1].shape == (4, 8, 8, 3)
    np.testing.assert_allclose(batches[0][0], a[:4] / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_allclose(batches[0][1], b[:4] / 127.5 - 1.0, atol=1e-6)
    dropped = _batches(paired_dataset(a, b, batch_size=4, drop_remainder=True))
    assert len(dropped) == 2


def test_paired_augmentation_is_identical_for_both_images():
    images = _random_uint8((16, 12, 12, 3))
    dataset = paired_dataset(images, images.copy(), batch_size=8, image_size=8,
                             load_size=14, flip=True, seed=0)
    crops = []
    for _ in range(2):  # two epochs: fresh random crops and flips
        for x, y in _batches(dataset):
            assert x.shape == (8, 8, 8, 3)
            np.testing.assert_array_equal(x, y)
            assert np.all(np.abs(x) <= 1.0)
            crops.append(x)
    # The augmentation really is random: some crop differs between epochs.
    assert not all(np.array_equal(p, q) for p, q in zip(crops[:2], crops[2:]))


def test_paired_crop_and_flip_keep_pixels_aligned():
    # The target encodes each pixel's position; a crop/flip applied identically
    # keeps target = f(input) pixel by pixel.
    rows, cols = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
    coords = np.stack([rows * 16, cols * 16], axis=-1).astype(np.uint8)[None].repeat(6, 0)
    inputs = coords[..., :1]
    dataset = paired_dataset(inputs, coords, batch_size=6, image_size=10, flip=True,
                             load_size=16, seed=3)
    x, y = _batches(dataset)[0]
    np.testing.assert_array_equal(x[..., 0], y[..., 0])
    assert len({tuple(img[0, :, 1]) for img in y}) > 1  # crops/flips differ between images


def test_paired_seed_reproducible():
    images = _random_uint8((8, 10, 10, 1))
    make = lambda: paired_dataset(images, images, 4, image_size=6, load_size=10,  # noqa: E731
                                  flip=True, seed=7)
    first, second = _batches(make()), _batches(make())
    for (a1, _), (a2, _) in zip(first, second):
        np.testing.assert_array_equal(a1, a2)


@pytest.mark.parametrize(
    "inputs, targets, kwargs, match",
    [
        ((4, 8, 8, 1), (4, 6, 6, 1), {}, "same size"),
        ((4, 8, 8, 1), (3, 8, 8, 1), {}, "one target per input"),
        ((4, 8, 8, 1), (4, 8, 8, 1), {"image_size": 8, "load_size": 6}, "at least"),
        ((4, 8, 8, 1), (4, 8, 8, 1), {"batch_size": 0}, "batch_size"),
    ],
)
def test_paired_errors(inputs, targets, kwargs, match):
    kwargs = {"batch_size": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        paired_dataset(_random_uint8(inputs), _random_uint8(targets), **kwargs)


def test_paired_float_range_error():
    with pytest.raises(ValueError, match="value_range"):
        paired_dataset(np.full((2, 8, 8), 3.0), np.zeros((2, 8, 8)), batch_size=1)


@pytest.mark.parametrize("direction", ["AtoB", "BtoA"])
def test_paired_folder_side_by_side(tmp_path, direction):
    left = _random_uint8((3, 8, 8, 3))
    right = 255 - left
    _write_pngs(str(tmp_path / "train"), np.concatenate([left, right], axis=2))
    dataset = paired_dataset_from_folder(str(tmp_path / "train"), batch_size=3, image_size=8,
                                         load_size=8, direction=direction, flip=False,
                                         shuffle=False)
    x, y = _batches(dataset)[0]
    a, b = (left, right) if direction == "AtoB" else (right, left)
    np.testing.assert_allclose(x, a / 127.5 - 1.0, atol=1e-5)
    np.testing.assert_allclose(y, b / 127.5 - 1.0, atol=1e-5)


def test_paired_folder_identical_halves_stay_identical(tmp_path):
    half = _random_uint8((4, 10, 10, 3))
    _write_pngs(str(tmp_path), np.concatenate([half, half], axis=2))
    dataset = paired_dataset_from_folder(str(tmp_path), batch_size=2, image_size=8,
                                         load_size=12, seed=1)
    for x, y in _batches(dataset):
        assert x.shape == (2, 8, 8, 3)
        np.testing.assert_array_equal(x, y)


def test_paired_folder_errors(tmp_path):
    os.makedirs(tmp_path / "facades" / "train")
    with pytest.raises(ValueError, match="subfolders.*train"):
        paired_dataset_from_folder(str(tmp_path / "facades"))
    with pytest.raises(ValueError, match="Put the image files"):
        paired_dataset_from_folder(str(tmp_path / "facades" / "train"))
    _write_pngs(str(tmp_path / "odd"), _random_uint8((1, 8, 9, 3)))
    with pytest.raises(ValueError, match="even"):
        paired_dataset_from_folder(str(tmp_path / "odd"))
    with pytest.raises(ValueError, match="direction"):
        paired_dataset_from_folder(str(tmp_path / "odd"), direction="AB")


def test_unpaired_arrays_cycle_the_shorter_domain():
    a = np.arange(10, dtype=np.uint8)[:, None, None, None] * np.ones((10, 4, 4, 1), np.uint8)
    b = (100 + np.arange(4, dtype=np.uint8))[:, None, None, None] * np.ones((4, 4, 4, 1), np.uint8)
    batches = _batches(unpaired_dataset(a, b, batch_size=5, seed=0))
    assert len(batches) == 2  # one pass over the larger domain
    ids_a = np.concatenate([np.round((x[:, 0, 0, 0] + 1) * 127.5) for x, _ in batches])
    ids_b = np.concatenate([np.round((y[:, 0, 0, 0] + 1) * 127.5) for _, y in batches])
    assert sorted(ids_a) == list(range(10))  # every A image exactly once
    assert set(ids_b) == {100, 101, 102, 103}  # B repeats to keep up
    assert len(ids_b) == 10
    # Independent shuffling: A in a random order.
    assert list(ids_a) != sorted(ids_a)


def test_unpaired_folders_augment_and_channels(tmp_path):
    root = tmp_path / "horse2zebra"
    _write_pngs(str(root / "trainA"), _random_uint8((5, 12, 12, 3)))
    _write_pngs(str(root / "trainB"), _random_uint8((3, 10, 10), 1))  # grayscale
    with pytest.raises(ValueError, match="channels=3"):
        unpaired_dataset_from_folder(str(root), batch_size=2, image_size=8, load_size=9)
    dataset = unpaired_dataset_from_folder(str(root), batch_size=2, image_size=8,
                                           load_size=9, channels=3, seed=0)
    batches = _batches(dataset)
    assert [x.shape for x, _ in batches] == [(2, 8, 8, 3), (2, 8, 8, 3), (1, 8, 8, 3)]
    assert all(y.shape[-1] == 3 for _, y in batches)
    assert all(np.abs(x).max() <= 1.0 for x, _ in batches)
    # Folder paths also work in unpaired_dataset directly.
    direct = unpaired_dataset(str(root / "trainA"), str(root / "trainA"), batch_size=5,
                              image_size=12)
    assert _batches(direct)[0][0].shape == (5, 12, 12, 3)


def test_unpaired_errors(tmp_path):
    with pytest.raises(ValueError, match="channels"):
        unpaired_dataset(_random_uint8((4, 8, 8, 1)), _random_uint8((4, 8, 8, 3)), 2)
    with pytest.raises(ValueError, match="image_size"):
        unpaired_dataset(_random_uint8((4, 8, 8, 1)), _random_uint8((4, 6, 6, 1)), 2)
    os.makedirs(tmp_path / "data" / "images")
    with pytest.raises(ValueError, match="trainA.*trainB.*'images'"):
        unpaired_dataset_from_folder(str(tmp_path / "data"))
    os.makedirs(tmp_path / "data" / "trainA")
    os.makedirs(tmp_path / "data" / "trainB")
    with pytest.raises(ValueError, match="No images"):
        unpaired_dataset_from_folder(str(tmp_path / "data"))


def test_unpaired_tfds_mock():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=6):
        dataset = unpaired_dataset_from_tfds("cycle_gan/horse2zebra", batch_size=2,
                                             image_size=16, load_size=18, seed=0)
        batches = _batches(dataset)
    assert len(batches) == 3
    for a, b in batches:
        assert a.shape == (2, 16, 16, 3) and b.shape == (2, 16, 16, 3)
        assert a.dtype == np.float32 and -1.0 <= a.min() and a.max() <= 1.0
