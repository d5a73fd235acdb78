"""`run_preset_test`: what every shipped preset must hold, checked in one call."""

import os
import shutil
import tempfile

import keras
import numpy as np

from keras_gen import presets
from keras_gen.models import GenerativeModel


def run_preset_test(name):
    """Checks a shipped preset: metadata, model card, verified loading, exact round trip.

    - `metadata.json` names the preset, its recipe command, measured metrics
      and the parameter count of the model it loads;
    - the model card (`README.md`) exists and gives the recipe command;
    - `from_preset(name)` verifies the weights and builds the registered class;
    - a copy whose weights file was altered is refused with a `ValueError`;
    - the loaded model written again with `save_to_preset` loads back with
      identical variables.

    Args:
        name: a name from `keras_gen.presets.list_presets()`.

    Example:

    >>> for name in keras_gen.presets.list_presets():
    ...     keras_gen.testing.run_preset_test(name)
    """
    preset_dir = presets.resolve_preset(name)
    metadata = presets.load_metadata(preset_dir)
    assert metadata.get("name") == name, f"metadata.json of {name} names {metadata.get('name')!r}"
    assert metadata.get("recipe"), f"{name}: metadata.json has no recipe command"
    assert metadata.get("metrics"), f"{name}: metadata.json has no measured metrics"
    card_path = os.path.join(preset_dir, "README.md")
    assert os.path.isfile(card_path), f"{name} has no model card"
    with open(card_path) as f:
        card = f.read()
    recipe_script = metadata["recipe"].split("recipes/")[-1].split()[0]
    assert recipe_script in card, f"{name}: the model card does not give the recipe ({recipe_script})"

    model = presets.from_preset(name)
    entry = presets.preset_entry(name)
    assert isinstance(model, entry.model_class), (name, type(model), entry.model_class)
    if "parameter_count" in metadata:
        assert model.count_params() == metadata["parameter_count"], name

    with tempfile.TemporaryDirectory() as tmp:
        altered = os.path.join(tmp, "altered")
        shutil.copytree(preset_dir, altered)
        with open(os.path.join(altered, "model.weights.h5"), "ab") as f:
            f.write(b"\0")
        try:
            presets.from_preset(altered)
        except ValueError as error:
            assert "sha256" in str(error), error
        else:
            raise AssertionError(f"{name}: an altered weights file was loaded")

        copy_dir = os.path.join(tmp, "copy")
        presets.save_to_preset(model, copy_dir, metadata={"name": name})
        reloaded = presets.from_preset(copy_dir)
    assert len(reloaded.variables) == len(model.variables), name
    # keras_gen models save their seed-generator states; a plain keras.Model does not.
    saves_seeds = isinstance(model, GenerativeModel)
    for a, b in zip(model.variables, reloaded.variables):
        if not saves_seeds and a.path.endswith("seed_generator_state"):
            continue
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), err_msg=f"{name}: {a.path}"
        )
    return model
