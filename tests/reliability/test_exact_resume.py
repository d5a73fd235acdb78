"""A fit interrupted and resumed with keras.callbacks.BackupAndRestore ends exactly where an
uninterrupted fit ends: weights, non-trainable state (image pools, EMA, `w_average`, BatchNorm
statistics), every optimizer's variables and every seed-generator state.

The uninterrupted run is the interrupted model itself, trained on in memory from the epoch
where it stopped (the same compiled step: one compile fewer per model). The resumed model is
a new one, as in a new process, restored from the backup alone.
"""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import InterruptFit
from keras_gen.testing.cases import MODEL_CASES

EPOCHS = 3
BATCH = 8


def make(case_name):
    case = MODEL_CASES[case_name]
    keras.utils.set_random_seed(0)
    model = case.model_class(**case.init_kwargs())
    model.compile()
    return model


def fit(model, case_name, callbacks=(), batches=1, **kwargs):
    data = [array[: batches * BATCH] for array in MODEL_CASES[case_name].data()]
    # Keras does not save the data order: shuffling differs after a resume.
    return model.fit(*data, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
                     callbacks=list(callbacks), **kwargs)


def state(model):
    """Path -> value of everything a resume must restore."""
    values = {}
    for variable in model.variables + model.optimizer.variables:
        values[f"{variable.path}#{id(variable)}"] = keras.ops.convert_to_numpy(variable)
    for index, generator in enumerate(model.seed_generators()):
        values[f"seed_state_{index}"] = keras.ops.convert_to_numpy(generator.state)
    return values


def assert_same_state(resumed, reference):
    got, expected = list(state(resumed).values()), list(state(reference).values())
    assert len(got) == len(expected)
    names = list(state(reference))
    for name, a, b in zip(names, got, expected):
        if keras.backend.backend() == "jax":
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)


def uninterrupted_and_resumed(case_name, backup_dir, callbacks=lambda: []):
    """`(uninterrupted, resumed, resumed fit's history)`, interrupted at the start of epoch 1."""
    model = make(case_name)
    backup = keras.callbacks.BackupAndRestore(backup_dir)
    with pytest.raises(RuntimeError, match="interrupted"):
        fit(model, case_name, [backup, *callbacks(), InterruptFit(epoch=1)])
    fit(model, case_name, callbacks(), initial_epoch=1)  # as if never interrupted
    resumed = make(case_name)  # a new process would start from a new model
    history = fit(resumed, case_name, [keras.callbacks.BackupAndRestore(backup_dir), *callbacks()])
    return model, resumed, history


@pytest.mark.parametrize(
    "case_name",
    [
        "gan_lazy_r1_ema",  # GAN: EMA, lazy R1 every 2nd step, 2 D steps per G step
        "cgan_projection",
        "stylegan",  # w_average, style mixing, lazy R1
        "vae_gaussian_warmup",  # KL warm-up driven by the step counter
        "cyclegan",  # image pools with their own seed generators
    ],
)
def test_resumed_fit_ends_exactly_where_an_uninterrupted_fit_ends(case_name, tmp_path):
    # One step per epoch: the lazy phases (every 2nd step) run before and after the resume.
    reference, resumed, history = uninterrupted_and_resumed(case_name, tmp_path / "backup")
    assert history.epoch == list(range(1, EPOCHS))  # epoch 0 came from the backup
    assert int(keras.ops.convert_to_numpy(resumed.optimizer.iterations)) == EPOCHS
    assert_same_state(resumed, reference)


def test_resume_restores_an_ema_enabled_by_callback(tmp_path):
    callbacks = lambda: [keras_gen.callbacks.GeneratorEMA(0.9)]  # noqa: E731
    reference, resumed, _ = uninterrupted_and_resumed("gan", tmp_path / "backup", callbacks)
    assert resumed.ema_model is not None
    assert_same_state(resumed, reference)


def test_mid_epoch_backups_replay_the_batches_before_the_save(tmp_path):
    """Documented Keras behaviour: a resume restarts the interrupted epoch at its first batch.

    With `save_freq=1` the state after batch 0 of epoch 1 is saved, the fit dies at batch 1;
    the resumed fit starts from that state but trains epoch 1 from batch 0 again, so one step
    more is taken than in an uninterrupted run (the README's "Resuming training").
    """
    interrupted = make("gan")
    with pytest.raises(RuntimeError, match="interrupted"):
        fit(interrupted, "gan",
            [keras.callbacks.BackupAndRestore(tmp_path / "backup", save_freq=1),
             InterruptFit(epoch=1, batch=1)], batches=2)
    saved_steps = int(keras.ops.convert_to_numpy(interrupted.optimizer.iterations))
    assert saved_steps == 3  # epoch 0 (2 steps) and batch 0 of epoch 1
    resumed = make("gan")
    fit(resumed, "gan", [keras.callbacks.BackupAndRestore(tmp_path / "backup", save_freq=1)],
        batches=2)
    steps = int(keras.ops.convert_to_numpy(resumed.optimizer.iterations))
    assert steps == saved_steps + 2 * (EPOCHS - 1)  # epochs 1 and 2 in full after the state
    assert steps == 2 * EPOCHS + 1  # one batch trained twice
