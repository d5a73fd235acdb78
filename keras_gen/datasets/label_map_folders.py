"""Semantic synthesis data from folders: an image folder and a label-map folder matched by file name.

The layout of the SPADE data sets (ADE20K, COCO-Stuff, Cityscapes once
converted to class ids): `images/0001.jpg` goes with `labels/0001.png`, the
label map holding one class id per pixel (a one-channel PNG: greyscale,
palette or 16-bit). Pairs are matched by file stem, the name without its
extension.

The pipeline yields `(one_hot_label_maps, images)` batches, the training
input of `keras_gen.models.SPADE`: label maps one-hot encoded to float32
`(b, h, w, num_classes)`, images float32 `(b, h, w, c)` in [-1, 1]. When
`image_size` is given, images are resized bilinearly and label maps with
nearest neighbours (so every pixel keeps a class id that was in the map).
"""

import os

from keras_gen.datasets.image_to_image import _check_batch_size
from keras_gen.datasets.image_to_image import _decode
from keras_gen.datasets.image_to_image import _list_images
from keras_gen.datasets.image_to_image import _size_pair
from keras_gen.datasets.pipeline import MAX_SHUFFLE_BUFFER
from keras_gen.datasets.pipeline import _inspect_images
from keras_gen.datasets.pipeline import _scale_tensor
from keras_gen.datasets.pipeline import _tf

_LABEL_MODES = ("L", "P", "I", "I;16", "1")  # one value per pixel: a class id
_LOSSY = (".jpg", ".jpeg")


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def _by_stem(paths, folder, what):
    stems = {}
    for path in paths:
        stem = _stem(path)
        if stem in stems:
            raise ValueError(
                f"Two {what} in {folder!r} share the name {stem!r} "
                f"({os.path.basename(stems[stem])!r} and {os.path.basename(path)!r}); "
                "images and label maps are matched by file name without extension, so "
                "keep one file per name."
            )
        stems[stem] = path
    return stems


def _names(stems, limit=5):
    stems = sorted(stems)
    more = f" and {len(stems) - limit} more" if len(stems) > limit else ""
    return ", ".join(repr(s) for s in stems[:limit]) + more


def _read_label_map(path):
    """A label map as an integer NumPy array `(h, w)`; errors for colour or lossy files."""
    import numpy as np
    from PIL import Image

    if path.lower().endswith(_LOSSY):
        raise ValueError(
            f"Label map {path!r} is a JPEG: its compression changes class ids at region "
            "borders. Save label maps as PNG (one class id per pixel)."
        )
    with Image.open(path) as image:
        if image.mode not in _LABEL_MODES:
            raise ValueError(
                f"Label map {path!r} has mode {image.mode!r} ({len(image.getbands())} "
                "channels); a label map holds one class id per pixel (a greyscale, "
                "palette or 16-bit PNG). Convert colour-coded maps to class ids first, "
                "e.g. with a dict from each colour to its class."
            )
        return np.asarray(image).astype(np.int64)


def _check_labels(label_paths, image_sizes, num_classes, image_size):
    """Reads every label map once: class ids in range, sizes equal to their images'."""
    for path, size in zip(label_paths, image_sizes):
        label = _read_label_map(path)
        if label.size and label.max() >= num_classes:
            raise ValueError(
                f"Label map {path!r} holds class id {int(label.max())}, but "
                f"num_classes={num_classes} allows ids 0 to {num_classes - 1}. Pass "
                f"num_classes={int(label.max()) + 1} or more (the largest id of the data "
                "set plus one), or remap the ids."
            )
        if image_size is None and label.shape != size:
            raise ValueError(
                f"Label map {path!r} is {label.shape[0]}x{label.shape[1]} but its image is "
                f"{size[0]}x{size[1]}; pass image_size=(height, width) to resize both, or "
                "save maps of the images' size."
            )


