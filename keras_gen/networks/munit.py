"""The MUNIT networks (Huang et al., 2018): content encoder, style encoder and AdaIN decoder.

Layers, in the notation of the paper's appendix B (`nf = base_filters`, the
paper's values: 64 filters, 2 downsamplings, 4 residual blocks, an 8-d style):

- content encoder: c7s1-nf, d2nf, d4nf, R4nf x 4, instance normalization
  (no affine map) after every convolution;
- style encoder: c7s1-nf, d2nf, d4nf, d4nf, d4nf, global average pooling,
  fc-style_dim; no normalization (it would erase the feature statistics
  that carry the style);
- decoder: R x 4 with AdaIN (`keras_gen.layers.AdaINResBlock`), whose scales
  and biases come from one MLP of the style code (256 units, 3 layers), then
  u2nf, unf, c7s1-channels with tanh.

c7s1-k: reflection padding 3, 7x7 convolution with k filters, stride 1,
normalization, ReLU. dk: reflection padding 1, 4x4 convolution with k
filters, stride 2, normalization, ReLU. Rk: residual block of two 3x3
convolutions. uk: 2x nearest-neighbour upsampling, reflection padding 2,
5x5 convolution with k filters, layer normalization
(`keras_gen.layers.ChannelLayerNormalization`), ReLU.

`munit_domain_invariant_features` wraps a feature network (VGG19 in the paper)
for the optional domain-invariant perceptual loss: its feature maps,
instance-normalized.

Every builder takes `data_format`: with `"channels_first"` the images,
content codes and feature maps are `(channels, height, width)` and the
weights are the same as channels-last.
"""

import keras

from keras_gen.layers.adain_residual_block import AdaINResBlock
from keras_gen.layers.channel_layer_normalization import ChannelLayerNormalization
from keras_gen.layers.convolution import Conv2D
from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.layers.reflection_padding import ReflectionPadding2D
from keras_gen.networks.blocks import channel_axis
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import check_channels_first_offsets
from keras_gen.networks.blocks import check_image_shape
from keras_gen.networks.blocks import positive_int
from keras_gen.networks.layout import network_data_format


def _non_negative_int(value, name):
    if value is None or isinstance(value, bool) or int(value) != value or value < 0:
        raise ValueError(f"`{name}` must be an integer >= 0; received {value!r}.")
    return int(value)


def _instance_norm(name, data_format):
    # Plain instance normalization (no learned scale or bias), as PyTorch's
    # InstanceNorm2d: the convolutions before it need no bias either.
    return keras.layers.GroupNormalization(
        groups=-1, axis=channel_axis(data_format), center=False, scale=False, epsilon=1e-5,
        name=name,
    )


def _padded_conv(x, filters, kernel_size, name, data_format, strides=1, use_bias=True, dtype=None):
    x = ReflectionPadding2D(kernel_size // 2 if strides == 1 else 1, name=f"{name}_pad",
                            data_format=data_format)(x)
    return Conv2D(
        filters, kernel_size, strides=strides, use_bias=use_bias, name=name, dtype=dtype,
        data_format=data_format,
    )(x)


