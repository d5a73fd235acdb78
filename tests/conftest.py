import os
import types

import keras
import numpy as np
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


QUALITY_BACKEND_VARIABLE = "KERAS_GEN_QUALITY_BACKEND"


def pytest_collection_modifyitems(config, items):
    """Runs `quality` tests (does a short training run learn?) on one chosen backend.

    `KERAS_GEN_QUALITY_BACKEND` names that backend (CI rotates it); unset or
    "all" runs them everywhere. Every model's contract test runs on every
    backend regardless.
    """
    chosen = os.environ.get(QUALITY_BACKEND_VARIABLE, "all")
    backend = keras.backend.backend()
    if chosen in ("all", backend):
        return
    skip = pytest.mark.skip(
        reason=f"learning-quality test: this run checks them on {chosen} "
        f"({QUALITY_BACKEND_VARIABLE}={chosen})"
    )
    for item in items:
        if "quality" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    # Tests must never reach the network: fail fast instead of hanging.
    os.environ.setdefault("TFDS_DATA_DIR", os.path.join(str(config.rootpath), ".tfds_none"))


# Tiny networks for the autoencoder-family tests (dense, so every backend is fast).
def dense_encoder(image_shape=(4, 4, 1), latent_dim=2, variational=True, num_classes=None):
    """Flatten -> [mean, log_var] (or one code) through linear heads."""
    image = keras.Input(image_shape, name="image")
    inputs = [image]
    x = keras.layers.Flatten()(image)
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label")
        inputs.append(label)
        x = keras.layers.Concatenate()([x, label])
    if variational:
        outputs = [
            keras.layers.Dense(latent_dim, name="mean")(x),
            keras.layers.Dense(latent_dim, name="log_var")(x),
        ]
    else:
        outputs = keras.layers.Dense(latent_dim, name="latent")(x)
    return keras.Model(inputs if num_classes else image, outputs, name="encoder")


def dense_decoder(image_shape=(4, 4, 1), latent_dim=2, num_classes=None, activation=None):
    """Linear map from the code to the image (logits, or `activation`)."""
    latent = keras.Input((latent_dim,), name="latent")
    inputs = [latent]
    x = latent
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label")
        inputs.append(label)
        x = keras.layers.Concatenate()([latent, label])
    x = keras.layers.Dense(int(np.prod(image_shape)), activation=activation, name="pixels")(x)
    outputs = keras.layers.Reshape(image_shape)(x)
    return keras.Model(inputs if num_classes else latent, outputs, name="decoder")


def patterns(n=64, image_shape=(4, 4, 1), seed=0):
    """Images in [-1, 1] from two prototypes plus noise, and their labels."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(image_shape))
    prototypes = np.stack([np.linspace(-1, 1, size), np.linspace(1, -1, size)])
    labels = np.arange(n) % 2
    x = prototypes[labels] + 0.2 * rng.standard_normal((n, size))
    return np.clip(x, -1, 1).reshape((n,) + image_shape).astype("float32"), labels


@pytest.fixture
def nets():
    return types.SimpleNamespace(encoder=dense_encoder, decoder=dense_decoder, patterns=patterns)
