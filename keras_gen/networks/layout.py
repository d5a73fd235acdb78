"""Converting a functional convolutional network between channels-last and channels-first."""

import keras
import numpy as np

from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.networks import functional_graph
from keras_gen.networks.blocks import check_channels_first_offsets

# Layers that compute the same thing whatever the layout of their 4-D inputs.
_LAYOUT_FREE = {
    "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "Dropout", "Add", "Subtract",
    "Multiply", "Average", "Maximum", "Minimum",
}
# Layers whose channel axis is their `axis` argument.
_AXIS_LAYERS = {"Concatenate", "BatchNormalization", "GroupNormalization"}


def layer_data_format(layer):
    """The `data_format` of `layer` or of the layer it wraps (`SpectralNormalization`); None if none."""
    data_format = getattr(layer, "data_format", None) or getattr(
        getattr(layer, "layer", None), "data_format", None)
    return data_format if data_format in ("channels_last", "channels_first") else None


def network_data_format(network):
    """The layout of `network`'s layers (nested networks included): "channels_last",
    "channels_first", or None if it has none."""
    for layer in network.layers:
        data_format = (network_data_format(layer) if isinstance(layer, keras.Model)
                       else layer_data_format(layer))
        if data_format is not None:
            return data_format
    return None


def convert_data_format(network, data_format):
    """A copy of a functional convolutional `network` in `data_format`, with the same weights.

    Rewrites the network's config: inputs of rank 4 are transposed,
    layers with a `data_format` take the new one (`Flatten` included: it
    flattens in channels-last order in both layouts), and the channel `axis`
    of `Concatenate`, `BatchNormalization` and `GroupNormalization` moves
    (-1 and 1). Element-wise layers, and layers that see no image (every
    input and output of rank 2 or less, e.g. a `Dense` head after `Flatten`
    or a style MLP), are kept. A `Reshape` of vectors into images keeps its
    channels-last target shape and gains a `Permute` to channels-first after
    it (the way `keras_gen.networks.conv_decoder` builds it; converting back
    removes that `Permute`). Convolution and dense kernels have the same
    shape and meaning in both layouts, so the weights are copied unchanged
    and the copy computes the same outputs, transposed. This is how a preset
    saved channels-last (e.g. `pix2pix_edges2digits`'s U-Net and PatchGAN,
    or `vae_mnist`'s encoder and decoder) runs channels-first on the torch
    backend.

    Args:
        network: a functional `keras.Model` of images (e.g. from
            `unet_generator`, `resnet_generator`, `patchgan_discriminator`).
        data_format: `"channels_last"` or `"channels_first"` (None:
            `keras.config.image_data_format()`).

    Returns:
        The network itself if it is already in `data_format`, else the
        converted copy.

    Raises:
        ValueError: for a layer whose meaning depends on the layout and that
            is not rewritten (e.g. a `Dense` or `Reshape` applied to images,
            a `Lambda`), naming it;
            and, on TensorFlow, for channels-first maps as wide as their
            channel count (see `keras_gen.networks.blocks.check_channels_first_offsets`).

    Example:

    ```python
    pix2pix = keras_gen.presets.from_preset("pix2pix_edges2digits")
    generator = keras_gen.networks.convert_data_format(pix2pix.generator, "channels_first")
    translated = generator(np.moveaxis(edges, -1, 1))  # (batch, 1, 32, 32)
    ```
    """
    data_format = resolve_data_format(data_format)
    current = network_data_format(network)
    if current is None:
        raise ValueError(
            f"{network.name!r} has no layer with a `data_format`; there is nothing to convert."
        )
    if current == data_format:
        return network
    config = network.get_config()
    if not isinstance(config, dict) or "layers" not in config:
        raise ValueError(
            f"{network.name!r} is not a functional model; build the network again with "
            f"`data_format={data_format!r}` instead."
        )
    ranks = functional_graph.tensor_ranks(network)
    reshapes = [layer["name"] for layer in config["layers"]
                if _is_vectors_to_images(layer, ranks.get(layer["name"]))]
    permutes_back = {_permute_after(config, name, current) for name in reshapes} - {None}
    for layer_config in config["layers"]:
        name = layer_config["name"]
        if (name in reshapes or name in permutes_back
                or (layer_config["class_name"] != "InputLayer" and _sees_no_image(ranks.get(name)))):
            continue
        inner = _nested_network(network, name)
        if inner is not None:  # converted on its own, weights and all
            layer_config["config"] = convert_data_format(inner, data_format).get_config()
            layer_config.pop("build_config", None)
            continue
        if layer_config["class_name"] in _REDUCTIONS:
            _convert_reduction(layer_config, ranks.get(name), data_format, network.name)
            continue
        _convert_layer_config(layer_config, data_format, network.name)
    for name in reshapes:
        _reorient_images_after(config, name, data_format)
    copy = network.__class__.from_config(config)
    copy.set_weights(network.get_weights())
    return check_channels_first_offsets(copy)


