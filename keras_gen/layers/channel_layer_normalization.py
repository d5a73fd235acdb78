"""Layer normalization over a whole feature map with a per-channel affine map (MUNIT's decoder)."""

import keras

from keras_gen.layers.depth_to_space import resolve_data_format


@keras.saving.register_keras_serializable(package="keras_gen")
class ChannelLayerNormalization(keras.layers.GroupNormalization):
    """Normalizes each sample over all of `(H, W, C)`, then scales and shifts each channel.

    `y = gamma[c] * (x - mean) / sqrt(var + epsilon) + beta[c]`, with one
    `mean` and `var` per sample taken over height, width and channels, and
    `gamma`, `beta` of shape `(C,)`: layer normalization (Ba et al. 2016) of
    a feature map, as MUNIT's decoder uses it in its upsampling layers
    (where instance normalization would erase the AdaIN style statistics).

    Why a layer of its own: `keras.layers.LayerNormalization(axis=[1, 2, 3])`
    takes the same statistics but learns `gamma` and `beta` of shape
    `(H, W, C)`, one per element: many more weights, tied to one image size,
    and not MUNIT's layer. `keras.layers.LayerNormalization()` (`axis=-1`)
    normalizes each pixel over its channels only. The computation wanted is
    `keras.layers.GroupNormalization(groups=1)`, which this layer is, with
    the group count fixed, 4D inputs checked, the channel axis set by
    `data_format`, PyTorch's epsilon and a name that says what it is.
    Statistics are taken in float32 under mixed precision (as Keras's group
    normalization does) and the output is in the compute dtype.

    Args:
        epsilon: added to the variance (1e-5).
        data_format: `"channels_last"` (maps `(batch, H, W, C)`) or
            `"channels_first"` (`(batch, C, H, W)`); None follows
            `keras.config.image_data_format()`. `gamma` and `beta` are `(C,)`
            in both layouts.
        center: learn the per-channel `beta`.
        scale: learn the per-channel `gamma`.
        beta_initializer, gamma_initializer, beta_regularizer,
        gamma_regularizer, beta_constraint, gamma_constraint: as in
            `keras.layers.GroupNormalization` (initial `gamma` 1, `beta` 0).
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor with the input's shape.

    Example:

    ```python
    layer = keras_gen.layers.ChannelLayerNormalization()
    y = layer(keras.random.normal((2, 8, 8, 16)))
    ```

    Reference:
        Ba, Kiros & Hinton, "Layer Normalization", arXiv:1607.06450, 2016;
        Huang, Liu, Belongie & Kautz, "Multimodal Unsupervised
        Image-to-Image Translation", ECCV 2018 (https://arxiv.org/abs/1804.04732).
    """

    def __init__(self, epsilon=1e-5, data_format=None, **kwargs):
        for fixed in ("groups", "axis"):
            if fixed in kwargs:
                raise ValueError(
                    f"ChannelLayerNormalization fixes `{fixed}` (one group, on the channel "
                    "axis of `data_format`); use keras.layers.GroupNormalization to choose it."
                )
        data_format = resolve_data_format(data_format)
        axis = 1 if data_format == "channels_first" else -1
        super().__init__(groups=1, axis=axis, epsilon=epsilon, **kwargs)
        self.data_format = data_format

    def build(self, input_shape):
        if len(input_shape) != 4:
            layout = ("(batch, channels, height, width)" if self.data_format == "channels_first"
                      else "(batch, height, width, channels)")
            raise ValueError(
                f"ChannelLayerNormalization expects feature maps {layout}; received shape "
                f"{tuple(input_shape)}. For vectors use keras.layers.LayerNormalization."
            )
        super().build(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config.pop("axis")
        config["data_format"] = self.data_format
        return config
