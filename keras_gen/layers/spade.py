"""Spatially-adaptive normalization (SPADE) and the SPADE residual block (GauGAN)."""

import keras
from keras import ops

from keras_gen.layers.adaptive_instance_normalization import instance_normalize
from keras_gen.layers.batch_normalization import BatchNormalization
from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.spectral_normalization import SpectralNormalization

NORMS = ("batch", "instance")


def resize_nearest(images, height, width, data_format=None):
    """Resizes `images` `(batch, h, w, c)` to `(batch, height, width, c)` by nearest neighbour.

    Output pixel `i` takes input pixel `floor((i + 0.5) * h / height)`: the
    nearest source pixel with half-pixel centres (what `tf.image.resize` and
    `jax.image.resize` do with "nearest", and PyTorch's "nearest-exact").
    The indices are computed in integers and gathered, so every backend picks
    exactly the same pixels and a one-hot label map stays one-hot.

    Args:
        images: a 4D tensor.
        height: output height (an int or a scalar tensor).
        width: output width.
        data_format: `"channels_last"` or `"channels_first"` (then `images`
            are `(batch, c, h, w)`); None follows
            `keras.config.image_data_format()`.

    Returns:
        The resized tensor, in the dtype of `images`.

    Example:

    ```python
    labels = keras.ops.one_hot(keras.ops.zeros((2, 16, 16), "int32"), 3)
    small = keras_gen.layers.spade.resize_nearest(labels, 8, 8)  # (2, 8, 8, 3)
    ```
    """
    shape = ops.shape(images)
    height_axis = 2 if resolve_data_format(data_format) == "channels_first" else 1
    for axis, size in ((height_axis, height), (height_axis + 1, width)):
        source = shape[axis]
        if isinstance(source, int) and isinstance(size, int) and source == size:
            continue
        index = ops.arange(size, dtype="int32")
        index = ops.floor_divide((2 * index + 1) * source, 2 * size)
        index = ops.minimum(index, source - 1)
        images = ops.take(images, index, axis=axis)
    return images


def _check_norm(norm):
    if norm not in NORMS:
        raise ValueError(
            f"`norm` must be one of {NORMS} (the parameter-free normalization SPADE "
            f"modulates; the paper uses 'batch'); received {norm!r}."
        )


def _check_classes(num_classes):
    if num_classes is None:
        return None
    if isinstance(num_classes, bool) or int(num_classes) != num_classes or num_classes < 1:
        raise ValueError(
            "`num_classes` must be a positive integer (the label map's channel "
            f"count), or None to accept any; received {num_classes!r}."
        )
    return int(num_classes)


def _channel_index(data_format):
    return 1 if data_format == "channels_first" else 3


def _with_channels(shape, channels, data_format):
    """`shape` (4D) with its channel entry replaced by `channels`."""
    shape = list(shape)
    shape[_channel_index(data_format)] = channels
    return tuple(shape)


def _check_tensorflow_offsets(layer_name, data_format, x_shape, biased_filters):
    """Raises where Keras's TensorFlow backend would add a convolution bias on the wrong axis.

    The layer's own convolutions are not seen by
    `keras_gen.networks.blocks.check_channels_first_offsets`, which reads a
    network's layers: a channels-first map as wide as its channel count gets
    its bias added along the width on TensorFlow.
    """
    if keras.backend.backend() != "tensorflow" or data_format != "channels_first":
        return
    width = x_shape[3]
    if width is not None and width in biased_filters:
        raise ValueError(
            f"{layer_name} makes channels-first maps {width} pixels wide with {width} "
            "channels; Keras's TensorFlow backend adds a convolution bias along the width of "
            "such maps (it reads them as channels-last), so the layer would compute wrong "
            "values. On TensorFlow, use data_format='channels_last', or choose sizes or filter "
            "counts whose widths differ from the channel counts."
        )


