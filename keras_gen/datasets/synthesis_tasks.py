"""Offline tasks for multimodal, style-based and semantic image synthesis, built from the embedded digits.

- `skeletons2digits` (BicycleGAN): one-pixel digit skeletons -> the digit
  drawn along the skeleton with a random stroke width and ink intensity;
  one input has many valid outputs, the hidden style factors are returned.
- `digits2styled` (MUNIT): unpaired grey digits vs. digits of other writers
  drawn in a random foreground colour on a random striped background; the
  style parameters of every domain-B image are returned. `background_colours`,
  `unstyle_digits` and `digit_accuracy` read translations back: the
  background colour, the grey digit, the share a digits classifier gets right.
- `digits_segmentation` (SPADE / GauGAN): label maps of 11 classes
  (background and one class per digit) and the images they came from, one
  digit per canvas or several in a grid.

Every task is pure NumPy (float32 images in [-1, 1], int32 labels and label
maps), reproducible for a `seed`, and uses the embedded MNIST split of
`keras_gen.datasets.mnist.load_data(source="embedded")` (4,000 train /
1,000 test, class-balanced order). They are listed in and re-exported by
`keras_gen.datasets.tasks`.
"""

import numpy as np
from scipy import ndimage

from keras_gen.datasets import mnist
from keras_gen.datasets.tasks import _check_image_size
from keras_gen.datasets.tasks import _check_split
from keras_gen.datasets.tasks import _mnist_split
from keras_gen.datasets.tasks import _resize

SEGMENTATION_CLASSES = 11
STYLE_FACTORS = ("thickness", "intensity")
_REFERENCE_SIZE = 32
_INK = 0.5
# Luminance weights of ITU-R BT.601 (as in PIL's "L" conversion).
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)

# ----------------------------------------------------------------- checks


def _rng(seed):
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"`seed` must be an int (e.g. 0); received {seed!r}.")
    if seed < 0:
        raise ValueError(f"`seed` must be >= 0; received {seed}.")
    return np.random.default_rng(int(seed))


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}; received {value!r}.")
    return int(value)


def _check_range(value, name, low, high):
    """A `(lo, hi)` pair with `low <= lo <= hi <= high`."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a pair (low, high); received {value!r}.") from None
    if not (low <= lo <= hi <= high):
        raise ValueError(
            f"`{name}` must satisfy {low} <= low <= high <= {high}; received {value!r}."
        )
    return lo, hi


def _to_unit(images):
    """`(n, h, w[, c])` in [-1, 1] -> `(n, h, w)` in [0, 1] (channels averaged)."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4:
        images = images.mean(axis=-1)
    if images.ndim != 3:
        raise ValueError(
            "Images must have shape (n, height, width) or (n, height, width, channels); "
            f"received shape {images.shape}."
        )
    return np.clip((images + 1.0) / 2.0, 0.0, 1.0)


# ------------------------------------------------------------- skeletons


def _zhang_suen_pass(image, first):
    padded = np.pad(image, ((0, 0), (1, 1), (1, 1)))
    h, w = image.shape[1:]

    def at(dr, dc):
        return padded[:, 1 + dr : 1 + dr + h, 1 + dc : 1 + dc + w]

    # P2..P9 clockwise from north.
    p = [at(-1, 0), at(-1, 1), at(0, 1), at(1, 1), at(1, 0), at(1, -1), at(0, -1), at(-1, -1)]
    count = sum(q.astype(np.int8) for q in p)
    transitions = sum((~p[i] & p[(i + 1) % 8]).astype(np.int8) for i in range(8))
    p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
    if first:
        side = ~(p2 & p4 & p6) & ~(p4 & p6 & p8)
    else:
        side = ~(p2 & p4 & p8) & ~(p2 & p6 & p8)
    remove = image & (count >= 2) & (count <= 6) & (transitions == 1) & side
    return image & ~remove, remove.any()


