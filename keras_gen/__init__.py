"""keras_gen: generative models for Keras 3 on TensorFlow, JAX and PyTorch.

Models subclass `keras.Model` and train with `fit()`; every objective is
written once with `keras.ops` and the backend-specific gradient code lives in
`keras_gen.trainers`.
"""

import importlib.util as _importlib_util
import os as _os
import sys as _sys

__version__ = "0.1.0"


def _expose_source_applications():
    """Maps `<repo>/applications` to `keras_gen.applications` in a source checkout.

    An installed package (regular or editable) already has
    `keras_gen.applications`; this only matters when `keras_gen` is imported
    straight from a clone without installing it.
    """
    if _importlib_util.find_spec("keras_gen.applications") is not None:
        return
    source = _os.path.join(_os.path.dirname(__path__[0]), "applications")
    init_file = _os.path.join(source, "__init__.py")
    if not _os.path.isfile(init_file):
        return
    spec = _importlib_util.spec_from_file_location(
        "keras_gen.applications", init_file, submodule_search_locations=[source]
    )
    module = _importlib_util.module_from_spec(spec)
    _sys.modules["keras_gen.applications"] = module
    spec.loader.exec_module(module)
    globals()["applications"] = module


from keras_gen import utils  # noqa: E402
from keras_gen import losses  # noqa: E402
from keras_gen import layers  # noqa: E402
from keras_gen import networks  # noqa: E402
from keras_gen import trainers  # noqa: E402
from keras_gen import models  # noqa: E402
from keras_gen import metrics  # noqa: E402
from keras_gen import callbacks  # noqa: E402
from keras_gen import datasets  # noqa: E402
from keras_gen import presets  # noqa: E402

_expose_source_applications()


def __getattr__(name):
    # `keras_gen.applications` imports the model families, so it loads on
    # first use rather than with the package.
    if name == "applications":
        import importlib

        return importlib.import_module("keras_gen.applications")
    raise AttributeError(f"module 'keras_gen' has no attribute {name!r}")
