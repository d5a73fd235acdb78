"""`run_model_test`: the contract every keras_gen model keeps, checked in one call.

A model that declares its networks, phases and objective gets every check
here without test code of its own: fit with NumPy and `tf.data`, each phase
moving only its own weights, optimizer counts, the non-finite guard,
`evaluate`, `.keras` and weights round trips, config round trip, and clear
errors for bad input raised before anything changes.
"""

import json
import os
import tempfile
import warnings

import keras
import numpy as np

from keras_gen.testing.helpers import snapshot_weights


def run_model_test(cls, init_kwargs, data, batch_size=8, outputs_fn=None, partial_phases=()):
    """Checks the model contract of `cls` on every backend.

    Args:
        cls: a `keras_gen.models.GenerativeModel` subclass.
        init_kwargs: zero-argument callable returning the constructor's
            keyword arguments, with fresh networks on every call.
        data: tuple of NumPy arrays, `(x,)` or `(x, y)`, float inputs, at
            least two batches of `batch_size`.
        batch_size: batch size of every fit.
        outputs_fn: optional `fn(model) -> array` of deterministic outputs
            (e.g. `lambda m: m.generate(4, seed=0)`) compared after reloads.
        partial_phases: names of phases that need not move every weight
            they own in one step (e.g. a gradient penalty, to which the
            output bias contributes nothing); they must move at least one.

    Example:

    >>> keras_gen.testing.run_model_test(
    ...     keras_gen.models.GAN,
    ...     lambda: {"generator": keras_gen.testing.tiny_generator(),
    ...              "discriminator": keras_gen.testing.tiny_discriminator(), "seed": 0},
    ...     (np.random.default_rng(0).normal(size=(32, 2)).astype("float32"),))
    """
    data = tuple(np.asarray(a) for a in data)
    steps = len(data[0]) // batch_size
    if steps < 2 or len(data[0]) % batch_size:
        raise ValueError("`data` must hold at least two whole batches of `batch_size`.")
    check_config_round_trip(cls, init_kwargs)
    for phase_name in dict.fromkeys(p.name for p in cls(**init_kwargs()).phases()):
        check_phase_moves_only_its_weights(
            cls, init_kwargs, data, phase_name, every_weight=phase_name not in partial_phases
        )
    # One model goes through the rest, so each backend compiles its step once.
    model = cls(**init_kwargs())
    model.compile()
    check_bad_inputs_change_nothing(model, data, batch_size)
    check_fit_numpy_and_dataset(model, data, batch_size)
    check_saving_round_trips(model, outputs_fn)
    check_non_finite_step_is_guarded(model, data, batch_size)


# ------------------------------------------------------------------ parts
def _fit_args(data):
    return (data[0], data[1]) if len(data) > 1 else (data[0], None)


def network_variables(model):
    """Trainable variables of the declared networks (not of moving averages); optional ones may be None."""
    variables, seen = [], set()
    for name in type(model).networks:
        network = getattr(model, name)
        for variable in [] if network is None else network.trainable_variables:
            if id(variable) not in seen:
                seen.add(id(variable))
                variables.append(variable)
    return variables


def check_config_round_trip(cls, init_kwargs):
    """`from_config(get_config())` gives a model with the same config and structure."""
    model = cls(**init_kwargs())
    config = model.get_config()
    for name in cls.networks:
        assert name in config, f"{cls.__name__}.get_config() lacks the network {name!r}"
    clone = cls.from_config(config)
    # Compared as the JSON a `.keras` file stores (tuples and lists alike).
    as_json = lambda c: json.dumps(c, sort_keys=True, default=str)  # noqa: E731
    assert as_json(clone.get_config()) == as_json(config), f"{cls.__name__} config does not round-trip"
    assert [v.shape for v in clone.weights] == [v.shape for v in model.weights]