def digit_skeletons(images01, threshold=_INK):
    """Returns the one-pixel skeletons of the strokes of `(n, h, w)` images in [0, 1].

    The strokes (pixels above `threshold`) are thinned with the Zhang-Suen
    algorithm (two sub-iterations that peel border pixels whose removal keeps
    the 8-connected topology, repeated until nothing changes), vectorised over
    the batch in NumPy, so the result is the same everywhere and needs no
    scikit-image.

    Args:
        images01: float array `(n, h, w)` in [0, 1] (ink is high).
        threshold: binarisation threshold.

    Returns:
        A boolean array `(n, h, w)`, True on the skeleton (a subset of the
        strokes with the same 8-connected components).

    Example:

    >>> bar = np.zeros((1, 7, 9)); bar[0, 2:5, 1:8] = 1
    >>> keras_gen.datasets.tasks.digit_skeletons(bar)[0].sum(axis=0)  # the middle row
    array([0, 0, 1, 1, 1, 1, 0, 0, 0])

    Reference:
        Zhang and Suen, "A Fast Parallel Algorithm for Thinning Digital
        Patterns", Communications of the ACM 27(3), 1984.
    """
    skeleton = np.asarray(images01) > threshold
    if skeleton.ndim != 3:
        raise ValueError(f"`images01` must have shape (n, h, w); received {skeleton.shape}.")
    changed = True
    while changed:
        skeleton, changed_first = _zhang_suen_pass(skeleton, first=True)
        skeleton, changed_second = _zhang_suen_pass(skeleton, first=False)
        changed = changed_first or changed_second
    return skeleton


def _distance_to(mask):
    """Euclidean distance of every pixel to the nearest True pixel of its own image."""
    # A huge spacing along the batch axis keeps the transform within each image;
    # an image without True pixels gets distances >= the spacing.
    return ndimage.distance_transform_edt(~mask, sampling=(1e6, 1.0, 1.0))


def render_strokes(skeletons, thickness, intensity):
    """Draws skeletons as anti-aliased strokes of a given width and ink intensity.

    A pixel at distance `d` from the skeleton gets coverage
    `clip(thickness / 2 + 0.5 - d, 0, 1)` and value `intensity * coverage`
    in [0, 1] (black background), returned in [-1, 1]. The ink summed across
    a straight stroke equals `thickness` exactly: width 1 is the skeleton
    itself, width 3 three full pixels, width 2 one full pixel and two halves.

    Args:
        skeletons: boolean `(n, h, w)` (or `(n, h, w, 1)`, or float images in
            [-1, 1] whose positive pixels are the skeleton).
        thickness: stroke width in pixels, a scalar or `(n,)`.
        intensity: ink value in (0, 1] (1 = white), a scalar or `(n,)`.

    Returns:
        float32 `(n, h, w, 1)` in [-1, 1].

    Example:

    >>> skeletons, _ = keras_gen.datasets.tasks.skeletons2digits("test")
    >>> thin = keras_gen.datasets.tasks.render_strokes(skeletons[:4], 1.5, 0.6)
    >>> bold = keras_gen.datasets.tasks.render_strokes(skeletons[:4], 4.0, 1.0)
    """
    skeletons = np.asarray(skeletons)
    if skeletons.ndim == 4 and skeletons.shape[-1] == 1:
        skeletons = skeletons[..., 0]
    if skeletons.ndim != 3:
        raise ValueError(
            f"`skeletons` must have shape (n, h, w) or (n, h, w, 1); received {skeletons.shape}."
        )
    if skeletons.dtype != bool:
        skeletons = skeletons > 0
    n = len(skeletons)
    thickness = np.broadcast_to(np.asarray(thickness, dtype=np.float64), (n,))
    intensity = np.broadcast_to(np.asarray(intensity, dtype=np.float64), (n,))
    if np.any(thickness <= 0) or not np.all(np.isfinite(thickness)):
        raise ValueError("`thickness` must be > 0 and finite.")
    if np.any(intensity <= 0) or np.any(intensity > 1):
        raise ValueError("`intensity` must be in (0, 1].")
    distance = _distance_to(skeletons)
    coverage = np.clip(thickness[:, None, None] / 2.0 + 0.5 - distance, 0.0, 1.0)
    ink = intensity[:, None, None] * coverage
    return (ink[..., None] * 2.0 - 1.0).astype(np.float32)


