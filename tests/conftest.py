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
    keras.backend.clear_session()


@pytest.fixture
def backend():
    return keras.backend.backend()


QUALITY_BACKEND_VARIABLE = "KERAS_GEN_QUALITY_BACKEND"


ONE_BACKEND_MARKERS = ("quality", "guide")


def pytest_collection_modifyitems(config, items):
    """Runs `quality` tests (does a short training run learn?) and `guide` runs on one backend.

    `KERAS_GEN_QUALITY_BACKEND` names that backend (CI rotates it); unset or
    "all" runs them everywhere. Every model's contract test runs on every
    backend regardless.
    """
    chosen = os.environ.get(QUALITY_BACKEND_VARIABLE, "all")
    backend = keras.backend.backend()
    if chosen in ("all", backend):
        return
    for item in items:
        marker = next((m for m in ONE_BACKEND_MARKERS if m in item.keywords), None)
        if marker is not None:
            kind = "learning-quality test" if marker == "quality" else "guide run"
            item.add_marker(pytest.mark.skip(
                reason=f"{kind}: this run checks them on {chosen} "
                f"({QUALITY_BACKEND_VARIABLE}={chosen})"
            ))


def pytest_configure(config):
    # Tests must never reach the network: fail fast instead of hanging.
    os.environ.setdefault("TFDS_DATA_DIR", os.path.join(str(config.rootpath), ".tfds_none"))


@pytest.fixture
def nets():
    """Tiny dense networks for the autoencoder-family tests (fast on every backend)."""
    return types.SimpleNamespace(encoder=dense_encoder, decoder=dense_decoder, patterns=patterns)
