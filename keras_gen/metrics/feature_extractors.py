"""Feature extractors: images in, float64 features (and class probabilities) out.

An extractor wraps a Keras model with the preprocessing it needs (value range,
channels, resizing) and runs it in fixed-size batches, so the metrics never see
the backend: they receive NumPy arrays.
"""

import os

import keras
import numpy as np

from keras_gen.metrics.digits_classifier import FEATURE_LAYER
from keras_gen.metrics.digits_classifier import load_digits_classifier

INCEPTION_NOTOP_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
INCEPTION_TOP_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
_INCEPTION_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
FEATURE_EXTRACTORS = ("inception_v3", "digits")


def to_model_range(images):
    """Converts uint8 images to float32 in `[-1, 1]`; float images are kept as they are.

    Args:
        images: array `(n, height, width)` or `(n, height, width, channels)`,
            uint8 in `[0, 255]` or float in `[-1, 1]`.

    Returns:
        A float32 NumPy array `(n, height, width, channels)`.
    """
    images = keras.ops.convert_to_numpy(images) if not isinstance(images, np.ndarray) else images
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(
            "Images must have shape (n, height, width) or (n, height, width, "
            f"channels); received shape {images.shape}."
        )
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    return images.astype(np.float32)


class FeatureExtractor:
    """Runs a Keras model on image batches and returns float64 NumPy outputs.

    The model's output is either one tensor, interpreted as `output_name`
    (`"features"` or `"probabilities"`), or a dict with the keys `"features"`
    and/or `"probabilities"`. Images are converted to `[-1, 1]` (uint8 input is
    rescaled), grayscale is repeated to 3 channels when the model wants 3, and
    images are resized bilinearly to `image_size` when it is set. Batches are
    padded to `batch_size` so compiled predict functions are traced once.

    Args:
        model: a `keras.Model` taking images in `[-1, 1]`.
        image_size: `(height, width)` the model expects, or `None` to infer it
            from the model's input shape (and not resize when unknown).
        batch_size: images per forward pass.
        output_name: meaning of a single-tensor output.
        name: a short name used in messages and metric configs.

    Example:

    >>> extractor = keras_gen.metrics.get_feature_extractor("digits")
    >>> extractor.features(np.zeros((4, 28, 28, 1))).shape
    (4, 128)
    """

    def __init__(self, model, image_size=None, batch_size=64, output_name="features", name=None):
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"`model` must be a keras.Model; received {type(model).__name__}."
            )
        if output_name not in ("features", "probabilities"):
            raise ValueError(
                "`output_name` must be 'features' or 'probabilities'; received "
                f"{output_name!r}."
            )
        self.model = model
        self.batch_size = int(batch_size)
        self.output_name = output_name
        self.name = name or model.name
        input_shape = _model_input_shape(model)
        self.channels = input_shape[-1] if input_shape else None
        if image_size is None and input_shape and None not in input_shape[1:3]:
            image_size = tuple(input_shape[1:3])
        self.image_size = tuple(image_size) if image_size is not None else None

    def preprocess(self, images):
        """Returns float32 images in `[-1, 1]` with the model's channels and size."""
        images = to_model_range(images)
        channels = images.shape[-1]
        if self.channels is not None and channels != self.channels:
            if channels == 1 and self.channels == 3:
                images = np.repeat(images, 3, axis=-1)
            else:
                raise ValueError(
                    f"The feature extractor {self.name!r} expects {self.channels} "
                    f"channel(s); received images with {channels}. Convert the "
                    "images (e.g. to grayscale) or choose another extractor."
                )
        if self.image_size is not None and images.shape[1:3] != self.image_size:
            images = keras.ops.convert_to_numpy(
                keras.ops.image.resize(images, self.image_size, interpolation="bilinear")
            )
        return images

    def extract(self, images):
        """Returns a dict of float64 arrays, `"features"` and/or `"probabilities"`."""
        images = np.asarray(images) if isinstance(images, (list, tuple)) else images
        num_images = len(images)
        outputs = {}
        for start in range(0, num_images, self.batch_size):
            batch = self.preprocess(images[start : start + self.batch_size])
            valid = len(batch)
            if valid < self.batch_size:
                padding = np.repeat(batch[-1:], self.batch_size - valid, axis=0)
                batch = np.concatenate([batch, padding], axis=0)
            for key, value in self._named_outputs(self.model.predict_on_batch(batch)).items():
                value = np.asarray(value, dtype=np.float64)[:valid]
                outputs.setdefault(key, []).append(value.reshape(valid, -1))
        if not outputs:
            raise ValueError("Cannot extract features from an empty set of images.")
        return {key: np.concatenate(values, axis=0) for key, values in outputs.items()}

    def features(self, images):
        """Returns float64 features `(n, feature_dim)`."""
        return self._get(images, "features")

    def probabilities(self, images):
        """Returns float64 class probabilities `(n, num_classes)`."""
        return self._get(images, "probabilities")

    def _get(self, images, key):
        outputs = self.extract(images)
        if key not in outputs:
            raise ValueError(
                f"The extractor {self.name!r} gives no {key}; it gives "
                f"{sorted(outputs)}. Use an extractor (or a classifier model) "
                f"whose output is {key}."
            )
        return outputs[key]

    def _named_outputs(self, outputs):
        if isinstance(outputs, dict):
            return outputs
        if isinstance(outputs, (list, tuple)):
            raise ValueError(
                f"The model of extractor {self.name!r} has several outputs; give it "
                "a single output or a dict output with keys 'features' and/or "
                "'probabilities'."
            )
        return {self.output_name: outputs}


