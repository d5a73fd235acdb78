"""Inception Score: exp(E_x KL(p(y|x) || p(y))) of a classifier's predictions."""

import numpy as np

from keras_gen.metrics.base import FeatureMetric
from keras_gen.metrics.statistics import FeatureBank
from keras_gen.metrics.statistics import as_features


def inception_score(probabilities, num_splits=10):
    """Inception Score of class probabilities, as (mean, std) over splits.

    The rows are cut into `num_splits` consecutive splits; in each, the score is
    `exp(mean_x KL(p(y|x) || p(y)))` with `p(y)` the split's mean prediction.
    It ranges from 1 (every prediction identical, or uniform) to the number of
    classes (confident predictions, classes balanced). Splits are consecutive
    rows, as in the paper's code: shuffle rows that are ordered (e.g. real
    images grouped by class) first, or each split sees few classes.

    Args:
        probabilities: array `(n, num_classes)` of class probabilities (rows
            sum to 1; apply a softmax to logits first).
        num_splits: number of splits (10 in the paper).

    Returns:
        A tuple `(mean, std)` of Python floats.

    Example:

    >>> probabilities = keras_gen.metrics.get_feature_extractor("digits").probabilities(images)
    >>> score, score_std = keras_gen.metrics.inception_score(probabilities)

    Reference:
        Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016.
    """
    p = as_features(probabilities, "probabilities")
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError(
            "`probabilities` must be non-negative with rows summing to 1; apply "
            "a softmax to logits first."
        )
    if not 1 <= num_splits <= len(p):
        raise ValueError(
            f"`num_splits` must be between 1 and the number of samples ({len(p)}); "
            f"received {num_splits}."
        )
    scores = []
    for split in np.array_split(p, num_splits):
        marginal = split.mean(axis=0, keepdims=True)
        # 0 * log(0) = 0: only positive entries contribute.
        positive = split > 0
        terms = np.zeros_like(split)
        terms[positive] = split[positive] * (
            np.log(split[positive]) - np.log(np.broadcast_to(marginal, split.shape)[positive])
        )
        scores.append(np.exp(terms.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


class InceptionScore(FeatureMetric):
    """Streaming Inception Score of generated images.

    Stores the float64 class probabilities of every generated image
    (`n * num_classes` floats). Real images are not needed: `update_state`
    takes `(generated_images)` or, like the other metrics,
    `(real_images, generated_images)` and then ignores the real ones.
    `result()` returns `{"is": mean, "is_std": std}`.

    Args:
        classifier: `"digits"`, `"inception_v3"` (needs the full InceptionV3
            weights file with the top), a `keras.Model` returning
            probabilities, or a `keras_gen.metrics.FeatureExtractor`.
        num_splits: number of splits.
        weights: weights of a named classifier.
        batch_size: images per forward pass.
        name: metric name.

    Example:

    >>> score = keras_gen.metrics.InceptionScore(classifier="digits")
    >>> score.update_state(generated_images)
    >>> score.result()["is"]

    Reference:
        Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016.
    """

    _output_name = "probabilities"
    _extractor_argument = "classifier"
    directions = {"is": "up"}
    _direction = "up"

    def __init__(self, classifier="inception_v3", num_splits=10, weights="auto", batch_size=None, name="is", dtype=None):
        super().__init__(classifier, weights=weights, batch_size=batch_size, name=name, dtype=dtype)
        self.num_splits = num_splits
        self.probabilities = FeatureBank("probabilities of generated images")

    def update_state(self, *images, real_images=None, generated_images=None):
        """Adds generated images: `update_state(generated)` or `update_state(real, generated)`."""
        if len(images) > 2:
            raise TypeError("`update_state` takes (generated_images) or (real_images, generated_images).")
        if images:
            generated_images = images[-1]
        if generated_images is not None:
            self.probabilities.append(self._extract(generated_images))

    def update_features(self, real_features=None, generated_features=None):
        """Adds precomputed probabilities `(n, num_classes)` of generated images."""
        if generated_features is not None:
            self.probabilities.append(generated_features)

    def result(self):
        """Returns `{"is": mean, "is_std": std}` (Python floats)."""
        mean, std = inception_score(self.probabilities.array(), num_splits=self.num_splits)
        return {"is": mean, "is_std": std}

    def reset_state(self):
        """Forgets the stored probabilities."""
        self.probabilities.reset()

    reset_generated_state = reset_state

    def get_config(self):
        return {**super().get_config(), "num_splits": self.num_splits}