def label_map_dataset_from_folder(
    image_dir,
    label_dir,
    num_classes,
    image_size=None,
    batch_size=1,
    shuffle=True,
    seed=None,
    channels=None,
    drop_remainder=False,
):
    """Builds `(one_hot_label_maps, images)` batches from an image folder and a label-map folder.

    Every image `image_dir/<name>.<ext>` (PNG or JPEG) needs a label map
    `label_dir/<name>.png` of the same name (extensions may differ) holding
    the class id of each pixel, in `[0, num_classes)`, as a one-channel PNG
    (greyscale, palette or 16-bit: palette maps are read as their indices).
    Every label map is read once when the dataset is built, to check its ids
    and size.

    Args:
        image_dir: folder with the image files directly in it.
        label_dir: folder with the label maps directly in it.
        num_classes: number of classes, background included (the one-hot depth
            and the generator's label channels).
        image_size: int or `(height, width)` to resize to (images bilinearly,
            label maps by nearest neighbour); `None` keeps the files' size,
            which must then be the same for every image and its map.
        batch_size: pairs per batch.
        shuffle: reshuffle the pairs every epoch.
        seed: seed of the shuffle.
        channels: image channels, 1 or 3; `None` for 1 when every image is
            greyscale, else 3.
        drop_remainder: drop the last incomplete batch.

    Returns:
        A `tf.data.Dataset` of `(label_maps, images)`: float32 one-hot maps
        `(b, h, w, num_classes)` and float32 images `(b, h, w, channels)` in
        [-1, 1].

    Example:

    >>> dataset = keras_gen.datasets.label_map_dataset_from_folder(
    ...     "ade20k/images/training", "ade20k/annotations/training",
    ...     num_classes=151, image_size=256, batch_size=8)
    >>> spade.fit(dataset, epochs=200)

    Reference:
        Park et al., "Semantic Image Synthesis with Spatially-Adaptive
        Normalization", CVPR 2019 (https://arxiv.org/abs/1903.07291).
    """
    tf = _tf()
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(
            f"`num_classes` must be an int >= 2 (the classes of the maps, background "
            f"included); received {num_classes!r}."
        )
    batch_size = _check_batch_size(batch_size)
    image_size = _size_pair(image_size, "image_size")
    if channels not in (None, 1, 3):
        raise ValueError(f"`channels` must be None, 1 or 3; received {channels!r}.")
    image_dir, label_dir = os.fspath(image_dir), os.fspath(label_dir)
    images = _by_stem(_list_images(image_dir, "images"), image_dir, "images")
    labels = _by_stem(_list_images(label_dir, "label maps"), label_dir, "label maps")
    without_label = set(images) - set(labels)
    if without_label:
        raise ValueError(
            f"{len(without_label)} of {len(images)} images in {image_dir!r} have no label map "
            f"of the same name in {label_dir!r}: {_names(without_label)}. Add the maps, move "
            "those images out, or check that both folders belong to the same split."
        )
    without_image = set(labels) - set(images)
    if without_image:
        raise ValueError(
            f"{len(without_image)} of {len(labels)} label maps in {label_dir!r} have no image "
            f"of the same name in {image_dir!r}: {_names(without_image)}. Add the images, "
            "move those maps out, or check that both folders belong to the same split."
        )
    stems = sorted(images)
    image_paths = [images[s] for s in stems]
    label_paths = [labels[s] for s in stems]
    found_channels, common_size = _inspect_images(image_paths, image_size)
    channels = channels or found_channels
    from PIL import Image

    sizes = []
    for path in image_paths:
        with Image.open(path) as image:
            sizes.append((image.height, image.width))
    _check_labels(label_paths, sizes, num_classes, image_size)
    height, width = image_size or common_size

    def read_label(path):
        import numpy as np

        return _read_label_map(path.decode() if isinstance(path, bytes) else str(path)).astype(np.int32)

    def load(image_path, label_path):
        image = _decode(tf, image_path, channels)
        image = _scale_tensor(tf, image, None)
        label = tf.numpy_function(read_label, [label_path], tf.int32)
        label.set_shape((None, None))
        label = label[..., None]
        if image_size is not None:
            image = tf.image.resize(image, image_size, method="bilinear")
            image = tf.clip_by_value(image, -1.0, 1.0)
            label = tf.image.resize(label, image_size, method="nearest")
        image = tf.ensure_shape(image, (height, width, channels))
        one_hot = tf.one_hot(tf.ensure_shape(label[..., 0], (height, width)), num_classes)
        return one_hot, image

    dataset = tf.data.Dataset.from_tensor_slices((image_paths, label_paths))
    if shuffle:
        dataset = dataset.shuffle(
            min(len(stems), MAX_SHUFFLE_BUFFER), seed=seed, reshuffle_each_iteration=True
        )
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)
