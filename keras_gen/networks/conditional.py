"""Class-conditional generator and discriminator builders (DCGAN and MLP).

Every builder takes integer class labels of shape `(batch,)` as a second
input and returns a functional `keras.Model`:

- Generators, `[z, labels] -> samples`: a learned label embedding is
  concatenated to `z` (Mirza & Osindero 2014) and fed to the unconditional
  network (`keras_gen.networks.dcgan_generator` / `mlp_generator`, nested).
- Discriminators, one of three `conditioning` modes:
  - `"concat"` (Mirza & Osindero 2014): the one-hot label joins the input —
    broadcast to `num_classes` extra image channels, or appended to a point —
    and the unconditional discriminator (nested) sees both. Inputs
    `[samples, labels]`, output logits `(batch, 1)`.
  - `"projection"` (Miyato & Koyama 2018): `psi(phi(x)) + <V y, phi(x)>`,
    where `phi(x)` are the features feeding the unconditional network's last
    linear layer `psi`. Inputs `[samples, labels]`, output logits `(batch, 1)`.
  - `"auxiliary"` (ACGAN, Odena et al. 2017): the discriminator sees only
    the samples and has two linear heads on `phi(x)`: real/fake logits
    `(batch, 1)` and class logits `(batch, num_classes)`.

These are the networks `keras_gen.models.ConditionalGAN` trains; its
`conditioning` must match the discriminator's.
"""

import keras
from keras import ops

from keras_gen.layers.depth_to_space import resolve_data_format
from keras_gen.networks.blocks import LayerFactory
from keras_gen.networks.blocks import channels_last_shape
from keras_gen.networks.blocks import image_geometry
from keras_gen.networks.blocks import normal_init
from keras_gen.networks.blocks import positive_int
from keras_gen.networks.dcgan import dcgan_discriminator
from keras_gen.networks.dcgan import dcgan_generator
from keras_gen.networks.mlp import mlp_discriminator
from keras_gen.networks.mlp import mlp_generator

CONDITIONINGS = ("projection", "concat", "auxiliary")


def check_conditioning(conditioning):
    """Returns `conditioning` if it is one of `CONDITIONINGS`, else raises `ValueError`."""
    if conditioning not in CONDITIONINGS:
        raise ValueError(
            f"Unknown conditioning {conditioning!r}. Use one of {list(CONDITIONINGS)}: "
            "'projection' (Miyato & Koyama 2018), 'concat' (Mirza & Osindero 2014) "
            "or 'auxiliary' (ACGAN, Odena et al. 2017)."
        )
    return conditioning


