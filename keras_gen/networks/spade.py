"""The SPADE (GauGAN) generator and image encoder (Park et al., 2019, appendix A).

Generator (`nf = base_filters`, `n = num_upsamples`): a latent code `z`
goes through a dense layer to a `h / 2**n x w / 2**n` grid (the paper's
`Linear(256, 16384)`, reshaped to 1024 x 4 x 4 for 256 x 256 images), or,
without a latent input, the label map is resized to that grid (nearest
neighbour) and convolved; then `n + 1` SPADE residual blocks
(`keras_gen.layers.SPADEResBlock`, each reading the label map) with a
nearest-neighbour doubling between two blocks, and a 3x3 convolution to
the output channels with tanh. Block `i` has `min(nf * 2**(n - i),
max_filters)` filters: for `nf = 64`, `n = 6` and `max_filters = 1024`
the paper's 1024, 1024, 1024, 512, 256, 128, 64.

Image encoder (VAE mode): `num_downsamples` 3x3 stride-2 convolutions
(`min(nf * 2**i, max_filters)` filters: the paper's 64, 128, 256, 512, 512,
512), each followed by instance normalization and LeakyReLU(0.2), then two
dense heads giving the mean and the log-variance of the latent code.

Both builders take `data_format`: with `"channels_first"` the label maps
are `(batch, num_classes, h, w)` and the images `(batch, c, h, w)`, and the
weights are the same as channels-last (the dense layers keep their
channels-last unit order).
"""

import keras

from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.spade import SPADEResBlock
from keras_gen.layers.spade import resize_nearest
from keras_gen.layers.spectral_normalization import SpectralNormalization
from keras_gen.networks.blocks import channel_axis
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import check_image_shape
from keras_gen.networks.blocks import instance_norm
from keras_gen.networks.blocks import positive_int
from keras_gen.networks.blocks import with_spectral_norm

MAX_DEPTH = 6  # the paper's 4 x 4 grid for 256 x 256 images
MIN_GRID_SIDE = 4


def _non_negative_int(value, name):
    if isinstance(value, bool) or int(value) != value or value < 0:
        raise ValueError(f"`{name}` must be an integer >= 0; received {value!r}.")
    return int(value)


def default_depth(height, width, min_side=MIN_GRID_SIDE, max_depth=MAX_DEPTH):
    """The most halvings (at most `max_depth`) that keep both sides whole and >= `min_side`.

    Args:
        height: image height.
        width: image width.
        min_side: smallest side allowed after the halvings.
        max_depth: cap on the number of halvings.

    Returns:
        An int >= 0 (6 for 256 x 256: a 4 x 4 grid, as the paper).

    Example:

    >>> keras_gen.networks.spade.default_depth(256, 512)
    6
    """
    depth = 0
    while depth < max_depth:
        factor = 2 ** (depth + 1)
        if height % factor or width % factor or min(height, width) // factor < min_side:
            break
        depth += 1
    return depth


