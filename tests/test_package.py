"""Packaging and the main job, as a user runs them."""

import os
import subprocess
import sys

import keras_gen


def test_applications_import_from_outside_the_source_tree(tmp_path):
    # From another folder this imports the installed package (regular or
    # editable install), whose `keras_gen.applications` comes from applications/.
    code = "import keras_gen.applications as a; print(a.DCGAN.__module__)"
    result = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "keras_gen.applications.dcgan"


SOURCE_CHECKOUT = """
import sys
# An uninstalled source checkout: no editable-install finder, the repository on sys.path.
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
sys.path_hooks[:] = [h for h in sys.path_hooks if "editable" not in repr(h)]
sys.path.insert(0, sys.argv[1])
import keras_gen
import keras_gen.applications
assert keras_gen.applications.__file__.startswith(sys.argv[1])
print(keras_gen.applications.DCGAN.__module__, sorted(keras_gen.presets.list_presets())[:1])
"""


def test_applications_import_from_an_uninstalled_source_checkout(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", SOURCE_CHECKOUT, root], cwd=str(tmp_path),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[0] == "keras_gen.applications.dcgan"


def test_embedded_data_ships_with_its_attribution():
    folder = os.path.join(os.path.dirname(keras_gen.__file__), "datasets", "data")
    assert os.path.isfile(os.path.join(folder, "mnist_5k.npz"))
    with open(os.path.join(folder, "README.md")) as f:
        assert "CC BY-SA 3.0" in f.read()
