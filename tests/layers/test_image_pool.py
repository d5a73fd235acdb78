"""ImagePool: pass-through while filling, the 0.5 swap rule, conservation, saving, jit."""

import os

import keras
import numpy as np
import pytest

from keras_gen.layers.image_pool import ImagePool


def _tagged(ids, shape=(2, 2, 1)):
    """Images whose every pixel is their id, so outputs can be traced back."""
    ids = np.asarray(ids, dtype="float32")
    return ids.reshape(-1, 1, 1, 1) * np.ones((len(ids),) + shape, "float32")


def _ids(images):
    images = keras.ops.convert_to_numpy(images)
    return images.reshape(len(images), -1)[:, 0]


def test_returns_inputs_until_full():
    pool = ImagePool(pool_size=6, seed=0)
    first, second = _tagged([1, 2, 3, 4]), _tagged([5, 6])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(pool(first)), first)
    assert int(keras.ops.convert_to_numpy(pool.count)) == 4
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(pool(second)), second)
    np.testing.assert_array_equal(_ids(pool.buffer), [1, 2, 3, 4, 5, 6])
    assert int(keras.ops.convert_to_numpy(pool.count)) == 6


def test_swap_fraction_is_one_half_and_images_are_conserved():
    pool_size, batch, calls = 8, 8, 100
    pool = ImagePool(pool_size=pool_size, seed=3)
    pool(_tagged(np.arange(pool_size)))  # fill
    inputs, outputs = [], []
    next_id = pool_size
    from_pool = 0
    for _ in range(calls):
        ids = np.arange(next_id, next_id + batch)
        next_id += batch
        returned = _ids(pool(_tagged(ids)))
        from_pool += int(np.sum(returned != ids))
        inputs.append(ids)
        outputs.append(returned)
    fraction = from_pool / (calls * batch)
    # Binomial(800, 0.5): standard deviation 0.018; 0.4..0.6 is over 5 sigma.
    assert 0.4 < fraction < 0.6, fraction
    # Every image is returned exactly once or is still in the pool: nothing is
    # duplicated or lost, even when several images of a batch draw one slot.
    before = np.concatenate([np.arange(pool_size)] + inputs)
    after = np.concatenate(outputs + [_ids(pool.buffer)])
    np.testing.assert_array_equal(np.sort(before), np.sort(after))


def test_partial_fill_then_swap_in_one_batch():
    pool = ImagePool(pool_size=3, seed=1)
    pool(_tagged([0, 1]))
    ids = np.arange(10, 30)
    returned = _ids(pool(_tagged(ids)))
    # The first image fills the last free slot and comes back unchanged.
    assert returned[0] == 10
    # A filling image is both returned and stored: it counts twice.
    before = np.concatenate([[0, 1], ids, [10]])
    after = np.concatenate([returned, _ids(pool.buffer)])
    np.testing.assert_array_equal(np.sort(before), np.sort(after))


def test_inference_and_zero_size_pass_through():
    pool = ImagePool(pool_size=2, seed=0)
    pool(_tagged([1, 2]))
    x = _tagged([7, 8, 9])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(pool(x, training=False)), x)
    np.testing.assert_array_equal(_ids(pool.buffer), [1, 2])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(ImagePool(0)(x)), x)


def test_contents_survive_keras_saving(tmp_path):
    model = keras.Sequential([keras.Input((2, 2, 1)), ImagePool(pool_size=4, seed=0)])
    model.layers[0](_tagged([3, 1, 4, 1]))
    model.layers[0](_tagged([5, 9, 2, 6]))
    path = os.path.join(str(tmp_path), "pool.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    layer = reloaded.layers[0]
    assert isinstance(layer, ImagePool) and layer.pool_size == 4
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer.buffer),
        keras.ops.convert_to_numpy(model.layers[0].buffer),
    )
    assert int(keras.ops.convert_to_numpy(layer.count)) == 4


def test_state_threads_through_a_compiled_step(backend):
    """Stateless call under jax.jit / tf.function: the state must move forward."""
    pool = ImagePool(pool_size=4, seed=0)
    pool.build((None, 2, 2, 1))
    batches = [_tagged(np.arange(i * 4, i * 4 + 4)) for i in range(6)]
    if backend == "jax":
        import jax

        step = jax.jit(lambda state, x: pool.stateless_call([], state, x))
        state = [v.value for v in pool.non_trainable_variables]
        results = []
        for x in batches:
            out, state = step(state, x)
            results.append(_ids(out))
        buffer = np.asarray(state[0]).reshape(4, -1)[:, 0]
    elif backend == "tensorflow":
        import tensorflow as tf

        step = tf.function(lambda x: pool(x))
        results = [_ids(step(x)) for x in batches]
        buffer = _ids(pool.buffer)
    else:
        pytest.skip("torch runs eagerly; covered by the other tests")
    np.testing.assert_array_equal(results[0], np.arange(4))  # filling
    # Once full, the random draws must differ between steps (the seed state
    # advances) and the pool must have taken in new images.
    swapped = [tuple(r != np.arange(i * 4, i * 4 + 4)) for i, r in enumerate(results[1:], 1)]
    assert len(set(swapped)) > 1
    assert buffer.max() >= 4
    before = np.concatenate([b.reshape(4, -1)[:, 0] for b in batches])
    np.testing.assert_array_equal(
        np.sort(np.concatenate(results[1:] + [buffer])), np.sort(before)
    )


def test_config_and_bad_arguments():
    pool = ImagePool(pool_size=5, seed=2)
    assert ImagePool.from_config(pool.get_config()).get_config() == pool.get_config()
    with pytest.raises(ValueError, match="pool_size"):
        ImagePool(pool_size=-1)
    with pytest.raises(ValueError, match="known shape"):
        keras.Sequential([keras.Input((None, None, 3)), ImagePool(4)])
