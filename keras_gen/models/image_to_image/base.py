"""Checks and inference helpers shared by the image-to-image models."""

import keras
import numpy as np
from keras import ops

from keras_gen.models import validation
from keras_gen.models.validation import check_float_images


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


def check_second_batch(x, y, missing_message, check_spec, what="Images (y)", model_name="the model"):
    """Raises `missing_message` when the data have no second batch, else checks its spec.

    Args:
        x, y: what `fit()` was given.
        missing_message: the `ValueError` message naming how to pass both.
        check_spec: `fn(shape, dtype)` checking the second batch's static spec.
        what: the second images, for messages about their values.
        model_name: the model, for those messages.
    """
    if not validation.has_second_element(x, y):
        raise ValueError(missing_message)
    spec = validation.second_spec(x, y)
    if spec is not None:
        check_spec(*spec)
    images = validation.array_second_element(x, y)
    if images is not None:
        validation.check_image_values(images, what, model_name)


def check_patch_logits(discriminator, name):
    """Raises unless `discriminator` returns one logit per sample or per patch `(batch, h, w, 1)`."""
    validation.check_logits_output(
        discriminator, name,
        "Build it with e.g. `keras_gen.networks.patchgan_discriminator(...)`, whose "
        "last convolution has one filter.",
    )


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


def translate_in_batches(model, network, images, batch_size, training=False):
    """Runs `network` (a sub-model of `model`) over float images in batches; returns NumPy."""
    images = np.asarray(images)
    check_float_images(images.dtype, "Images to translate")
    validation.check_image_values(
        images, "Images to translate", type(model).__name__, strict=False
    )
    if images.ndim == 3:
        images = images[None]
    return model.run_in_batches(lambda x: network(x, training=training), [images], batch_size)
