import os

import keras
import pytest


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


def pytest_configure(config):
    # Tests must never reach the network: fail fast instead of hanging.
    os.environ.setdefault("TFDS_DATA_DIR", os.path.join(str(config.rootpath), ".tfds_none"))
