"""Checks of networks at construction: one logit per sample, a generator that feeds its discriminator, class counts."""

import keras
import numpy as np

from keras_gen.models.validation.images import same_shape
from keras_gen.networks.layout import layer_data_format


def _output_shapes(network):
    outputs = getattr(network, "outputs", None)
    if not outputs:
        return None
    return [tuple(o.shape) for o in outputs]


def check_logits_shape(shape, network_name, fix, channels_first=False):
    """Raises `ValueError` unless `shape` is one logit per sample or per patch.

    Accepted: `(batch,)`, `(batch, 1)`, or a patch map whose channel axis
    holds 1 value: PatchGAN's `(batch, h, w, 1)`, or with `channels_first`
    `(batch, 1, h, w)`.
    """
    shape = tuple(shape)
    if len(shape) == 1 or (len(shape) >= 2 and shape[-1] == 1):
        return
    if channels_first and len(shape) >= 3 and shape[1] == 1:
        return
    values = shape[1] if channels_first and len(shape) >= 3 else shape[-1]
    raise ValueError(
        f"The {network_name} returns logits of shape {shape}: {values} values per "
        "sample, which the loss would average into one. It must return one logit per "
        "sample, shape (batch, 1), or a patch map (batch, height, width, 1) (channels-first: "
        "(batch, 1, height, width)). " + fix
    )


def _output_data_format(network):
    """The `data_format` of the layer that makes `network`'s output (None if it has none)."""
    try:
        return layer_data_format(network.outputs[0]._keras_history.operation)
    except (AttributeError, IndexError):
        return None


def check_logits_output(network, network_name, fix):
    """Raises `ValueError` unless `network` has one output of logits (see `check_logits_shape`).

    A patch map is read in the layout of the layer that makes it (e.g. a
    channels-first PatchGAN's `(batch, 1, h, w)`). Subclassed models (no
    symbolic outputs) are not checked.
    """
    shapes = _output_shapes(network)
    if shapes is None:
        return
    if len(shapes) != 1:
        raise ValueError(
            f"The {network_name} {network.name!r} returns {len(shapes)} tensors {shapes}; "
            "it must return one tensor of logits, one per sample (batch, 1). " + fix
        )
    check_logits_shape(shapes[0], network_name, fix,
                       channels_first=_output_data_format(network) == "channels_first")


def check_generator_feeds_discriminator(generator, discriminator, model_name):
    """Raises `ValueError` if the generator's samples do not fit the discriminator's input."""
    outputs = _output_shapes(generator)
    inputs = getattr(discriminator, "inputs", None)
    if not outputs or not inputs:
        return
    produced, expected = outputs[0][1:], tuple(inputs[0].shape[1:])
    if not same_shape(produced, expected):
        raise ValueError(
            f"The generator outputs samples of shape (batch,) + {tuple(produced)}, but the "
            f"discriminator takes (batch,) + {expected}; {model_name} feeds one to the "
            "other. Build both networks for the same sample shape (e.g. the same "
            "`image_shape=`)."
        )


def _walk_operations(network, seen=None):
    """Every operation (layers and ops such as one_hot) of a network, nested ones included."""
    seen = set() if seen is None else seen
    children = getattr(network, "operations", None)
    if children is None and isinstance(network, keras.layers.Layer):
        children = network._flatten_layers(include_self=False, recursive=False)
    for child in children or []:
        if id(child) in seen or child is network:
            continue
        seen.add(id(child))
        yield child
        if isinstance(child, keras.layers.Layer):
            yield from _walk_operations(child, seen)


def class_counts_of(network):
    """`{layer name: number of classes}` of the label-handling parts of a network.

    Reads `Embedding.input_dim`, the depth of `one_hot` operations and the
    `num_classes` of layers that have one (e.g. conditional batch norm).
    """
    counts = {}
    for operation in _walk_operations(network):
        count = None
        if isinstance(operation, keras.layers.Embedding):
            count = operation.input_dim
        elif type(operation).__name__ == "OneHot":
            count = getattr(operation, "num_classes", None)
        else:
            count = getattr(operation, "num_classes", None)
        if isinstance(count, (int, np.integer)) and not isinstance(count, bool):
            counts[operation.name] = int(count)
    return counts


def check_network_classes(network, num_classes, network_name, builder_hint=""):
    """Raises `ValueError` if `network` embeds or one-hot encodes another number of classes."""
    wrong = {name: count for name, count in class_counts_of(network).items() if count != num_classes}
    if not wrong:
        return
    name, count = next(iter(wrong.items()))
    raise ValueError(
        f"The {network_name} handles labels of {count} classes (layer {name!r}), but "
        f"num_classes={num_classes}: labels >= {count} would be embedded out of range "
        f"(NaN or garbage images). Build the networks with num_classes={num_classes}"
        f"{builder_hint}, or pass num_classes={count} to the model."
    )
