"""`keras_gen.distributed.sync_batch_norm` in one process (the 2-rank run is in test_torch_distributed.py)."""

import keras
import numpy as np

import keras_gen


def _model():
    inputs = keras.Input((4,))
    x = keras.layers.Dense(6)(inputs)
    x = keras.layers.BatchNormalization()(x)
    inner = keras.Sequential([keras.Input((6,)), keras.layers.BatchNormalization()], name="inner")
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
