"""label_map_dataset_from_folder: pairing by file stem, one-hot maps, resizing, errors that name the fix."""

import os

import numpy as np
import pytest
from PIL import Image

import keras_gen
from keras_gen.datasets.label_map_folders import label_map_dataset_from_folder

# NumPy, tf.data and PIL only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def _write(folder, name, array, mode=None):
    os.makedirs(folder, exist_ok=True)
    image = Image.fromarray(array) if mode is None else Image.fromarray(array, mode)
    image.save(os.path.join(folder, name))


def _pairs(tmp_path, n=3, size=(6, 8), classes=4, rgb=False, seed=0):
    """Writes n images and their label maps (class ids); returns (folders, images, maps)."""
    rng = np.random.default_rng(seed)
    image_dir, label_dir = str(tmp_path / "images"), str(tmp_path / "labels")
    images = rng.integers(0, 256, (n,) + size + ((3,) if rgb else ()), dtype=np.uint8)
    maps = rng.integers(0, classes, (n,) + size, dtype=np.uint8)
    for i in range(n):
        _write(image_dir, f"scene_{i}.png", images[i])
        _write(label_dir, f"scene_{i}.png", maps[i])
    return image_dir, label_dir, images, maps


def _batches(dataset):
    return [tuple(np.asarray(part) for part in batch) for batch in dataset]


def test_pairs_are_matched_by_stem_one_hot_and_scaled(tmp_path):
    image_dir, label_dir, images, maps = _pairs(tmp_path, n=3)
    batches = _batches(label_map_dataset_from_folder(image_dir, label_dir, num_classes=4,
                                                     batch_size=2, shuffle=False))
    assert [b[0].shape for b in batches] == [(2, 6, 8, 4), (1, 6, 8, 4)]
    one_hot = np.concatenate([b[0] for b in batches])
    pixels = np.concatenate([b[1] for b in batches])
    assert one_hot.dtype == pixels.dtype == np.float32
    np.testing.assert_array_equal(one_hot.argmax(-1), maps)  # sorted by name: scene_0, 1, 2
    np.testing.assert_array_equal(one_hot.sum(-1), 1.0)
    np.testing.assert_allclose(pixels[..., 0], images / 127.5 - 1.0, atol=1e-6)
    assert pixels.shape[-1] == 1  # greyscale files give one channel


def test_other_extensions_palette_maps_and_rgb_images(tmp_path):
    rng = np.random.default_rng(1)
    image_dir, label_dir = str(tmp_path / "img"), str(tmp_path / "lbl")
    photo = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    _write(image_dir, "a.jpg", photo)
    ids = rng.integers(0, 3, (8, 8), dtype=np.uint8)
    palette_map = Image.fromarray(ids, "P")
    palette_map.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)  # colours, ids kept
    os.makedirs(label_dir)
    palette_map.save(os.path.join(label_dir, "a.png"))
    (maps, images), = _batches(label_map_dataset_from_folder(image_dir, label_dir, 3))
    assert images.shape == (1, 8, 8, 3) and np.all(np.abs(images) <= 1.0)
    np.testing.assert_array_equal(maps[0].argmax(-1), ids)
    # channels=1 turns colour images grey.
    (_, grey), = _batches(label_map_dataset_from_folder(image_dir, label_dir, 3, channels=1))
    assert grey.shape == (1, 8, 8, 1)


def test_resizing_keeps_class_ids_with_nearest_neighbours(tmp_path):
    image_dir, label_dir = str(tmp_path / "images"), str(tmp_path / "labels")
    ids = np.zeros((8, 8), np.uint8)
    ids[:, 4:] = 5  # two halves: classes 0 and 5
    ids[2, 2] = 3
    _write(image_dir, "x.png", np.full((8, 8), 200, np.uint8))
    _write(label_dir, "x.png", ids)
    (maps, images), = _batches(label_map_dataset_from_folder(
        image_dir, label_dir, num_classes=6, image_size=(16, 12)))
    assert maps.shape == (1, 16, 12, 6) and images.shape == (1, 16, 12, 1)
    np.testing.assert_array_equal(maps.sum(-1), 1.0)  # still one-hot: no blended classes
    resized = maps[0].argmax(-1)
    assert set(np.unique(resized)) == {0, 3, 5}
    np.testing.assert_array_equal(resized[:, :6], np.where(resized[:, :6] == 3, 3, 0))
    assert np.all(resized[:, 6:] == 5)
    np.testing.assert_allclose(images, 200 / 127.5 - 1.0, atol=1e-5)