@keras.saving.register_keras_serializable(package="keras_gen")
class ResizeNearest(keras.layers.Layer):
    """Resizes a `(batch, h, w, c)` map to a fixed `(height, width)` by nearest neighbour.

    `keras_gen.layers.spade.resize_nearest` as a layer: the same pixels on
    every backend, so a one-hot label map stays one-hot.

    Args:
        height: output height.
        width: output width.
        data_format: `"channels_last"` or `"channels_first"` (maps `(batch,
            c, h, w)`); None follows `keras.config.image_data_format()`.
        **kwargs: base `keras.layers.Layer` arguments.

    Example:

    ```python
    small = keras_gen.networks.spade.ResizeNearest(4, 4)(label_map)  # (batch, 4, 4, classes)
    ```
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = positive_int(height, "height")
        self.width = positive_int(width, "width")
        self.data_format = resolve_data_format(data_format)

    def call(self, inputs):
        return resize_nearest(inputs, self.height, self.width, self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_first":
            return (input_shape[0], input_shape[1], self.height, self.width)
        return (input_shape[0], self.height, self.width, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "data_format": self.data_format}


def _block_filters(base_filters, max_filters, depth):
    return [min(base_filters * 2 ** (depth - i), max_filters) for i in range(depth + 1)]


def spade_generator(
    label_shape,
    output_channels=3,
    latent_dim=256,
    base_filters=64,
    num_upsamples=None,
    max_filters=None,
    hidden_filters=128,
    norm="batch",
    spectral_norm=True,
    name="spade_generator",
    data_format=None,
):
    """Builds the SPADE generator: one-hot label map (and latent code) to an image.

    The layers are in the module docstring. Inputs, in this order:
    `label_map` `(batch, h, w, num_classes)`, a one-hot float map, and, when
    `latent_dim` is set, `latent` `(batch, latent_dim)`. Layer names:
    `latent_dense` + `latent_grid` (or `label_grid` + `label_conv`),
    `block{i}`, `upsample{i}`, `output_conv`; with `spectral_norm`, wrapped
    layers are named `{name}_sn`. The output convolution computes in float32
    under a mixed policy.

    Args:
        label_shape: `(height, width, num_classes)` of the one-hot label map;
            both sides divisible by `2**num_upsamples`.
        output_channels: channels of the image (3 for RGB).
        latent_dim: size of the latent code (paper: 256); None builds the
            generator without one (the grid comes from the label map, and
            each label map gives one image).
        base_filters: filters of the last block (paper: 64).
        num_upsamples: nearest-neighbour doublings (`num_upsamples + 1`
            blocks); None takes the most that keep the first grid at least
            4 x 4, at most 6 (the paper's 4 x 4 grid for 256 x 256).
        max_filters: cap on a block's filters (None: `16 * base_filters`,
            the paper's 1024).
        hidden_filters: channels of each SPADE's shared convolution (paper: 128).
        norm: the normalization SPADE modulates, `"batch"` (paper) or `"instance"`.
        spectral_norm: spectrally normalize the dense layer and every main
            convolution (the paper applies it to every layer of the generator).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `label_shape` is `(num_classes, height, width)`, the label maps
            `(batch, num_classes, h, w)` and the images `(batch,
            output_channels, h, w)`); None follows
            `keras.config.image_data_format()`. The weights are the same in
            both layouts.

    Returns:
        A functional `keras.Model` with inputs `[label_map, latent]` (or
        `label_map` alone) and an output `(batch, h, w, output_channels)` in
        [-1, 1].

    Example:

    >>> generator = keras_gen.networks.spade_generator((32, 32, 11), output_channels=1,
    ...                                                latent_dim=64, base_filters=16)
    >>> generator.output.shape
    (None, 32, 32, 1)

    Reference:
        Park, Liu, Wang & Zhu, "Semantic Image Synthesis with
        Spatially-Adaptive Normalization", CVPR 2019, figure 11 (appendix A)
        (https://arxiv.org/abs/1903.07291).
    """
    data_format = resolve_data_format(data_format)
    label_shape = check_image_shape(label_shape, "label_shape")
    height, width, num_classes = channels_last_shape(label_shape, data_format)
    output_channels = positive_int(output_channels, "output_channels")
    base_filters = positive_int(base_filters, "base_filters")
    hidden_filters = positive_int(hidden_filters, "hidden_filters")
    max_filters = 16 * base_filters if max_filters is None else positive_int(max_filters, "max_filters")
    if latent_dim is not None:
        latent_dim = positive_int(latent_dim, "latent_dim")
    if num_upsamples is None:
        num_upsamples = default_depth(height, width)
    num_upsamples = _non_negative_int(num_upsamples, "num_upsamples")
    factor = 2**num_upsamples
    if height % factor or width % factor:
        raise ValueError(
            f"label_shape {tuple(label_shape)} must have sides divisible by "
            f"2**num_upsamples = {factor}. Use num_upsamples="
            f"{default_depth(height, width, min_side=1)} or fewer, or resize the label maps."
        )
    grid = (height // factor, width // factor)
    filters = _block_filters(base_filters, max_filters, num_upsamples)

    label_map = keras.Input(tuple(label_shape), name="label_map")
    if latent_dim is not None:
        latent = keras.Input((latent_dim,), name="latent")
        inputs = [label_map, latent]
        dense = keras.layers.Dense(grid[0] * grid[1] * filters[0], name="latent_dense")
        x = with_spectral_norm(dense, spectral_norm)(latent)
        x = keras.layers.Reshape(grid + (filters[0],), name="latent_grid")(x)
        if data_format == "channels_first":
            x = keras.layers.Permute((3, 1, 2), name="latent_grid_channels_first")(x)
    else:
        inputs = label_map
        x = ResizeNearest(*grid, name="label_grid", data_format=data_format)(label_map)
        conv = Conv2D(filters[0], 3, padding="same", name="label_conv",
                      data_format=data_format)
        x = with_spectral_norm(conv, spectral_norm)(x)
    for index, block_filters in enumerate(filters):
        if index > 0:
            x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"upsample{index}",
                                          data_format=data_format)(x)
        x = SPADEResBlock(
            block_filters,
            hidden_filters=hidden_filters,
            norm=norm,
            spectral_norm=spectral_norm,
            num_classes=num_classes,
            data_format=data_format,
            name=f"block{index}",
        )([x, label_map])
    # Float32 output under a mixed policy, as the library's image generators.
    conv = Conv2D(
        output_channels, 3, padding="same", activation="tanh", dtype="float32", name="output_conv",
        data_format=data_format,
    )
    outputs = _float32_spectral_norm(conv, spectral_norm)(x)
    return check_channels_first_offsets(keras.Model(inputs, outputs, name=name))


def _float32_spectral_norm(layer, spectral_norm):
    # The wrapper shares the layer's float32 policy under a mixed global policy.
    if not spectral_norm:
        return layer
    return SpectralNormalization(layer, dtype="float32", name=f"{layer.name}_sn")


def spade_image_encoder(
    image_shape,
    latent_dim=256,
    base_filters=64,
    num_downsamples=None,
    max_filters=None,
    spectral_norm=True,
    name="spade_image_encoder",
    data_format=None,
):
    """Builds SPADE's image encoder: an image to the mean and log-variance of its style code.

    Layers: `conv{i}` (3x3, stride 2; `min(base_filters * 2**i,
    max_filters)` filters), `conv{i}_norm` (instance normalization),
    `conv{i}_lrelu` (LeakyReLU 0.2), then `flatten` and two dense heads,
    `mean` and `log_var`, computed in float32 under a mixed policy. With
    `spectral_norm`, every convolution and dense layer is wrapped in
    `keras_gen.layers.SpectralNormalization` (`{name}_sn`). The VAE model
    samples the code as `mean + exp(log_var / 2) * eps` (Kingma & Welling,
    2014).

    Args:
        image_shape: `(height, width, channels)` of the images.
        latent_dim: size of the code (paper: 256); the generator's `latent_dim`.
        base_filters: filters of the first convolution (paper: 64).
        num_downsamples: stride-2 convolutions; None takes the most that keep
            the last map at least 4 x 4, at most 6 (the paper's 6 for
            256 x 256, to 4 x 4 x 512 = 8192 features).
        max_filters: cap on a convolution's filters (None: `8 * base_filters`,
            the paper's 512).
        spectral_norm: spectrally normalize every convolution and dense layer.
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts (`flatten` flattens in channels-last
            order).

    Returns:
        A functional `keras.Model` from images `(batch, h, w, c)` to
        `[mean, log_var]`, each `(batch, latent_dim)`.

    Example:

    >>> encoder = keras_gen.networks.spade_image_encoder((32, 32, 1), latent_dim=64,
    ...                                                  base_filters=16)
    >>> [tuple(t.shape) for t in encoder.outputs]
    [(None, 64), (None, 64)]

    Reference:
        Park, Liu, Wang & Zhu, "Semantic Image Synthesis with
        Spatially-Adaptive Normalization", CVPR 2019, appendix A
        (https://arxiv.org/abs/1903.07291).
    """
    data_format = resolve_data_format(data_format)
    height, width, _ = channels_last_shape(check_image_shape(image_shape, "image_shape"), data_format)
    latent_dim = positive_int(latent_dim, "latent_dim")
    base_filters = positive_int(base_filters, "base_filters")
    max_filters = 8 * base_filters if max_filters is None else positive_int(max_filters, "max_filters")
    if num_downsamples is None:
        num_downsamples = max(1, default_depth(height, width))
    num_downsamples = positive_int(num_downsamples, "num_downsamples")

    images = keras.Input(tuple(image_shape), name="image")
    x = images
    for index in range(num_downsamples):
        filters = min(base_filters * 2**index, max_filters)
        conv = Conv2D(filters, 3, strides=2, padding="same", name=f"conv{index}",
                      data_format=data_format)
        x = with_spectral_norm(conv, spectral_norm)(x)
        x = instance_norm(f"conv{index}_norm", channel_axis(data_format))(x)
        x = keras.layers.LeakyReLU(0.2, name=f"conv{index}_lrelu")(x)
    x = keras.layers.Flatten(name="flatten", data_format=data_format)(x)
    outputs = []
    for head in ("mean", "log_var"):
        dense = keras.layers.Dense(latent_dim, dtype="float32", name=head)
        outputs.append(_float32_spectral_norm(dense, spectral_norm)(x))
    return check_channels_first_offsets(keras.Model(images, outputs, name=name))
