"""The PatchGAN discriminator (Isola et al., 2017; Zhu et al., 2017) and its receptive field.

Layers, as in the authors' code (`num_layers=3` shown, `nf = base_filters`):

    C(nf, s2) - C(2nf, s2) - C(4nf, s2) - C(8nf, s1) - conv to 1 channel (s1)

every convolution 4x4 with a zero padding of 1, LeakyReLU(0.2) after all but
the last, normalization on all but the first and the last; filters double
per layer up to `8 * base_filters`. The output is a map of logits, one per
overlapping patch of the input: 30x30 for a 256x256 input with 3 layers.
"""

import keras

from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.spectral_normalization import SpectralNormalization
from keras_gen.networks.blocks import batch_norm
from keras_gen.networks.blocks import channel_axis
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import check_image_shape
from keras_gen.networks.blocks import instance_norm
from keras_gen.networks.blocks import normal_init

NORMS = ("batch", "instance", None)
_KERNEL_SIZE = 4


def _layer_strides(num_layers):
    """Strides of the discriminator's convolutions, input to output."""
    return [2] * num_layers + [1, 1]


def patchgan_receptive_field(num_layers=3):
    """Returns the side, in input pixels, of the patch that one output logit sees.

    With kernel sizes `k_i` and strides `s_i` from input to output, the
    receptive field is

        r = 1 + sum_i (k_i - 1) * prod_{j < i} s_j

    (each layer widens the field by `k_i - 1` of its input steps, and one
    step of layer `i`'s input spans `prod_{j < i} s_j` pixels). PatchGAN has
    `num_layers` stride-2 and two stride-1 convolutions, all 4x4, so
    `r = 1 + 3 * (2**n - 1 + 2 * 2**n) = 9 * 2**n - 2`:

    | num_layers | 1  | 2  | 3  | 4   | 5   | 6   |
    |------------|----|----|----|-----|-----|-----|
    | field      | 16 | 34 | 70 | 142 | 286 | 574 |

    The paper's 16x16, 70x70 and 286x286 PatchGANs are 1, 3 and 5 layers.

    Args:
        num_layers: number of stride-2 convolutions (>= 1).

    Returns:
        The receptive field side as an int.

    Example:

    >>> keras_gen.networks.patchgan_receptive_field(3)
    70

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017 (https://arxiv.org/abs/1611.07004).
    """
    _check_num_layers(num_layers)
    field, jump = 1, 1
    for stride in _layer_strides(num_layers):
        field += (_KERNEL_SIZE - 1) * jump
        jump *= stride
    return field


def _check_num_layers(num_layers):
    if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers < 1:
        raise ValueError(
            f"`num_layers` must be an int >= 1 (3 gives the 70x70 PatchGAN); "
            f"received {num_layers!r}."
        )


def min_input_size(num_layers):
    """The smallest image side a PatchGAN of `num_layers` strided layers accepts.

    Each padded stride-2 4x4 convolution maps n to floor(n / 2), each
    stride-1 one maps n to n - 1; at least one output position must remain.
    """
    return 3 * 2**num_layers


def patchgan_discriminator(
    input_shape=(256, 256, 3),
    target_shape=None,
    base_filters=64,
    num_layers=3,
    norm="batch",
    name="patchgan_discriminator",
    data_format=None,
):
    """Builds a PatchGAN discriminator that scores every image patch as real or fake.

    Receptive field of one output logit by depth (see
    `keras_gen.networks.patchgan_receptive_field`): 16 pixels for
    `num_layers=1`, 34 for 2, 70 for 3 (the default), 142 for 4, 286 for 5,
    574 for 6. The layer list is in the module docstring; kernels are drawn
    from N(0, 0.02).

    Args:
        input_shape: `(height, width, channels)` of the image to score.
        target_shape: `None` for an unconditional discriminator (CycleGAN);
            else `(height, width, channels)` of the target image, and the
            model takes `[input, target]` and concatenates them on channels
            (pix2pix's conditional discriminator). Heights and widths must
            match.
        base_filters: filters of the first convolution (64 in the papers).
        num_layers: number of stride-2 convolutions (3 in the papers).
        norm: `"batch"` (pix2pix), `"instance"` (CycleGAN; group
            normalization with one group per channel) or `None`.
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then the
            shapes are `(channels, height, width)` and the logits
            `(batch, 1, h', w')`); None follows
            `keras.config.image_data_format()`. The weights are the same in
            both layouts.

    Returns:
        A functional `keras.Model` returning logits of shape
        `(batch, h', w', 1)`, with `h' = floor(height / 2**num_layers) - 2`
        (30x30 for 256x256 inputs and 3 layers).

    Example:

    >>> discriminator = keras_gen.networks.patchgan_discriminator(
    ...     input_shape=(64, 64, 1), target_shape=(64, 64, 3))
    >>> discriminator([np.zeros((2, 64, 64, 1)), np.zeros((2, 64, 64, 3))]).shape
    (2, 6, 6, 1)

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017 (https://arxiv.org/abs/1611.07004);
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593).
    """
    data_format = resolve_data_format(data_format)
    height, width, _ = channels_last_shape(check_image_shape(input_shape, "input_shape"), data_format)
    check_patchgan_arguments(num_layers, norm)
    min_size = min_input_size(num_layers)
    if min(height, width) < min_size:
        raise ValueError(
            f"A PatchGAN with num_layers={num_layers} needs inputs of at least "
            f"{min_size}x{min_size}; received input_shape={input_shape!r}. Use "
            "fewer layers or larger images."
        )
    inputs, x = patchgan_inputs(input_shape, target_shape, data_format)
    x = patchgan_layers(x, base_filters, num_layers, norm, data_format=data_format)[-1]
    return check_channels_first_offsets(keras.Model(inputs, x, name=name))


