"""Presets: a folder holding a model's config, weights, metadata and model card.

Layout (as in keras-hub):

    <preset>/config.json         the model, serialized with Keras (no pickling), verified
                                 by sha256 before loading
    <preset>/model.weights.h5    the weights, verified by sha256 before loading
    <preset>/metadata.json       versions, parameter count, the sha256 of every other file
                                 (`files_sha256`; also `weights_sha256`), dataset, recipe,
                                 metrics
    <preset>/README.md           the model card

Named presets ship inside the package in `keras_gen/applications/presets/`.
"""

import datetime
import hashlib
import json
import os

import keras

from keras_gen.networks.layout import convert_model_data_format

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
MODEL_CARD_FILE = "README.md"


def sha256_of_file(path):
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def builtin_presets_dir():
    """The folder of the presets that ship with `keras_gen.applications`."""
    import keras_gen.applications

    return os.path.join(os.path.dirname(keras_gen.applications.__file__), "presets")


def resolve_preset(name_or_dir):
    """Returns the folder of a preset given its name or its path."""
    if os.path.isdir(name_or_dir):
        return name_or_dir
    candidate = os.path.join(builtin_presets_dir(), name_or_dir)
    if os.path.isdir(candidate):
        return candidate
    from keras_gen.presets.registry import list_presets

    raise ValueError(
        f"Unknown preset {name_or_dir!r}: it is neither a folder nor one of the "
        f"shipped presets {list_presets()}."
    )


