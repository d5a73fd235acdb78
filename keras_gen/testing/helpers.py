"""Assertions that catch real bugs: shapes, config and saving round trips, weights that move."""

import os
import tempfile

import keras
import numpy as np


def snapshot_weights(variables):
    """Returns NumPy copies of `variables` (a list of Keras variables)."""
    return [np.array(keras.ops.convert_to_numpy(v)) for v in variables]


def perturbed_weights(model, seed=0, scale=0.1):
    """`model`'s weights plus N(0, scale^2) noise, as NumPy arrays (moving variances stay positive).

    Fresh biases and normalization offsets are zeros, so two builds of a
    network compared on fresh weights cannot show an offset applied on the
    wrong axis (e.g. a channels-first twin); compare them on these.
    """
    rng = np.random.default_rng(seed)
    return [
        np.abs(1 + scale * rng.standard_normal(w.shape)).astype("float32") if "variance" in v.path
        else (w + scale * rng.standard_normal(w.shape)).astype("float32")
        for v, w in zip(model.weights, model.get_weights())
    ]


def assert_weights_changed(before, variables, changed=True):
    """Asserts that every (or no) variable differs from its snapshot `before`."""
    after = snapshot_weights(variables)
    for old, new, variable in zip(before, after, variables):
        differs = not np.array_equal(old, new)
        if differs != changed:
            state = "unchanged" if changed else "changed"
            raise AssertionError(f"Variable {variable.path} was {state}.")


def assert_trains_like_keras(build_model, x, y, learning_rate=0.1, epochs=3):
    """A model with keras_gen's layers trains to the same weights as with Keras's.

    `build_model(ours)` builds the model with keras_gen's layers (True) or
    Keras's (False); both start from the Keras model's weights perturbed
    (`perturbed_weights`: non-zero biases and offsets), train `epochs`
    full-batch SGD epochs on `(x, y)` with mean squared error, and must end
    with the same weights (to float32 rounding), which must have moved.
    """
    start, results = None, []
    for ours in (False, True):
        model = build_model(ours)
        if start is None:
            start = perturbed_weights(model, seed=6)
        model.set_weights(start)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
        model.fit(x, y, batch_size=len(x), epochs=epochs, verbose=0, shuffle=False)
        results.append(model.get_weights())
    for keras_value, our_value in zip(*results):
        np.testing.assert_allclose(our_value, keras_value, rtol=1e-4, atol=1e-5)
    assert not np.allclose(results[1][0], start[0])


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape,
    input_dtype="float32",
    call_kwargs=None,
    extra_inputs=None,
    mixed_policy="mixed_bfloat16",
):
    """Checks Keras's contract for a layer: shapes, config, symbolic call, saving, dtype policy.

    - the eager output has `expected_output_shape`, and a symbolic call on a
      `keras.Input` gives the same shape (batch dimension unknown);
    - `from_config(get_config())` round-trips the config;
    - a `.keras` file of a model holding the layer reloads with the same outputs;
    - under the mixed policy `mixed_policy` (None to skip), the layer keeps
      float32 variables, computes in the compute dtype and returns it.

    Args:
        layer_cls: the layer class.
        init_kwargs: keyword arguments for the constructor.
        input_shape: full input shape including the batch dimension.
        expected_output_shape: full expected output shape.
        call_kwargs: extra keyword arguments for `call`.
        extra_inputs: list of further positional input arrays (e.g. labels);
            the layer is then called as `layer([x] + extra_inputs)`.
        mixed_policy: the mixed dtype policy to check, or None.

    Returns:
        The layer's output on the random test input, as NumPy.
    """
    call_kwargs = call_kwargs or {}
    rng = np.random.default_rng(0)
    x = rng.standard_normal(input_shape).astype(input_dtype)
    inputs = [x] + list(extra_inputs) if extra_inputs else x

    layer = layer_cls(**init_kwargs)
    output = layer(inputs, **call_kwargs)
    output = keras.ops.convert_to_numpy(output)
    assert tuple(output.shape) == tuple(expected_output_shape), (
        f"{layer_cls.__name__} output shape {output.shape} != "
        f"{tuple(expected_output_shape)}"
    )

    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, "get_config/from_config does not round-trip"

    # Saving: wrap the layer in a functional model and reload it.
    if extra_inputs:
        model_inputs = [keras.Input(shape=x.shape[1:], dtype=input_dtype)] + [
            keras.Input(shape=np.asarray(e).shape[1:], dtype=np.asarray(e).dtype)
            for e in extra_inputs
        ]
        model_outputs = layer_cls(**init_kwargs)(model_inputs, **call_kwargs)
    else:
        model_inputs = keras.Input(shape=x.shape[1:], dtype=input_dtype)
        model_outputs = layer_cls(**init_kwargs)(model_inputs, **call_kwargs)
    model = keras.Model(model_inputs, model_outputs)
    expected = keras.ops.convert_to_numpy(model(inputs))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "layer.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(reloaded(inputs)), expected, rtol=1e-5, atol=1e-6
    )
    symbolic_shape = tuple(model_outputs.shape)
    assert symbolic_shape[1:] == tuple(expected_output_shape)[1:], (
        f"{layer_cls.__name__} symbolic output shape {symbolic_shape} does not match "
        f"{tuple(expected_output_shape)}"
    )
    if mixed_policy is not None:
        check_mixed_precision(layer_cls, init_kwargs, inputs, call_kwargs, mixed_policy)
    return output