def stroke_style(images, threshold=0.2):
    """Estimates the stroke width and ink intensity of white-on-black digit images.

    The inverse of `render_strokes`, used to check that a model's outputs
    vary along the factors of `skeletons2digits`:

    - intensity: the 95th percentile of the values (in [0, 1]) of the ink
      pixels, those above `threshold`; exact for rendered strokes, whose
      full-coverage pixels are well over 5% of the ink;
    - thickness: the ink summed over the image, divided by the intensity and
      by the length of the strokes, counted as the pixels of the skeleton of
      the ink binarised at half the intensity. Exact for straight horizontal
      or vertical strokes; diagonal strokes read up to ~1.4x wider, so the
      estimate ranks widths consistently rather than measuring them exactly.

    Args:
        images: `(n, h, w)` or `(n, h, w, c)` in [-1, 1] (channels averaged).
        threshold: the ink threshold in [0, 1].

    Returns:
        `{"thickness": (n,), "intensity": (n,)}` float64; NaN for an image
        without ink.

    Example:

    >>> _, digits, style = keras_gen.datasets.tasks.skeletons2digits(
    ...     "test", return_style=True)
    >>> measured = keras_gen.datasets.tasks.stroke_style(digits)
    """
    values = _to_unit(images)
    n = len(values)
    intensity = np.full(n, np.nan)
    for i in range(n):
        ink = values[i][values[i] > threshold]
        if ink.size:
            intensity[i] = np.percentile(ink, 95)
    safe = np.where(np.isnan(intensity), np.inf, intensity)
    length = digit_skeletons(values / safe[:, None, None], threshold=0.5).sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        thickness = values.sum(axis=(1, 2)) / intensity / length
    thickness[length == 0] = np.nan
    return {"thickness": thickness, "intensity": intensity}


def skeletons2digits(
    split="train",
    image_size=32,
    styles_per_digit=1,
    thickness_range=None,
    intensity_range=(0.4, 1.0),
    seed=0,
    return_style=False,
):
    """A multimodal paired task: digit skeletons (inputs) and digits drawn along them in random styles.

    Construction: the embedded MNIST digits of `split` are padded 28 -> 32
    (resized when `image_size` is not 32) and binarised at 0.5; their strokes
    are thinned to one-pixel skeletons (`digit_skeletons`, Zhang-Suen). Input
    `a` is the skeleton, +1 on the skeleton and -1 elsewhere. Target `b` is the
    skeleton redrawn by `render_strokes` with two hidden style factors drawn
    independently and uniformly per pair:

    - `thickness`: the stroke width in pixels, in `thickness_range`
      (default `(1.0, 4.0)` at 32x32, scaled by `image_size / 32`);
    - `intensity`: the ink value in [0, 1] (background is 0), in
      `intensity_range`; in [-1, 1] the ink is `2 * intensity - 1`.

    The multimodality is in the data: the input fixes the digit's shape, and
    every width and intensity is a valid output (`styles_per_digit > 1`
    repeats each skeleton with independent styles, so one input has several
    targets in the set). The styles are returned with `return_style=True`,
    and `stroke_style` measures them on any image, e.g. a model's outputs
    for several latent codes.

    Args:
        split: `"train"` (4,000 digits) or `"test"` (1,000).
        image_size: side of the square images (32 by default; >= 8).
        styles_per_digit: targets per skeleton (>= 1). Pair `s * n_digits + i`
            is digit `i` of the split in its `s`-th style, so the first
            `n_digits` pairs keep the split's class-balanced order.
        thickness_range: `(low, high)` stroke widths in pixels of the
            returned images, `0 < low <= high`; `None` for the default.
        intensity_range: `(low, high)` ink intensities, `0 < low <= high <= 1`.
        seed: int seed of the style draws.
        return_style: also return the style dict.

    Returns:
        `(skeletons, digits)`, float32 `(n, image_size, image_size, 1)` in
        [-1, 1] with `n = styles_per_digit * n_digits`, aligned;
        with `return_style=True`, `(skeletons, digits, style)` where `style`
        holds `"thickness"` and `"intensity"` (float32 `(n,)`), `"labels"`
        (int32 `(n,)`, the digit classes) and `"source_index"` (int32 `(n,)`,
        the digit's index in the split: pairs with the same index share their
        input).

    Example:

    >>> a, b, style = keras_gen.datasets.skeletons2digits(
    ...     "train", styles_per_digit=2, return_style=True)
    >>> a.shape, b.shape, style["thickness"].shape
    ((8000, 32, 32, 1), (8000, 32, 32, 1), (8000,))
    >>> bool(np.all(a[:4000] == a[4000:]))  # same inputs, other styles
    True

    Reference:
        Zhu et al., "Toward Multimodal Image-to-Image Translation", NeurIPS
        2017 (https://arxiv.org/abs/1711.11586) (BicycleGAN, edges2shoes).
    """
    styles_per_digit = _check_positive_int(styles_per_digit, "styles_per_digit")
    _check_image_size(image_size)
    if thickness_range is None:
        scale = image_size / _REFERENCE_SIZE
        thickness_range = (1.0 * scale, 4.0 * scale)
    low, high = _check_range(thickness_range, "thickness_range", 0.0, np.inf)
    if low <= 0:
        raise ValueError(f"`thickness_range` must be > 0; received {thickness_range!r}.")
    intensity_low, intensity_high = _check_range(intensity_range, "intensity_range", 0.0, 1.0)
    if intensity_low <= 0:
        raise ValueError(f"`intensity_range` must be > 0; received {intensity_range!r}.")
    rng = _rng(seed)
    digits, labels = _mnist_split(split, image_size)
    skeletons = digit_skeletons(digits)
    n = len(digits)
    thickness = rng.uniform(low, high, styles_per_digit * n)
    intensity = rng.uniform(intensity_low, intensity_high, styles_per_digit * n)
    index = np.tile(np.arange(n), styles_per_digit)
    # The distance map is shared by every style of a skeleton.
    distance = _distance_to(skeletons)[index]
    coverage = np.clip(thickness[:, None, None] / 2.0 + 0.5 - distance, 0.0, 1.0)
    targets = ((intensity[:, None, None] * coverage)[..., None] * 2.0 - 1.0).astype(np.float32)
    inputs = np.where(skeletons, 1.0, -1.0).astype(np.float32)[index][..., None]
    if not return_style:
        return inputs, targets
    style = {
        "thickness": thickness.astype(np.float32),
        "intensity": intensity.astype(np.float32),
        "labels": labels[index].astype(np.int32),
        "source_index": index.astype(np.int32),
    }
    return inputs, targets, style