def check_bad_inputs_change_nothing(model, data, batch_size):
    """Bad inputs raise a clear error before any variable changes.

    Integer inputs (`TypeError` naming floats), inputs of the wrong shape,
    no samples at all (`ValueError`), and for images (rank 4) pixel values
    in [0, 255] (`ValueError` naming `keras_gen.datasets.scale_images`).
    """
    cls = type(model)
    x, y = _fit_args(data)
    before = snapshot_weights(model.variables)
    try:
        model.fit(np.round(x * 100).astype("int32"), y, batch_size=batch_size, verbose=0)
    except TypeError as error:
        assert "float" in str(error), f"unclear error for integer inputs: {error}"
    else:
        raise AssertionError(f"{cls.__name__}.fit accepted integer inputs")
    try:
        model.fit(x[..., None], y, batch_size=batch_size, verbose=0)
    except ValueError as error:
        assert "shape" in str(error), f"unclear error for a wrong shape: {error}"
    else:
        raise AssertionError(f"{cls.__name__}.fit accepted inputs of the wrong shape")
    try:
        model.fit(x[:0], None if y is None else y[:0], batch_size=batch_size, verbose=0)
    except ValueError as error:
        assert "0 samples" in str(error), f"unclear error for empty data: {error}"
    else:
        raise AssertionError(f"{cls.__name__}.fit accepted empty data")
    if x.ndim >= 4:
        try:
            model.fit((x + 1.0) * 127.5, y, batch_size=batch_size, verbose=0)
        except ValueError as error:
            assert "scale_images" in str(error), f"unclear error for [0, 255] images: {error}"
        else:
            raise AssertionError(f"{cls.__name__}.fit accepted images in [0, 255]")
    for old, new, variable in zip(before, snapshot_weights(model.variables), model.variables):
        np.testing.assert_array_equal(old, new, err_msg=f"{variable.path} changed")


def only_phase(cls, phase_name):
    """A subclass of `cls` whose step runs the phase `phase_name` alone."""

    def phases(self):
        return [p for p in cls.phases(self) if p.name == phase_name]

    return type(f"{cls.__name__}Only{phase_name.title()}", (cls,), {"phases": phases})


def check_phase_moves_only_its_weights(cls, init_kwargs, data, phase_name, every_weight=True):
    """One step of `phase_name` alone moves every weight it owns (or some) and no other.

    The step runs eagerly: one step costs less than compiling it, and the
    train step is the same code either way.
    """
    model = only_phase(cls, phase_name)(**init_kwargs())
    model.compile(run_eagerly=True)
    (phase,) = model.phases()
    own = {id(v) for v in phase.variables}
    variables = network_variables(model)
    before = snapshot_weights(variables)
    x, y = _fit_args(data)
    n = min(len(x), 64)
    model.fit(x[:n], None if y is None else y[:n], batch_size=n, verbose=0, shuffle=False)
    moved_own = []
    for old, new, variable in zip(before, snapshot_weights(variables), variables):
        moved = not np.array_equal(old, new)
        if id(variable) in own:
            assert moved or not every_weight, (
                f"phase {phase_name!r} did not move its weight {variable.path}"
            )
            moved_own.append(moved)
        else:
            assert not moved, f"phase {phase_name!r} moved {variable.path}, not its own"
    assert any(moved_own), f"phase {phase_name!r} moved none of its weights"


def expected_updates(model, steps):
    """Updates each inner optimizer makes in `steps` training steps."""
    updates = {}
    for phase in model.phases():
        due = len(range(0, steps, phase.interval))
        updates[phase.optimizer] = updates.get(phase.optimizer, 0) + phase.repeats * due
    return updates


def _assert_iterations(model, steps):
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == steps
    for name, count in expected_updates(model, steps).items():
        actual = int(keras.ops.convert_to_numpy(model.optimizer[name].iterations))
        assert actual == count, f"optimizer {name!r} made {actual} updates, expected {count}"


def _log_names(model):
    return list(dict.fromkeys(n for p in model.phases() for n in p.log_names))


