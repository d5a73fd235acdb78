"""The registry of named presets: which model class each one builds, and what it is.

Each application module registers the presets it ships (e.g.
`applications/dcgan.py` registers `dcgan_mnist` for `keras_gen.models.GAN`),
and `list_presets()` reads this registry together with the preset folders
found on disk.
"""

import collections
import json
import os

from keras_gen.presets.preset import CONFIG_FILE
from keras_gen.presets.preset import METADATA_FILE
from keras_gen.presets.preset import builtin_presets_dir

PresetEntry = collections.namedtuple(
    "PresetEntry", ["name", "model_class", "description", "application"]
)
PresetEntry.__doc__ = """A registered preset.

Fields:
    name: the preset name, e.g. `"dcgan_mnist"`.
    model_class: the class `from_preset(name)` returns an instance of.
    description: one line saying what the preset is.
    application: the name of the `keras_gen.applications` constructor that
        loads it (e.g. `"DCGAN"`), or None when only `from_preset` does.
"""

_REGISTRY = {}


def register_preset(name, model_class, description, application=None):
    """Registers a shipped preset under `name`.

    Args:
        name: preset name, the folder name under the shipped presets.
        model_class: the class of the model the preset holds.
        description: one line saying what the preset is.
        application: name of the `keras_gen.applications` constructor that
            loads it, if any.

    Returns:
        The `PresetEntry`.

    Raises:
        ValueError: `name` is already registered with a different entry.

    Example:

    ```python
    keras_gen.presets.register_preset(
        "dcgan_mnist", keras_gen.models.GAN, "DCGAN trained on the embedded digits",
        application="DCGAN")
    ```
    """
    entry = PresetEntry(name, model_class, description, application)
    existing = _REGISTRY.get(name)
    if existing is not None and existing != entry:
        raise ValueError(
            f"A preset named {name!r} is already registered ({existing}); choose another name."
        )
    _REGISTRY[name] = entry
    return entry


def _ensure_shipped_presets_registered():
    # The shipped presets are registered by the modules of keras_gen.applications.
    import keras_gen.applications  # noqa: F401


def registered_presets(model_class=None):
    """The registered presets, optionally only those holding a `model_class` (or a subclass).

    Args:
        model_class: a class, e.g. `keras_gen.models.GAN`; None for all.

    Returns:
        A dict preset name -> `PresetEntry`, sorted by name.

    Example:

    ```python
    keras_gen.presets.registered_presets(keras_gen.models.VAE)["vae_mnist"].description
    ```
    """
    _ensure_shipped_presets_registered()
    return {
        name: entry
        for name, entry in sorted(_REGISTRY.items())
        if model_class is None or issubclass(entry.model_class, model_class)
    }


def preset_entry(name):
    """The `PresetEntry` of a registered preset name, or None."""
    _ensure_shipped_presets_registered()
    return _REGISTRY.get(name)


def _class_name_on_disk(preset_dir):
    try:
        with open(os.path.join(preset_dir, METADATA_FILE)) as f:
            return json.load(f).get("class_name")
    except (OSError, ValueError):
        return None


def list_presets(model_class=None):
    """Names of the shipped presets present on disk, optionally for one model class.

    A preset is listed when its folder holds a `config.json`. Registered
    presets are filtered by their registered class (subclasses included);
    folders nobody registered, by the class name in their `metadata.json`.

    Args:
        model_class: a class, e.g. `keras_gen.models.GAN`; None for all.

    Returns:
        A sorted list of preset names.

    Example:

    ```python
    keras_gen.presets.list_presets()                          # every shipped preset
    keras_gen.presets.list_presets(keras_gen.models.GAN)      # dcgan_mnist, sagan_mnist, ...
    ```
    """
    registered = registered_presets()
    root = builtin_presets_dir()
    if not os.path.isdir(root):
        return []
    names = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if not os.path.isfile(os.path.join(folder, CONFIG_FILE)):
            continue
        if model_class is not None:
            entry = registered.get(name)
            if entry is not None:
                if not issubclass(entry.model_class, model_class):
                    continue
            elif _class_name_on_disk(folder) != model_class.__name__:
                continue
        names.append(name)
    return names
