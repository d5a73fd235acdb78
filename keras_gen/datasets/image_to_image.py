"""Paired (pix2pix) and unpaired (CycleGAN) image-to-image input pipelines on `tf.data`.

Every pipeline yields `(a, b)` batches of float32 images in [-1, 1]:
`(input, target)` for paired data, `(domain_a, domain_b)` for unpaired data.

Augmentation, as in the pix2pix / CycleGAN reference code: resize to
`load_size` (bicubic, clipped back to [-1, 1]), random crop to `image_size`,
random horizontal flip. For a pair, both images are concatenated on channels
before the crop and the flip and split afterwards, so they get exactly the
same crop and flip. Random draws are stateless ops seeded per element from
`tf.data.Dataset.random(seed)`, so a `seed` makes the pipeline reproducible;
the draws change every epoch.
"""

import os

from keras_gen.datasets.pipeline import IMAGE_EXTENSIONS
from keras_gen.datasets.pipeline import MAX_SHUFFLE_BUFFER
from keras_gen.datasets.pipeline import _inspect_images
from keras_gen.datasets.pipeline import _scale_tensor
from keras_gen.datasets.pipeline import _tf
from keras_gen.datasets.pipeline import load_tfds
from keras_gen.datasets.pipeline import scale_images

DIRECTIONS = ("AtoB", "BtoA")
_TFDS_SHUFFLE_BUFFER = 1_000  # decoded 256x256 images: about 200 MB


# ---------------------------------------------------------------- argument checks


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; received {batch_size!r}.")
    return int(batch_size)


def _size_pair(size, name):
    if size is None:
        return None
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    try:
        height, width = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(
            f"`{name}` must be an int or (height, width); received {size!r}."
        ) from None
    if height < 1 or width < 1:
        raise ValueError(f"`{name}` must be positive; received {size!r}.")
    return height, width


def _resolve_sizes(image_size, load_size):
    """Returns `(image_size, load_size)` as pairs or None; load_size >= image_size."""
    image_size = _size_pair(image_size, "image_size")
    load_size = _size_pair(load_size, "load_size")
    if image_size is None:
        image_size = load_size
    if load_size is None:
        load_size = image_size
    if image_size is not None and (load_size[0] < image_size[0] or load_size[1] < image_size[1]):
        raise ValueError(
            f"`load_size` {load_size} must be at least `image_size` {image_size}: "
            "images are resized to load_size, then randomly cropped to image_size."
        )
    return image_size, load_size


def _check_direction(direction):
    if direction not in DIRECTIONS:
        raise ValueError(f"`direction` must be one of {DIRECTIONS}; received {direction!r}.")


def _list_images(folder, what="images"):
    """Image files directly in `folder`, sorted; clear errors when there are none."""
    if not os.path.isdir(folder):
        raise ValueError(f"Folder of {what} not found: {folder!r}.")
    entries = sorted(os.scandir(folder), key=lambda e: e.name)
    paths = [e.path for e in entries if e.is_file() and e.name.lower().endswith(IMAGE_EXTENSIONS)]
    if not paths:
        subfolders = [e.name for e in entries if e.is_dir() and not e.name.startswith(".")]
        hint = (
            f" It has subfolders {subfolders[:5]}: pass one of them, e.g. "
            f"{os.path.join(folder, subfolders[0])!r}."
            if subfolders
            else " Put the image files directly in it."
        )
        raise ValueError(
            f"No {what} ({', '.join(IMAGE_EXTENSIONS)}) found in {folder!r}.{hint}"
        )
    return paths


# ---------------------------------------------------------------- tf.data pieces


def _element_seeds(tf, seed):
    """An infinite dataset of per-element seeds for stateless random ops."""
    return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)


def _augment(tf, image, image_size, load_size, flip, element_seed, resize=True):
    """Resizes to `load_size`, crops to `image_size`, flips; one draw per call."""
    if load_size is not None and resize:
        image = tf.image.resize(image, load_size, method="bicubic")
        image = tf.clip_by_value(image, -1.0, 1.0)
    if image_size is not None and image_size != load_size:
        seed = tf.stack([element_seed, tf.constant(0, tf.int64)])
        size = (image_size[0], image_size[1], image.shape[-1])
        image = tf.image.stateless_random_crop(image, size, seed=seed)
    if flip:
        seed = tf.stack([element_seed, tf.constant(1, tf.int64)])
        image = tf.image.stateless_random_flip_left_right(image, seed=seed)
    return image


