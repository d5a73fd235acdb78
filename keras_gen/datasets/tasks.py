"""Offline image-to-image tasks built from the embedded MNIST digits (no download).

- `edges2digits`: a paired task (outline of a digit -> the digit), a
  miniature of pix2pix's edges2shoes.
- `digits2inverted`: an unpaired task between white-on-black digits and
  black-on-white digits, drawn from disjoint halves of the split.
- `mnist2sklearn_digits`: an unpaired task between MNIST and scikit-learn's
  8x8 digits (a different scanner, resolution and style) upsampled.

Tasks for multimodal, style-based and semantic synthesis, defined in
`keras_gen.datasets.synthesis_tasks` and re-exported here:

- `skeletons2digits` (BicycleGAN): a multimodal paired task, digit skeletons
  -> the digits drawn along them with a random stroke width and intensity
  (the hidden style factors are returned on request; `stroke_style`
  measures them on any image).
- `digits2styled` (MUNIT): an unpaired task, grey digits vs. digits of other
  writers in a random colour and stripe style (3 channels; the style
  parameters of every domain-B image are returned on request).
- `digits_segmentation` (SPADE): 11-class label maps (background, then one
  class per digit on its strokes) and their images, one digit per canvas or
  a grid of several; `one_hot_label_maps` one-hots the maps.

Images are float32 `(n, image_size, image_size, channels)` in [-1, 1]
(one channel, except `digits2styled`'s three), ready
for `keras_gen.datasets.paired_dataset` / `unpaired_dataset`. The MNIST
split is `keras_gen.datasets.mnist.load_data(source="embedded")`: per class,
the first 400 digits in file order train and the last 100 test.
"""

import numpy as np
from scipy import ndimage

from keras_gen.datasets import mnist

SPLITS = ("train", "test")
_PADDED_SIZE = 32
_SKLEARN_TRAIN_FRACTION = 0.8


def _check_split(split):
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {SPLITS}; received {split!r}.")


def _check_image_size(image_size):
    if not isinstance(image_size, int) or isinstance(image_size, bool) or image_size < 8:
        raise ValueError(f"`image_size` must be an int >= 8 (e.g. 32); received {image_size!r}.")


def _resize(images, image_size):
    """Bilinear resize of `(n, s, s)` images in [0, 1] to `image_size`, clipped to [0, 1]."""
    if images.shape[1] == image_size:
        return images
    factor = image_size / images.shape[1]
    resized = ndimage.zoom(images, (1, factor, factor), order=1)
    return np.clip(resized, 0.0, 1.0)


def _mnist_split(split, image_size):
    """MNIST digits of `split` in [0, 1], padded 28 -> 32 (as in LeNet) then resized."""
    _check_split(split)
    _check_image_size(image_size)
    train, test = mnist.load_data(source="embedded")
    images, labels = train if split == "train" else test
    border = (_PADDED_SIZE - images.shape[1]) // 2
    padded = np.pad(images, ((0, 0), (border, border), (border, border))).astype(np.float32)
    return _resize(padded / 255.0, image_size), labels.astype(np.int32)


def _to_signed(images01):
    return (images01[..., None] * 2.0 - 1.0).astype(np.float32)


def digit_edges(images01, threshold=0.5):
    """Returns the outer outline of the strokes of `(n, h, w)` images in [0, 1].

    The strokes are the pixels above `threshold`; the outline is the
    morphological external gradient: pixels that a 3x3 dilation of the
    strokes adds, i.e. background pixels with a stroke pixel among their 8
    neighbours. It is a one-pixel line just outside every stroke border.

    Args:
        images01: float array `(n, h, w)` in [0, 1] (ink is high).
        threshold: binarisation threshold.

    Returns:
        A boolean array `(n, h, w)`, True on the outline.

    Example:

    >>> square = np.zeros((1, 8, 8)); square[0, 2:5, 2:5] = 1
    >>> keras_gen.datasets.tasks.digit_edges(square)[0].sum()  # 5x5 ring - 3x3
    16
    """
    strokes = np.asarray(images01) > threshold
    # Dilate within each image only (no growth along the batch axis).
    structure = np.ones((1, 3, 3), dtype=bool)
    return ndimage.binary_dilation(strokes, structure=structure) & ~strokes


def edges2digits(split="train", image_size=32):
    """A paired task: digit outlines (inputs) and the digits (targets).

    Construction: the embedded MNIST digits of `split` (4,000 train / 1,000
    test) are padded from 28x28 to 32x32 with black, resized (bilinear) when
    `image_size` is not 32, and scaled to [-1, 1]. The edge image of each
    digit is its outline from `digit_edges`: the strokes binarised at 0.5,
    dilated with a 3x3 square, minus the strokes; outline pixels are +1,
    everything else -1 (white lines on black, like the digits).

    Args:
        split: `"train"` or `"test"`.
        image_size: side of the square images (32 by default).

    Returns:
        `(edges, digits)`: float32 arrays `(n, image_size, image_size, 1)` in
        [-1, 1], aligned (edges[i] is the outline of digits[i]).

    Example:

    >>> edges, digits = keras_gen.datasets.edges2digits("train")
    >>> edges.shape, digits.shape
    ((4000, 32, 32, 1), (4000, 32, 32, 1))

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017 (https://arxiv.org/abs/1611.07004) (edges2shoes).
    """
    digits, _ = _mnist_split(split, image_size)
    edges = digit_edges(digits).astype(np.float32)
    return _to_signed(edges), _to_signed(digits)