def check_num_classes(num_classes):
    """Returns `num_classes` as an int >= 2, else raises `ValueError`."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(
            "`num_classes` must be an int >= 2 for a class-conditional network; "
            f"received {num_classes!r}."
        )
    return num_classes


def _conditioned_latent(latent_dim, num_classes, embedding_dim):
    """Inputs `z`, `labels` and their concatenation `[z, embed(labels)]`."""
    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = keras.layers.Embedding(num_classes, embedding_dim, name="label_embedding")(labels)
    joined = keras.layers.Concatenate(name="z_and_label")([z, embedded])
    return z, labels, joined


def projection_logits(logits, features, labels, num_classes, layers, name="projection"):
    """Adds the projection term `<V y, phi(x)>` to unconditional logits.

    `V y` is computed as `one_hot(y) @ V` with a bias-free `Dense` made by
    `layers` (as in `keras_gen.networks.sagan_discriminator`), so it gets
    spectral normalization when the rest of the network does.

    Args:
        logits: `(batch, 1)` output of the linear layer `psi(phi(x))`.
        features: `(batch, d)` features `phi(x)`.
        labels: integer labels `(batch,)`.
        num_classes: number of classes.
        layers: a `keras_gen.networks.blocks.LayerFactory`.
        name: prefix of the layer names.

    Returns:
        float32 logits `(batch, 1)`.

    Example:

    ```python
    layers = keras_gen.networks.blocks.LayerFactory("glorot_uniform", spectral_norm=False)
    features = keras.Input((16,))
    labels = keras.Input((), dtype="int32")
    logits = keras.layers.Dense(1)(features)
    out = keras_gen.networks.conditional.projection_logits(logits, features, labels, 10, layers)
    ```

    Reference:
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    """
    one_hot = ops.one_hot(ops.reshape(labels, (-1,)), num_classes, dtype=features.dtype)
    embedded = layers.dense(features.shape[-1], f"{name}_embedding", use_bias=False)(one_hot)
    inner = keras.layers.Dot(axes=1, name=f"{name}_inner")([embedded, features])
    logits = keras.layers.Add(name=f"{name}_logits")([logits, inner])
    return keras.layers.Activation("linear", dtype="float32", name="logits_out")(logits)


def _class_logits(features, num_classes, layers):
    logits = layers.dense(num_classes, "class_logits")(features)
    return keras.layers.Activation("linear", dtype="float32", name="class_logits_out")(logits)


def _conditional_head(body, feature_layer, conditioning, num_classes, layers, name):
    """Extends an unconditional discriminator's graph with a projection or auxiliary head."""
    samples = body.inputs[0]
    features = body.get_layer(feature_layer).output
    logits = body.outputs[0]
    if conditioning == "auxiliary":
        return keras.Model(
            samples, [logits, _class_logits(features, num_classes, layers)], name=name
        )
    labels = keras.Input((), dtype="int32", name="labels")
    logits = projection_logits(logits, features, labels, num_classes, layers)
    return keras.Model([samples, labels], logits, name=name)


def conditional_dcgan_generator(
    image_shape=(28, 28, 1),
    latent_dim=100,
    num_classes=10,
    embedding_dim=50,
    base_filters=64,
    upsampling="subpixel",
    name="conditional_dcgan_generator",
    data_format=None,
):
    """Builds a class-conditional DCGAN generator: `[z, labels]` -> image in [-1, 1].

    The label goes through a learned `Embedding` of size `embedding_dim`,
    is concatenated to `z`, and the result feeds a
    `keras_gen.networks.dcgan_generator` (nested, with input size
    `latent_dim + embedding_dim`).

    Args:
        image_shape: `(side, side, channels)`, side 7 or 4 times a power of
            two (e.g. 28, 32, 64).
        latent_dim: size of `z` (DCGAN: 100).
        num_classes: number of classes.
        embedding_dim: size of the label embedding (50, as in common cGAN
            implementations).
        base_filters: as in `keras_gen.networks.dcgan_generator`.
        upsampling: `"subpixel"` (default, fast on every backend),
            `"transpose"` (on torch 8% faster) or `"resize"` (see
            `keras_gen.networks.dcgan_generator`, which has the numbers).
        name: model name.
        data_format: layout of the images, as in
            `keras_gen.networks.dcgan_generator` (channels-first:
            `image_shape` is `(channels, side, side)`); the same weights in
            both.

    Returns:
        A functional `keras.Model` with inputs `[z (batch, latent_dim),
        labels (batch,) int32]` and tanh images `(batch,) + image_shape`.

    Example:

    ```python
    generator = keras_gen.networks.conditional_dcgan_generator(
        (28, 28, 1), latent_dim=64, num_classes=10)
    images = generator([keras.random.normal((4, 64)), keras.ops.arange(4)])
    ```

    Reference:
        Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014;
        Radford et al., "Unsupervised Representation Learning with Deep
        Convolutional GANs", ICLR 2016.
    """
    check_num_classes(num_classes)
    latent_dim = positive_int(latent_dim, "latent_dim")
    embedding_dim = positive_int(embedding_dim, "embedding_dim")
    body = dcgan_generator(
        image_shape, latent_dim + embedding_dim, base_filters, upsampling, name=f"{name}_body",
        data_format=data_format,
    )
    z, labels, joined = _conditioned_latent(latent_dim, num_classes, embedding_dim)
    return keras.Model([z, labels], body(joined), name=name)


