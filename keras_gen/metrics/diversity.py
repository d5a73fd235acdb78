"""Sample diversity of a multimodal translator: how much its outputs for one input differ.

BicycleGAN's protocol (Zhu et al. 2017, Sec. 5): for each test input draw
k = 20 outputs with random latent codes, take the distance of the 19
consecutive pairs, average over the pairs and then over the inputs. The paper
measures the distance with LPIPS; LPIPS needs an ImageNet backbone and its
learned linear heads, which keras_gen does not ship and never downloads, so
the offline distances here are feature or pixel distances, documented below,
whose values are **not comparable with published LPIPS numbers** (only with
each other, for the same feature space).
"""

import os

import keras
import numpy as np

PAIRS = ("consecutive", "all")
DISTANCES = ("l1", "l2")
FEATURE_SPACES = ("auto", "digits", "pixels")
# Sides of the square one-channel images the digits classifier is applied to
# (resized bilinearly to its 28x28).
DIGITS_MIN_SIDE = 16
DIGITS_MAX_SIDE = 32


def _as_groups(outputs):
    """Returns a list of float arrays `(k_i, h, w, c)`, one per input."""
    if isinstance(outputs, (list, tuple)):
        groups = [np.asarray(keras.ops.convert_to_numpy(group), dtype=np.float64) for group in outputs]
    else:
        array = np.asarray(keras.ops.convert_to_numpy(outputs), dtype=np.float64)
        if array.ndim not in (4, 5):
            raise ValueError(
                "`outputs` must have shape (num_inputs, k, height, width, channels) (or "
                "(num_inputs, k, height, width) for one channel), or be a list of "
                f"(k, height, width, channels) arrays; received shape {array.shape}."
            )
        groups = list(array)
    if not groups:
        raise ValueError("`outputs` is empty: give the outputs of at least one input.")
    shapes = set()
    for index, group in enumerate(groups):
        if group.ndim == 3:
            group = group[..., None]
            groups[index] = group
        if group.ndim != 4:
            raise ValueError(
                f"The outputs of input {index} must have shape (k, height, width[, channels]); "
                f"received shape {group.shape}."
            )
        if len(group) < 2:
            raise ValueError(
                f"Input {index} has {len(group)} output(s); diversity needs k >= 2 outputs per "
                "input (BicycleGAN uses 20)."
            )
        if not np.all(np.isfinite(group)):
            raise ValueError(f"The outputs of input {index} are not all finite.")
        shapes.add(group.shape[1:])
    if len(shapes) > 1:
        raise ValueError(f"All outputs must have the same image shape; received {sorted(shapes)}.")
    return groups


def _pairs(k, pairs):
    if pairs == "consecutive":
        return np.arange(k - 1), np.arange(1, k)
    first, second = np.triu_indices(k, 1)
    return first, second


def digits_feature_space_applies(image_shape):
    """Whether the default feature space for images of `image_shape = (h, w, c)` is the digits classifier's.

    It is when the images are square, one-channel and between 16 and 32
    pixels a side (they are resized bilinearly to the classifier's 28x28).
    """
    h, w, c = image_shape
    return c == 1 and h == w and DIGITS_MIN_SIDE <= h <= DIGITS_MAX_SIDE


def _feature_function(feature_fn, image_shape, weights):
    """Returns `(callable images -> (n, d) features, name of the feature space)`."""
    from keras_gen.metrics.feature_extractors import FeatureExtractor
    from keras_gen.metrics.feature_extractors import get_feature_extractor

    if isinstance(feature_fn, FeatureExtractor):
        return feature_fn.features, feature_fn.name
    if callable(feature_fn):
        return feature_fn, getattr(feature_fn, "__name__", "custom")
    if feature_fn is None:
        feature_fn = "auto"
    if feature_fn not in FEATURE_SPACES:
        raise ValueError(
            f"`feature_fn` must be a callable, None or one of {FEATURE_SPACES}; received {feature_fn!r}."
        )
    if feature_fn == "auto":
        feature_fn = "digits" if digits_feature_space_applies(image_shape) else "pixels"
    if feature_fn == "pixels":
        return (lambda images: images.reshape(len(images), -1)), "pixels"
    if image_shape[-1] != 1:
        raise ValueError(
            "The digits feature space needs one-channel images; received "
            f"{image_shape[-1]} channels. Use feature_fn='pixels' or a callable."
        )
    extractor = get_feature_extractor("digits", weights=weights)
    return extractor.features, "digits"


def _distances(a, b, distance):
    if distance == "l1":
        return np.abs(a - b).mean(axis=1)
    norm_a = np.linalg.norm(a, axis=1, keepdims=True)
    norm_b = np.linalg.norm(b, axis=1, keepdims=True)
    a = a / np.where(norm_a > 0, norm_a, 1.0)
    b = b / np.where(norm_b > 0, norm_b, 1.0)
    return np.linalg.norm(a - b, axis=1)


