"""The CycleGAN ResNet generator (Zhu et al., 2017, after Johnson et al., 2016).

Layers (`nf = base_filters`): c7s1-nf, d2nf, d4nf, R4nf x num_blocks, u2nf,
unf, c7s1-output_channels; for 64 filters this is the paper's
c7s1-64,d128,d256,R256 x 9,u128,u64,c7s1-3.

- c7s1-k: reflection padding 3, 7x7 convolution with k filters, stride 1,
  instance normalization, ReLU (the last one: no normalization, tanh).
- dk: 3x3 convolution, stride 2, instance normalization, ReLU.
- Rk: two reflection-padded 3x3 convolutions with k filters, instance
  normalization after each, ReLU after the first, added to the block input.
- uk: upsampling by 2 to k filters (3x3 stride-2 transposed convolution in
  the paper, or a resize/sub-pixel convolution), instance normalization, ReLU.

Instance normalization is `keras.layers.GroupNormalization(groups=-1)`.
"""

import keras

from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.reflection_padding import ReflectionPadding2D
from keras_gen.networks.blocks import channel_axis
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import check_image_shape
from keras_gen.networks.blocks import check_upsampling
from keras_gen.networks.blocks import instance_norm
from keras_gen.networks.blocks import normal_init
from keras_gen.networks.blocks import upsample_conv


def _conv(x, filters, kernel_size, name, data_format, strides=1, padding="valid", dtype=None):
    return Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        kernel_initializer=normal_init(),
        name=name,
        dtype=dtype,
        data_format=data_format,
    )(x)


def _residual_block(x, filters, name, data_format):
    axis = channel_axis(data_format)
    shortcut = x
    x = ReflectionPadding2D(1, name=f"{name}_pad1", data_format=data_format)(x)
    x = _conv(x, filters, 3, f"{name}_conv1", data_format)
    x = instance_norm(f"{name}_norm1", axis)(x)
    x = keras.layers.ReLU(name=f"{name}_relu")(x)
    x = ReflectionPadding2D(1, name=f"{name}_pad2", data_format=data_format)(x)
    x = _conv(x, filters, 3, f"{name}_conv2", data_format)
    x = instance_norm(f"{name}_norm2", axis)(x)
    return keras.layers.Add(name=f"{name}_add")([shortcut, x])


def resnet_generator(
    image_shape=(256, 256, 3),
    output_channels=3,
    base_filters=64,
    num_blocks=None,
    upsampling="resize",
    name="resnet_generator",
    data_format=None,
):
    """Builds the CycleGAN ResNet generator: downsample twice, residual blocks, upsample twice.

    See the module docstring for the layer list. Kernels are drawn from
    N(0, 0.02), normalization scales from N(1, 0.02).

    Args:
        image_shape: `(height, width, channels)` of the input; height and
            width must be multiples of 4 and at least 8.
        output_channels: channels of the output image.
        base_filters: filters of the first layer (64 in the paper).
        num_blocks: residual blocks; default 9 for images of 256 and more,
            6 for 128 and below (the paper's choice per resolution).
        upsampling: `"resize"` (default: nearest-neighbour resize + 3x3
            convolution, fast on every backend), `"subpixel"` or
            `"transpose"` (3x3 stride-2 transposed convolution as in the
            paper; several times slower to train under XLA on CPU).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `image_shape` is `(channels, height, width)` and so are the
            outputs); None follows `keras.config.image_data_format()`. The
            weights are the same in both layouts; channels-first runs the
            torch backend's convolutions without transposes.

    Returns:
        A functional `keras.Model` mapping `(batch, *image_shape)` in [-1, 1]
        to `(batch, height, width, output_channels)` in [-1, 1] (tanh).

    Example:

    >>> generator = keras_gen.networks.resnet_generator(image_shape=(64, 64, 3))
    >>> generator(np.zeros((1, 64, 64, 3))).shape
    (1, 64, 64, 3)

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593);
        Johnson et al., "Perceptual Losses for Real-Time Style Transfer and
        Super-Resolution", ECCV 2016 (https://arxiv.org/abs/1603.08155).
    """
    data_format = resolve_data_format(data_format)
    axis = channel_axis(data_format)
    height, width, _ = channels_last_shape(check_image_shape(image_shape), data_format)
    check_upsampling(upsampling)
    if height % 4 or width % 4 or min(height, width) < 8:
        raise ValueError(
            "resnet_generator downsamples twice, so height and width must be "
            f"multiples of 4 and at least 8; received image_shape={image_shape!r}. "
            "Resize or crop your images (e.g. to 128 or 256)."
        )
    if num_blocks is None:
        num_blocks = 9 if min(height, width) >= 256 else 6
    if not isinstance(num_blocks, int) or isinstance(num_blocks, bool) or num_blocks < 0:
        raise ValueError(f"`num_blocks` must be an int >= 0; received {num_blocks!r}.")

    inputs = keras.Input(shape=tuple(image_shape), name="input_image")
    x = ReflectionPadding2D(3, name="stem_pad", data_format=data_format)(inputs)
    x = _conv(x, base_filters, 7, "stem_conv", data_format)
    x = instance_norm("stem_norm", axis)(x)
    x = keras.layers.ReLU(name="stem_relu")(x)

    for index, filters in enumerate((2 * base_filters, 4 * base_filters)):
        x = _conv(x, filters, 3, f"down{index}_conv", data_format, strides=2, padding="same")
        x = instance_norm(f"down{index}_norm", axis)(x)
        x = keras.layers.ReLU(name=f"down{index}_relu")(x)

    for index in range(num_blocks):
        x = _residual_block(x, 4 * base_filters, f"res{index}", data_format)

    for index, filters in enumerate((2 * base_filters, base_filters)):
        x = upsample_conv(x, filters, upsampling, f"up{index}_conv", kernel_size=3,
                          data_format=data_format)
        x = instance_norm(f"up{index}_norm", axis)(x)
        x = keras.layers.ReLU(name=f"up{index}_relu")(x)

    x = ReflectionPadding2D(3, name="output_pad", data_format=data_format)(x)
    # The output layer computes in float32 under a mixed policy (as the losses do).
    x = _conv(x, output_channels, 7, "output_conv", data_format, dtype="float32")
    outputs = keras.layers.Activation("tanh", dtype="float32", name="output_tanh")(x)
    return check_channels_first_offsets(keras.Model(inputs, outputs, name=name))