def test_shuffle_is_seeded_and_pairs_stay_together(tmp_path):
    image_dir, label_dir, _, _ = _pairs(tmp_path, n=6, classes=4)
    # Write each image as its own map's ids so a pair can be recognised after shuffling.
    for i in range(6):
        ids = np.full((6, 8), i % 4, np.uint8)
        _write(label_dir, f"scene_{i}.png", ids)
        _write(image_dir, f"scene_{i}.png", np.full((6, 8), 40 * i, np.uint8))

    def order(seed):
        batches = _batches(label_map_dataset_from_folder(image_dir, label_dir, 4, batch_size=6,
                                                         shuffle=True, seed=seed))
        maps, images = batches[0]
        index = np.round((images[:, 0, 0, 0] + 1) * 127.5 / 40).astype(int)
        np.testing.assert_array_equal(maps[:, 0, 0].argmax(-1), index % 4)  # pairs intact
        return list(index)

    assert order(3) == order(3)
    assert sorted(order(3)) == list(range(6))


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda i, l: os.remove(os.path.join(l, "scene_1.png")),
         r"1 of 3 images in .* have no label map .*'scene_1'.*Add the maps"),
        (lambda i, l: os.remove(os.path.join(i, "scene_2.png")),
         r"1 of 3 label maps .* have no image .*'scene_2'"),
        (lambda i, l: _write(l, "scene_0.png", np.full((6, 8), 7, np.uint8)),
         r"holds class id 7, but num_classes=4 .*Pass num_classes=8"),
        (lambda i, l: _write(l, "scene_0.png", np.zeros((6, 8, 3), np.uint8)),
         r"mode 'RGB'.*one class id per pixel.*Convert colour-coded maps"),
        (lambda i, l: (os.remove(os.path.join(l, "scene_0.png")),
                       _write(l, "scene_0.jpg", np.zeros((6, 8), np.uint8))),
         r"JPEG.*Save label maps as PNG"),
        (lambda i, l: _write(l, "scene_0.png", np.zeros((4, 8), np.uint8)),
         r"is 4x8 but its image is 6x8; pass image_size"),
        (lambda i, l: _write(i, "scene_0.jpg", np.zeros((6, 8), np.uint8)),
         r"share the name 'scene_0'"),
    ],
)
def test_bad_folders_raise_errors_that_name_the_fix(tmp_path, change, match):
    image_dir, label_dir, _, _ = _pairs(tmp_path, n=3, classes=4)
    change(image_dir, label_dir)
    with pytest.raises(ValueError, match=match):
        label_map_dataset_from_folder(image_dir, label_dir, num_classes=4)


def test_empty_or_missing_folders_and_bad_arguments(tmp_path):
    image_dir, label_dir, _, _ = _pairs(tmp_path, n=2)
    empty = str(tmp_path / "empty")
    os.makedirs(empty)
    with pytest.raises(ValueError, match=r"No images .* found in .*empty"):
        label_map_dataset_from_folder(empty, label_dir, 4)
    with pytest.raises(ValueError, match=r"No label maps .* found"):
        label_map_dataset_from_folder(image_dir, empty, 4)
    with pytest.raises(ValueError, match="not found"):
        label_map_dataset_from_folder(str(tmp_path / "nowhere"), label_dir, 4)
    with pytest.raises(ValueError, match="num_classes"):
        label_map_dataset_from_folder(image_dir, label_dir, 1)
    with pytest.raises(ValueError, match="batch_size"):
        label_map_dataset_from_folder(image_dir, label_dir, 4, batch_size=0)
    with pytest.raises(ValueError, match="channels"):
        label_map_dataset_from_folder(image_dir, label_dir, 4, channels=2)


def test_exported_from_keras_gen_datasets():
    assert keras_gen.datasets.label_map_dataset_from_folder is label_map_dataset_from_folder