# ---------------------------------------------------------------- styled


def _luma(colours):
    return np.asarray(colours, dtype=np.float64) @ _LUMA


def _draw_colours(rng, n, min_contrast):
    """Foreground, background and stripe colours whose luminance differs from the foreground's.

    The background and the stripe colour lie on the same side of the
    foreground in luminance, both at least `min_contrast` away, so every
    mixture of them contrasts with the ink by `min_contrast` too.
    """
    foreground = np.empty((n, 3))
    background = np.empty((n, 3))
    stripes = np.empty((n, 3))
    todo = np.arange(n)
    while todo.size:
        f, b, s = (rng.uniform(0.0, 1.0, (todo.size, 3)) for _ in range(3))
        db, ds = _luma(b) - _luma(f), _luma(s) - _luma(f)
        ok = (np.abs(db) >= min_contrast) & (np.abs(ds) >= min_contrast) & (db * ds > 0)
        foreground[todo[ok]], background[todo[ok]], stripes[todo[ok]] = f[ok], b[ok], s[ok]
        todo = todo[~ok]
    return foreground, background, stripes


def style_digits(digits, style):
    """Renders white-on-black digits in the colour-and-stripe styles of `digits2styled`.

    Pixel value, with `m` the digit's ink in [0, 1] (the grey value):
    `m * foreground + (1 - m) * texture`, where the texture mixes the
    background colour with the stripe colour by
    `stripe_amplitude * (0.5 + 0.5 * sin(2 pi (x cos(angle) + y sin(angle)) / stripe_period + stripe_phase))`
    (`x` the column, `y` the row, in pixels). Colours are RGB in [0, 1]; the
    result is scaled to [-1, 1].

    Use it to make the ground truth of an example-guided translation: a
    domain-A digit in the style of a domain-B image is
    `style_digits(a, {key: value[j:j+1] ...})`.

    Args:
        digits: `(n, h, w)` or `(n, h, w, c)` in [-1, 1], white on black
            (channels averaged: domain A of `digits2styled` works as it is).
        style: a dict with `"foreground"`, `"background"`, `"stripe_colour"`
            (`(n, 3)` or `(3,)`) and `"stripe_angle"`, `"stripe_period"`,
            `"stripe_phase"`, `"stripe_amplitude"` (`(n,)` or scalars).

    Returns:
        float32 `(n, h, w, 3)` in [-1, 1].

    Example:

    >>> a, _, b, _, style_b = keras_gen.datasets.digits2styled("test", return_style=True)
    >>> one_style = {key: value[:1] for key, value in style_b.items()}  # b[0]'s style
    >>> a_as_b0 = keras_gen.datasets.tasks.style_digits(a[:8], one_style)
    """
    ink = _to_unit(digits)
    n, h, w = ink.shape
    required = ("foreground", "background", "stripe_colour", "stripe_angle",
                "stripe_period", "stripe_phase", "stripe_amplitude")
    missing = [key for key in required if key not in style]
    if missing:
        raise ValueError(f"`style` lacks the keys {missing}; it needs {list(required)}.")

    def colour(key):
        value = np.asarray(style[key], dtype=np.float64)
        if value.shape not in ((3,), (1, 3), (n, 3)):
            raise ValueError(f"`style[{key!r}]` must have shape (3,), (1, 3) or ({n}, 3); received {value.shape}.")
        return np.broadcast_to(value.reshape(-1, 3), (n, 3))[:, None, None, :]

    def scalar(key):
        value = np.asarray(style[key], dtype=np.float64).reshape(-1)
        if value.shape not in ((1,), (n,)):
            raise ValueError(f"`style[{key!r}]` must be a scalar or have shape ({n},); received {value.shape}.")
        return np.broadcast_to(value, (n,))[:, None, None]

    period = scalar("stripe_period")
    if np.any(period <= 0):
        raise ValueError("`style['stripe_period']` must be > 0.")
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    angle = scalar("stripe_angle")
    position = cols * np.cos(angle) + rows * np.sin(angle)
    wave = 0.5 + 0.5 * np.sin(2.0 * np.pi * position / period + scalar("stripe_phase"))
    mix = (np.clip(scalar("stripe_amplitude"), 0.0, 1.0) * wave)[..., None]
    texture = (1.0 - mix) * colour("background") + mix * colour("stripe_colour")
    image = ink[..., None] * colour("foreground") + (1.0 - ink[..., None]) * texture
    return (np.clip(image, 0.0, 1.0) * 2.0 - 1.0).astype(np.float32)


