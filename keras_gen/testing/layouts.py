"""One training step of a model in each layout, from the same weights: the channels-first test kit."""

import keras
import numpy as np


def to_channels_first(array):
    """A 4-D array moved to channels-first (other ranks unchanged)."""
    array = np.asarray(array)
    return np.ascontiguousarray(np.moveaxis(array, -1, 1)) if array.ndim == 4 else array


def to_channels_last(array):
    """A 4-D tensor moved to channels-last NumPy (other ranks unchanged)."""
    array = keras.ops.convert_to_numpy(array)
    return np.moveaxis(array, 1, -1) if array.ndim == 4 else array


def _probe_inputs(network):
    rng = np.random.default_rng(9)
    inputs = [rng.uniform(-1, 1, (2,) + tuple(x.shape[1:])).astype("float32") for x in network.inputs]
    return inputs if len(inputs) > 1 else inputs[0]


def _outputs(network, inputs, channels_first=False):
    """Every output of `network` on channels-last `inputs`, channels-last, flattened."""
    if channels_first:
        inputs = keras.tree.map_structure(to_channels_first, inputs)
    outputs = keras.tree.flatten(network(inputs, training=False))
    return [to_channels_last(o) if channels_first else keras.ops.convert_to_numpy(o) for o in outputs]


def step_in_both_layouts(build_model, data):
    """One SGD step of the model in each layout from the same weights.

    Args:
        build_model: `build_model(channels_first)` builds the model.
        data: the channels-last `fit` arguments (4-D arrays are transposed
            for the channels-first model).

    Returns:
        `(logs, outputs)`: the `fit` history per layout (keyed by
        `channels_first`), and per network the channels-last outputs on
        probe inputs before the step, and after it in each layout.
    """
    logs, outputs, initial = {}, [], None
    for channels_first in (False, True):
        keras.utils.set_random_seed(0)
        model = build_model(channels_first)
        # The networks' weights (an image pool holds images in the layout of its model).
        networks = [layer for layer in model.layers if isinstance(layer, keras.Model)]
        if initial is None:
            initial = [network.get_weights() for network in networks]
            probes = [_probe_inputs(network) for network in networks]
            outputs = [[_outputs(network, probe)] for network, probe in zip(networks, probes)]
        else:
            for network, values in zip(networks, initial):
                network.set_weights(values)
        model.compile(optimizers={name: keras.optimizers.SGD(1e-3) for name in model.optimizer_names()})
        arrays = tuple(to_channels_first(a) for a in data) if channels_first else data
        logs[channels_first] = model.fit(*arrays, batch_size=len(data[0]), epochs=1, verbose=0,
                                         shuffle=False).history
        for network, probe, row in zip(networks, probes, outputs):
            row.append(_outputs(network, probe, channels_first))
    return logs, outputs


def assert_same_step(logs, outputs, every_output_changes=False):
    """Same logs, and trained networks that compute the same functions.

    Compared through outputs, not weights: a convolution bias followed by
    instance normalization has a gradient that is zero in exact arithmetic,
    so its float32 update is rounding noise in either layout (and cancels in
    the output). XLA sums channels-first gradients in another order, which
    small instance-normalized maps make visible: the outputs must agree to
    within 5% of what the step changed (a layout mistake is of the size of
    the change, or breaks the forward pass).

    Args:
        logs, outputs: from `step_in_both_layouts`.
        every_output_changes: also require that the step changed every
            probed output.
    """
    assert set(logs[True]) == set(logs[False])
    for key, values in logs[False].items():
        np.testing.assert_allclose(logs[True][key], values, rtol=1e-4, err_msg=key)
    for before, after_last, after_first in outputs:
        for b, last, first in zip(before, after_last, after_first):
            change = np.max(np.abs(last - b))
            assert change > 0 or not every_output_changes
            assert np.max(np.abs(first - last)) <= 0.05 * change + 1e-6