def check_fit_numpy_and_dataset(model, data, batch_size):
    """Fit on NumPy then on `tf.data`: every logged value finite, optimizer counts exact."""
    import tensorflow as tf

    x, y = _fit_args(data)
    steps = len(x) // batch_size
    history = model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    for name in _log_names(model):
        assert name in history.history, f"{name!r} missing from the History"
        assert np.isfinite(history.history[name][0]), f"{name} = {history.history[name]}"
    _assert_iterations(model, steps)
    dataset = tf.data.Dataset.from_tensor_slices(data if len(data) > 1 else data[0])
    history = model.fit(dataset.batch(batch_size), epochs=1, shuffle=False, verbose=0)
    assert all(np.isfinite(v[0]) for v in history.history.values()), history.history
    _assert_iterations(model, 2 * steps)
    results = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    assert set(_log_names(model)) <= set(results), results
    assert all(np.isfinite(v) for v in results.values()), results


def _same_variables(model, other, what):
    # Paths may differ in auto-numbered names; the order and shapes may not.
    assert [v.shape for v in other.variables] == [v.shape for v in model.variables], what
    for a, b in zip(model.variables, other.variables):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b),
            err_msg=f"{what}: {a.path} differs",
        )


def check_saving_round_trips(model, outputs_fn=None):
    """`.keras` and weights files give back the same variables and outputs, exactly.

    Variables include the optimizers' state and every seed-generator state,
    so a reloaded model continues exactly where the saved one stopped.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path)
        weights_path = os.path.join(tmp, "model.weights.h5")
        model.save_weights(weights_path)
        clone = type(model).from_config(model.get_config())
        clone.compile()
        clone.load_weights(weights_path)
    assert type(reloaded) is type(model)
    _same_variables(model, reloaded, ".keras round trip")
    _same_variables(model, clone, "weights round trip")
    _same_variables(model.optimizer, reloaded.optimizer, ".keras optimizer state")
    _same_variables(model.optimizer, clone.optimizer, "weights-file optimizer state")
    if outputs_fn is not None:
        expected = outputs_fn(model)
        np.testing.assert_array_equal(outputs_fn(reloaded), expected)
        np.testing.assert_array_equal(outputs_fn(clone), expected)


def check_non_finite_step_is_guarded(model, data, batch_size):
    """A NaN batch stops training with a warning and leaves its phases exactly as they were.

    `model` has trained on clean data before. A fit whose first batch is
    NaN stops after that step with a warning naming the phases whose loss
    or gradients were not finite, and writes no non-finite value. Bit for
    bit as after the clean training: the variables of those phases and
    every variable of their optimizers (update counts, moments), unless a
    phase that trained in that step shares them (a GAN's generator, whose
    loss does not read the batch); and, when every phase that ran was
    skipped, the guarded non-trainable state (e.g. BatchNorm statistics).
    """
    x, y = _fit_args(data)
    x = np.array(x, copy=True)
    x[:batch_size] = np.nan
    step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    phases = model.phases()
    inner = {name: list(o.variables) for name, o in model.optimizer.optimizers.items()}
    excluded = {id(v) for v in model._variables_excluded_from_guard()}
    state = [
        v for v in model.variables if keras.backend.is_float_dtype(v.dtype) and id(v) not in excluded
    ]
    tracked = {id(v): v for v in state + [v for vs in inner.values() for v in vs]}
    before = dict(zip(tracked, snapshot_weights(list(tracked.values()))))

    def owned(some_phases):
        return {id(v) for p in some_phases for v in list(p.variables) + inner[p.optimizer]}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    messages = [str(w.message) for w in caught if "Non-finite loss" in str(w.message)]
    assert messages, "no warning"
    steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations)) - step
    assert steps == 1, f"training went on for {steps} steps after a NaN batch"
    for variable in model.variables:
        value = keras.ops.convert_to_numpy(variable)
        if np.issubdtype(value.dtype, np.floating):
            assert np.all(np.isfinite(value)), f"{variable.path} is not finite"
    failed = [p for p in phases if f"{p.name!r}" in messages[0]]
    assert failed, f"the warning names no phase: {messages[0]}"
    trained = [p for p in phases if p not in failed and step % p.interval == 0]
    unchanged = owned(failed) - owned(trained)
    if not trained:
        unchanged |= {id(v) for v in state}
    for key in unchanged:
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(tracked[key]), before[key],
            err_msg=f"the skipped NaN step changed {tracked[key].path}",
        )