# Reductions (`keras.ops.sum(x, axis=...)` and the like in a functional network).
_REDUCTIONS = {"Sum", "Mean", "Max", "Min"}
# Where each axis of a 4-D tensor goes when it changes layout.
_AXIS_MOVES = {"channels_first": {0: 0, 1: 2, 2: 3, 3: 1}, "channels_last": {0: 0, 1: 3, 2: 1, 3: 2}}


def _nested_network(network, name):
    try:
        layer = network.get_layer(name)
    except ValueError:
        return None
    if isinstance(layer, keras.Model) and network_data_format(layer) is not None:
        return layer
    return None


def _convert_reduction(layer_config, ranks, data_format, network_name):
    """Moves a reduction's axes to the new layout, if what it returns does not depend on it.

    That holds when it keeps its dimensions (a 4-D result, in the new
    layout), returns at most 2-D (e.g. a global sum over both spatial axes),
    or reduces the channel axis alone.
    """
    config = layer_config["config"]
    axis = config.get("axis")
    name = layer_config.get("name", layer_config["class_name"])
    if ranks is None or ranks[0] != (4,) or axis is None:
        raise ValueError(
            f"Layer {name!r} ({layer_config['class_name']}) of {network_name!r} reduces a tensor "
            "this conversion cannot follow; build the network again with "
            f"`data_format={data_format!r}`.")
    axes = [int(a) % 4 for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    old_channel = 1 if data_format == "channels_last" else 3
    if not (config.get("keepdims") or ranks[1][0] <= 2 or axes == [old_channel]):
        raise ValueError(
            f"Layer {name!r} ({layer_config['class_name']}) of {network_name!r} returns a "
            "tensor whose layout depends on the image layout; build the network again with "
            f"`data_format={data_format!r}`.")
    moved = sorted(_AXIS_MOVES[data_format][a] for a in axes)
    config["axis"] = moved if isinstance(axis, (list, tuple)) else moved[0]


def _sees_no_image(ranks):
    return ranks is not None and all(rank <= 2 for rank in ranks[0] + ranks[1])


def _is_vectors_to_images(layer_config, ranks):
    return layer_config["class_name"] == "Reshape" and ranks == ((2,), (4,))


# `Permute` dims that take images made channels-last into each layout (and back).
_PERMUTE_DIMS = {"channels_first": [3, 1, 2], "channels_last": [2, 3, 1]}


def _permute_after(config, reshape_name, layout):
    """The name of the `Permute` into `layout` that alone reads a vectors-to-images reshape, or None."""
    consumers = [layer for layer in config["layers"]
                 if reshape_name in functional_graph.input_names(layer)]
    if (len(consumers) == 1 and consumers[0]["class_name"] == "Permute"
            and list(consumers[0]["config"]["dims"]) == _PERMUTE_DIMS[layout]
            and not functional_graph.names_output(config, reshape_name)):
        return consumers[0]["name"]
    return None


def _reorient_images_after(config, reshape_name, data_format):
    """Makes the images a vectors-to-images `Reshape` yields follow `data_format`.

    The `Reshape` keeps its target shape (the layout its vectors were
    trained in); a `Permute` into the new layout follows it, or, when the
    `Reshape` already feeds exactly such a `Permute` into the old layout and
    nothing else, that `Permute` is removed.
    """
    layers = config["layers"]
    old_layout = "channels_last" if data_format == "channels_first" else "channels_first"
    permute = _permute_after(config, reshape_name, old_layout)
    if permute is not None:
        layers.remove(next(layer for layer in layers if layer["name"] == permute))
        functional_graph.rename_references(config, permute, reshape_name)
        return
    index = next(i for i, layer in enumerate(layers) if layer["name"] == reshape_name)
    reshape = layers[index]
    name = f"{reshape_name}_{data_format}"
    images = {"shape": [None] + list(reshape["config"]["target_shape"]),
              "dtype": functional_graph.input_dtype(reshape), "keras_history": [reshape_name, 0, 0]}
    functional_graph.rename_references(config, reshape_name, name)
    layers.insert(index + 1, {
        "module": "keras.layers",
        "class_name": "Permute",
        "config": {"name": name, "trainable": True, "dtype": reshape["config"].get("dtype"),
                   "dims": _PERMUTE_DIMS[data_format]},
        "registered_name": None,
        "name": name,
        "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": images}],
                           "kwargs": {}}],
    })


