"""Checks of weights files before loading: readable, and holding a moving average exactly when the model keeps one."""

import os


def read_weights_file_groups(path):
    """Top-level groups of a `.weights.h5` file; `ValueError` naming the fix if unreadable."""
    import h5py

    path = str(path)
    if not os.path.isfile(path):
        raise ValueError(f"Weights file {path!r} does not exist.")
    try:
        with h5py.File(path, "r") as f:
            return set(f.keys())
    except OSError as error:
        raise ValueError(
            f"Weights file {path!r} could not be read ({error}): it is truncated or not a "
            "Keras `.weights.h5` file. Save it again with `model.save_weights(path)`, or "
            "copy or download it again."
        ) from None


def check_moving_average_in_weights_file(model, path):
    """Raises `ValueError` when a weights file and `model` disagree on keeping a generator EMA.

    Keras would silently drop a moving average the model does not keep, and
    refuse with an unclear message a file without one.
    """
    if not str(path).endswith(".h5"):
        return
    holds = "ema_model" in read_weights_file_groups(path)
    keeps = getattr(model, "ema_model", None) is not None
    name = type(model).__name__
    if holds and not keeps:
        raise ValueError(
            f"{path!r} holds a moving average of the generator, but this {name} keeps "
            "none, so it would be dropped. Build the model with `ema_decay=` (e.g. "
            f"{name}(..., ema_decay=0.999)) or call `model.enable_ema()` before loading "
            "(`keras_gen.presets.load_weights_file` does so), or train with "
            "`keras_gen.callbacks.GeneratorEMA`."
        )
    if keeps and not holds:
        raise ValueError(
            f"{path!r} holds no moving average of the generator, but this {name} keeps "
            "one (`ema_decay=`). Build the model without `ema_decay` to load these "
            "weights, then call `model.enable_ema()` to start an average from them."
        )