def _conv_block(x, filters, kernel_size, name, data_format, strides=1, normalize=True):
    x = _padded_conv(x, filters, kernel_size, name, data_format, strides=strides,
                     use_bias=not normalize)
    if normalize:
        x = _instance_norm(f"{name}_norm", data_format)(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _residual_block(x, name, data_format):
    filters = x.shape[channel_axis(data_format)]
    h = _conv_block(x, filters, 3, f"{name}_conv1", data_format)
    h = _padded_conv(h, filters, 3, f"{name}_conv2", data_format, use_bias=False)
    h = _instance_norm(f"{name}_conv2_norm", data_format)(h)
    return keras.layers.Add(name=f"{name}_add")([x, h])


def _check_downsampling(input_shape, num_downsamples, builder, exact, lowest_side=1):
    """Raises unless the image halves `num_downsamples` times to sides >= `lowest_side`.

    The 7x7 convolution pads 3 pixels by reflection, which needs sides of at
    least 4; with `exact`, the sides must halve without remainder.
    """
    height, width, _ = input_shape  # channels-last order
    factor = 2**num_downsamples
    if exact and (height % factor or width % factor):
        raise ValueError(
            f"{builder} downsamples {num_downsamples} time(s), so height and width must be "
            f"multiples of {factor}; received input_shape={tuple(input_shape)!r}. Resize the "
            "images or change `num_downsamples`."
        )
    smallest = max(factor * lowest_side, 4)
    if min(height, width) < smallest:
        raise ValueError(
            f"{builder} needs images of at least {smallest}x{smallest} pixels with "
            f"num_downsamples={num_downsamples}; received input_shape={tuple(input_shape)!r}. "
            "Use larger images or fewer downsamplings."
        )


def munit_content_encoder(
    input_shape=(256, 256, 3),
    base_filters=64,
    num_downsamples=2,
    num_res_blocks=4,
    name="munit_content_encoder",
    data_format=None,
):
    """Builds MUNIT's content encoder: c7s1-nf, strided 4x4 convolutions, residual blocks.

    Every convolution is followed by instance normalization (without a
    learned affine map, so the convolutions have no bias) and every block but
    the residual additions by ReLU. The filters double with each
    downsampling. Layer names: `stem`, `down{i}`, `res{i}_conv{1,2}`.

    Args:
        input_shape: `(height, width, channels)`; height and width must be
            multiples of `2 ** num_downsamples`, at least 4 and, with
            residual blocks, at least `2 ** (num_downsamples + 1)`.
        base_filters: filters of the first convolution (64 in the paper).
        num_downsamples: stride-2 convolutions (2 in the paper).
        num_res_blocks: residual blocks at the lowest resolution (4).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `input_shape`, the images and the content codes are `(channels,
            height, width)`); None follows `keras.config.image_data_format()`.
            The weights are the same in both layouts.

    Returns:
        A functional `keras.Model` mapping images `(batch, height, width,
        channels)` to content codes `(batch, height / 2**d, width / 2**d,
        base_filters * 2**d)`, `d = num_downsamples`, in the compute dtype.

    Example:

    >>> encoder = keras_gen.networks.munit_content_encoder((32, 32, 3), base_filters=16)
    >>> encoder(np.zeros((1, 32, 32, 3))).shape
    (1, 8, 8, 64)

    Reference:
        Huang, Liu, Belongie & Kautz, "Multimodal Unsupervised
        Image-to-Image Translation", ECCV 2018, appendix B
        (https://arxiv.org/abs/1804.04732).
    """
    data_format = resolve_data_format(data_format)
    input_shape = check_image_shape(input_shape, "input_shape")
    base_filters = positive_int(base_filters, "base_filters")
    num_downsamples = _non_negative_int(num_downsamples, "num_downsamples")
    num_res_blocks = _non_negative_int(num_res_blocks, "num_res_blocks")
    # The residual blocks pad their 3x3 convolutions by reflection: 2x2 maps at least.
    _check_downsampling(
        channels_last_shape(input_shape, data_format), num_downsamples, "munit_content_encoder",
        exact=True, lowest_side=2 if num_res_blocks else 1,
    )

    inputs = keras.Input(input_shape, name="image")
    x = _conv_block(inputs, base_filters, 7, "stem", data_format)
    filters = base_filters
    for index in range(num_downsamples):
        filters *= 2
        x = _conv_block(x, filters, 4, f"down{index}", data_format, strides=2)
    for index in range(num_res_blocks):
        x = _residual_block(x, f"res{index}", data_format)
    return check_channels_first_offsets(keras.Model(inputs, x, name=name))


def munit_style_encoder(
    input_shape=(256, 256, 3),
    style_dim=8,
    base_filters=64,
    num_downsamples=4,
    name="munit_style_encoder",
    data_format=None,
):
    """Builds MUNIT's style encoder: unnormalized convolutions, global average pooling, a dense map.

    c7s1-nf then `num_downsamples` stride-2 4x4 convolutions (ReLU after
    each) whose filters double up to `4 * base_filters` (c7s1-64, d128,
    d256, d256, d256 in the paper), global average pooling and a dense layer
    to the style code (the paper's 1x1 convolution on the pooled features).
    No normalization: instance normalization would remove the feature means
    and variances that represent the style. Layer names: `stem`, `down{i}`,
    `pool`, `style`.

    Args:
        input_shape: `(height, width, channels)`, sides at least
            `max(4, 2 ** num_downsamples)`.
        style_dim: size of the style code (8 in the paper).
        base_filters: filters of the first convolution (64).
        num_downsamples: stride-2 convolutions (4).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `input_shape` and the images are `(channels, height, width)`);
            None follows `keras.config.image_data_format()`. The weights are
            the same in both layouts.

    Returns:
        A functional `keras.Model` mapping images to style codes
        `(batch, style_dim)`, float32 under a mixed policy.

    Example:

    >>> encoder = keras_gen.networks.munit_style_encoder((32, 32, 3), base_filters=16)
    >>> encoder(np.zeros((2, 32, 32, 3))).shape
    (2, 8)

    Reference:
        Huang, Liu, Belongie & Kautz, "Multimodal Unsupervised
        Image-to-Image Translation", ECCV 2018, appendix B
        (https://arxiv.org/abs/1804.04732).
    """
    data_format = resolve_data_format(data_format)
    input_shape = check_image_shape(input_shape, "input_shape")
    style_dim = positive_int(style_dim, "style_dim")
    base_filters = positive_int(base_filters, "base_filters")
    num_downsamples = _non_negative_int(num_downsamples, "num_downsamples")
    _check_downsampling(channels_last_shape(input_shape, data_format), num_downsamples,
                        "munit_style_encoder", exact=False)

    inputs = keras.Input(input_shape, name="image")
    x = _conv_block(inputs, base_filters, 7, "stem", data_format, normalize=False)
    for index in range(num_downsamples):
        filters = base_filters * min(2 ** (index + 1), 4)
        x = _conv_block(x, filters, 4, f"down{index}", data_format, strides=2, normalize=False)
    x = keras.layers.GlobalAveragePooling2D(name="pool", data_format=data_format)(x)
    outputs = keras.layers.Dense(style_dim, name="style", dtype="float32")(x)
    return check_channels_first_offsets(keras.Model(inputs, outputs, name=name))


def munit_decoder(
    content_shape,
    style_dim=8,
    output_channels=3,
    num_res_blocks=4,
    num_upsamples=2,
    mlp_units=256,
    mlp_layers=3,
    name="munit_decoder",
    data_format=None,
):
    """Builds MUNIT's decoder: AdaIN residual blocks driven by one style MLP, then upsampling.

    The style code goes through one MLP (`mlp_layers` dense layers, ReLU
    between them, `mlp_units` hidden units) whose output holds the AdaIN
    parameters of every residual block: block `i` takes the columns
    `[i * P, (i + 1) * P)`, `P = AdaINResBlock.num_style_params(C)` (its
    `[scale_1, bias_1, scale_2, bias_2]`), `C` the content channels. Then
    `num_upsamples` times: 2x nearest-neighbour upsampling, a 5x5
    convolution halving the filters, layer normalization
    (`keras_gen.layers.ChannelLayerNormalization`: instance normalization
    here would erase the style), ReLU; last a 7x7 convolution to
    `output_channels` and tanh, in float32 under a mixed policy. Layer
    names: `mlp{i}`, `adain_params`, `res{i}`, `up{i}`, `output_conv`.

    Args:
        content_shape: `(height, width, channels)` of the content code (the
            content encoder's output); channels divisible by
            `2 ** num_upsamples`.
        style_dim: size of the style code (8).
        output_channels: channels of the image.
        num_res_blocks: AdaIN residual blocks (4); at least 1, the only
            way the style enters.
        num_upsamples: upsamplings (2; the content encoder's
            `num_downsamples`).
        mlp_units: hidden units of the style MLP (256).
        mlp_layers: dense layers of the style MLP, the output layer
            included (3).
        name: model name.
        data_format: `"channels_last"` or `"channels_first"` (then
            `content_shape`, the content codes and the images are
            `(channels, height, width)`); None follows
            `keras.config.image_data_format()`. The weights are the same in
            both layouts (the AdaIN parameters are per channel).

    Returns:
        A functional `keras.Model` taking `[content, style]`, `(batch,
        *content_shape)` and `(batch, style_dim)`, and returning images
        `(batch, height * 2**u, width * 2**u, output_channels)` in [-1, 1].

    Example:

    >>> decoder = keras_gen.networks.munit_decoder((8, 8, 64), output_channels=3)
    >>> decoder([np.zeros((2, 8, 8, 64)), np.zeros((2, 8))]).shape
    (2, 32, 32, 3)

    Reference:
        Huang, Liu, Belongie & Kautz, "Multimodal Unsupervised
        Image-to-Image Translation", ECCV 2018, section 3 and appendix B
        (https://arxiv.org/abs/1804.04732).
    """
    data_format = resolve_data_format(data_format)
    content_shape = check_image_shape(content_shape, "content_shape")
    content_height, content_width, channels = channels_last_shape(content_shape, data_format)
    style_dim = positive_int(style_dim, "style_dim")
    output_channels = positive_int(output_channels, "output_channels")
    num_res_blocks = positive_int(num_res_blocks, "num_res_blocks")
    num_upsamples = _non_negative_int(num_upsamples, "num_upsamples")
    mlp_units = positive_int(mlp_units, "mlp_units")
    mlp_layers = positive_int(mlp_layers, "mlp_layers")
    if channels % 2**num_upsamples:
        raise ValueError(
            f"Each of the {num_upsamples} upsamplings halves the filters, so the content "
            f"channels must be divisible by {2**num_upsamples}; received content_shape="
            f"{tuple(content_shape)!r}. Build the content encoder with more filters or "
            "use fewer upsamplings."
        )
    smallest = min(content_height, content_width)
    if smallest < 2 or smallest * 2**num_upsamples < 4:
        raise ValueError(
            "The residual blocks and the output convolution pad by reflection, which needs "
            "content maps of at least 2x2 and images of at least 4x4; received "
            f"content_shape={tuple(content_shape)!r} with num_upsamples={num_upsamples}."
        )

    content = keras.Input(content_shape, name="content")
    style = keras.Input((style_dim,), name="style")
    params_per_block = AdaINResBlock.num_style_params(channels)
    h = style
    for index in range(mlp_layers - 1):
        h = keras.layers.Dense(mlp_units, activation="relu", name=f"mlp{index}")(h)
    params = keras.layers.Dense(num_res_blocks * params_per_block, name="adain_params")(h)
    x = content
    for index in range(num_res_blocks):
        block_params = params[:, index * params_per_block : (index + 1) * params_per_block]
        x = AdaINResBlock(name=f"res{index}", data_format=data_format)([x, block_params])
    filters = channels
    for index in range(num_upsamples):
        filters //= 2
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"up{index}_resize",
                                      data_format=data_format)(x)
        x = _padded_conv(x, filters, 5, f"up{index}", data_format)
        x = ChannelLayerNormalization(name=f"up{index}_norm", data_format=data_format)(x)
        x = keras.layers.ReLU(name=f"up{index}_relu")(x)
    x = _padded_conv(x, output_channels, 7, "output_conv", data_format, dtype="float32")
    outputs = keras.layers.Activation("tanh", dtype="float32", name="output_tanh")(x)
    return check_channels_first_offsets(keras.Model([content, style], outputs, name=name))