def _convert_layer_config(layer_config, data_format, network_name):
    class_name = layer_config["class_name"]
    config = layer_config["config"]
    layer_name = layer_config.get("name", class_name)
    # Built again, in the new layout, when the functional graph is rebuilt.
    layer_config.pop("build_config", None)
    to_first = data_format == "channels_first"
    if class_name == "InputLayer":
        shape = config.get("batch_shape")
        if shape is not None and len(shape) == 4:
            config["batch_shape"] = ((shape[0], shape[3], shape[1], shape[2]) if to_first
                                     else (shape[0], shape[2], shape[3], shape[1]))
        return
    if class_name in _AXIS_LAYERS:
        axis = config["axis"]
        axis = axis[0] if isinstance(axis, (list, tuple)) and len(axis) == 1 else axis
        channel_axes, new_axis = ((-1, 3), 1) if to_first else ((1, -3), -1)
        if axis not in channel_axes:
            raise ValueError(
                f"Layer {layer_name!r} ({class_name}) of {network_name!r} works on axis "
                f"{axis!r}, not the channel axis; it cannot be converted. Build the network "
                f"again with `data_format={data_format!r}`."
            )
        config["axis"] = new_axis
        return
    if "data_format" in config:
        config["data_format"] = data_format
        return
    if class_name == "SpectralNormalization" and "layer" in config:
        _convert_layer_config(config["layer"], data_format, network_name)
        return
    if class_name not in _LAYOUT_FREE:
        raise ValueError(
            f"Layer {layer_name!r} ({class_name}) of {network_name!r} depends on the "
            "image layout and is not converted automatically. Build the network again with "
            f"`data_format={data_format!r}` (every builder in keras_gen.networks takes it)."
        )


def convert_model_data_format(model, data_format):
    """A copy of a keras_gen model whose image networks use `data_format`, with the same weights.

    Each network in `model.networks` that has a layout is converted with
    `convert_data_format`; the model is rebuilt from its config around the
    converted networks (so it keeps its training options) and takes all of
    `model`'s weights, its own included (a GAN's moving average, a fitted
    latent density). Models follow their networks' layout, so the copy
    takes and returns images channels-first where `model` took them
    channels-last, with the same numbers. `keras_gen.presets.from_preset`
    calls this for its `data_format` argument.

    Args:
        model: a keras_gen model (`GenerativeModel` subclass) whose networks
            are functional, or a functional network (converted with
            `convert_data_format`).
        data_format: `"channels_last"` or `"channels_first"` (None:
            `keras.config.image_data_format()`).

    Returns:
        `model` itself if every network is already in `data_format`, else
        the converted copy.

    Raises:
        ValueError: as `convert_data_format`, naming the network and layer
            that cannot be converted.

    Example:

    ```python
    vae = keras_gen.presets.from_preset("vae_mnist")
    vae_first = keras_gen.networks.convert_model_data_format(vae, "channels_first")
    samples = vae_first.generate(16, seed=0)  # (16, 1, 28, 28)
    ```
    """
    data_format = resolve_data_format(data_format)
    if not hasattr(model, "networks"):  # a network on its own, e.g. the digits classifier
        return model if network_data_format(model) is None else convert_data_format(model, data_format)
    names = [name for name in model.networks
             if isinstance(getattr(model, name, None), keras.Model)
             and network_data_format(getattr(model, name)) not in (None, data_format)]
    if not names:
        return model
    config = model.get_config()
    for name in names:
        config[name] = convert_data_format(getattr(model, name), data_format)
    copy = model.__class__.from_config(config)
    if len(copy.weights) != len(model.weights):
        raise ValueError(
            f"The {data_format} copy of {model.__class__.__name__} holds other weights than the "
            f"original; build the model again with `data_format={data_format!r}`.")
    copy.set_weights([_in_shape(w, tuple(v.shape), data_format, v.path)
                      for w, v in zip(model.get_weights(), copy.weights)])
    return copy


def _in_shape(value, shape, data_format, path):
    """`value`, or, for model state holding images (e.g. CycleGAN's pools of generated
    images), `value` in the new layout."""
    if value.shape == shape:
        return value
    if value.ndim >= 4:
        moved = (np.moveaxis(value, -1, -3) if data_format == "channels_first"
                 else np.moveaxis(value, -3, -1))
        if moved.shape == shape:
            return moved
    raise ValueError(
        f"The {data_format} copy's weight {path!r} has shape {shape}, the original's "
        f"{value.shape}; build the model again with `data_format={data_format!r}`.")
