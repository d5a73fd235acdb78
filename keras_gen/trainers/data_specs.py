"""What `fit()` can know of training data without iterating it: static shapes and dtypes."""

import numpy as np


def _is_array(value):
    return isinstance(value, np.ndarray)


def data_spec(x):
    """Static `(shape, dtype)` of the first input of `x`, or None if unknown."""
    if _is_array(x):
        return (None,) + tuple(x.shape[1:]), str(x.dtype)
    if isinstance(x, (tuple, list)) and x and _is_array(x[0]):
        return (None,) + tuple(x[0].shape[1:]), str(x[0].dtype)
    element_spec = getattr(x, "element_spec", None)
    if element_spec is None:
        return None
    while isinstance(element_spec, (tuple, list)):
        element_spec = element_spec[0]
    if isinstance(element_spec, dict):
        element_spec = element_spec.get("image", element_spec.get("images"))
    if element_spec is None or not hasattr(element_spec, "shape"):
        return None
    return tuple(element_spec.shape), element_spec.dtype.name


def second_spec(x, y):
    """Static `(shape, dtype)` of the second element of the training data, or None.

    The second element is `y` when given, else the second item of a tuple
    `x`, of the batches of a `tf.data.Dataset` (or its `"label"` entry), or
    None when it is unknown (e.g. a Python generator).
    """
    if y is not None:
        if hasattr(y, "shape") and hasattr(y, "dtype"):
            return (None,) + tuple(y.shape[1:]), str(y.dtype)
        return None
    if isinstance(x, (tuple, list)) and len(x) >= 2 and _is_array(x[1]):
        return (None,) + tuple(x[1].shape[1:]), str(x[1].dtype)
    element_spec = getattr(x, "element_spec", None)
    spec = None
    if isinstance(element_spec, (tuple, list)) and len(element_spec) >= 2:
        spec = element_spec[1]
    elif isinstance(element_spec, dict):
        spec = element_spec.get("label", element_spec.get("labels"))
    if spec is not None and hasattr(spec, "shape") and hasattr(spec, "dtype"):
        return tuple(spec.shape), spec.dtype.name
    return None


def has_second_element(x, y):
    """False when the data obviously holds only one batch of inputs (no `y`)."""
    if y is not None:
        return True
    if _is_array(x):
        return False
    element_spec = getattr(x, "element_spec", None)
    if element_spec is None:
        return True  # unknown until iterated: checked when the step runs
    if isinstance(element_spec, dict):
        return any(k in element_spec for k in ("label", "labels"))
    return isinstance(element_spec, (tuple, list)) and len(element_spec) >= 2


def array_second_element(x, y):
    """The second NumPy array of the data (`y`, or `x[1]` of a tuple), or None."""
    if _is_array(y):
        return y
    if y is None and isinstance(x, (tuple, list)) and len(x) >= 2 and _is_array(x[1]):
        return x[1]
    return None


def num_array_samples(x):
    """Number of samples of NumPy training data, or None for other data."""
    if _is_array(x):
        return len(x)
    if isinstance(x, (tuple, list)) and x and _is_array(x[0]):
        return len(x[0])
    return None
