"""keras_gen: generative models for Keras 3 on TensorFlow, JAX and PyTorch.

Models subclass `keras.Model` and train with `fit()`; every objective is
written once with `keras.ops` and the backend-specific gradient code lives in
`keras_gen.trainers`.
"""

import importlib.util as _importlib_util
import os as _os
import sys as _sys

__version__ = "0.1.0"


def _map_applications_folder():
    """Makes the top-level `applications/` folder importable as `keras_gen.applications`.

    Installed packages (`pip install .` and `pip install -e .`) get the mapping
    from setup.py's `package_dir`; a source checkout imported without
    installing it gets the same folder here. Nothing is done when the
    package is already importable.
    """
    if _importlib_util.find_spec("keras_gen.applications") is not None:
        return
    source = _os.path.join(_os.path.dirname(__path__[0]), "applications")
    init_file = _os.path.join(source, "__init__.py")
    if not _os.path.isfile(init_file):
        raise ImportError(
            f"keras_gen.applications is missing: neither installed nor found in {source}. "
            "Reinstall keras-gen (pip install .) or run from a complete source checkout."
        )
    spec = _importlib_util.spec_from_file_location(
        "keras_gen.applications", init_file, submodule_search_locations=[source]
    )
    module = _importlib_util.module_from_spec(spec)
    _sys.modules["keras_gen.applications"] = module
    spec.loader.exec_module(module)


from keras_gen import utils  # noqa: E402
from keras_gen import distributed  # noqa: E402
from keras_gen import losses  # noqa: E402
from keras_gen import layers  # noqa: E402
from keras_gen import networks  # noqa: E402
from keras_gen import trainers  # noqa: E402
from keras_gen import models  # noqa: E402
from keras_gen import metrics  # noqa: E402
from keras_gen import callbacks  # noqa: E402
from keras_gen import datasets  # noqa: E402
from keras_gen import presets  # noqa: E402

_map_applications_folder()
from keras_gen import applications  # noqa: E402