def check_mixed_precision(layer_cls, init_kwargs, inputs, call_kwargs, policy):
    """Under a mixed policy a layer keeps float32 variables and returns the compute dtype."""
    policy = keras.DTypePolicy(policy)
    layer = layer_cls(**init_kwargs, dtype=policy)
    output = layer(inputs, **(call_kwargs or {}))
    outputs = output if isinstance(output, (list, tuple)) else [output]
    for value in outputs:
        dtype = keras.backend.standardize_dtype(value.dtype)
        if "float" in dtype:
            assert dtype == policy.compute_dtype, (
                f"{layer_cls.__name__} under {policy.name} returns {dtype}, "
                f"not the compute dtype {policy.compute_dtype}"
            )
    for variable in layer.trainable_variables:
        assert variable.dtype == policy.variable_dtype, (
            f"{layer_cls.__name__} under {policy.name}: {variable.path} is {variable.dtype}"
        )


def run_model_saving_test(model, outputs_fn, tmp_dir):
    """Saves `model` as `.keras` and as weights, reloads both, compares outputs.

    Args:
        model: a built `keras_gen` model.
        outputs_fn: `fn(model) -> array`, deterministic (fixed inputs), e.g.
            `lambda m: m.generator(z)`.
        tmp_dir: a folder to write into.

    Returns:
        The model loaded from the `.keras` file.
    """
    expected = keras.ops.convert_to_numpy(outputs_fn(model))
    path = os.path.join(str(tmp_dir), "model.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(outputs_fn(reloaded)), expected, rtol=1e-6, atol=1e-6
    )

    weights_path = os.path.join(str(tmp_dir), "model.weights.h5")
    model.save_weights(weights_path)
    clone = model.__class__.from_config(model.get_config())
    clone.load_weights(weights_path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(outputs_fn(clone)), expected, rtol=1e-6, atol=1e-6
    )
    return reloaded


class InterruptFit(keras.callbacks.Callback):
    """Stops `fit` with `RuntimeError("interrupted")`, as a preemption would.

    Raises at the start of epoch `epoch` (0-based), or at the start of batch
    `batch` of that epoch. Place it after a `BackupAndRestore` so the backup
    of the epochs before is written first.
    """

    def __init__(self, epoch, batch=None):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch
        if epoch == self.epoch and self.batch is None:
            raise RuntimeError("interrupted")

    def on_train_batch_begin(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise RuntimeError("interrupted")
