"""`write_preset`: the one way a recipe writes a preset folder.

Every recipe in `recipes/` ends the same way: write the model, its metadata
and model card and its figures, and check that the folder loads back into a
model that computes what the trained one computes. `write_preset` is that
ending; the recipe supplies only what is particular to it.
"""

import json
import os
import platform
import shlex
import sys

import keras
import numpy as np

from keras_gen.distributed.environment import is_chief
from keras_gen.distributed.saving import chief_writes
from keras_gen.presets.preset import METADATA_FILE
from keras_gen.presets.preset import MODEL_CARD_FILE
from keras_gen.presets.preset import WEIGHTS_FILE
from keras_gen.presets.preset import from_preset
from keras_gen.presets.preset import load_metadata
from keras_gen.presets.preset import save_to_preset
from keras_gen.presets.preset import sha256_of_file

# Metadata that write_preset computes; a recipe must not pass its own.
OWNED_METADATA = (
    "recipe", "hardware", "weights_megabytes", "files_sha256", "weights_sha256",
    "parameter_count", "keras_version", "keras_gen_version", "backend", "class_name",
)
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reproduce_command(script=None, args=None):
    """The shell command that reruns a recipe on the current backend.

    Args:
        script: path of the recipe; default `sys.argv[0]`. Paths inside the
            repository are written relative to its root (`recipes/...`).
        args: its command-line arguments; default `sys.argv[1:]`.

    Returns:
        E.g. `"KERAS_BACKEND=tensorflow python recipes/dcgan_mnist.py --epochs 100"`.

    Example:

    ```python
    keras_gen.presets.reproduce_command("recipes/vae_mnist.py", ["--epochs", "20"])
    ```
    """
    script = sys.argv[0] if script is None else script
    args = sys.argv[1:] if args is None else args
    path = os.path.abspath(script)
    if path.startswith(_REPO_ROOT + os.sep):
        script = os.path.relpath(path, _REPO_ROOT)
    words = [f"KERAS_BACKEND={keras.backend.backend()}", "python", script] + [str(a) for a in args]
    return " ".join(shlex.quote(word) if i > 0 else word for i, word in enumerate(words))


def hardware_description():
    """One line naming the machine a recipe ran on, e.g. `"2 CPU cores (x86_64)"`."""
    return f"{os.cpu_count()} CPU cores ({platform.machine()})"


def _network_outputs(model):
    """Outputs of every functional network of `model` on fixed random inputs, in inference mode."""
    if getattr(model, "_is_graph_network", False) or getattr(model, "inputs", None):
        networks = [model]
    else:
        networks = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    outputs = {}
    for network in networks:
        rng = np.random.default_rng(0)
        inputs = []
        for spec in network.inputs:
            shape = (2,) + tuple(spec.shape[1:])
            if "int" in str(spec.dtype):
                inputs.append(np.zeros(shape, "int32"))
            else:
                inputs.append(rng.standard_normal(shape).astype("float32"))
        result = network(inputs if len(inputs) > 1 else inputs[0], training=False)
        # Nested outputs (e.g. a multi-scale discriminator's features per scale) are flattened.
        outputs[network.name] = [keras.ops.convert_to_numpy(r) for r in keras.tree.flatten(result)]
    return outputs


def check_round_trip(model, preset_dir, outputs=None, atol=1e-5):
    """Reloads a preset folder and checks it computes what `model` computes.

    Args:
        model: the model that was written.
        preset_dir: the preset folder.
        outputs: `fn(model) -> dict name -> list of arrays`; default: the
            outputs of every functional network of the model (the model
            itself if functional) on fixed random inputs, `training=False`.
        atol: absolute tolerance.

    Returns:
        The reloaded model.

    Raises:
        ValueError: naming the output that differs.

    Example:

    ```python
    keras_gen.presets.check_round_trip(gan, "my_preset")
    ```
    """
    outputs = outputs or _network_outputs
    reloaded = from_preset(preset_dir)
    expected, actual = outputs(model), outputs(reloaded)
    if set(expected) != set(actual):
        raise ValueError(
            f"The preset in {preset_dir} reloads with networks {sorted(actual)}, the model has "
            f"{sorted(expected)}: the model's get_config() does not describe it."
        )
    for name, values in expected.items():
        for index, (want, got) in enumerate(zip(values, actual[name])):
            if want.shape != got.shape or not np.allclose(want, got, atol=atol, rtol=1e-5):
                raise ValueError(
                    f"The preset in {preset_dir} does not reproduce the model: output {index} "
                    f"of {name!r} differs after reloading. Check the model's get_config() "
                    "and that every layer is registered for serialization."
                )
    return reloaded


def _write_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)