def digits2styled(
    split="train",
    image_size=32,
    min_contrast=0.35,
    stripes=True,
    period_range=None,
    seed=0,
    return_style=False,
):
    """An unpaired task with a real style factor: grey digits vs. colour-and-texture styled digits.

    Construction: the embedded MNIST digits of `split` (padded 28 -> 32,
    resized when `image_size` is not 32) are divided per class by their rank
    in the split's order, as in `digits2inverted`: even ranks form domain A,
    odd ranks domain B, so no B image shows an A digit (2,000 / 2,000 train,
    500 / 500 test, 10 classes balanced).

    - Domain A: the plain digits, white on black, repeated to 3 channels (R =
      G = B).
    - Domain B: each digit drawn by `style_digits` in its own random style:
      RGB foreground (ink) colour, background colour and stripe colour
      uniform in [0, 1]^3, redrawn until the background and stripe colours
      both differ in luminance (BT.601) from the foreground by at least
      `min_contrast`, on the same side, so the digit stays legible; sinusoidal
      stripes mixing the stripe colour into the background with amplitude
      uniform in [0, 1], angle in [0, pi), phase in [0, 2 pi), period in
      `period_range` pixels (default `(3, 8)` at 32x32, scaled by
      `image_size / 32`). With `stripes=False` the amplitude is 0 (flat
      backgrounds: a colour-only style).

    The content (which digit, its shape) is shared by the domains and the
    style (colours and texture) belongs to B alone, as in MUNIT's
    decomposition; `style_digits` renders any A digit in any B style, the
    ground truth of example-guided translation.

    Args:
        split: `"train"` or `"test"`.
        image_size: side of the square images (32 by default; >= 8).
        min_contrast: least luminance difference, in [0, 0.5].
        stripes: draw striped backgrounds.
        period_range: `(low, high)` stripe periods in pixels, `low >= 2`.
        seed: int seed of the style draws (domain A does not depend on it).
        return_style: also return domain B's style parameters.

    Returns:
        `(domain_a, labels_a, domain_b, labels_b)`: images float32
        `(n, image_size, image_size, 3)` in [-1, 1], labels int32 `(n,)`;
        with `return_style=True` a fifth element, `style_b`: a dict of
        float32 arrays with one row per B image, `"foreground"`,
        `"background"`, `"stripe_colour"` `(n, 3)` RGB in [0, 1] and
        `"stripe_angle"` (radians), `"stripe_period"` (pixels),
        `"stripe_phase"` (radians), `"stripe_amplitude"` `(n,)`.

    Example:

    >>> a, labels_a, b, labels_b, style_b = keras_gen.datasets.digits2styled(
    ...     "train", return_style=True)
    >>> a.shape, b.shape, style_b["foreground"].shape
    ((2000, 32, 32, 3), (2000, 32, 32, 3), (2000, 3))

    Reference:
        Huang et al., "Multimodal Unsupervised Image-to-Image Translation",
        ECCV 2018 (https://arxiv.org/abs/1804.04732).
    """
    _check_image_size(image_size)
    try:
        min_contrast = float(min_contrast)
    except (TypeError, ValueError):
        raise ValueError(f"`min_contrast` must be a number in [0, 0.5]; received {min_contrast!r}.") from None
    if not 0.0 <= min_contrast <= 0.5:
        raise ValueError(f"`min_contrast` must be in [0, 0.5]; received {min_contrast}.")
    if not isinstance(stripes, bool):
        raise ValueError(f"`stripes` must be True or False; received {stripes!r}.")
    if period_range is None:
        scale = image_size / _REFERENCE_SIZE
        period_range = (max(2.0, 3.0 * scale), max(2.0, 8.0 * scale))
    period_low, period_high = _check_range(period_range, "period_range", 2.0, np.inf)
    rng = _rng(seed)
    digits, labels = _mnist_split(split, image_size)
    rank = np.zeros(len(labels), dtype=np.int64)
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        rank[members] = np.arange(len(members))
    in_a = rank % 2 == 0
    n_b = int((~in_a).sum())
    foreground, background, stripe_colour = _draw_colours(rng, n_b, min_contrast)
    style = {
        "foreground": foreground,
        "background": background,
        "stripe_colour": stripe_colour,
        "stripe_angle": rng.uniform(0.0, np.pi, n_b),
        "stripe_period": rng.uniform(period_low, period_high, n_b),
        "stripe_phase": rng.uniform(0.0, 2.0 * np.pi, n_b),
        "stripe_amplitude": rng.uniform(0.0, 1.0, n_b) if stripes else np.zeros(n_b),
    }
    style = {key: value.astype(np.float32) for key, value in style.items()}
    domain_a = np.repeat(digits[in_a][..., None] * 2.0 - 1.0, 3, axis=-1).astype(np.float32)
    domain_b = style_digits(digits[~in_a] * 2.0 - 1.0, style)
    result = (domain_a, labels[in_a], domain_b, labels[~in_a])
    return result + (style,) if return_style else result


