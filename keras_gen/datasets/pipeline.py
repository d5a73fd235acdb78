"""Input pipelines: arrays, `tf.data` datasets, tfds and image folders -> batches in [-1, 1].

`tf.data` is the input pipeline for every backend (Keras' `fit()` reads
`tf.data.Dataset`s on JAX and PyTorch too), so this is the one module of
keras_gen where TensorFlow is used; it is imported lazily, only when a
pipeline is built.
"""

import os

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
MAX_SHUFFLE_BUFFER = 10_000
_GRAYSCALE_MODES = ("1", "L", "I", "I;16", "F")


def _tf():
    try:
        import tensorflow as tf
    except ImportError:
        raise ImportError(
            "keras_gen.datasets pipelines use tf.data (it feeds fit() on every Keras "
            "backend). Install TensorFlow: `pip install tensorflow-cpu`."
        ) from None
    return tf


def _check_value_range(value_range):
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise ValueError(f"`value_range` must be (low, high) with high > low; received {value_range!r}.")
    return low, high


def scale_images(x, value_range=None):
    """Converts images to float32 in [-1, 1], channels-last.

    Args:
        x: array `(n, h, w)` or `(n, h, w, c)`. uint8 (or other integer)
            images are read as [0, 255]; float images must already be in
            [-1, 1] unless `value_range` says otherwise.
        value_range: `(low, high)` of the input values, e.g. `(0, 1)` for
            float images divided by 255; `None` to infer it from the dtype.

    Returns:
        float32 array `(n, h, w, c)` in [-1, 1] (a channel axis of 1 is added
        to `(n, h, w)` input).

    Example:

    >>> x = keras_gen.datasets.scale_images(np.array([[[0, 255]]], "uint8"))
    >>> x.shape
    (1, 1, 2, 1)
    >>> x[0, 0, :, 0]
    array([-1.,  1.], dtype=float32)
    """
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(
            f"Images must have shape (n, height, width[, channels]); received shape {x.shape}."
        )
    if value_range is None:
        if np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_:
            value_range = (0.0, 255.0)
        elif x.size and (x.min() < -1.001 or x.max() > 1.001):
            raise ValueError(
                f"Float images must be in [-1, 1]; these span [{x.min()}, {x.max()}]. "
                "Pass value_range=(0, 255) (or the range they are in), or uint8 images."
            )
        else:
            return x.astype(np.float32)
    low, high = _check_value_range(value_range)
    return ((x.astype(np.float32) - low) * (2.0 / (high - low)) - 1.0).astype(np.float32)


def _scale_tensor(tf, image, value_range):
    if value_range is None:
        if image.dtype.is_integer or image.dtype == tf.bool:
            value_range = (0.0, 255.0)
        else:
            return tf.cast(image, tf.float32)
    low, high = _check_value_range(value_range)
    return (tf.cast(image, tf.float32) - low) * (2.0 / (high - low)) - 1.0


def _list_image_folder(folder, with_labels):
    """Returns `(paths, labels or None, class_names)` for a folder of images."""
    if not os.path.isdir(folder):
        raise ValueError(f"Image folder not found: {folder!r}.")
    paths, labels = [], []
    class_names = sorted(
        entry.name for entry in os.scandir(folder) if entry.is_dir() and not entry.name.startswith(".")
    )
    loose = sorted(
        entry.path
        for entry in os.scandir(folder)
        if entry.is_file() and entry.name.lower().endswith(IMAGE_EXTENSIONS)
    )
    if with_labels and loose:
        raise ValueError(
            f"labels=True reads one class per subfolder of {folder!r}, but "
            f"{len(loose)} image(s) lie directly in it (e.g. {loose[0]!r}). Move them "
            "into class subfolders, or pass labels=None."
        )
    paths.extend(loose)
    labels.extend([-1] * len(loose))
    kept_classes = []
    for name in class_names:
        found = []
        for root, dirs, files in os.walk(os.path.join(folder, name)):
            dirs.sort()
            found.extend(
                os.path.join(root, f) for f in sorted(files) if f.lower().endswith(IMAGE_EXTENSIONS)
            )
        if found:
            labels.extend([len(kept_classes)] * len(found))
            kept_classes.append(name)
            paths.extend(found)
    if not paths:
        raise ValueError(
            f"No images ({', '.join(IMAGE_EXTENSIONS)}) found in {folder!r} or its "
            "subfolders."
        )
    return paths, (np.asarray(labels, np.int32) if with_labels else None), kept_classes