def write_preset(model, preset_dir, metadata, card, figures=None, recipe_script=None,
                 recipe_args=None, outputs=None, trained_on=None):
    """Writes a preset folder the way every recipe does, and checks that it loads back.

    Writes `config.json` and `model.weights.h5` (no optimizer state; see
    `save_to_preset`), then the model card `README.md`, then each figure,
    then `metadata.json`, and finally reloads the folder with `from_preset`
    and compares its outputs with `model`'s. The metadata gets, besides the
    recipe's own entries and `save_to_preset`'s (versions, backend, class,
    parameter count, weights sha256, date):

    - `recipe`: the command that reproduces the run (`reproduce_command`);
    - `hardware`: the machine it ran on (`hardware_description`);
    - `weights_megabytes`: the size of `model.weights.h5`;
    - `files_sha256`: the sha256 of every file written, by file name.

    Args:
        model: the trained model (compiled or not).
        preset_dir: folder to write (created if needed).
        metadata: dict of the recipe's metadata (dataset, training settings,
            metrics and how they were measured, ...). It must not hold the
            entries `write_preset` computes (`OWNED_METADATA`).
        card: the model card: Markdown text, or `fn(metadata) -> str` called
            with the complete metadata (so the card can quote the command,
            hardware, parameter count and weights size).
        figures: optional dict file name -> `fn(path)` that writes that file
            (sample grids, reference arrays, training logs).
        recipe_script: path of the recipe; default `sys.argv[0]`.
        recipe_args: the recipe's arguments; default `sys.argv[1:]`.
        trained_on: for weights trained on another machine, a dict that
            replaces the computed `hardware` and `recipe` (that run's
            machine and command, its environment included).
        outputs: how to compare the reloaded model with `model` (see
            `check_round_trip`).

    In a multi-process run only the chief writes `preset_dir` (rank 0, see
    `keras_gen.distributed.is_chief`); the other workers go through the same
    steps into a scratch folder that is deleted (on JAX, reading a weight is
    a collective of all processes), wait for the chief and return None, so a
    recipe runs unchanged on every worker.

    Returns:
        The metadata as written to `metadata.json` (None on a worker that is
        not the chief).

    Raises:
        ValueError: metadata holding an entry `write_preset` computes, or a
            preset that does not reload into the same model.

    Example:

    ```python
    keras_gen.presets.write_preset(
        gan, "applications/presets/dcgan_mnist",
        metadata={"dataset": "embedded MNIST digits", "metrics": {"fid_digits": 87.2}},
        card=lambda m: f"# dcgan_mnist\\n\\nReproduce with `{m['recipe']}`.\\n",
        figures={"samples.png": lambda path: keras_gen.utils.save_image_grid(
            gan.generate(64, seed=0), path)},
        recipe_script=__file__, recipe_args=["--epochs", "100"])
    ```
    """
    owned = sorted(set(metadata) & set(OWNED_METADATA))
    if owned:
        raise ValueError(
            f"write_preset computes {owned}: leave them out of `metadata`."
        )
    figures = dict(figures or {})
    reserved = {"config.json", WEIGHTS_FILE, METADATA_FILE, MODEL_CARD_FILE} & set(figures)
    if reserved:
        raise ValueError(f"Figures may not be named {sorted(reserved)}: write_preset writes those.")
    if not metadata.get("metrics"):
        raise ValueError(
            "`metadata` needs a non-empty 'metrics' entry: the numbers the model card "
            "reports and how they were measured."
        )
    # Every worker goes through the same saves and reloads (on JAX, reading a
    # weight is a collective of all processes); the others write a scratch copy.
    with chief_writes(preset_dir, getattr(model, "distribute_strategy", None)) as target:
        full = _write_preset(model, target, metadata, card, figures, recipe_script, recipe_args,
                             outputs, trained_on)
    return full if is_chief() else None


def _write_preset(model, preset_dir, metadata, card, figures, recipe_script, recipe_args,
                  outputs, trained_on):
    unknown = sorted(set(trained_on or {}) - {"hardware", "recipe"})
    if unknown:
        raise ValueError(f"`trained_on` takes 'hardware' and 'recipe'; received {unknown}.")
    extra = {
        "name": metadata.get("name", os.path.basename(os.path.normpath(preset_dir))),
        "recipe": reproduce_command(recipe_script, recipe_args),
        "hardware": hardware_description(),
        **(trained_on or {}),
    }
    save_to_preset(model, preset_dir, metadata={**metadata, **extra})
    full = load_metadata(preset_dir)
    full["weights_megabytes"] = round(os.path.getsize(os.path.join(preset_dir, WEIGHTS_FILE)) / 1e6, 3)
    text = card(full) if callable(card) else card
    with open(os.path.join(preset_dir, MODEL_CARD_FILE), "w") as f:
        f.write(text)
    for filename, write in figures.items():
        write(os.path.join(preset_dir, filename))
        if not os.path.isfile(os.path.join(preset_dir, filename)):
            raise ValueError(f"The figure writer for {filename!r} wrote no file.")
    written = ["config.json", WEIGHTS_FILE, MODEL_CARD_FILE] + sorted(figures)
    full["files_sha256"] = {
        name: sha256_of_file(os.path.join(preset_dir, name)) for name in written
    }
    _write_json(os.path.join(preset_dir, METADATA_FILE), full)
    check_round_trip(model, preset_dir, outputs=outputs)
    return full
