"""Feature-matching losses on intermediate discriminator features."""

from keras import ops


def _feature_pairs(real_features, fake_features, name):
    real_list = list(real_features) if isinstance(real_features, (list, tuple)) else [real_features]
    fake_list = list(fake_features) if isinstance(fake_features, (list, tuple)) else [fake_features]
    if not real_list or len(real_list) != len(fake_list):
        raise ValueError(
            f"{name} needs the same non-zero number of real and fake feature maps "
            f"(one per discriminator layer); received {len(real_list)} real and "
            f"{len(fake_list)} fake."
        )
    # Real features are targets: no gradient flows into them.
    return [
        (ops.stop_gradient(ops.cast(real, "float32")), ops.cast(fake, "float32"))
        for real, fake in zip(real_list, fake_list)
    ]


def feature_matching(real_features, fake_features):
    """Feature matching ‖E_x f(x) - E_z f(G(z))‖₂² (Salimans et al. 2016, sec. 3.1).

    For each layer, the features are averaged over the batch (each batch
    separately, so the two may differ in size) and the squared L2 distance
    of the two means is summed over every feature (all positions and
    channels of a feature map). Given lists, the per-layer values are
    averaged over the layers. The real features are treated as constants
    (`stop_gradient`): this is a generator objective.

    Args:
        real_features: `f(x)` on a real batch, `(batch, ...)`, or a list of
            such tensors, one per layer.
        fake_features: `f(G(z))` on a generated batch, matching `real_features`
            (same feature shape per layer; the batch size may differ).

    Returns:
        A float32 scalar.

    Example:

    >>> features = keras.Model(discriminator.inputs,
    ...                        discriminator.get_layer("features").output)
    >>> fm = keras_gen.losses.feature_matching(features(real), features(fake))

    Reference: Salimans et al., "Improved Techniques for Training GANs",
    NeurIPS 2016 (https://arxiv.org/abs/1606.03498), section 3.1.
    """
    values = []
    for real, fake in _feature_pairs(real_features, fake_features, "feature_matching"):
        difference = ops.mean(real, axis=0) - ops.mean(fake, axis=0)
        values.append(ops.sum(ops.square(difference)))
    return values[0] if len(values) == 1 else ops.mean(ops.stack(values))


def feature_matching_l1(real_feature_list, fake_feature_list):
    """pix2pixHD / SPADE feature-matching loss: mean |f(x) - f(G(s))| per layer.

    Paired translation compares the discriminator's features on a real
    image and on the image generated from the same input, element by
    element: per layer, the mean absolute difference over batch and
    features; then the average over layers. Per discriminator scale (then
    averaged over scales), pix2pixHD's term is 4 times this (weights
    `4 / (n_layers_D + 1)` on its `n_layers_D + 1` intermediate layers) and
    SPADE's is the number of layers times it (a plain sum); both are
    weighted by λ_FM = 10. The real features are treated as constants
    (`stop_gradient`), as in both implementations (`.detach()`).

    Args:
        real_feature_list: a list of feature maps of the discriminator on
            real images, one per layer (or a single tensor).
        fake_feature_list: the same layers on generated images, same shapes.

    Returns:
        A float32 scalar.

    Example:

    >>> fm = keras_gen.losses.feature_matching_l1(
    ...     [f(real) for f in feature_models], [f(fake) for f in feature_models])

    References:
        Wang et al., "High-Resolution Image Synthesis and Semantic
        Manipulation with Conditional GANs" (pix2pixHD), CVPR 2018, eq. 4;
        Park et al., "Semantic Image Synthesis with Spatially-Adaptive
        Normalization" (SPADE), CVPR 2019.
    """
    values = [
        ops.mean(ops.abs(real - fake))
        for real, fake in _feature_pairs(real_feature_list, fake_feature_list, "feature_matching_l1")
    ]
    return values[0] if len(values) == 1 else ops.mean(ops.stack(values))
