import logging
import socket

import numpy as np
import pytest

from keras_gen.datasets import mnist

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No Keras cache and an unreachable host, without touching the network."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(mnist, "_keras_cache_candidates", lambda: [str(tmp_path / "none.npz")])
    monkeypatch.setattr(mnist, "_probe_download_host", lambda timeout=2.0: False)


def test_embedded_shapes_and_dtypes():
    (x_train, y_train), (x_test, y_test) = mnist.load_data(source="embedded")
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
    assert x_train.max() == 255 and x_train.min() == 0
    np.testing.assert_array_equal(np.bincount(y_train, minlength=10), [400] * 10)
    np.testing.assert_array_equal(np.bincount(y_test, minlength=10), [100] * 10)


def test_embedded_split_follows_documented_rule():
    with np.load(mnist.embedded_path()) as data:
        images, labels = data["images"], data["labels"]
    (x_train, y_train), (x_test, y_test) = mnist.load_data(source="embedded")
    grouped_train = [], []
    grouped_test = [], []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        grouped_train[0].append(images[members[:400]])
        grouped_train[1].append(labels[members[:400]])
        grouped_test[0].append(images[members[400:500]])
        grouped_test[1].append(labels[members[400:500]])
        # Same digits as the class-grouped split, in another order.
        train_rows = sorted(row.tobytes() for row in x_train[y_train == digit])
        assert train_rows == sorted(row.tobytes() for row in images[members[:400]])
    # The order is the documented stratified permutation of the grouped split.
    for (x, y), grouped in (((x_train, y_train), grouped_train), ((x_test, y_test), grouped_test)):
        images_grouped, labels_grouped = (np.concatenate(part) for part in grouped)
        order = mnist.stratified_order(labels_grouped, seed=mnist.EMBEDDED_ORDER_SEED)
        np.testing.assert_array_equal(x, images_grouped[order])
        np.testing.assert_array_equal(y, labels_grouped[order])


def test_embedded_order_is_shuffled_and_every_prefix_holds_all_classes():
    (_, y_train), (_, y_test) = mnist.load_data(source="embedded")
    assert len(set(y_train[:20].tolist())) >= 8
    for labels in (y_train, y_test):
        # Every block of 10 from the start holds each class once.
        blocks = labels.reshape(-1, 10)
        np.testing.assert_array_equal(np.sort(blocks, axis=1), np.tile(np.arange(10), (len(blocks), 1)))
        # ... in varying order: not sorted, not a repeated pattern.
        assert len({tuple(block) for block in blocks}) > len(blocks) // 2
    # Fixed: the same order on every call.
    np.testing.assert_array_equal(mnist.load_data(source="embedded")[0][1], y_train)
    # A record of the fixed order (NumPy's legacy RandomState stream is stable).
    assert y_train[:10].tolist() == [4, 0, 9, 6, 2, 3, 1, 8, 7, 5]


def test_stratified_order_with_unequal_classes():
    labels = np.array([0] * 5 + [1] * 2 + [2] * 3)
    order = mnist.stratified_order(labels, seed=3)
    assert sorted(order.tolist()) == list(range(10))
    assert sorted(labels[order][:3].tolist()) == [0, 1, 2]
    assert mnist.stratified_order(np.array([], dtype=int)).shape == (0,)


def test_embedded_train_and_test_are_disjoint():
    (x_train, _), (x_test, _) = mnist.load_data(source="embedded")
    train_rows = {row.tobytes() for row in x_train}
    assert not any(row.tobytes() in train_rows for row in x_test)


def test_auto_falls_back_to_embedded_when_offline(offline, caplog):
    with caplog.at_level(logging.WARNING, logger=mnist.__name__):
        (x_train, _), (x_test, _) = mnist.load_data(source="auto")
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert "embedded" in caplog.text


def test_keras_source_raises_when_offline(offline):
    with pytest.raises(ConnectionError, match="source='embedded'"):
        mnist.load_data(source="keras")


def test_keras_source_uses_cached_file(monkeypatch, tmp_path):
    cached = tmp_path / "mnist.npz"
    cached.write_bytes(b"")
    monkeypatch.setattr(mnist, "_keras_cache_candidates", lambda: [str(cached)])
    monkeypatch.setattr(mnist, "_probe_download_host", lambda timeout=2.0: pytest.fail("probed"))
    fake = ((np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8)),) * 2
    import keras

    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: fake)
    assert mnist.load_data(source="auto") == fake


def test_cache_location_respects_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert mnist._keras_cache_candidates()[0] == str(tmp_path / "datasets" / "mnist.npz")


def test_probe_against_local_sockets(monkeypatch):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    monkeypatch.setattr(mnist, "DOWNLOAD_HOST", "127.0.0.1")
    monkeypatch.setattr(mnist, "DOWNLOAD_PORT", port)
    try:
        assert mnist._probe_download_host(timeout=2.0)
    finally:
        server.close()
    assert not mnist._probe_download_host(timeout=2.0)


def test_unknown_source():
    with pytest.raises(ValueError, match="source"):
        mnist.load_data(source="internet")
