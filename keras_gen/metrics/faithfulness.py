"""Faithfulness of semantic image synthesis: does a synthesized image show what its label map says?

SPADE (Park et al. 2019) runs a pretrained segmentation network on the
synthesized images and scores its predictions against the input label maps
with mean IoU and pixel accuracy. Here the pure scores are `mean_iou`,
`per_class_iou` and `per_class_accuracy` (NumPy on integer maps), and
`segmentation_faithfulness` produces the predicted maps either with a
segmenter you give or, offline, from the shipped digits classifier applied
to each digit region of the label maps.
"""

import keras
import numpy as np
from scipy import ndimage

DIGIT_CLASSES = 11
_MNIST_BOX = 20
_MNIST_SIZE = 28


def _as_maps(maps, name):
    maps = np.asarray(keras.ops.convert_to_numpy(maps))
    if not np.issubdtype(maps.dtype, np.integer):
        if maps.size and not np.all(maps == np.round(maps)):
            raise ValueError(f"`{name}` must hold integer class ids; received {maps.dtype} values.")
        maps = maps.astype(np.int64)
    return maps


def confusion_matrix(predicted_maps, label_maps, num_classes):
    """Counts of (true class, predicted class) pixels: int64 `(num_classes, num_classes + 1)`.

    Row `t`, column `p` counts the pixels of true class `t` predicted as `p`;
    the last column counts predictions outside `[0, num_classes)` (always
    wrong). Pixels whose true label is outside `[0, num_classes)` are
    ignored (e.g. 255 for "void").

    Args:
        predicted_maps: integer maps, any shape.
        label_maps: integer maps of the same shape.
        num_classes: number of classes.

    Returns:
        The int64 confusion matrix.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"`num_classes` must be an int >= 1; received {num_classes!r}.")
    predicted = _as_maps(predicted_maps, "predicted_maps")
    truth = _as_maps(label_maps, "label_maps")
    if predicted.shape != truth.shape:
        raise ValueError(
            f"`predicted_maps` and `label_maps` must have the same shape; received "
            f"{predicted.shape} and {truth.shape}."
        )
    predicted, truth = predicted.reshape(-1), truth.reshape(-1)
    valid = (truth >= 0) & (truth < num_classes)
    predicted = np.where((predicted >= 0) & (predicted < num_classes), predicted, num_classes)
    index = truth[valid].astype(np.int64) * (num_classes + 1) + predicted[valid]
    counts = np.bincount(index, minlength=num_classes * (num_classes + 1))
    return counts.reshape(num_classes, num_classes + 1)


def per_class_iou(predicted_maps, label_maps, num_classes):
    """Intersection over union of every class: float64 `(num_classes,)`.

    `IoU_c = TP_c / (TP_c + FP_c + FN_c)` over all pixels of all maps; NaN
    for a class that appears in neither the labels nor the predictions.

    Args:
        predicted_maps: integer maps, any shape.
        label_maps: integer maps of the same shape.
        num_classes: number of classes.

    Returns:
        float64 `(num_classes,)`.
    """
    matrix = confusion_matrix(predicted_maps, label_maps, num_classes)
    true_positive = np.diag(matrix[:, :num_classes]).astype(np.float64)
    false_negative = matrix.sum(axis=1) - true_positive
    false_positive = matrix[:, :num_classes].sum(axis=0) - true_positive
    union = true_positive + false_negative + false_positive
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, true_positive / union, np.nan)


def mean_iou(predicted_maps, label_maps, num_classes, ignore_background=True):
    """Mean intersection over union of the classes present in the labels or the predictions.

    The per-class IoUs of `per_class_iou` averaged over the classes that
    appear (NaNs skipped), without class 0 when `ignore_background` is True
    (the foreground classes, as for the digit maps). NaN when no class is
    left.

    Args:
        predicted_maps: integer class maps, e.g. `(n, h, w)`.
        label_maps: integer class maps of the same shape.
        num_classes: number of classes, including the background.
        ignore_background: leave class 0 out of the mean.

    Returns:
        A float.

    Example:

    >>> truth = np.array([[0, 1, 1, 2]])
    >>> # class 1: 1 of 2 pixels found, no false positive -> 1/2;
    >>> # class 2: 1 pixel found, 1 false positive -> 1/2.
    >>> keras_gen.metrics.mean_iou(np.array([[0, 1, 2, 2]]), truth, num_classes=3)
    0.5
    """
    iou = per_class_iou(predicted_maps, label_maps, num_classes)
    if ignore_background:
        iou = iou[1:]
    if not np.any(np.isfinite(iou)):
        return float("nan")
    return float(np.nanmean(iou))


def per_class_accuracy(predicted_maps, label_maps, num_classes):
    """Fraction of each class's pixels predicted as that class (recall): float64 `(num_classes,)`.

    NaN for a class absent from the labels.

    Args:
        predicted_maps: integer maps, any shape.
        label_maps: integer maps of the same shape.
        num_classes: number of classes.

    Returns:
        float64 `(num_classes,)`.

    Example:

    >>> keras_gen.metrics.per_class_accuracy(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]), 3)
    array([1. , 0.5, 1. ])
    """
    matrix = confusion_matrix(predicted_maps, label_maps, num_classes)
    total = matrix.sum(axis=1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, np.diag(matrix[:, :num_classes]) / total, np.nan)


# ----------------------------------------------------------- digit regions


def _grey(images):
    """`(n, h, w[, c])` in [-1, 1] (or uint8) -> `(n, h, w)` in [-1, 1], channels averaged."""
    images = keras.ops.convert_to_numpy(images) if not isinstance(images, np.ndarray) else images
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float64) / 127.5 - 1.0
    images = images.astype(np.float64)
    if images.ndim == 4:
        images = images.mean(axis=-1)
    if images.ndim != 3:
        raise ValueError(
            "`images` must have shape (n, height, width) or (n, height, width, channels); "
            f"received shape {images.shape}."
        )
    return images


def _digit_regions(label_map, margin, num_classes):
    """Yields `(class, region mask, stroke mask)` for each digit region of one map."""
    structure = np.ones((3, 3), dtype=bool)
    for cls in range(1, num_classes):
        strokes = label_map == cls
        if not strokes.any():
            continue
        grown = ndimage.binary_dilation(strokes, structure=structure, iterations=margin) if margin else strokes
        components, count = ndimage.label(grown, structure=structure)
        for index in range(1, count + 1):
            region = components == index
            yield cls, region, strokes & region


def _mnist_crop(values01, region, strokes):
    """The region of an image normalised as MNIST: box scaled to 20 px, centred by mass in 28x28."""
    rows, cols = np.nonzero(region)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    crop = np.where(region, values01, 0.0)[top:bottom, left:right]
    stroke_rows, stroke_cols = np.nonzero(strokes)
    side = max(stroke_rows.max() - stroke_rows.min() + 1, stroke_cols.max() - stroke_cols.min() + 1)
    factor = _MNIST_BOX / side
    if abs(factor - 1.0) > 1e-6:
        crop = np.clip(ndimage.zoom(crop, factor, order=1), 0.0, 1.0)
    out = np.zeros((_MNIST_SIZE, _MNIST_SIZE))
    mass = crop.sum()
    if mass <= 0:
        return out
    centre_r, centre_c = ndimage.center_of_mass(crop)
    shift_r = int(round(_MNIST_SIZE / 2 - 0.5 - centre_r))
    shift_c = int(round(_MNIST_SIZE / 2 - 0.5 - centre_c))
    h, w = crop.shape
    src_r0, src_c0 = max(0, -shift_r), max(0, -shift_c)
    dst_r0, dst_c0 = max(0, shift_r), max(0, shift_c)
    rows_n = min(h - src_r0, _MNIST_SIZE - dst_r0)
    cols_n = min(w - src_c0, _MNIST_SIZE - dst_c0)
    if rows_n > 0 and cols_n > 0:
        out[dst_r0 : dst_r0 + rows_n, dst_c0 : dst_c0 + cols_n] = crop[
            src_r0 : src_r0 + rows_n, src_c0 : src_c0 + cols_n
        ]
    return out


def _classify_regions(images, label_maps, classifier, weights, margin, ink_threshold, num_classes):
    """The default segmenter: predicted maps from ink + the digits classifier on each region."""
    from keras_gen.metrics.feature_extractors import get_feature_extractor

    grey = _grey(images)
    values01 = np.clip((grey + 1.0) / 2.0, 0.0, 1.0)
    ink = grey > ink_threshold
    crops, owners = [], []
    region_ids = np.zeros(label_maps.shape, dtype=np.int64)  # 0: no region
    for i in range(len(label_maps)):
        for cls, region, strokes in _digit_regions(label_maps[i], margin, num_classes):
            crops.append(_mnist_crop(values01[i], region, strokes))
            owners.append((i, cls))
            region_ids[i][region & (region_ids[i] == 0)] = len(owners)
    if not owners:
        predicted = np.where(ink, num_classes, 0)
        return predicted, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    extractor = get_feature_extractor(
        classifier, weights=weights, output_name="probabilities"
    )
    crops = np.stack(crops)[..., None] * 2.0 - 1.0
    probabilities = extractor.probabilities(crops.astype(np.float32))
    if probabilities.shape[1] != num_classes - 1:
        raise ValueError(
            f"The classifier gives {probabilities.shape[1]} classes; label maps with "
            f"{num_classes} classes need {num_classes - 1} (background is class 0)."
        )
    region_prediction = np.concatenate([[0], 1 + probabilities.argmax(axis=1)])
    region_truth = np.array([cls for _, cls in owners], dtype=np.int64)
    predicted = np.zeros(label_maps.shape, dtype=np.int64)
    for i in range(len(label_maps)):
        ids = region_ids[i]
        if not ids.any():
            predicted[i] = np.where(ink[i], num_classes, 0)
            continue
        # Ink outside every region belongs to the nearest region.
        _, (near_r, near_c) = ndimage.distance_transform_edt(ids == 0, return_indices=True)
        nearest = ids[near_r, near_c]
        predicted[i] = np.where(ink[i], region_prediction[nearest], 0)
    return predicted, region_prediction[1:], region_truth


def _run_segmenter(segmenter, images, batch_size):
    predictions = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        if isinstance(segmenter, keras.Model):
            output = segmenter.predict_on_batch(batch)
        else:
            output = segmenter(batch)
        output = np.asarray(keras.ops.convert_to_numpy(output))
        if output.ndim == 4:
            output = output.argmax(axis=-1)
        predictions.append(output)
    return np.concatenate(predictions, axis=0)


def segmentation_faithfulness(
    images,
    label_maps,
    segmenter=None,
    num_classes=DIGIT_CLASSES,
    classifier="digits",
    weights="auto",
    margin=2,
    ink_threshold=0.0,
    batch_size=64,
):
    """How well synthesized images agree with the label maps they were made from.

    Two ways to get a predicted label map for each image, then the same
    scores against `label_maps`:

    - `segmenter` given (a `keras.Model` or a callable): it maps a batch of
      images `(b, h, w, c)` to integer maps `(b, h, w)` or class scores
      `(b, h, w, num_classes)` (argmax taken). This is SPADE's protocol with
      a segmentation network for the data set.
    - `segmenter=None`, the offline default for digit label maps (class 0
      background, `1 + d` on the strokes of digit `d`, as made by
      `keras_gen.datasets.digits_segmentation`): each digit region is a
      connected component of one class's strokes grown by `margin` pixels
      (8-connected, so a digit broken by the binarisation stays one region
      and nearby digits, at least `2 * margin + 1` pixels apart, stay
      apart). The image inside the region's bounding box (outside the region
      set to background) is normalised as MNIST was: its stroke box scaled to
      20 pixels, pasted into 28x28 centred on its centre of mass; the digits
      classifier predicts its class. The predicted map is then, on the ink
      (grey value, channels averaged, above `ink_threshold` in [-1, 1]: the
      0.5 of the maps), `1 +` the predicted class of the region (ink outside
      every region takes the nearest region's prediction, so stray strokes
      count as false positives); 0 elsewhere. The shape of the strokes
      (IoU) and the identity of each digit (region accuracy) both count.

    Args:
        images: synthesized images `(n, h, w)` or `(n, h, w, c)`, float in
            [-1, 1] or uint8.
        label_maps: integer maps `(n, h, w)`, the inputs of the synthesis.
        segmenter: `None` or a segmenter (see above).
        num_classes: classes of the maps, background included (11 for digits).
        classifier: for the default mode, `"digits"`, a `keras.Model` or a
            `FeatureExtractor` giving `num_classes - 1` class probabilities
            for 28x28x1 digits in [-1, 1].
        weights: the digits classifier's weights (see
            `keras_gen.metrics.load_digits_classifier`).
        margin: pixels by which strokes are grown into regions (default mode).
        ink_threshold: ink threshold on the grey value in [-1, 1] (default mode).
        batch_size: images per call of `segmenter`.

    Returns:
        A dict: `"mean_iou"` (over the foreground classes present, see
        `mean_iou`), `"per_class_iou"` and `"per_class_accuracy"` (float64
        `(num_classes,)`, NaN for absent classes), `"pixel_accuracy"` (all
        pixels), `"predicted_maps"` (int `(n, h, w)`); in the default mode
        also `"region_accuracy"` (fraction of digit regions classified as
        their label) and `"num_regions"`.

    Example:

    >>> images, label_maps = keras_gen.datasets.digits_segmentation("test", image_size=56)
    >>> synthesized = spade.generate(keras_gen.datasets.one_hot_label_maps(label_maps))
    >>> scores = keras_gen.metrics.segmentation_faithfulness(synthesized, label_maps)
    >>> scores["mean_iou"], scores["region_accuracy"]

    Reference:
        Park et al., "Semantic Image Synthesis with Spatially-Adaptive
        Normalization", CVPR 2019 (https://arxiv.org/abs/1903.07291), Sec. 4.
    """
    label_maps = _as_maps(label_maps, "label_maps")
    if label_maps.ndim != 3:
        raise ValueError(f"`label_maps` must have shape (n, height, width); received {label_maps.shape}.")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise ValueError(f"`num_classes` must be an int >= 2; received {num_classes!r}.")
    if label_maps.size and (label_maps.min() < 0 or label_maps.max() >= num_classes):
        raise ValueError(
            f"`label_maps` must hold class ids in [0, {num_classes}); received values in "
            f"[{label_maps.min()}, {label_maps.max()}]."
        )
    if isinstance(margin, bool) or not isinstance(margin, (int, np.integer)) or margin < 0:
        raise ValueError(f"`margin` must be an int >= 0; received {margin!r}.")
    images = keras.ops.convert_to_numpy(images) if not isinstance(images, np.ndarray) else images
    if len(images) != len(label_maps) or np.shape(images)[1:3] != label_maps.shape[1:]:
        raise ValueError(
            f"`images` {np.shape(images)} and `label_maps` {label_maps.shape} must have the same "
            "number of maps and the same height and width."
        )
    if len(label_maps) == 0:
        raise ValueError("`images` and `label_maps` are empty.")
    result = {}
    if segmenter is None:
        predicted, region_prediction, region_truth = _classify_regions(
            images, label_maps, classifier, weights, margin, float(ink_threshold), num_classes
        )
        result["region_accuracy"] = (
            float(np.mean(region_prediction == region_truth)) if len(region_truth) else float("nan")
        )
        result["num_regions"] = int(len(region_truth))
    else:
        if not callable(segmenter):
            raise TypeError(f"`segmenter` must be a keras.Model or a callable; received {type(segmenter).__name__}.")
        batch = np.asarray(images)
        if batch.ndim == 3:
            batch = batch[..., None]
        predicted = _run_segmenter(segmenter, batch, int(batch_size))
        if predicted.shape != label_maps.shape:
            raise ValueError(
                f"The segmenter returned maps of shape {predicted.shape}; expected {label_maps.shape} "
                "(or scores with a trailing class axis)."
            )
    predicted = _as_maps(predicted, "predicted maps")
    matrix = confusion_matrix(predicted, label_maps, num_classes)
    result.update(
        {
            "mean_iou": mean_iou(predicted, label_maps, num_classes, ignore_background=True),
            "per_class_iou": per_class_iou(predicted, label_maps, num_classes),
            "per_class_accuracy": per_class_accuracy(predicted, label_maps, num_classes),
            "pixel_accuracy": float(np.trace(matrix[:, :num_classes]) / max(matrix.sum(), 1)),
            "predicted_maps": predicted,
        }
    )
    return result
