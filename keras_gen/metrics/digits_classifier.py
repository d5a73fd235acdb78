"""The small digits CNN whose features and softmax drive the metrics on 28x28 digits.

The weights are trained by `recipes/digits_classifier.py` and shipped as the
preset folder `applications/presets/digits_classifier/`.
"""

import os

import keras

DIGITS_PRESET = "digits_classifier"
FEATURE_LAYER = "features"


def digits_classifier_network(feature_dim=128, num_classes=10, dropout=0.3, name="digits_classifier"):
    """Builds the (untrained) digits classifier used by the digits metrics.

    Two 3x3 convolution blocks (32 and 64 filters, each followed by 2x2 max
    pooling), a `feature_dim`-wide ReLU layer named `"features"` (the
    penultimate layer: features for FID/KID/precision-recall) and a softmax over
    `num_classes` (probabilities for the Inception Score). Inputs are
    `(28, 28, 1)` images in `[-1, 1]`.

    Args:
        feature_dim: width of the feature layer.
        num_classes: number of classes.
        dropout: dropout rate before the feature and output layers.
        name: model name.

    Returns:
        A functional `keras.Model` mapping images to class probabilities.

    Example:

    >>> model = keras_gen.metrics.digits_classifier_network()
    >>> model.output_shape
    (None, 10)
    """
    inputs = keras.Input((28, 28, 1), name="images")
    x = inputs
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.Dense(feature_dim, activation="relu", name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def digits_preset_dir():
    """Returns the folder of the shipped `digits_classifier` preset."""
    from keras_gen import presets

    return os.path.join(presets.builtin_presets_dir(), DIGITS_PRESET)


def load_digits_classifier(weights="auto"):
    """Returns the digits classifier with the requested weights.

    Args:
        weights: `"auto"` for the shipped preset, a preset folder, a
            `.weights.h5` file for `digits_classifier_network()`, or `None` for
            random weights (tests only: random features make meaningless
            metrics).

    Returns:
        A functional `keras.Model` with a layer named `"features"`.

    Example:

    >>> classifier = keras_gen.metrics.load_digits_classifier()
    """
    if weights is None:
        return digits_classifier_network()
    if weights == "auto":
        weights = digits_preset_dir()
        if not os.path.isfile(os.path.join(weights, "model.weights.h5")):
            raise FileNotFoundError(
                f"The digits classifier preset is missing from {weights}. "
                "Create it with `python recipes/digits_classifier.py`."
            )
    weights = os.fspath(weights)
    if os.path.isdir(weights):
        from keras_gen import presets

        return presets.from_preset(weights)
    if os.path.isfile(weights):
        model = digits_classifier_network()
        model.load_weights(weights)
        return model
    raise FileNotFoundError(
        f"No digits classifier weights at {weights!r}. Pass `weights='auto'` for "
        "the shipped preset, a preset folder, or a `.weights.h5` file."
    )

