import keras
import numpy as np
import pytest

from keras_gen import losses

REAL = np.array([[2.0], [-1.0], [0.5], [3.0]], dtype="float32")
FAKE = np.array([[-2.0], [0.25], [1.5], [-0.5]], dtype="float32")


def softplus(x):
    return np.log1p(np.exp(x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


EXPECTED = {
    # -log D(x) - log(1 - D(G(z))), D = sigmoid(logits)
    "minimax": (
        np.mean(-np.log(sigmoid(REAL))) + np.mean(-np.log(1 - sigmoid(FAKE))),
        np.mean(np.log(1 - sigmoid(FAKE))),
    ),
    "non_saturating": (
        np.mean(-np.log(sigmoid(REAL))) + np.mean(-np.log(1 - sigmoid(FAKE))),
        np.mean(-np.log(sigmoid(FAKE))),
    ),
    "least_squares": (
        0.5 * np.mean((REAL - 1) ** 2) + 0.5 * np.mean(FAKE**2),
        0.5 * np.mean((FAKE - 1) ** 2),
    ),
    "wasserstein": (np.mean(FAKE) - np.mean(REAL), -np.mean(FAKE)),
    "hinge": (
        np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE)),
        -np.mean(FAKE),
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loss_matches_formula(name):
    loss = losses.get(name)
    expected_d, expected_g = EXPECTED[name]
    d = keras.ops.convert_to_numpy(loss.discriminator(REAL, FAKE))
    g = keras.ops.convert_to_numpy(loss.generator(FAKE))
    np.testing.assert_allclose(d, expected_d, rtol=1e-5)
    np.testing.assert_allclose(g, expected_g, rtol=1e-5)


def test_log_losses_are_stable_for_large_logits():
    loss = losses.get("non_saturating")
    big = np.array([[80.0], [-80.0]], dtype="float32")
    d = keras.ops.convert_to_numpy(loss.discriminator(big, -big))
    assert np.isfinite(d)
    np.testing.assert_allclose(d, 0.5 * (80.0 + 80.0), rtol=1e-4)


def test_unknown_loss_names_the_choices():
    with pytest.raises(ValueError, match="non_saturating"):
        losses.get("nonsaturating")


def test_get_passes_objects_through():
    assert losses.get(losses.hinge) is losses.hinge
    assert set(losses.names()) == set(EXPECTED)
