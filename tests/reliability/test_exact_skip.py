"""A step whose total loss or gradients are not finite changes nothing, bit for bit, and is reported."""

import warnings

import keras
import numpy as np

import keras_gen
from keras_gen.testing import only_phase
from keras_gen.testing import snapshot_weights
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator

DiscriminatorOnlyGAN = only_phase(keras_gen.models.GAN, "discriminator")


def points(n=32):
    return np.random.default_rng(0).normal(size=(n, 2)).astype("float32")


def make_gan(cls=keras_gen.models.GAN, **kwargs):
    keras.utils.set_random_seed(0)
    gan = cls(tiny_generator(4), tiny_discriminator(batch_norm=True), seed=0, **kwargs)
    gan.compile()
    return gan


def state(gan):
    """Every weight, every float non-trainable value and every inner optimizer variable."""
    variables = [v for v in gan.variables if keras.backend.is_float_dtype(v.dtype)]
    for optimizer in gan.optimizers.values():
        variables += optimizer.variables
    return variables


def fit_recording_warnings(model, x, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, batch_size=8, shuffle=False, verbose=0, **kwargs)
    return [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_a_nan_step_leaves_weights_optimizer_and_batch_statistics_exactly_as_a_clean_run():
    x = points()
    clean = make_gan(DiscriminatorOnlyGAN)
    clean.fit(x[:24], batch_size=8, shuffle=False, verbose=0)  # 3 clean steps
    guarded = make_gan(DiscriminatorOnlyGAN)
    poisoned = x.copy()
    poisoned[24:] = np.nan  # the 4th step is NaN
    messages = fit_recording_warnings(guarded, poisoned)
    assert len(messages) == 1 and "phase 'discriminator'" in messages[0], messages
    assert "epoch 1, step 4" in messages[0], messages[0]
    assert int(keras.ops.convert_to_numpy(guarded.optimizer.iterations)) == 4
    assert int(keras.ops.convert_to_numpy(guarded.optimizers["discriminator"].iterations)) == 3
    for variable, expected, actual in zip(state(clean), snapshot_weights(state(clean)),
                                          snapshot_weights(state(guarded))):
        np.testing.assert_array_equal(actual, expected, err_msg=variable.path)


def test_a_nan_total_loss_with_finite_parts_is_reported_with_its_phase():
    gan = make_gan(gradient_penalty="r1")
    gan.penalty_weight = float("nan")  # d_loss and r1 stay finite; their weighted sum does not
    # (The generator's step still runs; its pass through the discriminator
    # moves the batch statistics, as in any step.)
    discriminator = gan.discriminator.trainable_variables + gan.optimizers["discriminator"].variables
    before = snapshot_weights(discriminator)
    messages = fit_recording_warnings(gan, points(), epochs=2)
    assert len(messages) == 1, messages
    assert "phase 'discriminator'" in messages[0] and "'generator'" not in messages[0], messages[0]
    assert "epoch 1, step 1" in messages[0], messages[0]
    assert int(keras.ops.convert_to_numpy(gan.optimizer.iterations)) == 1  # training stopped
    for variable, old, new in zip(discriminator, before, snapshot_weights(discriminator)):
        np.testing.assert_array_equal(new, old, err_msg=variable.path)
