"""Pieces shared by the network builders: initializers, normalization, upsampling, image shapes.

Every builder in `keras_gen.networks` takes these from here, so that one idea
has one definition: the N(0, 0.02) initializer of DCGAN, pix2pix and
CycleGAN, the reference implementations' batch and instance normalization,
the three ways to double a feature map, the checks of image shapes (with
errors that name the sizes that work), optional spectral normalization and
the residual blocks of SNGAN / SAGAN / BigGAN.

Layer names are part of each builder's contract (weights files and presets
refer to them): the helpers take the names they create as arguments.
"""

import keras

from keras_gen.layers.batch_normalization import BatchNormalization
from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.convolution import Conv2DTranspose
from keras_gen.layers.depth_to_space import DepthToSpace
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.spectral_normalization import SpectralNormalization

UPSAMPLING_MODES = ("transpose", "resize", "subpixel")


# --------------------------------------------------------------- initializers
def normal_init(mean=0.0, stddev=0.02):
    """A fresh N(mean, stddev) initializer: DCGAN, pix2pix and CycleGAN kernels (mean 0).

    Call it once per layer: one shared seeded instance would give every layer
    of the same shape the same weights.

    Args:
        mean: mean of the normal distribution (1.0 for normalization scales).
        stddev: standard deviation (0.02 in the papers).

    Returns:
        A `keras.initializers.RandomNormal`.

    Example:

    ```python
    conv = keras.layers.Conv2D(64, 4, kernel_initializer=keras_gen.networks.blocks.normal_init())
    ```
    """
    return keras.initializers.RandomNormal(mean=mean, stddev=stddev)


# -------------------------------------------------------------- normalization
def batch_norm(name, axis=-1):
    """BatchNorm as in the PyTorch reference code: momentum 0.9, epsilon 1e-5, scales from N(1, 0.02).

    Args:
        name: layer name.
        axis: the channel axis (1 for channels-first maps; `channel_axis`).

    Returns:
        A `keras_gen.layers.BatchNormalization` (Keras's layer, fused on torch).

    Example:

    ```python
    x = keras_gen.networks.blocks.batch_norm("up_1_bn")(x)
    ```
    """
    return BatchNormalization(
        axis=axis, momentum=0.9, epsilon=1e-5, gamma_initializer=normal_init(1.0), name=name
    )


def channel_axis(data_format):
    """The channel axis of 4-D feature maps in `data_format` (None: Keras's image data format)."""
    return 1 if resolve_data_format(data_format) == "channels_first" else -1


def instance_norm(name, axis=-1):
    """Instance normalization (one group per channel), epsilon 1e-5, scales from N(1, 0.02).

    Args:
        name: layer name.
        axis: the channel axis (1 for channels-first maps; `channel_axis`).

    Returns:
        A `keras.layers.GroupNormalization(groups=-1)`.

    Example:

    ```python
    x = keras_gen.networks.blocks.instance_norm("stem_norm")(x)
    ```
    """
    return keras.layers.GroupNormalization(
        groups=-1, axis=axis, epsilon=1e-5, gamma_initializer=normal_init(1.0), name=name
    )


def with_spectral_norm(layer, spectral_norm=True):
    """Wraps `layer` in `keras_gen.layers.SpectralNormalization` named `{layer.name}_sn`, if asked.

    Args:
        layer: a layer with a `kernel` (Dense, Conv2D, ...).
        spectral_norm: False returns `layer` unchanged.

    Returns:
        The wrapped layer, or `layer`.

    Example:

    ```python
    dense = keras_gen.networks.blocks.with_spectral_norm(keras.layers.Dense(1, name="logits"))
    ```
    """
    if spectral_norm:
        return SpectralNormalization(layer, name=f"{layer.name}_sn")
    return layer