def conditional_dcgan_discriminator(
    image_shape=(28, 28, 1),
    num_classes=10,
    conditioning="projection",
    base_filters=64,
    spectral_norm=False,
    name="conditional_dcgan_discriminator",
    data_format=None,
):
    """Builds a class-conditional DCGAN discriminator (concat, projection or auxiliary).

    The convolutional trunk is `keras_gen.networks.dcgan_discriminator`'s;
    `phi(x)` is its flattened last feature map.

    - `"concat"`: `one_hot(y)` broadcast to `num_classes` constant channels
      concatenated to the image; a DCGAN discriminator for
      `channels + num_classes` channels (nested) gives the logit.
    - `"projection"`: `psi(phi(x)) + <V y, phi(x)>`.
    - `"auxiliary"`: images only; outputs `[logits (batch, 1), class_logits
      (batch, num_classes)]`.

    Args:
        image_shape: `(side, side, channels)`, side 7 or 4 times a power of two.
        num_classes: number of classes.
        conditioning: `"projection"`, `"concat"` or `"auxiliary"`.
        base_filters: filters of the first convolution.
        spectral_norm: spectral normalization on every convolution and dense
            layer (also `V` and the class head), without BatchNorm.
        name: model name.
        data_format: layout of the images, as in
            `keras_gen.networks.dcgan_discriminator` (channels-first:
            `image_shape` is `(channels, side, side)`); the same weights in
            both.

    Returns:
        A functional `keras.Model`: `[images, labels] -> logits (batch, 1)`
        for `"concat"`/`"projection"`, `images -> [logits, class_logits]`
        for `"auxiliary"`.

    Example:

    ```python
    discriminator = keras_gen.networks.conditional_dcgan_discriminator(
        (28, 28, 1), num_classes=10, conditioning="projection")
    logits = discriminator([keras.random.normal((4, 28, 28, 1)), keras.ops.arange(4)])
    ```

    Reference:
        Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014;
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018;
        Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary
        Classifier GANs", ICML 2017.
    """
    check_num_classes(num_classes)
    check_conditioning(conditioning)
    data_format = resolve_data_format(data_format)
    if conditioning == "concat":
        side, channels, _, _ = image_geometry(channels_last_shape(image_shape, data_format))
        first = data_format == "channels_first"
        joined_channels = channels + num_classes
        body = dcgan_discriminator(
            (joined_channels, side, side) if first else (side, side, joined_channels),
            base_filters, spectral_norm, name=f"{name}_body", data_format=data_format,
        )
        images = keras.Input((channels, side, side) if first else (side, side, channels),
                             name="images")
        labels = keras.Input((), dtype="int32", name="labels")
        one_hot = ops.one_hot(ops.reshape(labels, (-1,)), num_classes, dtype=images.dtype)
        if first:
            label_maps = ops.tile(ops.reshape(one_hot, (-1, num_classes, 1, 1)), (1, 1, side, side))
        else:
            label_maps = ops.tile(ops.reshape(one_hot, (-1, 1, 1, num_classes)), (1, side, side, 1))
        joined = keras.layers.Concatenate(axis=1 if first else -1, name="images_and_label")(
            [images, label_maps])
        return keras.Model([images, labels], body(joined), name=name)
    body = dcgan_discriminator(image_shape, base_filters, spectral_norm, name=name,
                               data_format=data_format)
    layers = LayerFactory(normal_init(), spectral_norm)
    return _conditional_head(body, "flatten", conditioning, num_classes, layers, name)