# ------------------------------------------------- undoing digits2styled


_FRAME = 2  # pixels of the border that `background_colours` averages


def background_colours(images):
    """Estimates the background colour of each image: the mean RGB of its two-pixel frame.

    The digits of `digits2styled` (as of every task built from the padded
    MNIST digits) leave the border of the image blank, so the frame shows
    only the background: for flat backgrounds (`stripes=False`) its mean is
    the style's `"background"` colour, in [-1, 1]; for striped ones the
    average of the stripes crossing the frame.

    Args:
        images: `(n, h, w, c)` images (any range), `h, w > 4`.

    Returns:
        `(n, c)`, the mean of each image's outer two rows and columns.

    Example:

    >>> _, _, b, _, style_b = keras_gen.datasets.digits2styled(
    ...     "test", image_size=16, stripes=False, return_style=True)
    >>> colours = keras_gen.datasets.background_colours(b)  # ~ 2 * style_b["background"] - 1
    """
    images = np.asarray(images)
    if images.ndim != 4 or min(images.shape[1:3]) <= 2 * _FRAME:
        raise ValueError(
            f"`images` must have shape (n, h, w, channels) with h, w > {2 * _FRAME}; "
            f"received shape {images.shape}."
        )
    frame = np.ones(images.shape[1:3], bool)
    frame[_FRAME:-_FRAME, _FRAME:-_FRAME] = False
    return images[:, frame].mean(axis=1)


def unstyle_digits(styled):
    """Turns coloured digits back into grey white-on-black digits: the inverse of `style_digits`.

    Each pixel's ink is the distance of its luminance (ITU-R BT.601) from
    the luminance of the image's background (`background_colours`), divided
    by the image's largest distance (the ink scaled to a full [0, 1] range
    per image) and returned in [-1, 1]. For a digit of `digits2styled` with
    a flat background (`stripes=False`) whose ink reaches 1 this is exactly
    the grey digit it was drawn from: with ink `m`, the luminance is
    `m * luma(foreground) + (1 - m) * luma(background)`, at distance
    `m * |luma(foreground) - luma(background)|` from the background's.
    Use it to read coloured translations (e.g. MUNIT's A -> B) with a digits
    classifier (`digit_accuracy`).

    Args:
        styled: `(n, h, w, 3)` RGB images in [-1, 1], `h, w > 4`.

    Returns:
        `(n, h, w, 1)` grey digits in [-1, 1] (float32 for float32 input).

    Example:

    >>> a, _, b, _ = keras_gen.datasets.digits2styled("test", image_size=16, stripes=False)
    >>> grey = keras_gen.datasets.unstyle_digits(b)  # (500, 16, 16, 1), white on black
    """
    styled = np.asarray(styled)
    if styled.ndim != 4 or styled.shape[-1] != 3:
        raise ValueError(f"`styled` must have shape (n, h, w, 3); received shape {styled.shape}.")
    luma = _LUMA.astype(np.float32)
    ink = np.abs(styled @ luma - (background_colours(styled) @ luma)[:, None, None])
    ink = ink / np.maximum(ink.max(axis=(1, 2), keepdims=True), 1e-6)
    return ink[..., None] * 2.0 - 1.0


