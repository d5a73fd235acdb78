import gc
import os
import types

import keras
import pytest

from keras_gen.testing.models import dense_decoder
from keras_gen.testing.models import dense_encoder
from keras_gen.testing.models import patterns


def pytest_report_header(config):
    return f"keras {keras.__version__}, backend {keras.backend.backend()}"


@pytest.fixture(autouse=True)
def _fixed_seed():
    keras.utils.set_random_seed(1234)
    yield
    # Resets Keras's global state (layer names) without a full garbage
    # collection: with TensorFlow, JAX and torch loaded, each gc.collect()
    # took 0.3-0.5 s (measured), several minutes per backend. Python's own
    # generational collector still runs.
    keras.backend.clear_session(free_memory=False)


def pytest_collection_finish(session):
    # Objects alive after collection (the libraries and test modules) never
    # die: moving them out of the collector's reach keeps its automatic full
    # collections short.
    gc.collect()
    gc.freeze()


@pytest.fixture
def backend():
    return keras.backend.backend()


QUALITY_BACKEND_VARIABLE = "KERAS_GEN_QUALITY_BACKEND"
GUIDE_BACKEND_VARIABLE = "KERAS_GEN_GUIDE_BACKEND"
INDEPENDENT_BACKEND_VARIABLE = "KERAS_GEN_INDEPENDENT_BACKEND"


def pytest_collection_modifyitems(config, items):
    """Runs `quality` tests (does a short training run learn?) and `guide` runs on one backend.

    `KERAS_GEN_QUALITY_BACKEND` names that backend (CI rotates it); unset or
    "all" runs them everywhere. `KERAS_GEN_GUIDE_BACKEND`, when set, chooses
    the guides' backend separately ("none": no guide runs), and
    `KERAS_GEN_INDEPENDENT_BACKEND` the backend of the `backend_independent`
    tests (code that never touches a Keras backend). Every model's contract
    test runs on every backend regardless.
    """
    quality = os.environ.get(QUALITY_BACKEND_VARIABLE, "all")
    choices = {
        "quality": (quality, QUALITY_BACKEND_VARIABLE, "learning-quality test"),
        "guide": (os.environ.get(GUIDE_BACKEND_VARIABLE, quality),
                  GUIDE_BACKEND_VARIABLE if GUIDE_BACKEND_VARIABLE in os.environ
                  else QUALITY_BACKEND_VARIABLE, "guide run"),
        "backend_independent": (os.environ.get(INDEPENDENT_BACKEND_VARIABLE, "all"),
                                INDEPENDENT_BACKEND_VARIABLE, "backend-independent test"),
    }
    backend = keras.backend.backend()
    for item in items:
        for marker, (chosen, variable, kind) in choices.items():
            if marker in item.keywords and chosen not in ("all", backend):
                where = "not in this run" if chosen == "none" else f"this run checks them on {chosen}"
                item.add_marker(pytest.mark.skip(reason=f"{kind}: {where} ({variable}={chosen})"))
                break


def pytest_configure(config):
    # Tests must never reach the network: fail fast instead of hanging.
    os.environ.setdefault("TFDS_DATA_DIR", os.path.join(str(config.rootpath), ".tfds_none"))


@pytest.fixture
def nets():
    """Tiny dense networks for the autoencoder-family tests (fast on every backend)."""
    return types.SimpleNamespace(encoder=dense_encoder, decoder=dense_decoder, patterns=patterns)