def _model_input_shape(model):
    try:
        shape = model.inputs[0].shape
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    return tuple(shape) if len(shape) == 4 else None


def keras_cache_models_dirs():
    """Folders searched for cached Keras application weights (`$KERAS_HOME/models`)."""
    keras_home = os.environ.get("KERAS_HOME")
    if keras_home:
        return [os.path.join(os.path.expanduser(keras_home), "models")]
    return [
        os.path.join(os.path.expanduser("~"), ".keras", "models"),
        os.path.join("/tmp", ".keras", "models"),
    ]


def _find_inception_weights(weights, file_name):
    if weights is None:
        return None
    if weights != "auto":
        weights = os.fspath(weights)
        if not os.path.isfile(weights):
            raise FileNotFoundError(f"No InceptionV3 weights file at {weights!r}.")
        return weights
    folders = keras_cache_models_dirs()
    for folder in folders:
        candidate = os.path.join(folder, file_name)
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f"InceptionV3 weights not found: put the file {file_name} in the folder "
        f"{folders[0]} (the Keras cache; set KERAS_HOME to move it) or pass its "
        f"path as `weights=`. The file is published at {_INCEPTION_URL}{file_name}. "
        "keras_gen never downloads it at run time."
    )


def inception_v3_extractor(weights="auto", include_top=False, batch_size=32):
    """InceptionV3 features (2048-d pool3) and, with the top, its 1000-class softmax.

    Images are resized to 299x299 (bilinear) and fed in `[-1, 1]`, which is the
    model's own preprocessing; grayscale is repeated to 3 channels. These are
    the `keras.applications` ImageNet weights, not the TF-Slim graph of the
    original FID code, so values are comparable between runs of this package
    but not to published FID numbers.

    Args:
        weights: `"auto"` to use the Keras cache file, a path to the `.h5`
            file, or `None` for random weights (tests only).
        include_top: also return probabilities (needs the full weights file).
        batch_size: images per forward pass.

    Returns:
        A `keras_gen.metrics.FeatureExtractor`.
    """
    file_name = INCEPTION_TOP_FILE if include_top else INCEPTION_NOTOP_FILE
    path = _find_inception_weights(weights, file_name)
    if include_top:
        model = keras.applications.InceptionV3(include_top=True, weights=path)
        model = keras.Model(
            model.inputs[0],
            {"features": model.get_layer("avg_pool").output, "probabilities": model.outputs[0]},
            name="inception_v3",
        )
    else:
        model = keras.applications.InceptionV3(
            include_top=False, pooling="avg", weights=path, input_shape=(299, 299, 3)
        )
    return FeatureExtractor(model, image_size=(299, 299), batch_size=batch_size, name="inception_v3")


def digits_extractor(weights="auto", batch_size=256):
    """The digits classifier: 128-d penultimate features and its 10-class softmax.

    Args:
        weights: see `keras_gen.metrics.load_digits_classifier`.
        batch_size: images per forward pass.

    Returns:
        A `keras_gen.metrics.FeatureExtractor` for `(28, 28, 1)` digits in `[-1, 1]`
        (other sizes are resized bilinearly).
    """
    classifier = load_digits_classifier(weights)
    model = keras.Model(
        classifier.inputs[0],
        {"features": classifier.get_layer(FEATURE_LAYER).output, "probabilities": classifier.outputs[0]},
        name="digits",
    )
    return FeatureExtractor(model, batch_size=batch_size, name="digits")


def get_feature_extractor(name_or_model, weights="auto", batch_size=None, output_name="features"):
    """Returns a `FeatureExtractor` from a name, a Keras model or an extractor.

    Args:
        name_or_model: `"inception_v3"` (2048-d pool3 features, images resized
            to 299x299), `"digits"` (128-d features of the shipped digits
            classifier), a `keras.Model` mapping images in `[-1, 1]` to
            features (or to a dict with `"features"`/`"probabilities"`), or a
            `FeatureExtractor` (returned as it is).
        weights: for named extractors: `"auto"` (shipped preset / Keras cache
            file), a path, or `None` for random weights (tests only). Never
            downloads: a missing InceptionV3 file raises `FileNotFoundError`
            naming the file and folder.
        batch_size: images per forward pass (default 32 for InceptionV3, 256
            for digits, 64 for models).
        output_name: meaning of a single-tensor model output, `"features"` or
            `"probabilities"`.

    Returns:
        A `keras_gen.metrics.FeatureExtractor`.

    Example:

    >>> extractor = keras_gen.metrics.get_feature_extractor("digits")
    >>> features = extractor.features(images)  # (n, 128) float64
    """
    if isinstance(name_or_model, FeatureExtractor):
        return name_or_model
    if isinstance(name_or_model, keras.Model):
        return FeatureExtractor(name_or_model, batch_size=batch_size or 64, output_name=output_name)
    if name_or_model == "inception_v3":
        return inception_v3_extractor(
            weights, include_top=output_name == "probabilities", batch_size=batch_size or 32
        )
    if name_or_model == "digits":
        return digits_extractor(weights, batch_size=batch_size or 256)
    if isinstance(name_or_model, str):
        raise ValueError(
            f"Unknown feature extractor {name_or_model!r}; use one of "
            f"{FEATURE_EXTRACTORS} or pass a keras.Model."
        )
    raise TypeError(
        "`feature_extractor` must be a name, a keras.Model or a FeatureExtractor; "
        f"received {type(name_or_model).__name__}."
    )