def save_to_preset(model, preset_dir, metadata=None, model_card=None):
    """Writes `model` as a preset folder (the low-level part of `write_preset`).

    Recipes use `keras_gen.presets.write_preset`, which adds the reproduce
    command, hardware, weights size, hashes of every file, figures and a
    round-trip check on top of this.

    Args:
        model: a Keras model (any registered `keras_gen` model or a plain
            functional model).
        preset_dir: folder to write (created if needed).
        metadata: dict merged into `metadata.json` (dataset, recipe command,
            metrics and how they were measured, training time, ...).
        model_card: Markdown text of `README.md`; a minimal card is written
            when None.

    Returns:
        `preset_dir`.

    Only the model is stored, not its optimizer state: a preset loads
    uncompiled, and fine-tuning starts with `compile()`.

    Example:

    >>> keras_gen.presets.save_to_preset(gan, "my_dcgan",
    ...     metadata={"dataset": "embedded MNIST digits"})
    >>> gan = keras_gen.presets.from_preset("my_dcgan")
    """
    os.makedirs(preset_dir, exist_ok=True)
    model = _without_training_state(model)
    config = keras.saving.serialize_keras_object(model)
    with open(os.path.join(preset_dir, CONFIG_FILE), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    weights_path = os.path.join(preset_dir, WEIGHTS_FILE)
    model.save_weights(weights_path)
    from keras_gen import __version__

    full_metadata = {
        "class_name": model.__class__.__name__,
        "keras_gen_version": __version__,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "parameter_count": int(model.count_params()),
        "weights_sha256": sha256_of_file(weights_path),
        "created": datetime.date.today().isoformat(),
    }
    full_metadata.update(metadata or {})
    if model_card is None:
        model_card = f"# {os.path.basename(os.path.normpath(preset_dir))}\n\n{model.__class__.__name__} preset.\n"
    with open(os.path.join(preset_dir, MODEL_CARD_FILE), "w") as f:
        f.write(model_card)
    full_metadata["files_sha256"] = {
        name: sha256_of_file(os.path.join(preset_dir, name))
        for name in (CONFIG_FILE, WEIGHTS_FILE, MODEL_CARD_FILE)
    }
    with open(os.path.join(preset_dir, METADATA_FILE), "w") as f:
        json.dump(full_metadata, f, indent=2, sort_keys=True)
    return preset_dir


def record_file_hashes(preset_dir):
    """Records the sha256 of every file of a preset folder in its `metadata.json`.

    `from_preset` verifies every file it reads against these hashes. Folders
    written by `save_to_preset`/`write_preset` already hold them; use this
    for a folder written by an older keras_gen (whose `metadata.json` records
    the weights' hash only), and only when you trust its files: it records
    whatever the files hold now.

    Args:
        preset_dir: the preset folder.

    Returns:
        The updated metadata.

    Example:

    >>> keras_gen.presets.record_file_hashes("my_old_preset")
    >>> model = keras_gen.presets.from_preset("my_old_preset")
    """
    metadata = load_metadata(preset_dir)
    metadata["files_sha256"] = {
        name: sha256_of_file(os.path.join(preset_dir, name))
        for name in sorted(os.listdir(preset_dir))
        if name != METADATA_FILE and os.path.isfile(os.path.join(preset_dir, name))
    }
    if WEIGHTS_FILE in metadata["files_sha256"]:
        metadata["weights_sha256"] = metadata["files_sha256"][WEIGHTS_FILE]
    with open(os.path.join(preset_dir, METADATA_FILE), "w") as f:
        json.dump(metadata, f, indent=2, sort_keys=True)
        f.write("\n")
    return metadata


def _without_training_state(model):
    """An uncompiled copy of a compiled model (weights without optimizer state)."""
    if not getattr(model, "compiled", False):
        return model
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def check_preset_arguments(weights, requested, actual):
    """Raises if arguments given with a preset contradict its architecture.

    Args:
        weights: the preset name or folder (for the message).
        requested: dict argument name -> value passed by the caller (None:
            not given).
        actual: dict argument name -> value of the loaded preset; names
            missing here are not checked.

    Raises:
        ValueError: naming the argument, the preset's value and the fix.
    """
    for key, value in requested.items():
        if value is None or key not in actual:
            continue
        if (tuple(value) if isinstance(value, (list, tuple)) else value) != actual[key]:
            raise ValueError(
                f"The {weights!r} weights need {key}={actual[key]!r}; received "
                f"{key}={value!r}. Leave it out, or use weights=None."
            )


def load_metadata(name_or_dir):
    """Returns the `metadata.json` of a preset as a dict.

    Raises:
        ValueError: the file is missing or is not a JSON object.
    """
    path = os.path.join(resolve_preset(name_or_dir), METADATA_FILE)
    if not os.path.isfile(path):
        raise ValueError(
            f"Preset folder {os.path.dirname(path)!r} has no {METADATA_FILE}: it is not a "
            "complete preset. Write presets with keras_gen.presets.save_to_preset or "
            "write_preset."
        )
    try:
        with open(path) as f:
            metadata = json.load(f)
    except ValueError as error:
        raise ValueError(
            f"{path} is not valid JSON ({error}): the preset is corrupted. Reinstall "
            "keras-gen or re-run the preset's recipe to rebuild it."
        ) from None
    if not isinstance(metadata, dict):
        raise ValueError(f"{path} must hold a JSON object; it holds {type(metadata).__name__}.")
    return metadata


def expected_sha256(metadata, filename, preset_dir="the preset"):
    """The sha256 that `metadata.json` records for `filename`.

    Read from `files_sha256`; for the weights, `weights_sha256` too.

    Raises:
        ValueError: no hash is recorded for the file (naming
            `record_file_hashes` as the fix).
    """
    digest = (metadata.get("files_sha256") or {}).get(filename)
    if digest is None and filename == WEIGHTS_FILE:
        digest = metadata.get("weights_sha256")
    if not isinstance(digest, str) or not digest:
        raise ValueError(
            f"The {METADATA_FILE} of {preset_dir} records no sha256 for {filename}, so the "
            "file cannot be verified and is not loaded. Presets written by keras_gen "
            "(`save_to_preset`, `write_preset`) record one for every file; for a folder "
            "written by an older version whose files you trust, record them with "
            f"`keras_gen.presets.record_file_hashes({preset_dir!r})`."
        )
    return digest


def verify_weights(weights_path, expected_sha256):
    """Raises `ValueError` if the file's sha256 is not `expected_sha256`."""
    verify_file(weights_path, expected_sha256, "Weights file")


def verify_file(path, expected_sha256, kind="File"):
    """Raises `ValueError` naming the fix if the file at `path` is missing or its sha256 differs.

    Args:
        path: the file.
        expected_sha256: hex digest recorded in `metadata.json`.
        kind: what the file is, for the message (e.g. "Weights file").
    """
    if not os.path.isfile(path):
        raise ValueError(f"{kind} {path} is missing.")
    actual = sha256_of_file(path)
    if actual != expected_sha256:
        raise ValueError(
            f"{kind} {path} is corrupted or was modified: its sha256 is "
            f"{actual}, expected {expected_sha256}. Reinstall keras-gen or re-run the "
            "preset's recipe to rebuild it."
        )


def load_preset_weights(model, name_or_dir):
    """Loads a preset's verified weights into an existing `model`."""
    preset_dir = resolve_preset(name_or_dir)
    metadata = load_metadata(preset_dir)
    weights_path = os.path.join(preset_dir, WEIGHTS_FILE)
    verify_weights(weights_path, expected_sha256(metadata, WEIGHTS_FILE, preset_dir))
    model.load_weights(weights_path)
    return model


def from_preset(name_or_dir, load_weights=True, data_format=None):
    """Builds the model stored in a preset and loads its verified weights.

    Args:
        name_or_dir: a shipped preset name (see `list_presets()`) or a folder
            written by `save_to_preset`.
        load_weights: False returns the freshly initialised architecture.
        data_format: the layout of the model's image networks,
            `"channels_last"` or `"channels_first"`; None keeps the layout
            the preset was saved in (channels-last for the shipped ones).
            Another layout converts the networks with the same weights
            (`keras_gen.networks.convert_model_data_format`), so the model
            computes the same numbers on transposed images.

    Returns:
        The model.

    Raises:
        ValueError: unknown preset, a `metadata.json` that is missing or
            records no sha256 for a file loading reads, or a file (config or
            weights) whose sha256 does not match it.
    """
    preset_dir = resolve_preset(name_or_dir)
    config_path = os.path.join(preset_dir, CONFIG_FILE)
    metadata = load_metadata(preset_dir)
    # Every file read is verified: the config first, the weights before loading them.
    verify_file(config_path, expected_sha256(metadata, CONFIG_FILE, preset_dir), "Config file")
    if load_weights:
        expected_sha256(metadata, WEIGHTS_FILE, preset_dir)
    with open(config_path) as f:
        config = json.load(f)
    model = keras.saving.deserialize_keras_object(config)
    if load_weights:
        load_preset_weights(model, preset_dir)
    return model if data_format is None else convert_model_data_format(model, data_format)
