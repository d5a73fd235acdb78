import keras
import numpy as np

from keras_gen.layers import NoiseInjection
from keras_gen.testing import run_layer_test


def test_layer_contract():
    out = run_layer_test(NoiseInjection, {"seed": 3}, (2, 4, 4, 3), (2, 4, 4, 3))
    # The weight starts at 0: the layer starts as the identity.
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 3)).astype("float32")
    np.testing.assert_array_equal(out, x)


def test_layer_contract_fixed_noise():
    run_layer_test(
        NoiseInjection, {"randomize_noise": False, "seed": 3}, (2, 4, 4, 3), (2, 4, 4, 3)
    )


def _layer_with_unit_weight(**kwargs):
    layer = NoiseInjection(**kwargs)
    layer.build((None, 4, 4, 3))
    layer.weight.assign(np.array([1.0, 2.0, -1.0], "float32"))
    return layer


def test_noise_is_one_map_scaled_per_channel():
    layer = _layer_with_unit_weight(seed=1)
    x = np.zeros((2, 4, 4, 3), "float32")
    y = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(y[..., 1], 2.0 * y[..., 0], rtol=1e-6)
    np.testing.assert_allclose(y[..., 2], -y[..., 0], rtol=1e-6)
    assert not np.allclose(y[0, ..., 0], y[1, ..., 0])  # per-sample noise


def test_explicit_noise_is_deterministic():
    layer = _layer_with_unit_weight(seed=1)
    x = np.ones((2, 4, 4, 3), "float32")
    noise = np.random.default_rng(0).standard_normal((2, 4, 4, 1)).astype("float32")
    y = keras.ops.convert_to_numpy(layer(x, noise=noise))
    np.testing.assert_allclose(y, x + noise * np.array([1.0, 2.0, -1.0]), rtol=1e-6)


def test_fresh_noise_every_call_also_under_jit(jit_twice):
    layer = _layer_with_unit_weight(seed=1)
    x = np.zeros((2, 4, 4, 3), "float32")
    first, second = jit_twice(layer, x)
    assert np.all(np.isfinite(first))
    assert not np.allclose(first, second)


def test_fixed_noise_is_repeated():
    layer = _layer_with_unit_weight(randomize_noise=False, seed=1)
    x = np.zeros((2, 4, 4, 3), "float32")
    first = keras.ops.convert_to_numpy(layer(x))
    second = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[0], first[1])


def _twins(**kwargs):
    # Built with the same seed and weight: the channels-first one must add the same noise.
    last = _layer_with_unit_weight(data_format="channels_last", **kwargs)
    first = NoiseInjection(data_format="channels_first", **kwargs)
    first.build((None, 3, 4, 4))
    first.set_weights(last.get_weights())
    return last, first


def test_channels_first_contract():
    for randomize_noise in (True, False):
        run_layer_test(
            NoiseInjection,
            {"randomize_noise": randomize_noise, "seed": 3, "data_format": "channels_first"},
            (2, 3, 4, 5), (2, 3, 4, 5),
        )


def test_channels_first_adds_the_same_noise():
    x = np.random.default_rng(1).standard_normal((2, 4, 4, 3)).astype("float32")
    x_first = np.moveaxis(x, -1, 1)
    for randomize_noise in (True, False):
        last, first = _twins(randomize_noise=randomize_noise, seed=5)
        assert tuple(first.weight.shape) == (3,)
        for _ in range(2):  # the seed generators advance in step
            np.testing.assert_allclose(
                np.moveaxis(keras.ops.convert_to_numpy(first(x_first)), 1, -1),
                keras.ops.convert_to_numpy(last(x)), rtol=1e-6, atol=1e-6,
            )
    noise = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype("float32")
    y = keras.ops.convert_to_numpy(first(x_first, noise=noise))
    np.testing.assert_allclose(
        y, x_first + noise * np.array([1.0, 2.0, -1.0])[:, None, None], rtol=1e-6, atol=1e-6
    )
