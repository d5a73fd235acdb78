"""Reflection padding for 2D feature maps (mirror the border instead of adding zeros)."""

import keras


def _normalize_padding(padding):
    """Returns `((top, bottom), (left, right))` from an int, a pair or a pair of pairs."""
    if isinstance(padding, int):
        return ((padding, padding), (padding, padding))
    if len(padding) != 2:
        raise ValueError(
            "`padding` must be an int, (height_pad, width_pad) or "
            f"((top, bottom), (left, right)); received {padding}."
        )
    if all(isinstance(p, int) for p in padding):
        return ((padding[0], padding[0]), (padding[1], padding[1]))
    return tuple(tuple(int(v) for v in p) for p in padding)


@keras.saving.register_keras_serializable(package="keras_gen")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads the two spatial axes by reflecting the feature map at its border.

    Reflection (`keras.ops.pad(..., mode="reflect")`, the border pixel itself
    is not repeated) avoids the dark frame that zero padding leaves in
    generated images; CycleGAN's ResNet generator pads with it before every
    convolution.

    Args:
        padding: int, `(height_pad, width_pad)` or
            `((top, bottom), (left, right))`. Each amount must be smaller than
            the size of the axis it pads.
        data_format: `"channels_last"` or `"channels_first"`; default
            `keras.config.image_data_format()`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`).

    Returns:
        A layer mapping `(batch, h, w, c)` to
        `(batch, h + top + bottom, w + left + right, c)` (channels_last).

    Example:

    >>> layer = keras_gen.layers.ReflectionPadding2D(3)
    >>> layer(np.zeros((1, 8, 8, 3))).shape
    (1, 14, 14, 3)

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593).
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _normalize_padding(padding)
        if any(v < 0 for pair in self.padding for v in pair):
            raise ValueError(f"`padding` must be non-negative; received {padding}.")
        data_format = data_format or keras.config.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "`data_format` must be 'channels_last' or 'channels_first'; "
                f"received {data_format!r}."
            )
        self.data_format = data_format

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                "ReflectionPadding2D expects a 4D input (batch, height, width, "
                f"channels); received shape {input_shape}."
            )
        for axis, (before, after) in zip(self._spatial_axes(), self.padding):
            size = input_shape[axis]
            if size is not None and max(before, after) >= size:
                raise ValueError(
                    f"Reflection padding of {max(before, after)} needs a spatial "
                    f"size larger than that, but axis {axis} has size {size}. "
                    "Use a larger input or a smaller `padding`."
                )
        self.built = True

    def call(self, inputs):
        pad_width = [(0, 0)] * 4
        for axis, pair in zip(self._spatial_axes(), self.padding):
            pad_width[axis] = pair
        return keras.ops.pad(inputs, pad_width, mode="reflect")

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self.padding):
            if shape[axis] is not None:
                shape[axis] = shape[axis] + before + after
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "padding": [list(pair) for pair in self.padding],
                "data_format": self.data_format,
            }
        )
        return config