def digit_accuracy(classifier, digits, labels):
    """The fraction of grey digit images that a digits classifier assigns to their class.

    The digits of these tasks were padded 28 -> 32 before being resized to
    `image_size` (`h`); the padding (`h // 16` pixels on each side) is
    cropped away first, so the classifier sees the framing of MNIST's 28x28
    digits it was trained on.

    Args:
        classifier: the classifier, an object whose `probabilities(images)`
            returns `(n, num_classes)` class probabilities, e.g.
            `keras_gen.metrics.get_feature_extractor("digits")`.
        digits: `(n, h, w, 1)` white-on-black digits in [-1, 1] (for coloured
            ones, pass `unstyle_digits(images)`).
        labels: `(n,)` int classes.

    Returns:
        The accuracy, a float in [0, 1] (chance is 0.1 for ten classes).

    Example:

    >>> a, labels_a, b, labels_b = keras_gen.datasets.digits2styled("test", image_size=16)
    >>> classifier = keras_gen.metrics.get_feature_extractor("digits")
    >>> keras_gen.datasets.digit_accuracy(classifier, a[..., :1], labels_a)  # real digits
    >>> keras_gen.datasets.digit_accuracy(
    ...     classifier, keras_gen.datasets.unstyle_digits(b), labels_b)
    """
    if not callable(getattr(classifier, "probabilities", None)):
        raise ValueError(
            "`classifier` must have a `probabilities(images)` method, e.g. "
            f"keras_gen.metrics.get_feature_extractor('digits'); received {classifier!r}."
        )
    digits = np.asarray(digits)
    labels = np.asarray(labels)
    if digits.ndim != 4 or len(digits) != len(labels):
        raise ValueError(
            "`digits` must have shape (n, h, w, channels) and `labels` shape (n,); received "
            f"shapes {digits.shape} and {labels.shape}."
        )
    border = digits.shape[1] // 16
    if border:
        digits = digits[:, border:-border, border:-border]
    probabilities = np.asarray(classifier.probabilities(digits))
    return float(np.mean(probabilities.argmax(axis=1) == labels))


# ----------------------------------------------------------- segmentation


def one_hot_label_maps(label_maps, num_classes=SEGMENTATION_CLASSES):
    """One-hot encodes integer label maps: `(n, h, w)` -> float32 `(n, h, w, num_classes)`.

    Args:
        label_maps: integer class ids in `[0, num_classes)`.
        num_classes: number of classes (11 for `digits_segmentation`).

    Returns:
        float32 `(..., num_classes)`, 1 at the pixel's class and 0 elsewhere:
        the `segmap` input of SPADE.

    Example:

    >>> keras_gen.datasets.one_hot_label_maps(np.array([[[0, 3]]]))[0, 0, 1, :4]
    array([0., 0., 0., 1.], dtype=float32)
    """
    num_classes = _check_positive_int(num_classes, "num_classes")
    label_maps = np.asarray(label_maps)
    if not np.issubdtype(label_maps.dtype, np.integer):
        if label_maps.size and not np.all(label_maps == np.round(label_maps)):
            raise ValueError("`label_maps` must hold integer class ids.")
        label_maps = label_maps.astype(np.int64)
    if label_maps.size and (label_maps.min() < 0 or label_maps.max() >= num_classes):
        raise ValueError(
            f"`label_maps` must hold class ids in [0, {num_classes}); received values in "
            f"[{label_maps.min()}, {label_maps.max()}]."
        )
    return np.eye(num_classes, dtype=np.float32)[label_maps]