def _split_input_shapes(layer_name, input_shape, num_classes, data_format="channels_last"):
    """Checks `[x_shape, label_map_shape]` and returns them."""
    if (
        not isinstance(input_shape, (list, tuple))
        or len(input_shape) != 2
        or not all(isinstance(s, (list, tuple)) for s in input_shape)
    ):
        raise ValueError(
            f"{layer_name} is called as layer([x, label_map]) with two 4D tensors. "
            f"Received input shape {input_shape}."
        )
    x_shape, label_shape = (tuple(s) for s in input_shape)
    if len(x_shape) != 4 or len(label_shape) != 4:
        layouts = (("(batch, channels, height, width)", "(batch, num_classes, height', width')")
                   if data_format == "channels_first"
                   else ("(batch, height, width, channels)", "(batch, height', width', num_classes)"))
        raise ValueError(
            f"{layer_name} expects x of shape {layouts[0]} and a one-hot label_map of "
            f"shape {layouts[1]}; "
            f"received ranks {len(x_shape)} and {len(label_shape)} (shapes {x_shape} "
            f"and {label_shape}). Add the missing axes, e.g. one-hot encode integer "
            "label maps with keras.ops.one_hot."
        )
    channel = _channel_index(data_format)
    classes = label_shape[channel]
    if x_shape[channel] is None or classes is None:
        raise ValueError(
            f"{layer_name} needs known channel counts; received x shape {x_shape} "
            f"and label_map shape {label_shape}."
        )
    if num_classes is not None and classes != num_classes:
        raise ValueError(
            f"{layer_name} was built for num_classes={num_classes} but the label "
            f"map has {classes} channels (shape {label_shape}). One-hot "
            f"encode the labels with {num_classes} classes, or set "
            f"num_classes={classes} (or None)."
        )
    return x_shape, label_shape


