"""Feature matching (Salimans et al. 2016) and the pix2pixHD/SPADE L1 variant,
against NumPy on fixed features."""

import keras
import numpy as np
import pytest

from keras_gen import losses


def value(x):
    return float(keras.ops.convert_to_numpy(x))


RNG = np.random.default_rng(0)
REAL_MAPS = RNG.standard_normal((4, 3, 3, 2)).astype("float32")
FAKE_MAPS = RNG.standard_normal((4, 3, 3, 2)).astype("float32")
REAL_VECTORS = RNG.standard_normal((4, 5)).astype("float32")
FAKE_VECTORS = RNG.standard_normal((4, 5)).astype("float32")


def numpy_feature_matching(real, fake):
    return np.sum((real.mean(axis=0) - fake.mean(axis=0)) ** 2)


def test_feature_matching_is_the_squared_distance_of_batch_means():
    np.testing.assert_allclose(
        value(losses.feature_matching(REAL_VECTORS, FAKE_VECTORS)),
        numpy_feature_matching(REAL_VECTORS, FAKE_VECTORS), rtol=1e-5,
    )
    # Feature maps: summed over every position and channel.
    np.testing.assert_allclose(
        value(losses.feature_matching(REAL_MAPS, FAKE_MAPS)),
        numpy_feature_matching(REAL_MAPS, FAKE_MAPS), rtol=1e-5,
    )


def test_feature_matching_averages_layers_and_allows_different_batch_sizes():
    fake_vectors = FAKE_VECTORS[:3]
    expected = 0.5 * (
        numpy_feature_matching(REAL_MAPS, FAKE_MAPS)
        + numpy_feature_matching(REAL_VECTORS, fake_vectors)
    )
    got = losses.feature_matching([REAL_MAPS, REAL_VECTORS], (FAKE_MAPS, fake_vectors))
    np.testing.assert_allclose(value(got), expected, rtol=1e-5)
    assert value(losses.feature_matching(REAL_MAPS, REAL_MAPS)) == 0.0


def test_feature_matching_l1_is_the_mean_absolute_difference_per_layer():
    np.testing.assert_allclose(
        value(losses.feature_matching_l1(REAL_MAPS, FAKE_MAPS)),
        np.mean(np.abs(REAL_MAPS - FAKE_MAPS)), rtol=1e-5,
    )
    expected = 0.5 * (
        np.mean(np.abs(REAL_MAPS - FAKE_MAPS)) + np.mean(np.abs(REAL_VECTORS - FAKE_VECTORS))
    )
    got = losses.feature_matching_l1([REAL_MAPS, REAL_VECTORS], [FAKE_MAPS, FAKE_VECTORS])
    np.testing.assert_allclose(value(got), expected, rtol=1e-5)


@pytest.mark.parametrize("fn", [losses.feature_matching, losses.feature_matching_l1])
def test_mismatched_layer_lists_name_the_problem(fn):
    with pytest.raises(ValueError, match="same non-zero number"):
        fn([REAL_MAPS, REAL_VECTORS], [FAKE_MAPS])
    with pytest.raises(ValueError, match="same non-zero number"):
        fn([], [])


@pytest.mark.parametrize("fn", [losses.feature_matching, losses.feature_matching_l1])
def test_no_gradient_reaches_the_real_features(fn):
    real = keras.Variable(REAL_VECTORS)
    fake = keras.Variable(FAKE_VECTORS)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = fn(real, fake)
        real_grad, fake_grad = tape.gradient(loss, [real.value, fake.value])
        assert real_grad is None or not np.any(real_grad.numpy())
        assert np.any(fake_grad.numpy())
    elif backend == "jax":
        import jax

        real_grad, fake_grad = jax.grad(lambda r, f: fn(r, f), argnums=(0, 1))(
            REAL_VECTORS, FAKE_VECTORS
        )
        assert not np.any(np.asarray(real_grad)) and np.any(np.asarray(fake_grad))
    else:
        import torch

        r = torch.tensor(REAL_VECTORS, requires_grad=True)
        f = torch.tensor(FAKE_VECTORS, requires_grad=True)
        fn(r, f).backward()
        assert r.grad is None or not torch.any(r.grad)
        assert torch.any(f.grad)