class LayerFactory:
    """Creates convolutions and dense layers with one initializer and optional spectral norm.

    A plain object (not a Keras layer) holding the builder's choices, so a
    builder creates every layer in one consistent way.

    Args:
        kernel_initializer: initializer identifier; each layer gets a fresh
            instance (so an unseeded initializer draws new values per layer).
        spectral_norm: wrap layers in `keras_gen.layers.SpectralNormalization`.
        kernel_regularizer: optional regularizer for every kernel.
        data_format: layout of the convolutions (None:
            `keras.config.image_data_format()`); the residual blocks below
            follow it too.

    Example:

    ```python
    layers = keras_gen.networks.blocks.LayerFactory("orthogonal", spectral_norm=True)
    conv = layers.conv(64, 3, name="conv")
    ```
    """

    def __init__(self, kernel_initializer, spectral_norm=True, kernel_regularizer=None,
                 data_format=None):
        self.kernel_initializer = keras.initializers.serialize(
            keras.initializers.get(kernel_initializer)
        )
        self.spectral_norm = spectral_norm
        self.kernel_regularizer = kernel_regularizer
        self.data_format = resolve_data_format(data_format)

    def _kwargs(self):
        # A fresh initializer per layer, so that unseeded ones draw new values.
        return {
            "kernel_initializer": keras.initializers.get(self.kernel_initializer),
            "kernel_regularizer": self.kernel_regularizer,
        }

    def conv(self, filters, kernel_size, name):
        """A 'same'-padded `Conv2D`, spectrally normalized if the factory says so."""
        return with_spectral_norm(
            Conv2D(filters, kernel_size, padding="same", name=name,
                   data_format=self.data_format, **self._kwargs()),
            self.spectral_norm,
        )

    def dense(self, units, name, use_bias=True):
        """A `Dense`, spectrally normalized if the factory says so."""
        return with_spectral_norm(
            keras.layers.Dense(units, use_bias=use_bias, name=name, **self._kwargs()),
            self.spectral_norm,
        )


# -------------------------------------------------------------- image shapes
def is_power_of_two(n):
    """True for 1, 2, 4, 8, ...: the sides that halve down to one pixel."""
    return n >= 1 and (n & (n - 1)) == 0


def parse_image_shape(image_shape, example="(28, 28, 1) or (32, 32, 3)"):
    """Returns `(height, width, channels)` as ints, or raises a `ValueError` with an example.

    Args:
        image_shape: a sequence of three numbers.
        example: shapes quoted in the error message.

    Returns:
        A tuple of three ints.

    Example:

    ```python
    keras_gen.networks.blocks.parse_image_shape([28, 28, 1])  # (28, 28, 1)
    ```
    """
    try:
        height, width, channels = (int(d) for d in image_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"`image_shape` must be (height, width, channels), e.g. {example}; "
            f"received {image_shape!r}."
        ) from None
    return height, width, channels


def check_image_shape(image_shape, arg_name="image_shape"):
    """Returns `image_shape` as a tuple of three positive ints, or raises `ValueError`.

    Stricter than `parse_image_shape`: every entry must already be an int
    (the image-to-image builders take shapes exactly as given).

    Args:
        image_shape: `(height, width, channels)`.
        arg_name: argument name quoted in the error message.

    Returns:
        The shape as a tuple.

    Example:

    ```python
    keras_gen.networks.blocks.check_image_shape((256, 256, 3))  # (256, 256, 3)
    ```
    """
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = None
    if (
        shape is None
        or len(shape) != 3
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
    ):
        raise ValueError(
            f"`{arg_name}` must be (height, width, channels) with known positive "
            f"ints, e.g. (256, 256, 3); received {image_shape!r}."
        )
    return shape


def channels_last_shape(image_shape, data_format):
    """`image_shape` as `(height, width, channels)`: reordered from `(channels, height, width)`
    when `data_format` is `"channels_first"`."""
    if resolve_data_format(data_format) == "channels_first" and isinstance(image_shape, (tuple, list)) \
            and len(image_shape) == 3:
        channels, height, width = image_shape
        return (height, width, channels)
    return image_shape


def check_channels_first_offsets(model):
    """Returns `model`, or raises `ValueError` where TensorFlow would add an offset on the wrong axis.

    Keras 3's TensorFlow backend turns `ops.add(x, bias)` into
    `tf.nn.bias_add` and reads the bias as channels-last whenever the last
    axis of `x` has the bias's length. A channels-first map whose width
    equals its channel count, `(batch, c, h, c)`, then gets each
    convolution bias (or instance-normalization offset) added per column
    instead of per channel: wrong outputs once the offsets are non-zero, and
    wrong gradients from the first step. Layers wrapped in
    `SpectralNormalization` are checked too. On the other backends, and
    channels-last, nothing is checked.

    Args:
        model: a functional network.

    Returns:
        `model`.
    """
    if keras.backend.backend() != "tensorflow":
        return model
    for layer in model.layers:
        inner = getattr(layer, "layer", layer)  # the convolution inside a SpectralNormalization
        if isinstance(inner, keras.layers.GroupNormalization):
            channels_first = inner.axis in (1, -3) and inner.center
        else:
            channels_first = getattr(inner, "data_format", None) == "channels_first" and getattr(
                inner, "use_bias", False)
        shape = getattr(layer, "output", None)
        shape = tuple(shape.shape) if shape is not None and hasattr(shape, "shape") else ()
        if channels_first and len(shape) == 4 and shape[1] == shape[-1]:
            raise ValueError(
                f"Layer {layer.name!r} of {model.name!r} makes channels-first maps of shape "
                f"{shape}, as wide as they have channels; Keras's TensorFlow backend adds its "
                "bias along the width of such maps (it reads them as channels-last), so the "
                "network would compute wrong values. On TensorFlow, build it with "
                "data_format='channels_last' (TensorFlow's CPU convolutions are channels-last "
                "anyway), or choose an image size or filter count whose widths differ from the "
                "channel counts."
            )
    return model