@keras.saving.register_keras_serializable(package="keras_gen")
class SPADE(keras.layers.Layer):
    """Spatially-adaptive normalization: a label map sets a per-pixel scale and bias.

    Called as `layer([x, label_map], training=...)` (one list, as every
    multi-input layer of keras_gen, so it works unchanged in the functional
    API and in `run_layer_test`):

    1. `x` `(batch, H, W, C)` is normalized without an affine map:
       `norm="batch"` uses batch statistics in training and moving
       statistics in inference (`keras.layers.BatchNormalization(center=False,
       scale=False)`); `norm="instance"` normalizes each sample and channel
       over `H, W`.
    2. `label_map` `(batch, H', W', num_classes)`, a one-hot semantic map at
       any resolution, is resized to `H x W` by nearest neighbour
       (`keras_gen.layers.spade.resize_nearest`).
    3. A shared 3x3 convolution with `hidden_filters` channels and a ReLU,
       then two 3x3 convolutions, give `gamma` and `beta` of shape
       `(batch, H, W, C)`.
    4. The output is `normalized * (1 + gamma) + beta` (the paper's
       convention, so zero heads leave plain normalization).

    With one class and a constant map, `gamma` and `beta` are constant, and
    SPADE is the normalization with a learned per-channel affine map (the
    paper's remark that SPADE generalises conditional normalizations).

    With `data_format="channels_first"`, `x` is `(batch, C, H, W)` and the
    label map `(batch, num_classes, H', W')`; the weights are the same.

    The modulation convolutions are plain (not spectrally normalized); the
    paper's spectral normalization belongs to the generator's main
    convolutions, which `keras_gen.layers.SPADEResBlock` wraps.

    Args:
        hidden_filters: channels of the shared convolution (paper: 128).
        norm: `"batch"` (paper: synchronized batch norm) or `"instance"`.
        kernel_size: size of the three convolutions (paper: 3).
        num_classes: if given, the label map must have this many channels
            (checked when the layer is built); `None` accepts any.
        momentum: momentum of the moving statistics with `norm="batch"`
            (0.9, PyTorch's 0.1 in Keras's convention).
        epsilon: added to the variance (1e-5, PyTorch's default).
        kernel_initializer: initializer of the convolution kernels.
        data_format: `"channels_last"` or `"channels_first"` (the layout of
            `x` and of the label map); None follows
            `keras.config.image_data_format()`.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor with the shape and compute dtype of `x`.

    Example:

    ```python
    spade = keras_gen.layers.SPADE(hidden_filters=32, num_classes=5)
    labels = keras.ops.one_hot(keras.random.randint((2, 32, 32), 0, 5), 5)
    y = spade([keras.random.normal((2, 8, 8, 16)), labels], training=True)
    ```

    Reference:
        Park, Liu, Wang & Zhu, "Semantic Image Synthesis with
        Spatially-Adaptive Normalization", CVPR 2019 (section 3,
        https://arxiv.org/abs/1903.07291).
    """

    def __init__(
        self,
        hidden_filters=128,
        norm="batch",
        kernel_size=3,
        num_classes=None,
        momentum=0.9,
        epsilon=1e-5,
        kernel_initializer="glorot_uniform",
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_norm(norm)
        self.data_format = resolve_data_format(data_format)
        self.hidden_filters = int(hidden_filters)
        self.norm = norm
        self.kernel_size = int(kernel_size)
        self.num_classes = _check_classes(num_classes)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.batch_norm = None
        if norm == "batch":
            self.batch_norm = BatchNormalization(
                axis=1 if self.data_format == "channels_first" else -1,
                center=False,
                scale=False,
                momentum=self.momentum,
                epsilon=self.epsilon,
                dtype=self.dtype_policy,
                name="batch_norm",
            )
        self.shared_conv = self._conv(self.hidden_filters, "shared_conv", activation="relu")

    def _conv(self, filters, name, activation=None):
        return Conv2D(
            filters,
            self.kernel_size,
            padding="same",
            activation=activation,
            kernel_initializer=keras.initializers.get(
                keras.initializers.serialize(self.kernel_initializer)
            ),
            dtype=self.dtype_policy,
            data_format=self.data_format,
            name=name,
        )

    def build(self, input_shape):
        x_shape, label_shape = _split_input_shapes(
            "SPADE", input_shape, self.num_classes, self.data_format)
        channel = _channel_index(self.data_format)
        channels = x_shape[channel]
        _check_tensorflow_offsets(
            f"SPADE {self.name!r}", self.data_format, x_shape, (channels, self.hidden_filters))
        if self.batch_norm is not None:
            self.batch_norm.build(x_shape)
        resized = _with_channels(x_shape, label_shape[channel], self.data_format)
        resized = (label_shape[0],) + resized[1:]
        self.shared_conv.build(resized)
        hidden_shape = _with_channels(resized, self.hidden_filters, self.data_format)
        self.gamma_conv = self._conv(channels, "gamma_conv")
        self.beta_conv = self._conv(channels, "beta_conv")
        self.gamma_conv.build(hidden_shape)
        self.beta_conv.build(hidden_shape)
        self.built = True

    def modulation(self, x, label_map):
        """Returns `(gamma, beta)`, each with `x`'s shape, from `label_map`."""
        shape = ops.shape(x)
        height_axis = 2 if self.data_format == "channels_first" else 1
        label_map = ops.cast(label_map, self.compute_dtype)
        label_map = resize_nearest(
            label_map, shape[height_axis], shape[height_axis + 1], self.data_format)
        hidden = self.shared_conv(label_map)
        return self.gamma_conv(hidden), self.beta_conv(hidden)

    def call(self, inputs, training=None):
        x, label_map = inputs
        x = ops.cast(x, self.compute_dtype)
        if self.batch_norm is not None:
            normalized = self.batch_norm(x, training=training)
        else:
            normalized = instance_normalize(x, self.epsilon, self.data_format)
        gamma, beta = self.modulation(x, label_map)
        return normalized * (1.0 + gamma) + beta

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {
            **super().get_config(),
            "hidden_filters": self.hidden_filters,
            "norm": self.norm,
            "kernel_size": self.kernel_size,
            "num_classes": self.num_classes,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "data_format": self.data_format,
        }


@keras.saving.register_keras_serializable(package="keras_gen")
class SPADEResBlock(keras.layers.Layer):
    """The SPADE residual block of the GauGAN generator.

    Called as `block([x, label_map], training=...)`; maps `(batch, H, W, C)`
    to `(batch, H, W, filters)` (channels-first: `(batch, C, H, W)` to
    `(batch, filters, H, W)`, the label map `(batch, num_classes, H', W')`):

        h = conv3x3(lrelu(SPADE(x)))             # to `filters` channels
        h = conv3x3(lrelu(SPADE(h)))
        y = h + shortcut(x)

    The shortcut is `x` itself when `C == filters`, else a learned
    `conv1x1(SPADE(x))` without bias. Each SPADE has its own modulation
    convolutions, all reading the same label map (resized to `H x W`). With
    `spectral_norm=True` (the paper applies it to every layer of the
    generator) the three main convolutions are wrapped in
    `keras_gen.layers.SpectralNormalization`; the SPADE modulation
    convolutions are not. Upsampling between blocks is the generator's
    business, not the block's.

    Args:
        filters: output channels (also those of the first convolution).
        hidden_filters: channels of each SPADE's shared convolution (paper: 128).
        norm: the SPADE normalization, `"batch"` (paper) or `"instance"`.
        spectral_norm: spectrally normalize the main and shortcut convolutions
            (paper: True).
        num_classes: if given, the label map must have this many channels.
        negative_slope: slope of the LeakyReLU (0.2).
        momentum: moving-statistics momentum of batch norm (0.9).
        epsilon: normalization epsilon (1e-5).
        kernel_initializer: initializer of every convolution kernel.
        data_format: `"channels_last"` or `"channels_first"`; None follows
            `keras.config.image_data_format()`. The weights are the same in
            both layouts.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor `(batch, H, W, filters)` in the compute dtype.

    Example:

    ```python
    block = keras_gen.layers.SPADEResBlock(16, hidden_filters=32)
    labels = keras.ops.one_hot(keras.random.randint((2, 32, 32), 0, 5), 5)
    y = block([keras.random.normal((2, 8, 8, 32)), labels], training=True)  # (2, 8, 8, 16)
    ```

    Reference:
        Park, Liu, Wang & Zhu, "Semantic Image Synthesis with
        Spatially-Adaptive Normalization", CVPR 2019 (the SPADE ResBlk of figure 4;
        https://arxiv.org/abs/1903.07291).
    """

    def __init__(
        self,
        filters,
        hidden_filters=128,
        norm="batch",
        spectral_norm=True,
        num_classes=None,
        negative_slope=0.2,
        momentum=0.9,
        epsilon=1e-5,
        kernel_initializer="glorot_uniform",
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or int(filters) != filters or filters < 1:
            raise ValueError(f"`filters` must be a positive integer; received {filters!r}.")
        _check_norm(norm)
        self.data_format = resolve_data_format(data_format)
        self.filters = int(filters)
        self.hidden_filters = int(hidden_filters)
        self.norm = norm
        self.spectral_norm = bool(spectral_norm)
        self.num_classes = _check_classes(num_classes)
        self.negative_slope = float(negative_slope)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.spade_0 = self._spade("spade_0")
        self.spade_1 = self._spade("spade_1")
        self.conv_0 = self._conv(3, True, "conv_0")
        self.conv_1 = self._conv(3, True, "conv_1")
        self.learned_shortcut = None  # known at build

    def _spade(self, name):
        return SPADE(
            hidden_filters=self.hidden_filters,
            norm=self.norm,
            num_classes=self.num_classes,
            momentum=self.momentum,
            epsilon=self.epsilon,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            dtype=self.dtype_policy,
            data_format=self.data_format,
            name=name,
        )

    def _conv(self, kernel_size, use_bias, name):
        conv = Conv2D(
            self.filters,
            kernel_size,
            padding="same",
            use_bias=use_bias,
            kernel_initializer=keras.initializers.get(
                keras.initializers.serialize(self.kernel_initializer)
            ),
            dtype=self.dtype_policy,
            data_format=self.data_format,
            name=name,
        )
        if self.spectral_norm:
            return SpectralNormalization(conv, dtype=self.dtype_policy, name=f"{name}_sn")
        return conv

    def build(self, input_shape):
        x_shape, label_shape = _split_input_shapes(
            "SPADEResBlock", input_shape, self.num_classes, self.data_format
        )
        _check_tensorflow_offsets(
            f"SPADEResBlock {self.name!r}", self.data_format, x_shape, (self.filters,))
        out_shape = _with_channels(x_shape, self.filters, self.data_format)
        self.spade_0.build([x_shape, label_shape])
        self.conv_0.build(x_shape)
        self.spade_1.build([out_shape, label_shape])
        self.conv_1.build(out_shape)
        self.learned_shortcut = x_shape[_channel_index(self.data_format)] != self.filters
        if self.learned_shortcut:
            self.spade_shortcut = self._spade("spade_shortcut")
            self.conv_shortcut = self._conv(1, False, "conv_shortcut")
            self.spade_shortcut.build([x_shape, label_shape])
            self.conv_shortcut.build(x_shape)
        self.built = True

    def _activation(self, x):
        return ops.leaky_relu(x, negative_slope=self.negative_slope)

    def call(self, inputs, training=None):
        x, label_map = inputs
        x = ops.cast(x, self.compute_dtype)
        h = self.spade_0([x, label_map], training=training)
        h = self.conv_0(self._activation(h), training=training)
        h = self.spade_1([h, label_map], training=training)
        h = self.conv_1(self._activation(h), training=training)
        shortcut = x
        if self.learned_shortcut:
            shortcut = self.spade_shortcut([x, label_map], training=training)
            shortcut = self.conv_shortcut(shortcut, training=training)
        return h + shortcut

    def compute_output_shape(self, input_shape):
        return _with_channels(input_shape[0], self.filters, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "hidden_filters": self.hidden_filters,
            "norm": self.norm,
            "spectral_norm": self.spectral_norm,
            "num_classes": self.num_classes,
            "negative_slope": self.negative_slope,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "data_format": self.data_format,
        }