def digits2inverted(split="train", image_size=32):
    """An unpaired task: MNIST digits vs. colour-inverted MNIST digits of other writers.

    Construction: the embedded MNIST digits of `split`, padded 28 -> 32 (and
    resized when `image_size` is not 32), are divided per class by their rank
    in the split's order: even ranks form domain A (white on black, as in MNIST),
    odd ranks form domain B, whose images are inverted (`1 - x`: black on
    white). No image of B is the inversion of an image of A, so the domains
    are unpaired; each holds half of the split (2,000 train / 500 test), 10
    classes balanced.

    Args:
        split: `"train"` or `"test"`.
        image_size: side of the square images (32 by default).

    Returns:
        `(domain_a, labels_a, domain_b, labels_b)`: images float32
        `(n, image_size, image_size, 1)` in [-1, 1], labels int32 `(n,)`.

    Example:

    >>> a, labels_a, b, labels_b = keras_gen.datasets.digits2inverted("train")
    >>> a.shape, b.shape
    ((2000, 32, 32, 1), (2000, 32, 32, 1))
    """
    digits, labels = _mnist_split(split, image_size)
    rank = np.zeros(len(labels), dtype=np.int64)
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        rank[members] = np.arange(len(members))
    in_a = rank % 2 == 0
    return (
        _to_signed(digits[in_a]),
        labels[in_a],
        _to_signed(1.0 - digits[~in_a]),
        labels[~in_a],
    )


def mnist2sklearn_digits(split="train", image_size=32):
    """An unpaired task: MNIST digits vs. scikit-learn's 8x8 digits upsampled.

    Construction: domain A is the embedded MNIST split, padded 28 -> 32 (and
    resized when `image_size` is not 32). Domain B is
    `sklearn.datasets.load_digits()` (1,797 digits of 8x8 pixels, 0..16,
    from the UCI optical recognition data set, bundled with scikit-learn, so
    no download): per class, the first 80% in file order form the train split
    and the rest the test split; images are scaled to [0, 1] and upsampled
    bilinearly to `image_size`. Both domains are white on black; they differ
    in writers, resolution and blur.

    Args:
        split: `"train"` or `"test"`.
        image_size: side of the square images (32 by default).

    Returns:
        `(domain_a, labels_a, domain_b, labels_b)`: images float32
        `(n, image_size, image_size, 1)` in [-1, 1], labels int32 `(n,)`;
        4,000 / 1,433 images for train, 1,000 / 364 for test.

    Example:

    >>> a, labels_a, b, labels_b = keras_gen.datasets.mnist2sklearn_digits("train")
    >>> b.shape
    (1433, 32, 32, 1)

    Reference:
        Alpaydin and Kaynak, "Optical Recognition of Handwritten Digits", UCI
        Machine Learning Repository, 1998.
    """
    digits, labels = _mnist_split(split, image_size)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "mnist2sklearn_digits needs scikit-learn: `pip install scikit-learn`."
        ) from None
    small = load_digits()
    small_images = small.images.astype(np.float32) / 16.0
    small_labels = small.target.astype(np.int32)
    in_train = np.zeros(len(small_labels), dtype=bool)
    for digit in np.unique(small_labels):
        members = np.flatnonzero(small_labels == digit)
        in_train[members[: int(len(members) * _SKLEARN_TRAIN_FRACTION)]] = True
    keep = in_train if split == "train" else ~in_train
    upsampled = _resize(small_images[keep], image_size)
    return _to_signed(digits), labels, _to_signed(upsampled), small_labels[keep]


# The synthesis tasks import this module's helpers, so they come last.
from keras_gen.datasets.synthesis_tasks import SEGMENTATION_CLASSES  # noqa: E402
from keras_gen.datasets.synthesis_tasks import STYLE_FACTORS  # noqa: E402
from keras_gen.datasets.synthesis_tasks import digit_skeletons  # noqa: E402
from keras_gen.datasets.synthesis_tasks import digits2styled  # noqa: E402
from keras_gen.datasets.synthesis_tasks import digits_segmentation  # noqa: E402
from keras_gen.datasets.synthesis_tasks import one_hot_label_maps  # noqa: E402
from keras_gen.datasets.synthesis_tasks import render_strokes  # noqa: E402
from keras_gen.datasets.synthesis_tasks import skeletons2digits  # noqa: E402
from keras_gen.datasets.synthesis_tasks import stroke_style  # noqa: E402
from keras_gen.datasets.synthesis_tasks import style_digits  # noqa: E402

__all__ = [
    "SPLITS",
    "SEGMENTATION_CLASSES",
    "STYLE_FACTORS",
    "digit_edges",
    "digit_skeletons",
    "digits2inverted",
    "digits2styled",
    "digits_segmentation",
    "edges2digits",
    "mnist2sklearn_digits",
    "one_hot_label_maps",
    "render_strokes",
    "skeletons2digits",
    "stroke_style",
    "style_digits",
]