def image_geometry(image_shape):
    """Returns `(side, channels, base_side, num_doublings)` for a square image.

    The DCGAN, SAGAN, BigGAN and StyleGAN builders grow (or shrink) an image
    from a `base_side x base_side` map by doubling its side.

    Args:
        image_shape: `(height, width, channels)`.

    Returns:
        `side = base_side * 2**num_doublings` with `base_side` in {4, 7} and
        at least one doubling; raises a `ValueError` naming usable sizes
        otherwise.

    Example:

    ```python
    keras_gen.networks.blocks.image_geometry((28, 28, 1))  # (28, 1, 7, 2)
    ```
    """
    height, width, channels = parse_image_shape(image_shape, example="(28, 28, 1) or (64, 64, 3)")
    if height != width or channels < 1:
        raise ValueError(
            f"These networks build square images with >= 1 channel; received "
            f"{image_shape!r}. Resize or crop your data to a square such as 28, 32 or 64."
        )
    for base in (4, 7):
        ratio = height // base
        if height % base == 0 and ratio >= 2 and is_power_of_two(ratio):
            return height, channels, base, ratio.bit_length() - 1
    raise ValueError(
        f"Unsupported image side {height}: use 4 or 7 times a power of two, at "
        "least 8 (e.g. 8, 14, 16, 28, 32, 56, 64, 128). Resize your images to one of these sizes."
    )


def closest_resolution(resolution, sides):
    """Index in `sides` of the side closest to `resolution` (`None` -> `None`).

    Args:
        resolution: the wanted side, or `None`.
        sides: the available sides; ties go to the earlier one.

    Returns:
        An index into `sides`, or `None`.

    Example:

    ```python
    keras_gen.networks.blocks.closest_resolution(16, [14, 28])  # 0
    ```
    """
    if resolution is None:
        return None
    return min(range(len(sides)), key=lambda i: (abs(sides[i] - resolution), i))


def positive_int(value, name):
    """Returns `value` as an int if it is a positive integer, else raises `ValueError` naming `name`.

    Args:
        value: the argument's value.
        name: the argument's name, for the message.

    Returns:
        `int(value)`.

    Example:

    ```python
    latent_dim = keras_gen.networks.blocks.positive_int(latent_dim, "latent_dim")
    ```
    """
    if value is None or isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; received {value!r}.")
    return int(value)


# ---------------------------------------------------------------- upsampling
def check_upsampling(upsampling):
    """Raises `ValueError` unless `upsampling` is one of `UPSAMPLING_MODES`."""
    if upsampling not in UPSAMPLING_MODES:
        raise ValueError(
            f"`upsampling` must be one of {UPSAMPLING_MODES}; received {upsampling!r}."
        )


def upsample_conv(
    x, filters, upsampling, name, kernel_size=4, use_bias=True, suffix_conv_name=False, dtype=None,
    data_format=None,
):
    """Doubles the spatial size of `x` and maps it to `filters` channels.

    - `"transpose"`: a stride-2 `Conv2DTranspose` with `kernel_size` (the
      papers' layer).
    - `"resize"`: nearest-neighbour upsampling (`{name}_resize`) then a 3x3
      convolution (Odena et al. 2016), free of checkerboard artifacts.
    - `"subpixel"`: a 3x3 convolution to `4 * filters` channels then
      `DepthToSpace(2)` (`{name}_depth_to_space`; Shi et al. 2016).

    The last two are several times faster than transposed convolutions under
    XLA on CPU. Kernels are drawn from N(0, 0.02).

    Args:
        x: input feature map.
        filters: output channels.
        upsampling: one of `UPSAMPLING_MODES`.
        name: prefix of the layer names.
        kernel_size: kernel of the transposed convolution.
        use_bias: give the convolution a bias.
        suffix_conv_name: name the convolution `{name}_conv` (and the
            transposed one `{name}_conv_transpose`), as the DCGAN builders
            do; False names it `name`, as the image-to-image builders do.
        dtype: dtype policy of the layers (None: the global policy); an
            output layer passes "float32" so that it computes in float32
            under a mixed policy.
        data_format: layout of `x` (None: `keras.config.image_data_format()`).

    Returns:
        The feature map at twice the side.

    Example:

    ```python
    x = keras_gen.networks.blocks.upsample_conv(keras.Input((8, 8, 32)), 16, "subpixel", "up0")
    ```
    """
    check_upsampling(upsampling)
    data_format = resolve_data_format(data_format)
    conv_kwargs = {"use_bias": use_bias, "kernel_initializer": normal_init(), "dtype": dtype,
                   "data_format": data_format}
    if upsampling == "transpose":
        conv_name = f"{name}_conv_transpose" if suffix_conv_name else name
        return Conv2DTranspose(
            filters, kernel_size, strides=2, padding="same", name=conv_name, **conv_kwargs
        )(x)
    conv_name = f"{name}_conv" if suffix_conv_name else name
    if upsampling == "resize":
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_resize", dtype=dtype,
                                      data_format=data_format)(x)
        return Conv2D(filters, 3, padding="same", name=conv_name, **conv_kwargs)(x)
    x = Conv2D(4 * filters, 3, padding="same", name=conv_name, **conv_kwargs)(x)
    return DepthToSpace(2, name=f"{name}_depth_to_space", dtype=dtype, data_format=data_format)(x)