def munit_domain_invariant_features(feature_model, name="domain_invariant_features", data_format=None):
    """Wraps a feature network so that each feature map is instance-normalized: MUNIT's perceptual features.

    MUNIT's domain-invariant perceptual loss compares an image with its
    translation through VGG features normalized per sample and channel
    (instance normalization without affine map), which removes the
    feature statistics that carry the domain-specific style and keeps the
    content. Pass the result as `keras_gen.models.MUNIT(...,
    perceptual_network=...)`; the model computes the loss with
    `keras_gen.losses.perceptual`.

    Args:
        feature_model: a `keras.Model` whose output(s) are feature maps
            `(batch, h, w, c)` (e.g. `keras_gen.losses.vgg19_feature_model()`),
            or `(batch, c, h, w)` channels-first.
        name: model name.
        data_format: the layout of the feature maps, `"channels_last"` or
            `"channels_first"`; None takes the layout of `feature_model`'s
            layers (`keras_gen.networks.network_data_format`), else
            `keras.config.image_data_format()`.

    Returns:
        A functional `keras.Model` with the input of `feature_model` and a
        list of its feature maps, each instance-normalized; frozen
        (`trainable = False`).

    Example:

    >>> vgg = keras_gen.losses.vgg19_feature_model(layer_names=("block4_conv1",))
    >>> features = keras_gen.networks.munit_domain_invariant_features(vgg)

    Reference:
        Huang, Liu, Belongie & Kautz, "Multimodal Unsupervised
        Image-to-Image Translation", ECCV 2018, appendix B
        (https://arxiv.org/abs/1804.04732).
    """
    if not isinstance(feature_model, keras.Model) or not getattr(feature_model, "inputs", None):
        raise ValueError(
            "`feature_model` must be a functional keras.Model (e.g. "
            f"keras_gen.losses.vgg19_feature_model()); received {type(feature_model).__name__}."
        )
    data_format = resolve_data_format(data_format or network_data_format(feature_model))
    images = keras.Input(tuple(feature_model.inputs[0].shape[1:]), name="images")
    features = keras.tree.flatten(feature_model(images))
    outputs = []
    for index, feature in enumerate(features):
        if len(feature.shape) != 4:
            raise ValueError(
                "Instance normalization needs feature maps (batch, height, width, channels) "
                "or channels-first (batch, channels, height, width); "
                f"output {index} of {feature_model.name} has shape {tuple(feature.shape)}. "
                "Use convolutional layers as the features."
            )
        outputs.append(_instance_norm(f"feature{index}_norm", data_format)(feature))
    model = keras.Model(images, outputs, name=name)
    model.trainable = False
    return model