def _augment_pair(tf, a, b, image_size, load_size, flip, element_seed, resize=True):
    """The same crop and flip for both images: concatenate, augment, split."""
    channels_a = a.shape[-1]
    both = _augment(
        tf, tf.concat([a, b], axis=-1), image_size, load_size, flip, element_seed, resize
    )
    return both[..., :channels_a], both[..., channels_a:]


def _convert_channels(tf, image, channels):
    if channels is None or image.shape[-1] == channels:
        return image
    if image.shape[-1] == 1 and channels == 3:
        return tf.image.grayscale_to_rgb(image)
    if image.shape[-1] == 3 and channels == 1:
        return tf.image.rgb_to_grayscale(image)
    raise ValueError(
        f"Cannot convert {image.shape[-1]}-channel images to {channels} channels; "
        "only 1 <-> 3 is supported."
    )


def _decode(tf, path, channels):
    image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
    image.set_shape((None, None, channels))
    return image


def _finish(tf, dataset, batch_size, drop_remainder):
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------- paired


def paired_dataset(
    inputs,
    targets,
    batch_size,
    image_size=None,
    load_size=None,
    flip=False,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    value_range=None,
):
    """Builds `(input, target)` batches from two aligned image arrays.

    Args:
        inputs: images `(n, h, w)` or `(n, h, w, c)`: uint8 in [0, 255] or
            float in [-1, 1] (see `value_range`).
        targets: images `(n, h, w[, c'])` of the same height and width; the
            channel count may differ (e.g. edges -> photos).
        batch_size: pairs per batch.
        image_size: int or `(height, width)` of the output; `None` keeps the
            arrays' size (or `load_size` when given).
        load_size: resize both images to this before the random crop to
            `image_size` (pix2pix's jitter is 286 -> 256); default
            `image_size`, i.e. no crop.
        flip: random horizontal flip (the same for both images).
        shuffle: reshuffle the pairs every epoch.
        seed: seed of the shuffle and of the augmentation.
        drop_remainder: drop the last incomplete batch (needed for
            multi-device training).
        value_range: `(low, high)` of float arrays that are not in [-1, 1].

    Returns:
        A `tf.data.Dataset` of `(inputs, targets)`, float32 batches in [-1, 1].

    Example:

    >>> edges, digits = keras_gen.datasets.edges2digits("train")
    >>> dataset = keras_gen.datasets.paired_dataset(edges, digits, batch_size=32)

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017 (https://arxiv.org/abs/1611.07004).
    """
    tf = _tf()
    batch_size = _check_batch_size(batch_size)
    a = scale_images(inputs, value_range)
    b = scale_images(targets, value_range)
    if len(a) != len(b):
        raise ValueError(
            f"Got {len(a)} inputs but {len(b)} targets; paired data needs one "
            "target per input, in the same order."
        )
    if a.shape[1:3] != b.shape[1:3]:
        raise ValueError(
            f"Inputs are {a.shape[1]}x{a.shape[2]} but targets are "
            f"{b.shape[1]}x{b.shape[2]}; the two images of a pair must have the "
            "same size. Resize one of the arrays first (e.g. with "
            "keras.ops.image.resize)."
        )
    if len(a) == 0:
        raise ValueError("`inputs` holds no images.")
    image_size, load_size = _resolve_sizes(image_size, load_size)
    resize = load_size is not None and tuple(a.shape[1:3]) != load_size

    dataset = tf.data.Dataset.from_tensor_slices((a, b))
    if shuffle:
        dataset = dataset.shuffle(len(a), seed=seed, reshuffle_each_iteration=True)
    dataset = tf.data.Dataset.zip((dataset, _element_seeds(tf, seed)))
    dataset = dataset.map(
        lambda pair, s: _augment_pair(tf, pair[0], pair[1], image_size, load_size, flip, s, resize),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return _finish(tf, dataset, batch_size, drop_remainder)


def paired_dataset_from_folder(
    path,
    batch_size=1,
    image_size=256,
    load_size=286,
    direction="AtoB",
    flip=True,
    shuffle=True,
    seed=None,
    drop_remainder=False,
):
    """Builds `(input, target)` batches from a folder of side-by-side pix2pix images.

    Each file holds image A on the left half and image B on the right half
    (the format of the pix2pix datasets, e.g. `facades/train/*.jpg`, 512x256).
    Both halves are resized to `load_size`, given the same random crop to
    `image_size` and the same random flip.

    Args:
        path: a folder with the image files directly in it (one split, e.g.
            `facades/train`).
        batch_size: pairs per batch (1 in the paper).
        image_size: int or `(height, width)` of the output (256 in the paper).
        load_size: resize size before the random crop (286 in the paper);
            equal to `image_size` for no crop.
        direction: `"AtoB"` (left half is the input) or `"BtoA"`.
        flip: random horizontal flip of the pair (on in the paper).
        shuffle: reshuffle every epoch.
        seed: seed of the shuffle and of the augmentation.
        drop_remainder: drop the last incomplete batch.

    Returns:
        A `tf.data.Dataset` of `(inputs, targets)`, float32 batches in [-1, 1].

    Example:

    >>> dataset = keras_gen.datasets.paired_dataset_from_folder(
    ...     "facades/train", batch_size=1, direction="BtoA")

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017 (https://arxiv.org/abs/1611.07004).
    """
    tf = _tf()
    batch_size = _check_batch_size(batch_size)
    _check_direction(direction)
    image_size, load_size = _resolve_sizes(image_size, load_size)
    if image_size is None:
        raise ValueError("Pass image_size= (e.g. 256): folder images are resized to one size.")
    paths = _list_images(os.fspath(path), "side-by-side image pairs")
    channels, _ = _inspect_images(paths, image_size)
    from PIL import Image

    with Image.open(paths[0]) as first:
        width = first.width
    if width % 2:
        raise ValueError(
            f"{paths[0]!r} is {width} pixels wide; side-by-side pairs put A and B "
            "halves of equal width next to each other, so the width must be even. "
            "For two separate arrays use keras_gen.datasets.paired_dataset."
        )

    def load(file_path, element_seed):
        image = _scale_tensor(tf, _decode(tf, file_path, channels), None)
        half = tf.shape(image)[1] // 2
        a, b = image[:, :half], image[:, half : 2 * half]
        a = tf.image.resize(a, load_size, method="bicubic")
        b = tf.image.resize(b, load_size, method="bicubic")
        a, b = tf.clip_by_value(a, -1.0, 1.0), tf.clip_by_value(b, -1.0, 1.0)
        a, b = _augment_pair(tf, a, b, image_size, load_size, flip, element_seed, resize=False)
        return (a, b) if direction == "AtoB" else (b, a)

    dataset = tf.data.Dataset.from_tensor_slices(paths)
    if shuffle:
        dataset = dataset.shuffle(
            min(len(paths), MAX_SHUFFLE_BUFFER), seed=seed, reshuffle_each_iteration=True
        )
    dataset = tf.data.Dataset.zip((dataset, _element_seeds(tf, seed)))
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    return _finish(tf, dataset, batch_size, drop_remainder)


# ---------------------------------------------------------------- unpaired


class _Domain:
    """One domain of unpaired data: an unbatched dataset of unscaled images."""

    def __init__(self, dataset, size, channels, shape=None, shuffle_buffer=None, decode=None):
        self.dataset = dataset
        self.decode = decode  # for datasets of file paths
        self.size = size
        self.channels = channels
        self.shape = shape  # (h, w) when every image has it, else None
        self.shuffle_buffer = shuffle_buffer or min(size, MAX_SHUFFLE_BUFFER)


def _array_domain(tf, images, value_range, name):
    images = scale_images(images, value_range)
    if len(images) == 0:
        raise ValueError(f"`{name}` holds no images.")
    dataset = tf.data.Dataset.from_tensor_slices(images)
    return _Domain(dataset, len(images), images.shape[-1], tuple(images.shape[1:3]))


def _folder_domain(tf, folder, image_size, channels, name):
    paths = _list_images(os.fspath(folder), f"images for {name}")
    found_channels, shape = _inspect_images(paths, image_size)
    decode_channels = channels or found_channels
    # A dataset of paths: shuffling them is cheap, images are decoded afterwards.
    return _Domain(
        tf.data.Dataset.from_tensor_slices(paths),
        len(paths),
        decode_channels,
        shape=None if image_size else shape,
        decode=lambda path: _decode(tf, path, decode_channels),
    )


def _tfds_domain(tf, name, split, data_dir, download):
    dataset = load_tfds(name, split=split, data_dir=data_dir, download=download)
    spec = dataset.element_spec
    if isinstance(spec, dict):
        dataset = dataset.map(lambda element: element["image"])
    elif isinstance(spec, tuple):
        dataset = dataset.map(lambda image, *rest: image)
    size = int(dataset.cardinality())
    if size < 0:
        raise ValueError(f"TensorFlow Datasets split {name}:{split} has an unknown size.")
    if size == 0:
        raise ValueError(f"TensorFlow Datasets split {name}:{split} is empty.")
    channels = dataset.element_spec.shape[-1]
    return _Domain(dataset, size, channels, shuffle_buffer=min(size, _TFDS_SHUFFLE_BUFFER))


def _domain_pipeline(tf, domain, image_size, load_size, flip, shuffle, seed, channels, repeat):
    dataset = domain.dataset
    if shuffle:
        dataset = dataset.shuffle(domain.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    decode = domain.decode
    resize = load_size is not None and domain.shape != load_size

    def prepare(image, element_seed):
        if decode is not None:
            image = decode(image)
        image = _scale_tensor(tf, image, None)
        image = _convert_channels(tf, image, channels)
        return _augment(tf, image, image_size, load_size, flip, element_seed, resize)

    dataset = tf.data.Dataset.zip((dataset, _element_seeds(tf, seed)))
    return dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)


def _zip_domains(tf, domain_a, domain_b, batch_size, image_size, load_size, flip, shuffle,
                 seed, drop_remainder, channels):
    if channels is None and domain_a.channels != domain_b.channels:
        raise ValueError(
            f"Domain A has {domain_a.channels} channel(s) but domain B has "
            f"{domain_b.channels}; unpaired batches need one channel count. Pass "
            "channels=3 (or channels=1) to convert, or convert the arrays yourself "
            "(e.g. np.repeat(gray, 3, axis=-1))."
        )
    if channels not in (None, 1, 3):
        raise ValueError(f"`channels` must be None, 1 or 3; received {channels!r}.")
    if image_size is None and domain_a.shape != domain_b.shape:
        raise ValueError(
            f"Domain A images are {domain_a.shape} but domain B images are "
            f"{domain_b.shape}; pass image_size= to resize both to one size."
        )
    seeds = (None, None) if seed is None else (seed, seed + 1)
    a_is_shorter = domain_a.size < domain_b.size
    a = _domain_pipeline(tf, domain_a, image_size, load_size, flip, shuffle, seeds[0],
                         channels, repeat=a_is_shorter)
    b = _domain_pipeline(tf, domain_b, image_size, load_size, flip, shuffle, seeds[1],
                         channels, repeat=not a_is_shorter and domain_b.size < domain_a.size)
    dataset = tf.data.Dataset.zip((a, b))
    return _finish(tf, dataset, batch_size, drop_remainder)


def _is_path(value):
    return isinstance(value, (str, os.PathLike))


def unpaired_dataset(
    domain_a,
    domain_b,
    batch_size=1,
    image_size=None,
    load_size=None,
    flip=False,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    channels=None,
    value_range=None,
):
    """Builds `(a, b)` batches from two unaligned image collections (arrays or folders).

    Each domain is shuffled independently; an epoch is one pass over the
    larger domain and the smaller one is repeated (and reshuffled) to keep
    up, as in CycleGAN's reference data loader. Images are augmented
    independently (resize to `load_size`, random crop to `image_size`,
    random flip).

    Args:
        domain_a: images `(n, h, w[, c])` (uint8 in [0, 255] or float in
            [-1, 1]) or a folder path with the image files directly in it.
        domain_b: the same for the other domain.
        batch_size: images per domain per batch (1 in CycleGAN).
        image_size: int or `(height, width)` of the output; `None` keeps the
            size of the arrays (both must then have the same size).
        load_size: resize size before the random crop (CycleGAN: 286 for 256
            crops); default `image_size`, i.e. no crop.
        flip: random horizontal flips.
        shuffle: reshuffle each domain every epoch.
        seed: seed of the shuffles and of the augmentation.
        drop_remainder: drop the last incomplete batch.
        channels: `None` (both domains must have the same channel count), or
            1 / 3 to convert both domains to that many channels.
        value_range: `(low, high)` of float arrays that are not in [-1, 1].

    Returns:
        A `tf.data.Dataset` of `(a, b)`, float32 batches in [-1, 1].

    Example:

    >>> a, _, b, _ = keras_gen.datasets.digits2inverted("train")
    >>> dataset = keras_gen.datasets.unpaired_dataset(a, b, batch_size=16)

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593).
    """
    tf = _tf()
    batch_size = _check_batch_size(batch_size)
    image_size, load_size = _resolve_sizes(image_size, load_size)
    domains = []
    for name, source in (("domain_a", domain_a), ("domain_b", domain_b)):
        if _is_path(source):
            domains.append(_folder_domain(tf, source, image_size, channels, name))
        else:
            domains.append(_array_domain(tf, source, value_range, name))
    return _zip_domains(tf, *domains, batch_size, image_size, load_size, flip, shuffle,
                        seed, drop_remainder, channels)


def unpaired_dataset_from_folder(
    root,
    batch_size=1,
    split="train",
    image_size=256,
    load_size=286,
    flip=True,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    channels=None,
):
    """Builds `(a, b)` batches from a CycleGAN dataset folder (`trainA`, `trainB`, ...).

    Args:
        root: folder holding `<split>A` and `<split>B` subfolders of images
            (the layout of the CycleGAN datasets: `trainA`, `trainB`,
            `testA`, `testB`).
        batch_size: images per domain per batch (1 in the paper).
        split: `"train"` or `"test"` (any prefix of the subfolder names).
        image_size: int or `(height, width)` of the output (256 in the paper).
        load_size: resize size before the random crop (286 in the paper).
        flip: random horizontal flips (on in the paper).
        shuffle, seed, drop_remainder, channels: as in
            `keras_gen.datasets.unpaired_dataset`.

    Returns:
        A `tf.data.Dataset` of `(a, b)`, float32 batches in [-1, 1].

    Example:

    >>> dataset = keras_gen.datasets.unpaired_dataset_from_folder("horse2zebra")

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593).
    """
    root = os.fspath(root)
    folders = [os.path.join(root, f"{split}{side}") for side in "AB"]
    missing = [f for f in folders if not os.path.isdir(f)]
    if missing:
        found = None
        if os.path.isdir(root):
            found = sorted(e.name for e in os.scandir(root) if e.is_dir())
        where = f"it has subfolders {found}" if found is not None else "it does not exist"
        raise ValueError(
            f"Expected {folders[0]!r} and {folders[1]!r} (the CycleGAN layout: one "
            f"folder per domain and split, trainA/trainB/testA/testB), but {where}. "
            "Arrange the images that way, pass split= to match the folder names, "
            "or call keras_gen.datasets.unpaired_dataset(folder_a, folder_b, ...)."
        )
    return unpaired_dataset(
        folders[0], folders[1], batch_size=batch_size, image_size=image_size,
        load_size=load_size, flip=flip, shuffle=shuffle, seed=seed,
        drop_remainder=drop_remainder, channels=channels,
    )


def unpaired_dataset_from_tfds(
    name="cycle_gan/horse2zebra",
    batch_size=1,
    split="train",
    data_dir=None,
    download=False,
    image_size=256,
    load_size=286,
    flip=True,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    channels=None,
):
    """Builds `(a, b)` batches from a TensorFlow Datasets `cycle_gan/*` dataset.

    The `cycle_gan` datasets have splits `trainA`, `trainB`, `testA` and
    `testB`; `split="train"` reads `trainA` and `trainB`. Nothing is
    downloaded unless `download=True`.

    Args:
        name: tfds name, e.g. `"cycle_gan/horse2zebra"`,
            `"cycle_gan/monet2photo"`.
        batch_size: images per domain per batch (1 in the paper).
        split: `"train"` or `"test"`.
        data_dir: folder with prepared tfds data (default: tfds' own).
        download: allow tfds to download and prepare the data.
        image_size: int or `(height, width)` of the output (256 in the paper).
        load_size: resize size before the random crop (286 in the paper).
        flip, shuffle, seed, drop_remainder, channels: as in
            `keras_gen.datasets.unpaired_dataset`. Shuffling uses a buffer of
            up to 1,000 decoded images per domain.

    Returns:
        A `tf.data.Dataset` of `(a, b)`, float32 batches in [-1, 1].

    Example:

    >>> dataset = keras_gen.datasets.unpaired_dataset_from_tfds(
    ...     "cycle_gan/horse2zebra", download=True)

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593).
    """
    tf = _tf()
    batch_size = _check_batch_size(batch_size)
    image_size, load_size = _resolve_sizes(image_size, load_size)
    if image_size is None:
        raise ValueError("Pass image_size= (e.g. 256): tfds images are resized to one size.")
    domains = [
        _tfds_domain(tf, name, f"{split}{side}", data_dir, download) for side in "AB"
    ]
    return _zip_domains(tf, *domains, batch_size, image_size, load_size, flip, shuffle,
                        seed, drop_remainder, channels)

