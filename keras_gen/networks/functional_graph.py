"""Reading and editing the config of a functional Keras model: tensor ranks, inputs, renames.

In a functional config each layer's `inbound_nodes` refer to the tensors it
reads as `{"keras_history": [layer name, node index, tensor index], "shape":
..., "dtype": ...}`, and `output_layers` names the model's outputs as `[layer
name, node index, tensor index]` entries. `layout.convert_data_format` uses
these helpers to rewrite a network's graph.
"""

import keras


def tensor_ranks(network):
    """`{layer name: (input ranks, output ranks)}` of `network`'s layers and operations (where known)."""
    ranks = {}
    for layer in getattr(network, "operations", network.layers):  # operations: slicing too
        try:
            inputs, outputs = keras.tree.flatten(layer.input), keras.tree.flatten(layer.output)
        except (AttributeError, ValueError):
            continue
        ranks[layer.name] = (tuple(len(t.shape) for t in inputs),
                             tuple(len(t.shape) for t in outputs))
    return ranks


def _tensor_references(value):
    """Every tensor reference (a dict with `keras_history`) inside `value`."""
    if isinstance(value, dict):
        if "keras_history" in value:
            yield value
        for item in value.values():
            yield from _tensor_references(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensor_references(item)


def input_names(layer_config):
    """Names of the layers whose tensors `layer_config`'s layer reads."""
    return {ref["keras_history"][0] for ref in _tensor_references(layer_config.get("inbound_nodes", []))}


def input_dtype(layer_config):
    """The dtype of the first tensor `layer_config`'s layer reads ("float32" if not recorded)."""
    for ref in _tensor_references(layer_config.get("inbound_nodes", [])):
        if "dtype" in ref:
            return ref["dtype"]
    return "float32"


def _is_output_entry(entry):
    return (isinstance(entry, (list, tuple)) and len(entry) == 3 and isinstance(entry[0], str)
            and isinstance(entry[1], int))


def _map_outputs(output_layers, fn):
    """`output_layers` with `fn` applied to each `[name, node, tensor]` entry."""
    if _is_output_entry(output_layers):
        return fn(list(output_layers))
    if isinstance(output_layers, (list, tuple)):
        return [_map_outputs(item, fn) for item in output_layers]
    if isinstance(output_layers, dict):
        return {key: _map_outputs(item, fn) for key, item in output_layers.items()}
    return output_layers


def names_output(config, name):
    """Whether layer `name`'s tensors are outputs of the model of `config`."""
    found = []
    _map_outputs(config["output_layers"], lambda entry: found.append(entry[0] == name) or entry)
    return any(found)


def rename_references(config, old, new):
    """Points every layer input and model output that reads `old`'s tensors at `new`'s."""
    for layer in config["layers"]:
        for ref in _tensor_references(layer.get("inbound_nodes", [])):
            if ref["keras_history"][0] == old:
                ref["keras_history"] = [new] + list(ref["keras_history"][1:])
    config["output_layers"] = _map_outputs(
        config["output_layers"], lambda entry: [new] + entry[1:] if entry[0] == old else entry)
