"""`keras_gen.distributed.sync_batch_norm` in one process (the 2-rank run is in test_torch_distributed.py)."""

import keras
import numpy as np
import pytest

import keras_gen


def _model():
    inputs = keras.Input((4,))
    x = keras.layers.Dense(6)(inputs)
    x = keras.layers.BatchNormalization()(x)
    inner = keras.Sequential([keras.Input((6,)), keras_gen.layers.BatchNormalization()], name="inner")
    return keras.Model(inputs, inner(x))


def _batch_norms(model):
    return [l for l in model._flatten_layers() if isinstance(l, keras.layers.BatchNormalization)]


def test_sync_batch_norm_sets_nested_layers_and_changes_nothing_alone():
    x = np.random.default_rng(0).standard_normal((8, 4)).astype("float32")
    reference = _model()
    synced = _model()
    synced.set_weights(reference.get_weights())
    expected = keras.ops.convert_to_numpy(reference(x, training=True))

    assert keras_gen.distributed.sync_batch_norm(synced) == 2
    layers = _batch_norms(synced)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        assert all(layer.synchronized for layer in layers)
    elif backend == "torch":
        assert all("_moments" in layer.__dict__ for layer in layers)
    # Without a process group or strategy the statistics are the batch's own.
    out = keras.ops.convert_to_numpy(synced(x, training=True))
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    for a, b in zip(synced.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)

    assert keras_gen.distributed.sync_batch_norm(synced, enabled=False) == 2
    assert not any(getattr(layer, "synchronized", False) for layer in layers)
    assert not any("_moments" in layer.__dict__ for layer in layers)


def test_on_torch_both_layers_take_the_global_moments_under_a_process_group(monkeypatch):
    if keras.backend.backend() != "torch":
        pytest.skip("the moments are replaced on torch; TensorFlow uses Keras's `synchronized` flag")
    from keras_gen.trainers import torch_distributed

    calls = []

    def global_moments(inputs, axes, mask):
        calls.append(tuple(inputs.shape))
        return keras.ops.moments(inputs, axes)

    model = _model()
    keras_gen.distributed.sync_batch_norm(model)
    # What a process group of two ranks looks like to the layers (the 2-rank run is elsewhere).
    monkeypatch.setattr(torch_distributed, "world_size", lambda: 2)
    monkeypatch.setattr(torch_distributed, "global_moments", global_moments)
    model(np.zeros((8, 4), "float32"), training=True)
    assert calls == [(8, 6), (8, 6)]  # Keras's layer and keras_gen's fused one
