"""Mixed precision: dynamic loss scaling per optimizer under mixed_float16; mixed_bfloat16 trains."""

import warnings

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import snapshot_weights


@pytest.fixture
def policy():
    """Sets the global dtype policy for one test and restores float32 afterwards."""
    try:
        yield keras.mixed_precision.set_global_policy
    finally:
        keras.mixed_precision.set_global_policy("float32")


def make_gan(**kwargs):
    # The networks' last layers compute in float32 under any policy, so the
    # logits, losses and penalties are float32.
    keras.utils.set_random_seed(0)
    return keras_gen.models.GAN(
        keras_gen.networks.mlp_generator(latent_dim=4, hidden_units=(16,)),
        keras_gen.networks.mlp_discriminator(hidden_units=(16,)),
        seed=0, **kwargs,
    )


def fit(gan, x, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = gan.fit(x, batch_size=8, shuffle=False, verbose=0, **kwargs).history
    return history, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def value(variable):
    return keras.ops.convert_to_numpy(variable).item()


def test_mixed_float16_scales_each_phase_loss_and_skips_overflowing_steps_exactly(policy):
    policy("mixed_float16")
    gan = make_gan(gradient_penalty="r1", penalty_interval=2)
    # A scale this high makes the scaled gradients overflow float16 on the
    # first steps: those updates are skipped and the scale falls.
    gan.compile(discriminator_optimizer=keras.optimizers.LossScaleOptimizer(
        keras.optimizers.Adam(2e-4, beta_1=0.5), initial_scale=2.0**28))
    d_optimizer, g_optimizer = gan.optimizers["discriminator"], gan.optimizers["generator"]
    assert isinstance(g_optimizer, keras.optimizers.LossScaleOptimizer)  # wrapped by compile
    assert isinstance(g_optimizer.inner_optimizer, keras.optimizers.Adam)
    assert isinstance(d_optimizer.inner_optimizer, keras.optimizers.Adam)  # kept as given

    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    watched = gan.discriminator.trainable_variables + d_optimizer.inner_optimizer.variables
    before = snapshot_weights(watched)
    _, messages = fit(gan, x[:8])
    assert messages == []  # an overflow is expected under float16, not an error
    for variable, old, new in zip(watched, before, snapshot_weights(watched)):
        np.testing.assert_array_equal(new, old, err_msg=f"overflowing step changed {variable.path}")
    assert value(d_optimizer.dynamic_scale) < 2.0**28
    assert value(d_optimizer.iterations) == 0

    history, messages = fit(gan, x, epochs=2)
    assert messages == []
    assert gan.stop_training is False
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert value(gan.optimizer.iterations) == 1 + 16
    assert 0 < value(d_optimizer.iterations) < 17 + 9  # some skipped, training went on
    assert value(g_optimizer.iterations) > 0

    clone = make_gan(gradient_penalty="r1", penalty_interval=2)
    clone.compile_from_config(gan.get_compile_config())
    for name, optimizer in clone.optimizers.items():
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer), name
        assert isinstance(optimizer.inner_optimizer, keras.optimizers.Adam), name


def test_mixed_bfloat16_trains_without_loss_scaling(policy):
    policy("mixed_bfloat16")
    gan = make_gan(gradient_penalty="r1")
    gan.compile()
    assert not any(isinstance(o, keras.optimizers.LossScaleOptimizer)
                   for o in gan.optimizers.values())
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    history, messages = fit(gan, x, epochs=2)
    assert messages == []
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert value(gan.optimizers["discriminator"].iterations) == 16


@pytest.mark.parametrize("name", sorted(keras_gen.testing.MODEL_CASES))
def test_every_model_case_trains_under_mixed_float16(policy, name):
    """Every registered model trains with finite losses under mixed_float16 (one epoch)."""
    case = keras_gen.testing.MODEL_CASES[name]
    policy("mixed_float16")
    keras.utils.set_random_seed(0)
    model = case.model_class(**case.init_kwargs())
    model.compile()
    data = case.data()
    history, messages = fit_data(model, data, case.batch_size)
    assert messages == [], messages
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert all(isinstance(o, keras.optimizers.LossScaleOptimizer) for o in model.optimizers.values())


def fit_data(model, data, batch_size):
    x, y = data if len(data) == 2 else (data[0], None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, batch_size=batch_size, shuffle=False, verbose=0).history
    return history, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
