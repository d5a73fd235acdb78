"""Linear probes: how well a (frozen) discriminator's features classify real images.

A discriminator that has learned what real images look like has features that
separate their classes. Radford et al. (2016) measured a DCGAN discriminator
this way: freeze it, train only a linear classifier on its features, and read
the accuracy. `discriminator_probe` does that on a GAN or a discriminator;
`linear_probe` is the classifier on any features; `discriminator_features`
reads the features. Everything after the forward pass is NumPy float64 and
deterministic, so the numbers are the same on every backend up to the
backends' float32 differences in the features.
"""

import keras
import numpy as np
from scipy import linalg
from scipy import optimize

from keras_gen.metrics.feature_extractors import to_model_range

# The log key `keras_gen.callbacks.DiscriminatorProbe` writes, and its direction.
PROBE_LOG_KEY = "d_probe_accuracy"
DIRECTIONS = {PROBE_LOG_KEY: "up"}


# ---------------------------------------------------------------------------
# The linear classifier
# ---------------------------------------------------------------------------


def _to_numpy(values):
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, (list, tuple, range)):
        return np.asarray(values)
    return np.asarray(keras.ops.convert_to_numpy(values))


def check_probe_labels(labels, num_samples=None, name="labels"):
    """Integer class labels `(n,)` as an int64 array, or a ValueError naming the fix.

    Accepts `(n,)` or `(n, 1)` integer arrays; refuses floats, booleans,
    one-hot rows and a length other than `num_samples`.
    """
    labels = _to_numpy(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(
            f"`{name}` must be integer class indices of shape (n,); received shape {labels.shape}. "
            "For one-hot labels pass `np.argmax(labels, axis=-1)`."
        )
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"`{name}` must be integer class indices; received dtype {labels.dtype}. "
            "Cast them, e.g. `labels.astype('int64')` (class probabilities: "
            "`np.argmax(p, axis=-1)`)."
        )
    if num_samples is not None and len(labels) != num_samples:
        raise ValueError(
            f"Received {num_samples} samples but {len(labels)} {name}; pass one label per sample."
        )
    return labels.astype(np.int64)


def _check_fraction(holdout):
    if not isinstance(holdout, (int, float, np.floating)) or not 0.0 < float(holdout) < 1.0:
        raise ValueError(
            f"`holdout` is the fraction of each class held out for testing, strictly between "
            f"0 and 1 (e.g. 0.25); received {holdout!r}."
        )
    return float(holdout)