def _inspect_images(paths, image_size):
    """Reads image headers: channel count (1 or 3) and the common size."""
    from PIL import Image

    sizes, grayscale = set(), True
    for path in paths:
        with Image.open(path) as image:
            sizes.add((image.height, image.width))
            grayscale &= image.mode in _GRAYSCALE_MODES
    if image_size is None and len(sizes) > 1:
        raise ValueError(
            f"Images in the folder have different sizes ({sorted(sizes)[:4]}...); "
            "pass image_size=(height, width) to resize them."
        )
    return (1 if grayscale else 3), sizes.pop()


def _folder_dataset(tf, folder, with_labels, image_size):
    paths, labels, class_names = _list_image_folder(folder, with_labels)
    channels, (height, width) = _inspect_images(paths, image_size)

    def load(path):
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=channels, expand_animations=False
        )
        image.set_shape((None, None, channels))
        if image_size is None:
            image = tf.ensure_shape(image, (height, width, channels))
        return image

    if labels is None:
        dataset = tf.data.Dataset.from_tensor_slices(paths).map(
            load, num_parallel_calls=tf.data.AUTOTUNE
        )
    else:
        dataset = tf.data.Dataset.from_tensor_slices((paths, labels)).map(
            lambda path, label: (load(path), label), num_parallel_calls=tf.data.AUTOTUNE
        )
    return dataset, len(paths), class_names


def _split_element(element, with_labels):
    """Maps an element of a user `tf.data.Dataset` to `(image, label or None)`."""
    if isinstance(element, dict):
        if "image" not in element:
            raise ValueError(
                "Dataset elements are dicts without an 'image' key (keys: "
                f"{sorted(element)}); map them to images or {{'image', 'label'}} first."
            )
        label = element.get("label")
    elif isinstance(element, (tuple, list)):
        if len(element) != 2:
            raise ValueError(
                "Tuple dataset elements must be (image, label); received "
                f"{len(element)} components."
            )
        element, label = {"image": element[0]}, element[1]
    else:
        element, label = {"image": element}, None
    if with_labels and label is None:
        raise ValueError(
            "labels=True but the dataset has no labels (expected (image, label) "
            "tuples or dicts with a 'label' key)."
        )
    return element["image"], (label if with_labels else None)


def _user_dataset(tf, dataset, with_labels):
    image_spec, _ = _split_element(dataset.element_spec, with_labels)
    rank = image_spec.shape.rank
    if rank == 4:  # already batched: rebatch with our settings
        dataset = dataset.unbatch()
    elif rank not in (2, 3):
        raise ValueError(
            f"Dataset images must have rank 2, 3 or 4 (batched); received shape {image_spec.shape}."
        )

    def to_pair(element):
        image, label = _split_element(element, with_labels)
        if image.shape.rank == 2:
            image = image[..., None]
        return image if label is None else (image, label)

    if isinstance(dataset.element_spec, (tuple, list)):
        dataset = dataset.map(lambda *parts: to_pair(tuple(parts)))
    else:
        dataset = dataset.map(to_pair)
    cardinality = int(dataset.cardinality())
    return dataset, (cardinality if cardinality >= 0 else None)


