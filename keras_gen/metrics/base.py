"""Base class of the streaming metrics that compare real and generated images."""

import keras

from keras_gen.metrics.feature_extractors import FeatureExtractor
from keras_gen.metrics.feature_extractors import get_feature_extractor
from keras_gen.metrics.statistics import FeatureBank


class FeatureMetric(keras.metrics.Metric):
    """A `keras.metrics.Metric` that compares real and generated images via features.

    Subclasses implement `update_features(real_features, generated_features)`,
    `result()` and `reset_state()`. State is kept in NumPy float64 on the
    Python side rather than in Keras variables (float64 variables are float32
    on JAX without x64), so these metrics are evaluated eagerly, outside the
    train step: call them from a callback or after `fit()`, not in `compile()`.
    `keras_gen.callbacks.GenerativeMetrics` does that during training.

    Args:
        feature_extractor: a name (`"digits"`, `"inception_v3"`), a
            `keras.Model` or a `keras_gen.metrics.FeatureExtractor`; see
            `keras_gen.metrics.get_feature_extractor`.
        weights: weights of a named extractor (`"auto"`, a path, or `None`
            for random weights in tests).
        batch_size: images per forward pass of the extractor.
        name: metric name.
        dtype: unused by the computation (always float64), kept for Keras.
    """

    _output_name = "features"
    # Name of the constructor argument that receives the extractor.
    _extractor_argument = "feature_extractor"
    # Which way each value of `result()` improves ("down": lower is better),
    # declared to Keras's monitoring callbacks by `GenerativeMetrics`.
    # Subclasses also set Keras's own `_direction` (their main value's).
    directions = {}

    def __init__(self, feature_extractor="digits", weights="auto", batch_size=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._extractor_spec = feature_extractor
        self._weights = weights
        self._batch_size = batch_size
        self.feature_extractor = get_feature_extractor(
            feature_extractor, weights=weights, batch_size=batch_size, output_name=self._output_name
        )

    def update_state(self, real_images=None, generated_images=None):
        """Adds a batch of real and/or generated images (either may be `None`).

        Images are `(n, height, width[, channels])`, float in `[-1, 1]` or uint8.
        """
        real = self._extract(real_images)
        generated = self._extract(generated_images)
        self.update_features(real_features=real, generated_features=generated)

    def update_features(self, real_features=None, generated_features=None):
        """Adds precomputed features `(n, feature_dim)` of either side."""
        raise NotImplementedError

    def _extract(self, images):
        if images is None:
            return None
        return self.feature_extractor.extract(images)[self._output_name]

    def get_config(self):
        extractor = self._extractor_spec
        if isinstance(extractor, FeatureExtractor):
            extractor = extractor.model
        if isinstance(extractor, keras.Model):
            extractor = keras.saving.serialize_keras_object(extractor)
        return {
            **super().get_config(),
            self._extractor_argument: extractor,
            "weights": self._weights,
            "batch_size": self._batch_size,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        key = cls._extractor_argument
        if isinstance(config.get(key), dict):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


class StoredFeatureMetric(FeatureMetric):
    """A `FeatureMetric` that keeps every feature row of both sides.

    For the metrics computed on the samples themselves rather than on
    running moments (KID's subsets, precision/recall's neighbourhoods).
    Subclasses implement `result()` from `self.real_features.array()` and
    `self.generated_features.array()` (float64 `(n, d)`).
    """

    def __init__(self, feature_extractor="digits", weights="auto", batch_size=None, name=None, dtype=None):
        super().__init__(feature_extractor, weights=weights, batch_size=batch_size, name=name, dtype=dtype)
        self.real_features = FeatureBank("real features")
        self.generated_features = FeatureBank("generated features")

    def update_features(self, real_features=None, generated_features=None):
        """Stores features `(n, d)` of real and/or generated images."""
        if real_features is not None:
            self.real_features.append(real_features)
        if generated_features is not None:
            self.generated_features.append(generated_features)

    def reset_state(self):
        """Forgets the stored features of both sides."""
        self.real_features.reset()
        self.generated_features.reset()

    def reset_generated_state(self):
        """Forgets the generated side only."""
        self.generated_features.reset()