def digits_segmentation(
    split="train",
    image_size=28,
    digits_per_side=None,
    num_images=None,
    seed=0,
    return_layout=False,
):
    """Semantic synthesis data: 11-class label maps of digits and the images they came from.

    Layout: the canvas is a `digits_per_side x digits_per_side` grid of
    square cells of side `cell = image_size // digits_per_side` (leftover
    pixels stay on the bottom and right). Each cell holds one embedded MNIST
    digit at its native 28x28 (resized bilinearly to `cell` when the cell is
    smaller), at a random offset inside the cell when the cell is larger
    (e.g. up to 4 pixels in a 32-pixel cell). Digits never overlap. The
    default is one digit for `image_size < 56` and a 2x2 grid from 56 up
    (56x56: four 28x28 cells).

    Label map: 0 on the background and `1 + d` on the stroke pixels of a
    digit of class `d`, strokes being the pixels whose grey value is above
    0.5, so `label_map > 0` is exactly `image > 0`. The image is the
    grey digit scaled to [-1, 1]: its faint anti-aliased border pixels (grey
    value up to 0.5) lie on background labels, the detail that SPADE must
    synthesise beyond the map.

    Digits go to canvases in the order of a seeded permutation of the split,
    one pass per `len(split) // digits_per_side**2` canvases, a new
    permutation for each further pass (so canvases can outnumber the split's
    digits, with new combinations).

    Args:
        split: `"train"` (4,000 digits) or `"test"` (1,000).
        image_size: canvas side (28 by default; >= 8, and each cell >= 8).
        digits_per_side: digits per row and column; `None` for 1 below 56
            and 2 from 56 up.
        num_images: number of canvases; `None` for one pass over the split
            (`len(split) // digits_per_side**2`).
        seed: int seed of the digit order and of the offsets.
        return_layout: also return the layout dict.

    Returns:
        `(images, label_maps)`: images float32 `(n, image_size, image_size, 1)`
        in [-1, 1], label maps int32 `(n, image_size, image_size)` with values
        in 0..10 (one-hot them with `one_hot_label_maps`); with
        `return_layout=True` a third element, a dict with `"labels"` (int32
        `(n, k)`, the class of each cell's digit, `k = digits_per_side**2`,
        cells in row-major order) and `"boxes"` (int32 `(n, k, 4)`, each
        digit's `(top, left, bottom, right)`, bottom and right exclusive).

    Example:

    >>> images, label_maps = keras_gen.datasets.digits_segmentation("train", image_size=56)
    >>> images.shape, label_maps.shape
    ((1000, 56, 56, 1), (1000, 56, 56))
    >>> segmaps = keras_gen.datasets.one_hot_label_maps(label_maps)  # (1000, 56, 56, 11)

    Reference:
        Park et al., "Semantic Image Synthesis with Spatially-Adaptive
        Normalization", CVPR 2019 (https://arxiv.org/abs/1903.07291).
    """
    _check_split(split)
    _check_image_size(image_size)
    if digits_per_side is None:
        digits_per_side = 1 if image_size < 56 else 2
    digits_per_side = _check_positive_int(digits_per_side, "digits_per_side")
    cell = image_size // digits_per_side
    if cell < 8:
        raise ValueError(
            f"Each cell must be >= 8 pixels: image_size {image_size} // digits_per_side "
            f"{digits_per_side} = {cell}. Use fewer digits per side or a larger image."
        )
    rng = _rng(seed)
    train, test = mnist.load_data(source="embedded")
    source, source_labels = train if split == "train" else test
    source = source.astype(np.float32) / 255.0
    digit_size = min(cell, source.shape[1])
    source = _resize(source, digit_size)
    per_canvas = digits_per_side**2
    per_pass = len(source) // per_canvas
    if num_images is None:
        num_images = per_pass
    num_images = _check_positive_int(num_images, "num_images")
    passes = -(-num_images // per_pass)
    order = np.concatenate([rng.permutation(len(source))[: per_pass * per_canvas] for _ in range(passes)])
    order = order[: num_images * per_canvas].reshape(num_images, per_canvas)
    offsets = rng.integers(0, cell - digit_size + 1, size=(num_images, per_canvas, 2))
    canvas = np.zeros((num_images, image_size, image_size), dtype=np.float32)
    label_maps = np.zeros((num_images, image_size, image_size), dtype=np.int32)
    boxes = np.zeros((num_images, per_canvas, 4), dtype=np.int32)
    for k in range(per_canvas):
        row, col = divmod(k, digits_per_side)
        for i in range(num_images):
            top = row * cell + offsets[i, k, 0]
            left = col * cell + offsets[i, k, 1]
            boxes[i, k] = (top, left, top + digit_size, left + digit_size)
        digits = source[order[:, k]]
        labels = source_labels[order[:, k]].astype(np.int32)
        for i in range(num_images):
            top, left, bottom, right = boxes[i, k]
            canvas[i, top:bottom, left:right] = digits[i]
            label_maps[i, top:bottom, left:right] = np.where(digits[i] > _INK, 1 + labels[i], 0)
    images = (canvas[..., None] * 2.0 - 1.0).astype(np.float32)
    if not return_layout:
        return images, label_maps
    layout = {"labels": source_labels[order].astype(np.int32), "boxes": boxes}
    return images, label_maps, layout