def make_image_dataset(
    data,
    batch_size,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    labels=None,
    image_size=None,
    cache=True,
    value_range=None,
):
    """Builds a batched, shuffled `tf.data.Dataset` of float32 images in [-1, 1].

    Works with every Keras backend (`fit()` reads `tf.data` on JAX and PyTorch
    too).

    Args:
        data: one of
            - a NumPy array of images `(n, h, w)` or `(n, h, w, c)`, uint8 in
              [0, 255] or float in [-1, 1] (see `value_range`);
            - a tuple `(images, labels)` of arrays (labels are then kept);
            - a `tf.data.Dataset` of images `(h, w[, c])`, `(image, label)`
              tuples, or dicts with `"image"` and optionally `"label"` (as
              `tfds.load` returns); a dataset already batched into
              `(b, h, w, c)` is unbatched and rebatched;
            - a folder path: `.png`/`.jpg`/`.jpeg` files, directly in it or in
              one subfolder per class (labels = index of the class name in
              sorted order; `dataset.class_names` lists them).
        batch_size: images per batch.
        shuffle: reshuffle every epoch. The buffer is the whole set for
            arrays and `min(size, 10000)` for folders and datasets.
        seed: shuffle seed, for reproducible order.
        drop_remainder: drop the last incomplete batch; needed for
            multi-device training (`keras.distribution.DataParallel` requires
            every batch to divide by the device count).
        labels: for an array, an array of `n` labels; for a dataset or a
            folder, `True` keeps the labels it has. `None` (default): images
            only.
        image_size: `(height, width)` to resize every image to (bilinear,
            antialiased); required when the images differ in size.
        cache: cache decoded images in memory after the first epoch.
        value_range: `(low, high)` of float inputs that are not in [-1, 1],
            e.g. `(0, 1)`; integer images are always read as [0, 255].

    Returns:
        A `tf.data.Dataset` yielding `images` (float32 `(batch, h, w, c)` in
        [-1, 1]) or `(images, labels)` when labels are kept, prefetched.

    Example:

    >>> (x_train, _), _ = keras_gen.datasets.mnist.load_data(source="embedded")
    >>> dataset = keras_gen.datasets.make_image_dataset(x_train, batch_size=64, seed=0)
    >>> next(iter(dataset)).shape
    TensorShape([64, 28, 28, 1])
    """
    tf = _tf()
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; received {batch_size!r}.")
    with_labels = labels is not None and labels is not False
    class_names = None

    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], (str, os.PathLike)):
        if with_labels:
            raise ValueError("Pass labels either inside `data=(images, labels)` or as `labels=`, not both.")
        data, labels, with_labels = data[0], data[1], True

    if isinstance(data, tf.data.Dataset) or isinstance(data, (str, os.PathLike)):
        if with_labels and labels is not True:
            raise ValueError(
                "For a dataset or a folder, pass labels=True to keep the labels it "
                "holds; label arrays go with array images."
            )
        if isinstance(data, tf.data.Dataset):
            dataset, size = _user_dataset(tf, data, with_labels)
        else:
            dataset, size, class_names = _folder_dataset(tf, os.fspath(data), with_labels, image_size)
        buffer = min(size or MAX_SHUFFLE_BUFFER, MAX_SHUFFLE_BUFFER)
        image_spec = dataset.element_spec[0] if with_labels else dataset.element_spec
        if image_size is None and None in tuple(image_spec.shape)[:2]:
            raise ValueError(
                "The dataset's images have no fixed size; pass image_size=(height, width)."
            )
    elif isinstance(data, np.ndarray) or hasattr(data, "__array__"):
        images = scale_images(data, value_range)
        if labels is True:
            raise ValueError(
                "labels=True is for datasets and folders; with an image array pass "
                "the label array itself: labels=y."
            )
        if with_labels:
            labels = np.asarray(labels)
            if len(labels) != len(images):
                raise ValueError(
                    f"Got {len(images)} images but {len(labels)} labels; they must match."
                )
            dataset = tf.data.Dataset.from_tensor_slices((images, labels))
        else:
            dataset = tf.data.Dataset.from_tensor_slices(images)
        size = buffer = len(images)
        value_range = None  # already scaled
        if size == 0:
            raise ValueError("`data` holds no images.")
    else:
        raise TypeError(
            "`data` must be a NumPy array of images, an (images, labels) tuple, a "
            f"tf.data.Dataset or a folder path; received {type(data).__name__}."
        )

    def prepare(image, label=None):
        image = _scale_tensor(tf, image, value_range)
        if image_size is not None:
            image = tf.image.resize(image, tuple(image_size), antialias=True)
        return image if label is None else (image, label)

    dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(max(buffer, 1), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(int(batch_size), drop_remainder=drop_remainder)
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
    if class_names is not None:
        dataset.class_names = class_names
    return dataset


def load_tfds(name, split, data_dir=None, download=False, **kwargs):
    """Loads a TensorFlow Datasets split, never downloading unless asked.

    Args:
        name: tfds name, e.g. `"mnist"`, `"cifar10"`, `"celeb_a"`.
        split: split string, e.g. `"train"` or `"train[:10%]"`.
        data_dir: folder holding prepared tfds data (default: tfds' own,
            `~/tensorflow_datasets` or `$TFDS_DATA_DIR`).
        download: allow tfds to download and prepare the data (needs network).
        **kwargs: passed to `tfds.load` (e.g. `as_supervised=True`).

    Returns:
        The `tf.data.Dataset` from `tfds.load`; feed it to
        `keras_gen.datasets.make_image_dataset`.

    Example:

    >>> train = keras_gen.datasets.load_tfds("mnist", "train", download=True)
    >>> dataset = keras_gen.datasets.make_image_dataset(train, batch_size=128)
    """
    _tf()
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise ImportError(
            "load_tfds needs TensorFlow Datasets: `pip install tensorflow-datasets`."
        ) from None
    try:
        return tfds.load(name, split=split, data_dir=data_dir, download=download, **kwargs)
    except AssertionError as error:
        if download:
            raise
        raise FileNotFoundError(
            f"TensorFlow Datasets has no prepared copy of {name!r} in "
            f"{data_dir or 'the default data folder'} and download=False. Pass "
            "download=True on a machine with network access, or set data_dir= to a "
            f"folder that holds the prepared dataset. ({error})"
        ) from None
