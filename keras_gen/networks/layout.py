"""Converting a functional convolutional network between channels-last and channels-first."""

import keras

from keras_gen.layers.depth_to_space import resolve_data_format
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
    layers with a `data_format` take the new one, and the channel `axis`
    of `Concatenate`, `BatchNormalization` and `GroupNormalization` moves
    (-1 and 1). Element-wise layers are kept. Convolution kernels have the
    same shape in both layouts, so the weights are copied unchanged and the
    copy computes the same outputs, transposed. This is how a preset saved
    channels-last (e.g. `pix2pix_edges2digits`'s U-Net and PatchGAN) runs
    channels-first on the torch backend.

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
            is not rewritten (e.g. `Flatten`, `Dense`, `Reshape`), naming it;
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
    for layer_config in config["layers"]:
        _convert_layer_config(layer_config, data_format, network.name)
    copy = network.__class__.from_config(config)
    copy.set_weights(network.get_weights())
    return check_channels_first_offsets(copy)


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
            f"`data_format={data_format!r}` (e.g. `keras_gen.networks.dcgan_generator(..., "
            "data_format=...)`), or use `keras_gen.applications.dcgan.with_data_format` for a "
            "DCGAN."
        )
