"""`load_application`: resolve the weights, check the arguments, build, load: once for every application.

Every constructor in `keras_gen.applications` takes `weights=None | "<preset>"
| preset folder | ".weights.h5" file` and architecture arguments that
default to those of its shipped preset. This module is the one place that
turns such a call into a model, so that every application treats the same
argument the same way.
"""

import os
import zipfile

from keras_gen.models import validation
from keras_gen.presets.preset import check_preset_arguments
from keras_gen.presets.preset import from_preset
from keras_gen.presets.preset import resolve_preset
from keras_gen.presets.registry import preset_entry
from keras_gen.presets.registry import registered_presets


def _is_weights_file(weights):
    return str(weights).endswith(".h5")


def _check_preset_belongs_to(application, weights):
    entry = preset_entry(str(weights))
    if entry is None or os.path.isdir(str(weights)):
        return
    if entry.application != application:
        own = [name for name, e in registered_presets().items() if e.application == application]
        loader = (
            f"keras_gen.applications.{entry.application}(weights={weights!r})"
            if entry.application else f"keras_gen.presets.from_preset({weights!r})"
        )
        raise ValueError(
            f"{weights!r} is not a preset of keras_gen.applications.{application} (its presets: "
            f"{own}); load it with {loader}."
        )


def _check_weights_file_exists(path):
    if not os.path.isfile(path):
        raise ValueError(
            f"Weights file {path!r} does not exist. Pass weights=None, a shipped preset name "
            "or the path of an existing preset folder or .weights.h5 file."
        )


def load_weights_file(model, path):
    """Loads a `.weights.h5` file into `model`, enabling the generator EMA if the file holds one.

    Args:
        model: a built model.
        path: the weights file.

    Raises:
        ValueError: the file is missing, unreadable (e.g. truncated) or does
            not fit the architecture.

    Example:

    ```python
    keras_gen.presets.load_weights_file(gan, "gan.weights.h5")
    ```
    """
    _check_weights_file_exists(path)
    # Files saved from a model that kept a moving average hold it too (Keras
    # would skip it silently if the model had none).
    groups = validation.read_weights_file_groups(path)
    if getattr(model, "ema_model", True) is None and "ema_model" in groups:
        model.enable_ema()
    model.load_weights(path)


def check_keras_file(path):
    """Raises a `ValueError` naming the fix if `path` is not a complete `.keras` file.

    `keras.saving.load_model` reports a truncated file as "File not found";
    this names what is wrong instead.
    """
    path = str(path)
    if not os.path.isfile(path):
        raise ValueError(f"Model file {path!r} does not exist.")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"Model file {path!r} is not a complete `.keras` file (a `.keras` file is a zip "
            f"archive; this one, {os.path.getsize(path)} bytes, is truncated or of "
            "another format). Save the model again with `model.save(path)`, or copy or "
            "download the file again."
        )
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        broken = archive.testzip()
    if "config.json" not in names or broken is not None:
        raise ValueError(
            f"Model file {path!r} is a damaged `.keras` archive "
            f"({'no config.json' if 'config.json' not in names else 'corrupt entry ' + broken}). "
            "Save the model again with `model.save(path)`."
        )


def load_model_file(path, **kwargs):
    """`keras.saving.load_model(path)` after checking that the `.keras` file is complete.

    Args:
        path: a `.keras` file written by `model.save(path)`.
        **kwargs: passed to `keras.saving.load_model` (e.g. `compile=False`).

    Returns:
        The model.

    Raises:
        ValueError: a missing, truncated or damaged file, named as such
            (Keras itself reports a truncated file as "File not found").

    Example:

    ```python
    gan = keras_gen.presets.load_model_file("gan.keras")
    ```
    """
    import keras

    check_keras_file(path)
    return keras.saving.load_model(path, **kwargs)


def load_application(application, weights, requested, defaults, build, architecture_of):
    """Builds an application's model: resolve `weights`, check the arguments, build, load.

    - `weights=None`: `build(**config)`, where `config` is `defaults` updated
      with the arguments the caller gave (those not None in `requested`).
    - a `.weights.h5` path: the same architecture, then the file's weights
      (`load_weights_file`).
    - a preset name or folder: the preset's own model (`from_preset`, weights
      verified by sha256); every argument the caller gave must agree with
      `architecture_of(model)`, and one it cannot read is refused.

    Args:
        application: the constructor's name, e.g. `"DCGAN"` (for messages and
            to refuse presets registered for another application).
        weights: None, a preset name, a preset folder or a `.weights.h5` path.
        requested: dict argument name -> value given by the caller (None:
            not given).
        defaults: dict argument name -> value of the shipped preset's
            architecture.
        build: `fn(**config) -> model`, the untrained model.
        architecture_of: `fn(model) -> dict` argument name -> value of a
            loaded preset.

    Returns:
        The whole model (e.g. the `keras_gen.models.GAN`).

    Raises:
        ValueError: unknown or corrupted preset, a preset of another
            application, a missing weights file, or arguments that contradict
            the preset.

    Example:

    ```python
    gan = keras_gen.presets.load_application(
        "DCGAN", "dcgan_mnist", {"latent_dim": None}, {"latent_dim": 100},
        build_dcgan, lambda gan: {"latent_dim": gan.latent_dim})
    ```
    """
    given = {key: value for key, value in requested.items() if value is not None}
    if weights is not None and str(weights).endswith(".keras"):
        check_keras_file(str(weights))
        raise ValueError(
            f"weights={weights!r} is a whole saved model: load it with "
            "`keras_gen.presets.load_model_file(path)` (or keras.saving.load_model). "
            f"keras_gen.applications.{application} takes weights=None, a preset name or "
            "folder, or a `.weights.h5` file (`model.save_weights(path)`)."
        )
    if weights is not None and not _is_weights_file(weights):
        _check_preset_belongs_to(application, weights)
        model = from_preset(resolve_preset(weights))
        actual = architecture_of(model)
        unreadable = sorted(set(given) - set(actual))
        if unreadable:
            raise ValueError(
                f"weights={weights!r} fixes the architecture of {application}: leave "
                f"{', '.join(f'`{key}`' for key in unreadable)} out, or use weights=None."
            )
        check_preset_arguments(weights, given, actual)
        return model
    if weights is not None:
        _check_weights_file_exists(str(weights))  # before the (slow) build
    model = build(**{**defaults, **given})
    if weights is not None:
        load_weights_file(model, str(weights))
    return model


def inference_generator(gan):
    """The generator a GAN samples with: its moving average when it keeps one, else the generator.

    Example:

    ```python
    generator = keras_gen.presets.inference_generator(gan)
    ```
    """
    return gan.ema_model if getattr(gan, "ema_model", None) is not None else gan.generator
