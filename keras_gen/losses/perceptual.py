"""Perceptual loss: the L1 distance between features of a fixed network (pix2pixHD, SPADE).

`perceptual(real, fake, feature_model)` compares two image batches through
any `keras.Model`; `vgg19_feature_model()` builds the usual one, the ReLU
outputs of VGG19's five blocks with ImageNet weights, which it never
downloads silently: when the download fails it says how to pass a local
weights file. Offline, any small network works the same way (e.g. the
shipped digits classifier, `keras_gen.metrics.load_digits_classifier()`,
with `layer_names=("features",)`).
"""

import weakref

import keras
from keras import ops

VGG19_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
# pix2pixHD's weights of the five VGG19 layers (its BSD-licensed code), also used by SPADE.
VGG19_LAYER_WEIGHTS = (1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0)
VGG19_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG19_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/" + VGG19_WEIGHTS_FILE
)
VGG19_WEIGHTS_HASH = "253f8cb515780f3b799900260a226db6"
# Caffe's ImageNet channel means, BGR order (keras.applications.vgg19.preprocess_input).
_IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)

_FEATURE_MODELS = weakref.WeakKeyDictionary()


def feature_layers_model(model, layer_names=None):
    """A `keras.Model` from `model`'s input to the outputs of the named layers.

    Args:
        model: a functional `keras.Model`.
        layer_names: names of layers of `model` (a string or a sequence), or
            None for `model` itself (its outputs are the features).

    Returns:
        `model`, or a model sharing its layers and weights whose outputs are
        the named layers' outputs, in order. Built once per model and names.

    Example:

    >>> classifier = keras_gen.metrics.load_digits_classifier()
    >>> features = keras_gen.losses.feature_layers_model(classifier, ("features",))
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`feature_model` must be a keras.Model; received {type(model).__name__}."
        )
    if layer_names is None:
        return model
    names = (layer_names,) if isinstance(layer_names, str) else tuple(layer_names)
    if not names:
        raise ValueError("`layer_names` must name at least one layer (or be None).")
    cached = _FEATURE_MODELS.setdefault(model, {})
    if names not in cached:
        known = {layer.name for layer in model.layers}
        missing = [name for name in names if name not in known]
        if missing:
            raise ValueError(
                f"{model.name} has no layer(s) {missing}; its layers are "
                f"{sorted(known)}."
            )
        outputs = [model.get_layer(name).output for name in names]
        cached[names] = keras.Model(model.input, outputs, name=f"{model.name}_features")
    return cached[names]


def _as_list(features):
    if isinstance(features, dict):
        return [features[key] for key in sorted(features)]
    if isinstance(features, (list, tuple)):
        return keras.tree.flatten(features)
    return [features]


def perceptual(real, fake, feature_model, layer_names=None, weights=None):
    """Perceptual loss: `sum_i w_i * mean|F_i(real) - F_i(fake)|` over feature layers `i`.

    `F_i` are the features of a fixed network (the outputs of
    `feature_model`, or of its layers `layer_names`), computed in inference
    mode on both batches in one call; per layer the mean absolute difference
    over batch, positions and channels (pix2pixHD's `1 / M_i ||.||_1`), then
    the weighted sum over layers. The real features are constants
    (`stop_gradient`): this is a generator objective. SPADE weights the term
    by 10 with VGG19 features (`vgg19_feature_model`, weights
    `VGG19_LAYER_WEIGHTS`).

    The network sees the images as given (keras_gen images are floats in
    [-1, 1]); its own preprocessing is its business (`vgg19_feature_model`
    includes ImageNet's).

    Args:
        real: reference images `(batch, h, w, c)`.
        fake: generated images, same shape.
        feature_model: a `keras.Model` taking the images.
        layer_names: None to use the model's outputs as the features, or the
            names of its layers whose outputs are (see `feature_layers_model`).
        weights: one weight per feature layer (None: 1 each).

    Returns:
        A float32 scalar.

    Example:

    >>> vgg = keras_gen.losses.vgg19_feature_model()  # ImageNet weights
    >>> loss = keras_gen.losses.perceptual(real, fake, vgg,
    ...                                    weights=keras_gen.losses.VGG19_LAYER_WEIGHTS)

    References:
        Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style
        Transfer and Super-Resolution", ECCV 2016
        (https://arxiv.org/abs/1603.08155); Wang et al., "High-Resolution
        Image Synthesis and Semantic Manipulation with Conditional GANs"
        (pix2pixHD), CVPR 2018 (https://arxiv.org/abs/1711.11585);
        Park et al., "Semantic Image Synthesis with Spatially-Adaptive
        Normalization" (SPADE), CVPR 2019 (https://arxiv.org/abs/1903.07291).
    """
    network = feature_layers_model(feature_model, layer_names)
    real = ops.convert_to_tensor(real)
    fake = ops.convert_to_tensor(fake)
    if tuple(real.shape[1:]) != tuple(fake.shape[1:]):
        raise ValueError(
            f"perceptual compares images of the same shape; received {tuple(real.shape)} "
            f"and {tuple(fake.shape)}."
        )
    batch = ops.concatenate([ops.cast(real, "float32"), ops.cast(fake, "float32")], axis=0)
    features = _as_list(network(batch, training=False))
    weights = check_layer_weights(weights, len(features))
    total = ops.zeros((), "float32")
    for weight, feature in zip(weights, features):
        real_feature, fake_feature = ops.split(ops.cast(feature, "float32"), 2, axis=0)
        difference = ops.abs(ops.stop_gradient(real_feature) - fake_feature)
        total = total + weight * ops.mean(difference)
    return total


def check_layer_weights(weights, num_layers):
    """`weights` as a tuple of `num_layers` floats (None: all 1), or a `ValueError`."""
    if weights is None:
        return (1.0,) * num_layers
    try:
        weights = tuple(float(w) for w in weights)
    except (TypeError, ValueError):
        raise ValueError(
            f"Perceptual layer weights must be a sequence of numbers; received {weights!r}."
        ) from None
    if len(weights) != num_layers:
        raise ValueError(
            f"The feature network gives {num_layers} feature map(s) but {len(weights)} "
            "layer weight(s) were given: pass one weight per feature map, or None."
        )
    return weights


@keras.saving.register_keras_serializable(package="keras_gen")
class ImageNetCaffePreprocessing(keras.layers.Layer):
    """Maps images in [-1, 1] to the input VGG19 was trained on.

    Grey images (one channel) are repeated to three; values go to
    [0, 255], RGB becomes BGR and the ImageNet channel means are subtracted
    (Caffe's convention, `keras.applications.vgg19.preprocess_input`).

    Example:

    ```python
    x = keras_gen.losses.perceptual.ImageNetCaffePreprocessing()(images)  # (n, h, w, 3)
    ```
    """

    def build(self, input_shape):
        if input_shape[-1] not in (1, 3):
            raise ValueError(
                "ImageNetCaffePreprocessing takes images with 1 or 3 channels; received "
                f"shape {tuple(input_shape)}."
            )
        self.built = True

    def call(self, images):
        images = ops.cast(images, self.compute_dtype)
        if images.shape[-1] == 1:
            images = ops.concatenate([images] * 3, axis=-1)
        pixels = (images + 1.0) * 127.5
        bgr = ops.flip(pixels, axis=-1)
        return bgr - ops.convert_to_tensor(_IMAGENET_BGR_MEAN, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (3,)


def _imagenet_weights_file():
    """The cached VGG19 weights file, downloaded once by Keras; a clear error offline."""
    try:
        return keras.utils.get_file(
            VGG19_WEIGHTS_FILE,
            VGG19_WEIGHTS_URL,
            cache_subdir="models",
            file_hash=VGG19_WEIGHTS_HASH,
        )
    except Exception as error:  # noqa: BLE001 - any download failure gets the offline advice
        raise OSError(
            f"Could not get the VGG19 ImageNet weights ({VGG19_WEIGHTS_FILE}) from "
            f"{VGG19_WEIGHTS_URL}: {error}. Offline, copy that file from a machine with "
            "internet access into the Keras cache (~/.keras/models/, or $KERAS_HOME/models/), "
            "or pass its path: `keras_gen.losses.vgg19_feature_model(weights="
            f"'/path/to/{VGG19_WEIGHTS_FILE}')`. Without VGG19, pass any other "
            "keras.Model as the feature network (e.g. the digits classifier), or none."
        ) from error


def vgg19_feature_model(
    weights="imagenet", layer_names=VGG19_LAYERS, input_shape=(None, None, 3), name="vgg19_features"
):
    """VGG19's features for the perceptual loss, taking images in [-1, 1].

    ImageNet preprocessing (`ImageNetCaffePreprocessing`: grey to RGB,
    [0, 255], BGR, mean subtraction), then VGG19's convolutions up to the
    last named layer; the outputs are those layers' (ReLU) activations:
    by default relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1, the layers
    of pix2pixHD's and SPADE's perceptual loss (weigh them with
    `VGG19_LAYER_WEIGHTS`). The model is frozen (`trainable = False`).

    Args:
        weights: `"imagenet"` (the Keras cache file, downloaded once by Keras
            if absent; raises an `OSError` naming how to pass a local file
            when that fails), the path to that file
            (`vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`), or None for
            random weights (tests only).
        layer_names: VGG19 layers whose outputs are the features.
        input_shape: `(height, width, channels)` of the images, 1 or 3
            channels (sides may be None).
        name: model name.

    Returns:
        A functional `keras.Model` from images to the list of features.

    Example:

    >>> vgg = keras_gen.losses.vgg19_feature_model()
    >>> offline = keras_gen.losses.vgg19_feature_model(
    ...     weights="/data/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")

    Reference:
        Simonyan & Zisserman, "Very Deep Convolutional Networks for
        Large-Scale Image Recognition", ICLR 2015 (https://arxiv.org/abs/1409.1556).
    """
    if weights == "imagenet":
        weights = _imagenet_weights_file()
    elif weights is not None:
        import os

        weights = os.fspath(weights)
        if not os.path.isfile(weights):
            raise FileNotFoundError(
                f"No VGG19 weights file at {weights!r}: pass the path of "
                f"{VGG19_WEIGHTS_FILE} (published at {VGG19_WEIGHTS_URL}), "
                "'imagenet' or None."
            )
    names = (layer_names,) if isinstance(layer_names, str) else tuple(layer_names)
    images = keras.Input(tuple(input_shape), name="images")
    base = keras.applications.VGG19(
        include_top=False, weights=weights, input_shape=tuple(input_shape[:2]) + (3,)
    )
    features = feature_layers_model(base, names)
    features.trainable = False
    outputs = features(ImageNetCaffePreprocessing(name="imagenet_preprocessing")(images))
    model = keras.Model(images, outputs, name=name)
    model.trainable = False
    return model
