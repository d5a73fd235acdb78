"""Checks and inference helpers shared by the image-to-image models."""

import keras
import numpy as np
from keras import ops

from keras_gen.models.validation import check_float_images  # noqa: F401 (used as base.check_float_images)
from keras_gen.models.validation import check_image_spec  # noqa: F401


def expected_image_shape(network, index=0):
    """`(height, width, channels)` of a network's input `index`, or None if unknown."""
    inputs = getattr(network, "inputs", None)
    if not inputs or len(inputs) <= index:
        return None
    return tuple(inputs[index].shape[1:])


def output_image_shape(network):
    """`(height, width, channels)` of a single-output network, or None if unknown."""
    outputs = getattr(network, "outputs", None)
    if not outputs:
        return None
    return tuple(outputs[0].shape[1:])


def second_spec(x, y):
    """Static `(shape, dtype)` of the second element of the training data, or None.

    The second element is `y` when given, else the second item of a tuple
    `x`, of the batches of a `tf.data.Dataset`, or None when it is unknown
    (e.g. a Python generator).
    """
    if y is not None:
        if hasattr(y, "shape") and hasattr(y, "dtype"):
            return (None,) + tuple(y.shape[1:]), str(y.dtype)
        return None
    if isinstance(x, (tuple, list)) and len(x) >= 2 and isinstance(x[1], np.ndarray):
        return (None,) + tuple(x[1].shape[1:]), str(x[1].dtype)
    element_spec = getattr(x, "element_spec", None)
    if isinstance(element_spec, (tuple, list)) and len(element_spec) >= 2:
        spec = element_spec[1]
        if hasattr(spec, "shape") and hasattr(spec, "dtype"):
            return tuple(spec.shape), spec.dtype.name
    return None


def has_second_element(x, y):
    """False when the data obviously holds only one image batch (no `y`)."""
    if y is not None:
        return True
    if isinstance(x, np.ndarray):
        return False
    element_spec = getattr(x, "element_spec", None)
    if element_spec is not None and not isinstance(element_spec, (tuple, list, dict)):
        return False
    return True


def split_pair(data, model_name):
    """`(a, b)` from what `fit()` passes: `(x, y)` or a batch that is a pair."""
    x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
    if y is None and isinstance(x, (tuple, list)) and len(x) == 2:
        x, y = x
    if y is None:
        raise ValueError(
            f"{model_name} trains on pairs of image batches: call "
            "`fit(x=images_a, y=images_b)` or pass a tf.data.Dataset of "
            "`(images_a, images_b)` tuples."
        )
    return ops.convert_to_tensor(x), ops.convert_to_tensor(y)


def translate_in_batches(network, images, batch_size, training=False):
    """Runs `network` over `images` in batches and returns one NumPy array."""
    images = np.asarray(images)
    check_float_images(images.dtype, "Images to translate")
    if images.ndim == 3:
        images = images[None]
    outputs = [
        ops.convert_to_numpy(network(images[i : i + batch_size], training=training))
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(outputs, axis=0)