# ------------------------------------------------------------ residual blocks
def residual_up_block(x, filters, normalize, layers, name):
    """Generator block: `conv(relu(norm(conv(up(relu(norm(x))))))) + conv1x1(up(x))`.

    The SNGAN / SAGAN / BigGAN generator block, in the layout of `layers`
    (`normalize` must normalize over that layout's channel axis).

    Args:
        x: input feature map.
        filters: output channels.
        normalize: `fn(tensor, name) -> tensor`, the (conditional) batch norm.
        layers: a `LayerFactory`.
        name: prefix of the layer names.

    Returns:
        The feature map at twice the side.

    Example:

    ```python
    layers = keras_gen.networks.blocks.LayerFactory("orthogonal")
    x = keras.Input((4, 4, 32))
    y = keras_gen.networks.blocks.residual_up_block(
        x, 16, lambda h, n: keras.layers.BatchNormalization(name=n)(h), layers, "block1")
    ```
    """
    h = keras.layers.ReLU(name=f"{name}_relu1")(normalize(x, f"{name}_norm1"))
    h = keras.layers.UpSampling2D(name=f"{name}_up", data_format=layers.data_format)(h)
    h = layers.conv(filters, 3, f"{name}_conv1")(h)
    h = keras.layers.ReLU(name=f"{name}_relu2")(normalize(h, f"{name}_norm2"))
    h = layers.conv(filters, 3, f"{name}_conv2")(h)
    shortcut = keras.layers.UpSampling2D(name=f"{name}_shortcut_up", data_format=layers.data_format)(x)
    shortcut = layers.conv(filters, 1, f"{name}_shortcut_conv")(shortcut)
    return keras.layers.Add(name=f"{name}_add")([h, shortcut])


def residual_down_block(x, filters, layers, name, downsample=True, preactivation=True):
    """Discriminator block: `pool(conv(relu(conv(relu(x))))) + pool(conv1x1(x))`.

    The first block of the discriminator (`preactivation=False`) skips the
    first ReLU and pools before its shortcut convolution, as in SNGAN. The
    block is in the layout of `layers`.

    Args:
        x: input feature map.
        filters: output channels.
        layers: a `LayerFactory`.
        name: prefix of the layer names.
        downsample: halve the side with 2x2 average pooling.
        preactivation: apply a ReLU before the first convolution.

    Returns:
        The feature map, at half the side if `downsample`.

    Example:

    ```python
    layers = keras_gen.networks.blocks.LayerFactory("orthogonal")
    y = keras_gen.networks.blocks.residual_down_block(
        keras.Input((16, 16, 8)), 16, layers, "block2")
    ```
    """
    def pool(tensor, pool_name):
        return keras.layers.AveragePooling2D(2, name=pool_name, data_format=layers.data_format)(tensor)

    h = keras.layers.ReLU(name=f"{name}_relu0")(x) if preactivation else x
    h = layers.conv(filters, 3, f"{name}_conv1")(h)
    h = keras.layers.ReLU(name=f"{name}_relu1")(h)
    h = layers.conv(filters, 3, f"{name}_conv2")(h)
    shortcut = x
    if downsample:
        h = pool(h, f"{name}_pool")
    if preactivation:
        if downsample or x.shape[channel_axis(layers.data_format)] != filters:
            shortcut = layers.conv(filters, 1, f"{name}_shortcut_conv")(shortcut)
        if downsample:
            shortcut = pool(shortcut, f"{name}_shortcut_pool")
    else:
        if downsample:
            shortcut = pool(shortcut, f"{name}_shortcut_pool")
        shortcut = layers.conv(filters, 1, f"{name}_shortcut_conv")(shortcut)
    return keras.layers.Add(name=f"{name}_add")([h, shortcut])
