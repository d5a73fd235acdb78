"""Latent-space tools: interpolation, interpolation strips, 2-D code maps, traversals.

They work with any model that has `encode(x)` and `decode(z)` NumPy methods
(`keras_gen.models.AutoEncoder`, `VAE`, `ConditionalVAE`,
`AdversarialAutoencoder`): a VAE's `encode` returns `(mean, log_var)` and its
mean is used as the code. For conditional models pass `labels`.
"""

import numpy as np

from keras_gen.utils.images import make_grid

INTERPOLATIONS = ("linear", "slerp")


def interpolate(z1, z2, num_steps, method="linear"):
    """Points between two latent vectors, endpoints included.

    Args:
        z1: start vector (any shape; treated as one flat vector by slerp).
        z2: end vector of the same shape.
        num_steps: number of points, >= 2.
        method: `"linear"` (`(1 - t) z1 + t z2`) or `"slerp"` (spherical
            interpolation, White 2016: `sin((1-t)Ω)/sin Ω z1 + sin(tΩ)/sin Ω
            z2` with Ω the angle between them; for equal-norm inputs every
            point keeps that norm, the typical radius of a high-dimensional
            Gaussian, where linear paths pass through the unlikely region near
            the origin). Slerp falls back to linear for (anti)parallel or zero
            vectors.

    Returns:
        float32 NumPy array `(num_steps,) + z1.shape`; the first and last
        entries equal `z1` and `z2`.

    Example:

    >>> path = keras_gen.utils.interpolate(np.ones(8), -np.ones(8), 5, method="slerp")
    >>> path.shape
    (5, 8)

    Reference:
        White, "Sampling Generative Networks", arXiv:1609.04468, 2016.
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"`method` must be one of {INTERPOLATIONS}; received {method!r}.")
    if int(num_steps) != num_steps or num_steps < 2:
        raise ValueError(f"`num_steps` must be an integer >= 2; received {num_steps!r}.")
    z1 = np.asarray(z1, dtype="float64")
    z2 = np.asarray(z2, dtype="float64")
    if z1.shape != z2.shape:
        raise ValueError(
            f"`z1` and `z2` must have the same shape; received {z1.shape} and {z2.shape}."
        )
    t = np.linspace(0.0, 1.0, int(num_steps)).reshape((-1,) + (1,) * z1.ndim)
    linear = (1.0 - t) * z1 + t * z2
    if method == "slerp":
        n1, n2 = np.linalg.norm(z1), np.linalg.norm(z2)
        if n1 > 0 and n2 > 0:
            cosine = np.clip(np.sum(z1 * z2) / (n1 * n2), -1.0, 1.0)
            omega = np.arccos(cosine)
            sin_omega = np.sin(omega)
            if sin_omega > 1e-6:
                linear = (
                    np.sin((1.0 - t) * omega) / sin_omega * z1
                    + np.sin(t * omega) / sin_omega * z2
                )
    out = linear.astype("float32")
    out[0], out[-1] = z1, z2
    return out


def _encode_codes(model, images, labels):
    images = np.asarray(images, dtype="float32")
    codes = model.encode(images) if labels is None else model.encode(images, labels)
    if isinstance(codes, (tuple, list)):  # a VAE's (mean, log_var)
        codes = codes[0]
    return np.asarray(codes)


def _decode(model, codes, labels):
    if labels is None:
        return model.decode(codes)
    return model.decode(codes, labels)


def _conditional(model):
    return getattr(model, "num_classes", None) is not None


def _check_labels(model, labels):
    if _conditional(model) and labels is None:
        raise ValueError(
            f"{model.__class__.__name__} is conditional: pass `labels` (an int class)."
        )
    if not _conditional(model) and labels is not None:
        raise ValueError(f"{model.__class__.__name__} is not conditional: drop `labels`.")


def interpolation_strip(
    model, image_a, image_b, num_steps=8, method="linear", labels=None, include_inputs=False
):
    """Encodes two images, interpolates their codes and decodes the path.

    Args:
        model: a model of the autoencoder family (`encode` / `decode`).
        image_a: one image `(height, width, channels)` in [-1, 1].
        image_b: another image of the same shape.
        num_steps: decoded points, endpoints included.
        method: `"linear"` or `"slerp"` (see `interpolate`).
        labels: conditional models only: one int class used to encode both
            images and to decode every point.
        include_inputs: put `image_a` and `image_b` themselves at both ends.

    Returns:
        A uint8 image strip (one row, `keras_gen.utils.make_grid`),
        `(height + 4, n * (width + 2) + 2, channels)`.

    Example:

    >>> strip = keras_gen.utils.interpolation_strip(vae, x[0], x[1], num_steps=8)
    >>> keras_gen.utils.save_image(strip, "interpolation.png")
    """
    _check_labels(model, labels)
    pair = np.stack([np.asarray(image_a), np.asarray(image_b)]).astype("float32")
    pair_labels = None if labels is None else np.full((2,), labels)
    codes = _encode_codes(model, pair, pair_labels)
    path = interpolate(codes[0], codes[1], num_steps, method=method)
    path_labels = None if labels is None else np.full((num_steps,), labels)
    images = _decode(model, path, path_labels)
    if include_inputs:
        images = np.concatenate([pair[:1], images, pair[1:]], axis=0)
    return make_grid(images, num_rows=1)


def latent_scatter(model, images, labels, path, dims=None, class_labels=None, title=None):
    """Saves a scatter plot of 2-D codes coloured by label as a PNG.

    Args:
        model: a model of the autoencoder family (for a conditional model,
            `class_labels` are the labels given to its encoder).
        images: images `(n, height, width, channels)` in [-1, 1].
        labels: `(n,)` integer labels used for the colours.
        path: PNG file to write.
        dims: two latent dimensions to plot; None requires a 2-D latent space.
        class_labels: conditional models only: labels passed to `encode`
            (default: `labels`).
        title: optional plot title.

    Returns:
        `path`. Uses Matplotlib's Agg canvas directly, so it never opens a
        window nor changes the global Matplotlib backend.

    Example:

    >>> keras_gen.utils.latent_scatter(vae, x_test, y_test, "latents.png")
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(images):
        raise ValueError(
            f"Received {len(images)} images but {len(labels)} labels; pass one label per image."
        )
    encode_labels = None
    if _conditional(model):
        encode_labels = labels if class_labels is None else class_labels
    codes = _encode_codes(model, images, encode_labels)
    if dims is None:
        if codes.shape[1] != 2:
            raise ValueError(
                f"The codes have {codes.shape[1]} dimensions; pass `dims=(i, j)` to choose "
                "two of them, or train a model with latent_dim=2."
            )
        dims = (0, 1)
    dims = tuple(int(d) for d in dims)
    if len(dims) != 2 or not all(0 <= d < codes.shape[1] for d in dims):
        raise ValueError(
            f"`dims` must be two latent indices in [0, {codes.shape[1] - 1}]; received {dims}."
        )
    figure = Figure(figsize=(6, 5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    points = axes.scatter(
        codes[:, dims[0]], codes[:, dims[1]], c=labels, cmap="tab10", s=6, alpha=0.8
    )
    figure.colorbar(points, ax=axes, label="label")
    axes.set_xlabel(f"z[{dims[0]}]")
    axes.set_ylabel(f"z[{dims[1]}]")
    if title:
        axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def latent_traversal_grid(model, dims, values, base=None, labels=None):
    """Decodes codes that vary one latent dimension at a time.

    Row `i` sets `z[dims[i]]` to each of `values` in turn, other dimensions
    taken from `base`.

    Args:
        model: a model of the autoencoder family.
        dims: latent dimensions to traverse (one row each).
        values: the values to give each dimension (one column each), e.g.
            `np.linspace(-3, 3, 9)`.
        base: the code the traversal starts from, `(latent_dim,)`; default
            zeros (the prior mean).
        labels: conditional models only: one int class for every image.

    Returns:
        A uint8 grid `len(dims)` rows by `len(values)` columns
        (`keras_gen.utils.make_grid`).

    Example:

    >>> grid = keras_gen.utils.latent_traversal_grid(vae, dims=[0, 1, 2],
    ...     values=np.linspace(-3, 3, 9))
    """
    _check_labels(model, labels)
    latent_dim = int(model.latent_dim)
    dims = [int(d) for d in np.atleast_1d(dims)]
    values = np.asarray(values, dtype="float32").reshape(-1)
    if not dims or not all(0 <= d < latent_dim for d in dims):
        raise ValueError(
            f"`dims` must be latent indices in [0, {latent_dim - 1}]; received {dims}."
        )
    if values.size == 0:
        raise ValueError("`values` must hold at least one value.")
    base = np.zeros((latent_dim,), "float32") if base is None else np.asarray(base, "float32")
    if base.shape != (latent_dim,):
        raise ValueError(f"`base` must have shape ({latent_dim},); received {base.shape}.")
    codes = np.repeat(base[None], len(dims) * len(values), axis=0)
    for row, dim in enumerate(dims):
        codes[row * len(values) : (row + 1) * len(values), dim] = values
    code_labels = None if labels is None else np.full((len(codes),), labels)
    images = _decode(model, codes, code_labels)
    return make_grid(images, num_rows=len(dims))