def conditional_mlp_generator(
    latent_dim=2,
    output_dim=2,
    num_classes=8,
    embedding_dim=8,
    hidden_units=(128, 128, 128),
    activation="relu",
    name="conditional_mlp_generator",
):
    """Builds a class-conditional MLP generator for low-dimensional (toy) data.

    The label's learned `Embedding` is concatenated to `z` and fed to a
    `keras_gen.networks.mlp_generator` (nested).

    Args:
        latent_dim: size of `z`.
        output_dim: size of the output points (2 for the toy datasets).
        num_classes: number of classes.
        embedding_dim: size of the label embedding.
        hidden_units: units of each hidden `Dense` layer.
        activation: activation of the hidden layers.
        name: model name.

    Returns:
        A functional `keras.Model` `[z (batch, latent_dim), labels (batch,)]
        -> (batch, output_dim)` with a linear output.

    Example:

    ```python
    generator = keras_gen.networks.conditional_mlp_generator(2, 2, num_classes=4)
    points = generator([keras.random.normal((5, 2)), keras.ops.array([0, 1, 2, 3, 0])])
    ```

    Reference:
        Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014.
    """
    check_num_classes(num_classes)
    latent_dim = positive_int(latent_dim, "latent_dim")
    embedding_dim = positive_int(embedding_dim, "embedding_dim")
    body = mlp_generator(
        latent_dim + embedding_dim, output_dim, hidden_units, activation, name=f"{name}_body"
    )
    z, labels, joined = _conditioned_latent(latent_dim, num_classes, embedding_dim)
    return keras.Model([z, labels], body(joined), name=name)


def conditional_mlp_discriminator(
    input_dim=2,
    num_classes=8,
    conditioning="projection",
    hidden_units=(128, 128, 128),
    activation="leaky_relu",
    spectral_norm=False,
    name="conditional_mlp_discriminator",
):
    """Builds a class-conditional MLP discriminator (concat, projection or auxiliary).

    `phi(x)` is the output of the last hidden layer of
    `keras_gen.networks.mlp_discriminator`. `"concat"` appends `one_hot(y)`
    to the input point; `"projection"` gives `psi(phi(x)) + <V y, phi(x)>`;
    `"auxiliary"` adds a class head on `phi(x)`.

    Args:
        input_dim: size of the input points.
        num_classes: number of classes.
        conditioning: `"projection"`, `"concat"` or `"auxiliary"`.
        hidden_units: units of each hidden `Dense` layer.
        activation: activation of the hidden layers (`"leaky_relu"`: slope 0.2).
        spectral_norm: spectral normalization on every `Dense` (also `V` and
            the class head).
        name: model name.

    Returns:
        A functional `keras.Model`: `[points, labels] -> logits (batch, 1)`
        for `"concat"`/`"projection"`, `points -> [logits, class_logits]` for
        `"auxiliary"`.

    Example:

    ```python
    discriminator = keras_gen.networks.conditional_mlp_discriminator(
        2, num_classes=4, conditioning="auxiliary")
    logits, class_logits = discriminator(keras.random.normal((5, 2)))
    ```

    Reference:
        Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014;
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018;
        Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary
        Classifier GANs", ICML 2017.
    """
    check_num_classes(num_classes)
    check_conditioning(conditioning)
    input_dim = positive_int(input_dim, "input_dim")
    if conditioning == "concat":
        body = mlp_discriminator(
            input_dim + num_classes, hidden_units, activation, spectral_norm, name=f"{name}_body"
        )
        points = keras.Input((input_dim,), name="points")
        labels = keras.Input((), dtype="int32", name="labels")
        one_hot = ops.one_hot(ops.reshape(labels, (-1,)), num_classes, dtype=points.dtype)
        joined = keras.layers.Concatenate(name="points_and_label")([points, one_hot])
        return keras.Model([points, labels], body(joined), name=name)
    body = mlp_discriminator(input_dim, hidden_units, activation, spectral_norm, name=name)
    last_hidden = f"hidden_{len(tuple(hidden_units)) - 1}_act"
    layers = LayerFactory("glorot_uniform", spectral_norm)
    return _conditional_head(body, last_hidden, conditioning, num_classes, layers, name)
