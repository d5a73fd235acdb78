"""Checks of training data against a model, with messages that name the fix."""

import keras


def check_float_images(dtype, what="Images", model_name="the model"):
    """Raises `TypeError` for integer/bool data where floats in [-1, 1] are expected."""
    dtype = keras.backend.standardize_dtype(dtype)
    if "int" in dtype or dtype == "bool":
        raise TypeError(
            f"{what} have dtype {dtype}, but {model_name} expects floats in [-1, 1]. "
            "Scale them first, e.g. `keras_gen.datasets.scale_images(x)` (x / 127.5 - 1)."
        )


def check_image_spec(shape, expected, what, network_name, fix):
    """Raises `ValueError` if a batch `shape` does not match `(batch,) + expected`.

    Unknown dimensions (None) on either side match anything.
    """
    if expected is None or shape is None:
        return
    received = tuple(shape[1:])
    if len(received) != len(expected) or any(
        e is not None and r is not None and int(e) != int(r)
        for e, r in zip(expected, received)
    ):
        raise ValueError(
            f"{what} have shape {tuple(shape)}, but {network_name} expects "
            f"(batch,) + {tuple(expected)}. {fix}"
        )