def check_patchgan_arguments(num_layers, norm):
    """Raises `ValueError` unless `num_layers` is an int >= 1 and `norm` one of `NORMS`."""
    _check_num_layers(num_layers)
    if norm not in NORMS:
        raise ValueError(f"`norm` must be one of {NORMS}; received {norm!r}.")


def patchgan_inputs(input_shape, target_shape=None, data_format=None):
    """Returns `(inputs, x)`: the model inputs and the image the PatchGAN scores.

    `inputs` is one `keras.Input` named `input_image`, or with `target_shape`
    the list `[input_image, target_image]`, and then `x` is their
    concatenation on channels (layer `concat_input_target`).

    Args:
        input_shape: `(height, width, channels)` of the image.
        target_shape: `None`, or `(height, width, channels)` of the target,
            with the same height and width.
        data_format: layout of the images (None:
            `keras.config.image_data_format()`); channels-first shapes are
            `(channels, height, width)`.

    Returns:
        `(inputs, x)`.

    Example:

    ```python
    inputs, x = keras_gen.networks.patchgan.patchgan_inputs((32, 32, 3))
    ```
    """
    height, width, _ = channels_last_shape(check_image_shape(input_shape, "input_shape"), data_format)
    image = keras.Input(shape=tuple(input_shape), name="input_image")
    if target_shape is None:
        return image, image
    target_shape = check_image_shape(target_shape, "target_shape")
    if tuple(channels_last_shape(target_shape, data_format)[:2]) != (height, width):
        raise ValueError(
            f"`target_shape` {tuple(target_shape)} must have the same height "
            f"and width as `input_shape` {tuple(input_shape)}: they are "
            "concatenated on channels. Resize one of them."
        )
    target = keras.Input(shape=tuple(target_shape), name="target_image")
    x = keras.layers.Concatenate(axis=channel_axis(data_format), name="concat_input_target")(
        [image, target])
    return [image, target], x


def patchgan_layers(x, base_filters, num_layers, norm, prefix="", spectral_norm=False,
                    data_format=None):
    """Applies the PatchGAN's convolutions to `x`; returns every activation and the logits.

    The layer list is in the module docstring; layer names are
    `{prefix}conv{i}_pad`, `{prefix}conv{i}`, `{prefix}conv{i}_norm`,
    `{prefix}conv{i}_lrelu` and `{prefix}patch_logits` (with
    `spectral_norm`, each convolution is wrapped in
    `keras_gen.layers.SpectralNormalization` named `{conv name}_sn`). The
    logits convolution computes in float32.

    Args:
        x: the image (a symbolic tensor).
        base_filters: filters of the first convolution.
        num_layers: number of stride-2 convolutions.
        norm: `"batch"`, `"instance"` or `None`.
        prefix: prefix of every layer name.
        spectral_norm: spectrally normalize every convolution.
        data_format: layout of `x` (None: `keras.config.image_data_format()`).

    Returns:
        A list of `num_layers + 2` tensors: the LeakyReLU output of each of
        the `num_layers + 1` hidden convolutions, then the logits map.

    Example:

    ```python
    outputs = keras_gen.networks.patchgan.patchgan_layers(
        keras.Input((32, 32, 3)), 8, 2, "instance")
    ```
    """
    data_format = resolve_data_format(data_format)
    outputs = []
    strides = _layer_strides(num_layers)
    for index, stride in enumerate(strides):
        last = index == len(strides) - 1
        use_norm = norm is not None and 0 < index and not last
        filters = 1 if last else base_filters * min(2**index, 8)
        x = keras.layers.ZeroPadding2D(1, name=f"{prefix}conv{index}_pad", data_format=data_format)(x)
        conv = Conv2D(
            filters,
            _KERNEL_SIZE,
            strides=stride,
            padding="valid",
            use_bias=not (use_norm and norm == "batch"),
            kernel_initializer=normal_init(),
            name=f"{prefix}conv{index}" if not last else f"{prefix}patch_logits",
            dtype="float32" if last else None,
            data_format=data_format,
        )
        if spectral_norm:
            # The wrapper shares the convolution's policy: the logits stay float32.
            conv = SpectralNormalization(
                conv, dtype="float32" if last else None, name=f"{conv.name}_sn"
            )
        x = conv(x)
        if last:
            outputs.append(x)
            break
        if use_norm:
            make_norm = batch_norm if norm == "batch" else instance_norm
            x = make_norm(f"{prefix}conv{index}_norm", channel_axis(data_format))(x)
        x = keras.layers.LeakyReLU(0.2, name=f"{prefix}conv{index}_lrelu")(x)
        outputs.append(x)
    return outputs