def probe_split(labels, holdout=0.25, seed=0):
    """A stratified, seeded split of `labels` into training and held-out indices.

    Each class keeps `round(holdout * count)` of its samples for testing, at
    least one, and at least one for training.

    Args:
        labels: integer class labels `(n,)`.
        holdout: fraction of every class held out.
        seed: NumPy seed of the shuffle.

    Returns:
        `(train_indices, holdout_indices)`, sorted int64 arrays.

    Raises:
        ValueError: fewer than two classes, or a class with fewer than two
            samples.

    Example:

    >>> from keras_gen.metrics.discriminator_probe import probe_split
    >>> train, test = probe_split(np.repeat(np.arange(10), 8), holdout=0.25)
    >>> len(train), len(test)
    (60, 20)
    """
    labels = check_probe_labels(labels)
    holdout = _check_fraction(holdout)
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"A probe needs at least two classes; every label is {classes.tolist()}. "
            "Pass images of several classes."
        )
    small = [(int(c), int(n)) for c, n in zip(classes, counts) if n < 2]
    if small:
        shown = ", ".join(f"class {c}: {n} sample" for c, n in small[:5])
        raise ValueError(
            f"Too few samples per class for a probe ({shown}); each class needs at least 2 "
            "(one to train on, one to hold out), and a useful probe some tens. Pass more "
            "images, or drop the rare classes."
        )
    rng = np.random.default_rng(seed)
    train, test = [], []
    for value in classes:
        members = np.flatnonzero(labels == value)
        members = members[rng.permutation(len(members))]
        held = int(min(max(round(holdout * len(members)), 1), len(members) - 1))
        test.append(members[:held])
        train.append(members[held:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _standardize(features, train):
    mean = features[train].mean(axis=0)
    std = features[train].std(axis=0)
    std[std == 0] = 1.0  # constant on the training split: contributes nothing
    return (features - mean) / std


def _probe_coordinates(features, train, test):
    """Coordinates of the train/test rows in which the L2-regularised problem is unchanged.

    With more features than training rows, the optimal weights lie in the
    span of the training rows (representer theorem), so the problem can be
    solved in `n_train` coordinates: `G = X X^T = L L^T` gives training
    coordinates `L` and test coordinates `X_test X^T L^{-T}`; the logits and
    the weight norm are those of the full problem.
    """
    x_train, x_test = features[train], features[test]
    if x_train.shape[1] <= x_train.shape[0]:
        return x_train, x_test
    gram = x_train @ x_train.T
    scale = max(float(np.trace(gram)) / len(gram), 1e-12)
    for jitter in (1e-9, 1e-7, 1e-5, 1e-3):
        try:
            lower = linalg.cholesky(gram + jitter * scale * np.eye(len(gram)), lower=True)
            break
        except linalg.LinAlgError:
            continue
    else:  # pragma: no cover - the last jitter makes any Gram matrix definite
        raise ValueError("The probe's features are not finite.")
    test_coordinates = linalg.solve_triangular(lower, x_train @ x_test.T, lower=True).T
    return lower, test_coordinates


def _fit_softmax(x, y, num_classes, l2, max_iterations):
    """Multinomial logistic regression: mean cross-entropy + l2/2 ||W||^2, bias unpenalised."""
    n, d = x.shape
    targets = np.eye(num_classes)[y]

    def objective(params):
        weights = params[: d * num_classes].reshape(d, num_classes)
        bias = params[d * num_classes :]
        logits = x @ weights + bias
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        total = exp.sum(axis=1, keepdims=True)
        loss = -np.mean(np.sum(targets * logits, axis=1) - np.log(total[:, 0]))
        loss += 0.5 * l2 * np.sum(weights**2)
        residual = (exp / total - targets) / n
        gradient = np.concatenate([(x.T @ residual + l2 * weights).ravel(), residual.sum(axis=0)])
        return loss, gradient

    result = optimize.minimize(
        objective,
        np.zeros(d * num_classes + num_classes),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": int(max_iterations)},
    )
    params = result.x
    return params[: d * num_classes].reshape(d, num_classes), params[d * num_classes :], int(result.nit)


def linear_probe(
    features, labels, holdout=0.25, seed=0, l2=1e-2, max_iterations=200, return_details=False
):
    """Held-out accuracy of a linear softmax classifier trained on frozen features.

    The samples are split per class (`probe_split`: `holdout` of each class
    held out, the shuffle seeded by `seed`); features are standardised with
    the training split's mean and standard deviation; a multinomial logistic
    regression (mean cross-entropy plus `l2 / 2 * ||W||^2`, bias not
    penalised) is fitted by full-batch L-BFGS from zero weights for at most
    `max_iterations` iterations, in NumPy float64. The result is therefore
    deterministic: the same features, labels and seed give the same number.
    With more features than training samples the problem is solved, exactly,
    in the span of the training samples (a Cholesky factor of their Gram
    matrix), so thousands of features cost little.

    Args:
        features: `(n, feature_dim)` array.
        labels: `(n,)` integer class labels (any integers; `(n, 1)` is accepted).
        holdout: fraction of each class held out for the accuracy, in (0, 1).
        seed: seed of the split.
        l2: weight of the L2 penalty (> 0 keeps the problem well posed when
            the classes are separable).
        max_iterations: L-BFGS iterations (a fixed cap keeps it fast and
            deterministic).
        return_details: return a dict instead of the accuracy alone.

    Returns:
        The held-out accuracy (float in [0, 1]), or with `return_details` a
        dict: `accuracy`, `train_accuracy`, `chance` (`1 / num_classes`),
        `majority` (accuracy of always answering the most frequent training
        class), `num_classes`, `num_features`, `num_train`, `num_holdout`,
        `iterations`.

    Raises:
        ValueError: features that are not a finite 2-D array, labels that are
            not integers or not one per sample, fewer than two classes, or a
            class with fewer than two samples.

    Example:

    >>> (_, _), (x, y) = keras_gen.datasets.mnist.load_data(source="embedded")
    >>> features = keras_gen.metrics.get_feature_extractor("digits").features(x[:600])
    >>> round(keras_gen.metrics.linear_probe(features, y[:600], holdout=0.5), 2)
    0.97

    Reference:
        Radford, Metz & Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016
        (arXiv:1511.06434), Section 5.1 (features of a frozen discriminator
        classified by a linear model).
    """
    features = np.asarray(_to_numpy(features), dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(
            f"`features` must be a 2-D array (n, feature_dim); received shape {features.shape}. "
            "Flatten them with `features.reshape(len(features), -1)`."
        )
    labels = check_probe_labels(labels, num_samples=len(features))
    if not np.all(np.isfinite(features)):
        raise ValueError("`features` contain NaN or infinite values; check the model that made them.")
    if not l2 > 0 or int(max_iterations) < 1:
        raise ValueError(
            f"`l2` must be > 0 and `max_iterations` >= 1; received l2={l2!r}, "
            f"max_iterations={max_iterations!r}."
        )
    train, test = probe_split(labels, holdout=holdout, seed=seed)
    classes, targets = np.unique(labels, return_inverse=True)
    num_classes = len(classes)
    standardized = _standardize(features, train)
    x_train, x_test = _probe_coordinates(standardized, train, test)
    weights, bias, iterations = _fit_softmax(x_train, targets[train], num_classes, l2, max_iterations)
    accuracy = float(np.mean(np.argmax(x_test @ weights + bias, axis=1) == targets[test]))
    if not return_details:
        return accuracy
    train_accuracy = float(np.mean(np.argmax(x_train @ weights + bias, axis=1) == targets[train]))
    most_frequent = np.argmax(np.bincount(targets[train], minlength=num_classes))
    return {
        "accuracy": accuracy,
        "train_accuracy": train_accuracy,
        "chance": 1.0 / num_classes,
        "majority": float(np.mean(targets[test] == most_frequent)),
        "num_classes": int(num_classes),
        "num_features": int(features.shape[1]),
        "num_train": int(len(train)),
        "num_holdout": int(len(test)),
        "iterations": iterations,
    }


# ---------------------------------------------------------------------------
# Discriminator features
# ---------------------------------------------------------------------------


def _discriminator_of(model):
    """The discriminator `keras.Model` of a GAN, or `model` itself."""
    discriminator = getattr(model, "discriminator", None)
    if isinstance(discriminator, keras.Model):
        return discriminator
    if isinstance(model, keras.Model) and discriminator is None and not hasattr(model, "generator"):
        return model
    others = [
        name for name in ("discriminator_a", "discriminator_b") if hasattr(model, name)
    ]
    hint = f" For this model pass one of its discriminators, e.g. `model.{others[0]}`." if others else ""
    raise ValueError(
        "`discriminator_probe` needs a GAN with a `discriminator` (e.g. "
        "`keras_gen.applications.DCGAN(weights='dcgan_mnist', include_discriminator=True)` "
        "or any `keras_gen.models.GAN`) or a functional/Sequential discriminator "
        f"`keras.Model`; received {type(model).__name__}.{hint}"
    )


def _graph_inputs(discriminator):
    try:
        inputs = discriminator.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            f"The discriminator {discriminator.name!r} has no graph of layers to read "
            "intermediate features from (a subclassed model, or a Sequential model without "
            "an `Input`). Use a functional or Sequential discriminator, or compute the "
            "features yourself and call `keras_gen.metrics.linear_probe(features, labels)`."
        )
    return list(inputs)


def _image_input(discriminator, inputs):
    if len(inputs) == 1:
        return inputs[0]
    for rank in (3, 2):  # images (rank >= 3), else points beside rank-1 labels
        images = [tensor for tensor in inputs if len(tensor.shape) >= rank]
        if len(images) == 1:
            return images[0]
    names = [getattr(t, "name", "?") for t in inputs]
    raise ValueError(
        f"Cannot tell which input of the discriminator {discriminator.name!r} holds the "
        f"images (inputs {names}); supported: one image input (rank >= 3, or vectors "
        "beside rank-1 labels) beside label inputs."
    )


def _history_operation(tensor):
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else history[0]


def _upstream_inputs(tensor, inputs):
    """The subset of `inputs` (graph input tensors) that `tensor` is computed from."""
    wanted = {id(_history_operation(t)): t for t in inputs}
    found, seen, stack = {}, set(), [tensor]
    while stack:
        current = stack.pop()
        history = getattr(current, "_keras_history", None)
        if history is None:
            continue
        operation, node_index = history[0], history[1]
        key = (id(operation), node_index)
        if key in seen:
            continue
        seen.add(key)
        if id(operation) in wanted:
            found[id(operation)] = wanted[id(operation)]
            continue
        nodes = getattr(operation, "_inbound_nodes", [])
        if node_index < len(nodes):
            stack.extend(nodes[node_index].input_tensors)
    return list(found.values())


def _is_dense(layer):
    inner = getattr(layer, "layer", None)  # SpectralNormalization and other wrappers
    return isinstance(layer, (keras.layers.Dense, keras.layers.EinsumDense)) or isinstance(
        inner, (keras.layers.Dense, keras.layers.EinsumDense)
    )


def _layer_input_tensor(layer):
    try:
        tensor = layer.input
    except (AttributeError, ValueError):
        return None
    return tensor if not isinstance(tensor, (list, tuple, dict)) else None


def _nested_feature_tensor(model):
    """The default features of a nested model (one input), applied to its input in the outer graph."""
    nodes = getattr(model, "_inbound_nodes", [])
    # A Functional's `input` is its own graph's input: read the call in the outer graph.
    outer_input = nodes[0].input_tensors if len(nodes) == 1 else None
    outer_input = outer_input[0] if outer_input and len(outer_input) == 1 else None
    try:
        inner_inputs = list(model.inputs)
    except (AttributeError, ValueError):
        return None, None
    if outer_input is None or len(inner_inputs) != 1:
        return None, None
    try:
        inner_tensor, description = _default_feature_tensor(model, inner_inputs[0], inner_inputs)
    except ValueError:
        return None, None
    inner_features = keras.Model(inner_inputs[0], inner_tensor, name=f"{model.name}_features")
    return inner_features(outer_input), f"{description} in {model.name!r}"


def _default_feature_tensor(discriminator, image_input, inputs):
    """The input of the last Dense layer computed from the images alone, and that layer's name."""
    seeing_labels = None
    for layer in reversed(discriminator.layers):
        if _is_dense(layer):
            tensor = _layer_input_tensor(layer)
            description = f"input of {layer.name!r}"
        elif isinstance(layer, keras.Model):
            tensor, description = _nested_feature_tensor(layer)
        else:
            continue
        if tensor is None:
            continue
        upstream = {id(t) for t in _upstream_inputs(tensor, inputs)}
        if upstream == {id(image_input)}:
            return tensor, description
        if id(image_input) in upstream and seeing_labels is None:
            seeing_labels = tensor, description
    if seeing_labels is not None:
        _check_label_free(discriminator, *seeing_labels, image_input, inputs)  # raises
    raise ValueError(
        f"The discriminator {discriminator.name!r} has no Dense (logit) layer computed from "
        "the images alone (e.g. a fully convolutional PatchGAN). Pass `layer=` the "
        "name of a layer whose output to use as features; supported by default: "
        "unconditional discriminators ending in a Dense logit (DCGAN, SAGAN, MLP) and "
        "'projection'/'auxiliary' conditional ones (the label-free features phi(x))."
    )


def _named_feature_tensor(discriminator, layer, image_input, inputs):
    if isinstance(layer, str):
        try:
            found = discriminator.get_layer(layer)
        except ValueError:
            names = [item.name for item in discriminator.layers]
            raise ValueError(
                f"The discriminator {discriminator.name!r} has no layer {layer!r}; its layers: "
                f"{names}."
            ) from None
    elif isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        try:
            found = discriminator.layers[int(layer)]
        except IndexError:
            raise ValueError(
                f"`layer={layer}` is out of range: the discriminator {discriminator.name!r} "
                f"has {len(discriminator.layers)} layers."
            ) from None
    elif isinstance(layer, keras.layers.Layer):
        found = layer
    else:
        raise ValueError(
            f"`layer` must be None (the input of the logit layer), a layer name, an index "
            f"into `discriminator.layers` or a layer; received {layer!r}."
        )
    try:
        tensor = found.output
    except (AttributeError, ValueError):
        tensor = None
    if tensor is None or isinstance(tensor, (list, tuple, dict)):
        raise ValueError(
            f"Layer {found.name!r} has no single output tensor in the discriminator's graph; "
            "name a layer of the discriminator itself (not of a nested model) with one output."
        )
    upstream = {id(t) for t in _upstream_inputs(tensor, inputs)}
    if id(image_input) not in upstream:
        raise ValueError(
            f"The output of layer {found.name!r} is not computed from the images; name a "
            "layer between the image input and the logits."
        )
    return tensor, f"output of {found.name!r}"


def _check_label_free(discriminator, tensor, description, image_input, inputs):
    leaks = [t for t in _upstream_inputs(tensor, inputs) if t is not image_input]
    if leaks:
        names = [getattr(t, "name", "?") for t in leaks]
        raise ValueError(
            f"The features ({description}) of the discriminator {discriminator.name!r} are "
            f"computed from its input(s) {names} as well as the images (a 'concat'-"
            "conditioned discriminator): a probe would read the labels it has to predict. "
            "Supported: unconditional discriminators, and 'projection' or 'auxiliary' "
            "conditional ones, whose features before the label projection see only the images."
        )


def discriminator_feature_model(model_or_discriminator, layer=None):
    """A `keras.Model` from the discriminator's image input to its probe features.

    Args:
        model_or_discriminator: a GAN (its `.discriminator` is used) or a
            functional/Sequential discriminator `keras.Model`.
        layer: None for the input of the last Dense layer computed from the
            images alone (the features the logit is a linear function of:
            DCGAN's flattened last convolution, SAGAN's pooled phi(x), the
            label-free phi(x) of a projection discriminator); a layer name,
            an index into `discriminator.layers` or a layer for that layer's
            output.

    Returns:
        `(model, description)`: the feature model (one image input) and a
        description of the layer, e.g. `"input of 'logits'"`.

    Example:

    >>> features, name = keras_gen.metrics.discriminator_feature_model(gan)
    >>> name
    "input of 'logits'"
    """
    discriminator = _discriminator_of(model_or_discriminator)
    inputs = _graph_inputs(discriminator)
    image_input = _image_input(discriminator, inputs)
    if layer is None:
        tensor, description = _default_feature_tensor(discriminator, image_input, inputs)
    else:
        tensor, description = _named_feature_tensor(discriminator, layer, image_input, inputs)
    _check_label_free(discriminator, tensor, description, image_input, inputs)
    return keras.Model(image_input, tensor, name=f"{discriminator.name}_probe_features"), description


def _prepare_images(images, input_shape, name):
    images = _to_numpy(images)
    expected = tuple(input_shape[1:])
    if len(expected) == 3:
        if images.ndim not in (3, 4):
            raise ValueError(
                f"`images` must have shape (n, height, width[, channels]); received "
                f"{images.shape}."
            )
        images = to_model_range(images)
    else:
        images = np.asarray(images, dtype="float32")
    if images.shape[1:] != tuple(e if e is not None else s for e, s in zip(expected, images.shape[1:])):
        hint = ""
        if len(expected) == 1 and images.ndim > 2:
            hint = (" This model takes vectors: did you pass a generator? A GAN application "
                    "returns its discriminator with `include_discriminator=True`.")
        raise ValueError(
            f"The discriminator {name!r} takes inputs of shape {expected}; received images of "
            f"shape {images.shape[1:]}.{hint}"
        )
    return images


def discriminator_features(model_or_discriminator, images, layer=None, batch_size=256):
    """Features of a frozen discriminator for `images`, as float64 `(n, feature_dim)`.

    The discriminator runs in inference mode (`training=False`: BatchNorm
    moving statistics, no dropout) and is not changed. See `discriminator_feature_model`
    for the choice of layer.

    Args:
        model_or_discriminator: a GAN (its `.discriminator`) or a
            functional/Sequential discriminator `keras.Model`.
        images: `(n, height, width[, channels])`, float in [-1, 1] or uint8.
        layer: see `discriminator_feature_model`.
        batch_size: images per forward pass.

    Returns:
        float64 NumPy array `(n, feature_dim)` (each feature map flattened).

    Example:

    >>> gan = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
    >>> keras_gen.metrics.discriminator_features(gan, x[:10]).shape
    (10, 3136)
    """
    features_model, _ = discriminator_feature_model(model_or_discriminator, layer)
    return _run_feature_model(features_model, images, batch_size)


def _run_feature_model(features_model, images, batch_size):
    if int(batch_size) < 1:
        raise ValueError(f"`batch_size` must be >= 1; received {batch_size!r}.")
    images = _prepare_images(images, features_model.inputs[0].shape, features_model.name)
    if len(images) == 0:
        raise ValueError("`images` is empty; pass at least one image per class.")
    # Equal batches (the last one padded): the compiled predict function is traced once.
    size = min(int(batch_size), len(images))
    batches = []
    for start in range(0, len(images), size):
        batch = images[start : start + size]
        valid = len(batch)
        if valid < size:
            batch = np.concatenate([batch, np.repeat(batch[-1:], size - valid, axis=0)], axis=0)
        features = np.asarray(features_model.predict_on_batch(batch), dtype=np.float64)[:valid]
        batches.append(features.reshape(valid, -1))
    return np.concatenate(batches, axis=0)


def discriminator_probe(
    model_or_discriminator,
    images,
    labels,
    layer=None,
    holdout=0.25,
    seed=0,
    l2=1e-2,
    max_iterations=200,
    batch_size=256,
    return_details=False,
):
    """Accuracy of a linear classifier on a frozen discriminator's features.

    "Use the discriminator's features for a classification network and train
    only the last layer": a discriminator that has learned the data has
    features in which the classes are linearly separable, much more so than
    a randomly initialised one of the same architecture. The features of
    `layer` (default: the input of the logit layer, flattened; see
    `discriminator_feature_model`) are extracted with the discriminator frozen, and a
    linear softmax classifier is fitted on a stratified training split and
    scored on the rest (`linear_probe`: standardised features, small L2,
    full-batch L-BFGS in NumPy float64, deterministic).

    Supported discriminators: any functional or Sequential one whose features
    see only the images: unconditional ones (DCGAN, SAGAN, MLP) and
    `"projection"` or `"auxiliary"` conditional ones (the label-free phi(x)
    before the projection or the class head). A `"concat"` discriminator sees
    the labels in every layer and is refused.

    Args:
        model_or_discriminator: a GAN (its `.discriminator` is used) or a
            discriminator `keras.Model`.
        images: real images `(n, height, width[, channels])`, float in
            [-1, 1] or uint8; a few hundred labelled images suffice.
        labels: `(n,)` integer class labels.
        layer: None, a layer name, index or layer (see `discriminator_feature_model`).
        holdout: fraction of each class held out for the accuracy.
        seed: seed of the split.
        l2: L2 penalty of the classifier.
        max_iterations: L-BFGS iterations.
        batch_size: images per forward pass.
        return_details: return `linear_probe`'s dict (accuracy, train
            accuracy, chance, ...) plus `layer`, the layer used.

    Returns:
        The held-out accuracy (float in [0, 1]; chance is `1 / num_classes`),
        or a dict with `return_details=True`.

    Raises:
        ValueError: a model without a usable discriminator, images of the
            wrong shape, labels that are not integers or not one per image,
            fewer than two classes or fewer than two images of a class.

    Example:

    >>> gan = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
    >>> (_, _), (x, y) = keras_gen.datasets.mnist.load_data(source="embedded")
    >>> x = keras_gen.datasets.scale_images(x)
    >>> round(keras_gen.metrics.discriminator_probe(gan, x[:600], y[:600], holdout=0.5), 2)
    0.91
    >>> random = keras.models.clone_model(gan.discriminator)  # same shape, fresh weights
    >>> round(keras_gen.metrics.discriminator_probe(random, x[:600], y[:600], holdout=0.5), 2)
    0.84  # about: it depends on the random weights

    Reference:
        Radford, Metz & Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016
        (arXiv:1511.06434), Section 5.1.
    """
    labels = check_probe_labels(labels, num_samples=len(images))
    # Check the split before the forward pass, so bad labels fail fast.
    probe_split(labels, holdout=holdout, seed=seed)
    features_model, description = discriminator_feature_model(model_or_discriminator, layer)
    return probe_feature_model(
        features_model, description, images, labels, holdout=holdout, seed=seed, l2=l2,
        max_iterations=max_iterations, batch_size=batch_size, return_details=return_details,
    )


def probe_feature_model(
    features_model, description, images, labels, holdout=0.25, seed=0, l2=1e-2,
    max_iterations=200, batch_size=256, return_details=False,
):
    """`discriminator_probe` with a feature model made by `discriminator_feature_model`.

    For repeated probes of the same discriminator (a callback): the feature
    model shares the discriminator's variables, so it sees its current weights.
    """
    features = _run_feature_model(features_model, images, batch_size)
    result = linear_probe(
        features, labels, holdout=holdout, seed=seed, l2=l2, max_iterations=max_iterations,
        return_details=return_details,
    )
    if return_details:
        result["layer"] = description
    return result