def sample_diversity(
    outputs,
    feature_fn=None,
    lpips_weights=None,
    pairs="consecutive",
    distance="l1",
    weights="auto",
    return_details=False,
):
    """Mean pairwise distance between the k outputs a model gives for one input, averaged over inputs.

    BicycleGAN's diversity score: for every input, the distances of its
    output pairs (`pairs="consecutive"`: outputs `(0, 1), (1, 2), ..., (k-2,
    k-1)`, the paper's 19 pairs of 20 samples; `"all"`: the `k (k - 1) / 2`
    unordered pairs) are averaged, then the per-input means are averaged over
    the inputs (so inputs with different k weigh the same). Identical
    outputs score 0; higher is more diverse.

    The distance is a feature distance, exactly:

    - `feature_fn=None` (or `"auto"`): the 128-d penultimate (`"features"`
      layer, ReLU) activations of the shipped digits classifier when the
      images are square, one-channel and 16 to 32 pixels a side (resized
      bilinearly to 28x28; `keras_gen.metrics.load_digits_classifier`),
      otherwise the raw pixels. `"digits"` or `"pixels"` force one of them.
    - a `keras_gen.metrics.FeatureExtractor`: its `features`.
    - a callable: `feature_fn(images)` with images float64
      `(n, height, width, channels)` as given (e.g. in [-1, 1]) returns
      features `(n, ...)`, flattened per image.
    - `distance="l1"`: the mean absolute difference of the two feature
      vectors (for pixels in [-1, 1]: the mean absolute pixel difference, in
      [0, 2]); `"l2"`: the Euclidean distance of the two vectors after each
      is scaled to unit length (in [0, 2]; for pixels it is scale-invariant).

    These numbers are not LPIPS and not comparable with the LPIPS diversity
    reported in papers (0.1 to 0.3 on edges2shoes); compare models with the
    same feature space, distance and k.

    LPIPS is not implemented: it needs an ImageNet-trained AlexNet or VGG and
    LPIPS's learned linear layers, and a faithful port could not be checked
    against the reference implementation offline. Passing `lpips_weights`
    raises `NotImplementedError`. To report LPIPS, compute the distances with
    the reference `lpips` package (Zhang et al.) over the same pairs.

    Args:
        outputs: `(num_inputs, k, height, width, channels)` (or without the
            channel axis for one channel), or a list of `(k_i, height, width[,
            channels])` arrays, one per input (k may differ); k >= 2. NumPy
            or backend tensors.
        feature_fn: `None`/`"auto"`, `"digits"`, `"pixels"`, a
            `FeatureExtractor` or a callable.
        lpips_weights: must be `None` (see above).
        pairs: `"consecutive"` (BicycleGAN) or `"all"`.
        distance: `"l1"` or `"l2"`.
        weights: the digits classifier's weights (see
            `keras_gen.metrics.load_digits_classifier`).
        return_details: return a dict instead of the score.

    Returns:
        The diversity score, a float; with `return_details=True` a dict with
        `"diversity"`, `"per_input"` (float64 `(num_inputs,)`), `"feature_space"`
        (`"digits"`, `"pixels"` or the callable's name), `"distance"`,
        `"pairs"` and `"num_pairs"` (pairs per input, a list).

    Example:

    >>> a, _ = keras_gen.datasets.skeletons2digits("test")
    >>> outputs = np.stack([model.translate(a[:50], seed=s) for s in range(20)], axis=1)
    >>> keras_gen.metrics.sample_diversity(outputs)  # (50, 20, 32, 32, 1): digits features

    Reference:
        Zhu et al., "Toward Multimodal Image-to-Image Translation", NeurIPS
        2017 (https://arxiv.org/abs/1711.11586), Sec. 5 (diversity).
    """
    if lpips_weights is not None:
        exists = os.path.exists(os.fspath(lpips_weights))
        raise NotImplementedError(
            "LPIPS is not implemented in keras_gen: it needs an ImageNet-trained AlexNet/VGG "
            "with LPIPS's learned linear layers, and a port could not be verified offline "
            "against the reference `lpips` package, so no LPIPS number is computed from "
            f"{os.fspath(lpips_weights)!r} ({'found' if exists else 'not found'}). Compute LPIPS "
            "distances with the `lpips` package, or use feature_fn=None/'digits'/'pixels'/a "
            "callable for a documented feature distance (not comparable with LPIPS)."
        )
    if pairs not in PAIRS:
        raise ValueError(f"`pairs` must be one of {PAIRS}; received {pairs!r}.")
    if distance not in DISTANCES:
        raise ValueError(f"`distance` must be one of {DISTANCES}; received {distance!r}.")
    groups = _as_groups(outputs)
    image_shape = groups[0].shape[1:]
    features_of, space = _feature_function(feature_fn, image_shape, weights)
    sizes = [len(group) for group in groups]
    features = np.asarray(
        keras.ops.convert_to_numpy(features_of(np.concatenate(groups, axis=0))), dtype=np.float64
    )
    if len(features) != sum(sizes):
        raise ValueError(
            f"`feature_fn` returned {len(features)} feature vectors for {sum(sizes)} images."
        )
    features = features.reshape(len(features), -1)
    per_input, num_pairs = [], []
    start = 0
    for k in sizes:
        first, second = _pairs(k, pairs)
        group = features[start : start + k]
        per_input.append(_distances(group[first], group[second], distance).mean())
        num_pairs.append(len(first))
        start += k
    per_input = np.asarray(per_input, dtype=np.float64)
    score = float(per_input.mean())
    if not return_details:
        return score
    return {
        "diversity": score,
        "per_input": per_input,
        "feature_space": space,
        "distance": distance,
        "pairs": pairs,
        "num_pairs": num_pairs,
    }
