"""Vector arithmetic in a generator's latent space ("man with glasses - man + woman").

Radford et al. (2016) found that averaging the latents of a few samples that
share a visual concept, then adding and subtracting such averages, moves a
DCGAN's samples along that concept. `latent_arithmetic` computes
`mean(a) + mean(b) - mean(c)` and generates its image; `latent_groups` finds
groups for it by scoring generated samples with a function of the images
(stroke thickness, a classifier's probability, ...).

Both work with any model that generates from explicit latents:
`keras_gen.models.GAN` and its subclasses, `VAE` and `AdversarialAutoencoder`
(`generate(n, latents=...)` and `latent_dim`), conditional ones with
`labels=`, and a plain generator `keras.Model` mapping `(batch, latent_dim)`
to images (e.g. `keras_gen.applications.DCGAN(weights="dcgan_mnist")`).
"""

import collections.abc
import inspect

import keras
import numpy as np

GROUP_NAMES = ("a", "b", "c")


def _generate_arguments(model):
    generate = getattr(model, "generate", None)
    if generate is None:
        return None
    try:
        return set(inspect.signature(generate).parameters)
    except (TypeError, ValueError):
        return None


def _latent_size(model):
    """The latent size of `model`: its `latent_dim`, or a generator model's input width."""
    latent_dim = getattr(model, "latent_dim", None)
    if latent_dim is not None:
        return int(latent_dim)
    if isinstance(model, keras.Model):
        try:
            shape = model.inputs[0].shape if len(model.inputs) == 1 else None
        except (AttributeError, ValueError, TypeError):
            shape = None
        if shape is not None and len(shape) == 2 and shape[-1] is not None:
            return int(shape[-1])
    raise ValueError(
        f"Cannot tell the latent size of {type(model).__name__}: pass a model with "
        "`latent_dim` and `generate(num_samples, latents=...)` (a keras_gen GAN, VAE or "
        "AdversarialAutoencoder) or a generator `keras.Model` with one `(batch, latent_dim)` input."
    )


def _is_conditional(model):
    return getattr(model, "num_classes", None) is not None


def _check_labels(model, labels):
    if _is_conditional(model) and labels is None:
        raise ValueError(
            f"{type(model).__name__} is conditional: pass `labels=` (one int class for every "
            "image, or one per image)."
        )
    if not _is_conditional(model) and labels is not None:
        raise ValueError(f"{type(model).__name__} is not conditional: drop `labels`.")


def _generate(model, latents, labels=None, use_ema=True, batch_size=256):
    """Images of `model` for explicit latents `(n, latent_dim)`, as a NumPy array.

    Uses `model.generate(n, latents=..., [labels=...], [use_ema=...])` when
    the model has it, else calls a generator `keras.Model` in batches
    (`training=False`).
    """
    latents = np.asarray(latents, dtype="float32")
    arguments = _generate_arguments(model)
    if arguments is not None and "latents" in arguments:
        kwargs = {"latents": latents, "batch_size": int(batch_size)}
        if "use_ema" in arguments:
            kwargs["use_ema"] = use_ema
        if labels is not None:
            kwargs["labels"] = labels
        return np.asarray(model.generate(len(latents), **kwargs))
    if isinstance(model, keras.Model):
        if labels is not None:
            raise ValueError("A plain generator `keras.Model` takes no `labels`; drop them.")
        batches = [
            keras.ops.convert_to_numpy(model(latents[start : start + int(batch_size)], training=False))
            for start in range(0, len(latents), int(batch_size))
        ]
        return np.concatenate(batches, axis=0) if batches else np.zeros((0,), "float32")
    raise ValueError(
        f"{type(model).__name__} cannot generate from given latents: pass a model with "
        "`generate(num_samples, latents=...)` or a generator `keras.Model`."
    )


def _group_vectors(name, group, latents, latent_dim):
    """A group as a float64 `(k, latent_dim)` array: latent vectors, or indices into `latents`."""
    if isinstance(group, (list, tuple, range)):
        group = np.asarray(group)
    elif not isinstance(group, np.ndarray):
        group = np.asarray(keras.ops.convert_to_numpy(group))
    if group.size == 0:
        raise ValueError(
            f"Group {name!r} is empty; give it at least one latent vector (or index into "
            "`latents`). `keras_gen.utils.latent_groups` finds groups by an attribute."
        )
    if group.dtype == bool or np.issubdtype(group.dtype, np.integer):
        if latents is None:
            raise ValueError(
                f"Group {name!r} holds integers, which are read as sample indices: pass the "
                "latents they index as `latents=` (e.g. `latent_groups(...)['latents']`), or "
                "give the group as float latent vectors."
            )
        if group.dtype == bool or group.ndim != 1:
            raise ValueError(
                f"Group {name!r}: indices must be a 1-D sequence of ints; received "
                f"{group.dtype} of shape {group.shape}."
            )
        if group.min() < -len(latents) or group.max() >= len(latents):
            raise ValueError(
                f"Group {name!r} has indices outside [0, {len(latents) - 1}] (the rows of "
                "`latents`)."
            )
        return latents[group]
    group = np.asarray(group, dtype="float64")
    if group.ndim == 1:
        group = group[None]
    if group.ndim != 2 or group.shape[1] != latent_dim:
        raise ValueError(
            f"Group {name!r} must hold latent vectors of size {latent_dim} (the model's "
            f"latent size), shape (k, {latent_dim}) or ({latent_dim},); received shape "
            f"{group.shape}."
        )
    if not np.all(np.isfinite(group)):
        raise ValueError(f"Group {name!r} holds NaN or infinite values.")
    return group


def _named_groups(groups):
    if isinstance(groups, collections.abc.Mapping):
        if set(groups) != set(GROUP_NAMES):
            raise ValueError(
                "`groups` as a mapping needs exactly the keys 'a', 'b' and 'c' (the result is "
                f"mean(a) + mean(b) - mean(c)); received keys {sorted(map(str, groups))}."
            )
        return [(name, groups[name]) for name in GROUP_NAMES]
    if isinstance(groups, (str, bytes)) or not isinstance(groups, collections.abc.Sequence):
        raise ValueError(
            "`groups` must be a sequence (a, b, c) or a mapping {'a': ..., 'b': ..., 'c': ...} "
            f"of latent groups; received {type(groups).__name__}."
        )
    if len(groups) != 3:
        raise ValueError(
            "`groups` must hold three groups (a, b, c): the result is mean(a) + mean(b) - "
            f"mean(c); received {len(groups)}."
        )
    return list(zip(GROUP_NAMES, groups))


def latent_arithmetic(
    model,
    groups,
    latents=None,
    scale=1.0,
    average_a=True,
    num_variations=0,
    noise=0.25,
    seed=0,
    labels=None,
    use_ema=True,
    batch_size=256,
    return_latents=False,
):
    """Generates the image of `mean(a) + scale * (mean(b) - mean(c))` in latent space.

    The DCGAN paper's "smiling woman - neutral woman + neutral man = smiling
    man": average the latents of a few samples per concept (single samples
    are noisy), combine the averages, generate. With `average_a=False` the
    direction `mean(b) - mean(c)` is added to every vector of `a` instead,
    one image each: the way to transfer an attribute to given samples (thin
    digits + (thick - thin) = thick digits).

    Args:
        model: a model that generates from latents: a keras_gen GAN, VAE or
            AdversarialAutoencoder (`latent_dim`, `generate(n, latents=...)`),
            or a generator `keras.Model` with one `(batch, latent_dim)` input.
        groups: three groups `(a, b, c)`, or a mapping with the keys `"a"`,
            `"b"`, `"c"`. Each group is latent vectors `(k, latent_dim)` (or
            one vector `(latent_dim,)`), or, with `latents`, a 1-D sequence
            of integer indices into `latents` (samples you labelled by eye).
        latents: `(n, latent_dim)` latents that integer groups index.
        scale: how far to move along `mean(b) - mean(c)` (1: the plain sum).
        average_a: True: one result from `mean(a)`; False: one result per
            vector of `a`.
        num_variations: with `average_a`, also generate this many results
            with uniform noise in `[-noise, noise]` added to the vector, as
            the paper shows the robustness of the arithmetic.
        noise: half-width of that uniform noise.
        seed: NumPy seed of the noise.
        labels: conditional models only: one int class, or one per result.
        use_ema: generate with the generator's moving average when the model
            keeps one.
        batch_size: latents per generator call.
        return_latents: also return the latent vectors that were generated.

    Returns:
        NumPy images `(m,) + image_shape` (`m = 1 + num_variations`, or
        `len(a)` with `average_a=False`); with `return_latents`, the tuple
        `(images, latents)` with float32 `latents` `(m, latent_dim)`.

    Raises:
        ValueError: not three groups, an empty group, vectors of the wrong
            size, integer groups without `latents` or out of range, or a
            model that cannot generate from latents.

    Example:

    >>> generator = keras_gen.applications.DCGAN(weights="dcgan_mnist")
    >>> ink = lambda images: (images + 1).mean(axis=(1, 2, 3)) / 2
    >>> found = keras_gen.utils.latent_groups(generator, ink, num_samples=1000)
    >>> thin = found["low"][:8]
    >>> thicker = keras_gen.utils.latent_arithmetic(
    ...     generator, (thin, found["high"], found["low"]), average_a=False)
    >>> ink(thicker).mean() > ink(generator.predict(thin)).mean()
    True

    Reference:
        Radford, Metz & Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016
        (arXiv:1511.06434), Section 6.3 (vector arithmetic on face samples).
    """
    latent_dim = _latent_size(model)
    _check_labels(model, labels)
    if latents is not None:
        latents = np.asarray(latents, dtype="float64")
        if latents.ndim != 2 or latents.shape[1] != latent_dim:
            raise ValueError(
                f"`latents` must have shape (n, {latent_dim}); received {latents.shape}."
            )
    vectors = {name: _group_vectors(name, group, latents, latent_dim) for name, group in _named_groups(groups)}
    if not isinstance(scale, (int, float, np.number)) or not np.isfinite(scale):
        raise ValueError(f"`scale` must be a finite number; received {scale!r}.")
    if int(num_variations) != num_variations or num_variations < 0:
        raise ValueError(f"`num_variations` must be an integer >= 0; received {num_variations!r}.")
    if num_variations and not average_a:
        raise ValueError(
            "`num_variations` adds noisy copies of the one averaged result: use it with "
            "average_a=True, or leave it at 0."
        )
    if not noise >= 0:
        raise ValueError(f"`noise` must be >= 0; received {noise!r}.")
    direction = vectors["b"].mean(axis=0) - vectors["c"].mean(axis=0)
    if average_a:
        base = vectors["a"].mean(axis=0, keepdims=True)
    else:
        base = vectors["a"]
    result = base + float(scale) * direction
    if num_variations:
        rng = np.random.default_rng(seed)
        jitter = rng.uniform(-noise, noise, (int(num_variations), latent_dim))
        result = np.concatenate([result, result + jitter], axis=0)
    result = result.astype("float32")
    if labels is not None and np.ndim(labels) == 0:
        labels = np.full((len(result),), int(labels))
    images = _generate(model, result, labels=labels, use_ema=use_ema, batch_size=batch_size)
    return (images, result) if return_latents else images


def latent_groups(
    model,
    attribute_fn,
    num_samples=1000,
    group_size=None,
    seed=0,
    labels=None,
    use_ema=True,
    batch_size=256,
):
    """Generates samples, scores them by `attribute_fn`, and returns the latents of both extremes.

    The groups for `latent_arithmetic` without labelling by hand: e.g. the
    thickest and thinnest strokes (`attribute_fn` = mean ink), or the
    samples a classifier is most and least sure are a 7 (`attribute_fn` =
    that class's probability).

    Args:
        model: see `latent_arithmetic`.
        attribute_fn: `fn(images) -> (n,)` numbers, one per image (higher: more
            of the attribute); images are NumPy arrays as the model
            generates them (in [-1, 1] for keras_gen models).
        num_samples: samples to generate and score (>= 2).
        group_size: latents per group; default `num_samples // 10` (at least 1).
        seed: NumPy seed of the latents (a keras_gen GAN draws them as
            `model.generate(num_samples, seed=seed)` does, so the samples
            are the same).
        labels: conditional models only: one int class, or one per sample.
        use_ema: generate with the generator's moving average, if kept.
        batch_size: latents per generator call.

    Returns:
        A dict: `"high"` and `"low"` (float32 `(group_size, latent_dim)`
        latents of the highest and lowest scores, highest/lowest first),
        `"high_indices"`, `"low_indices"` (their rows in `"latents"`),
        `"latents"` (all `(num_samples, latent_dim)`), `"scores"`
        (`(num_samples,)` float64) and `"images"` (the generated samples).

    Raises:
        ValueError: too few samples, a group size outside
            `[1, num_samples // 2]`, or an `attribute_fn` that does not give
            one finite number per image.

    Example:

    >>> gan = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
    >>> found = keras_gen.utils.latent_groups(
    ...     gan, lambda x: (x + 1).mean(axis=(1, 2, 3)) / 2, num_samples=1000, group_size=100)
    >>> thick_minus_thin = found["high"].mean(0) - found["low"].mean(0)

    Reference:
        Radford, Metz & Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016
        (arXiv:1511.06434), Section 6.3.
    """
    if not callable(attribute_fn):
        raise ValueError(
            "`attribute_fn` must be a function of the images returning one number per image, "
            f"e.g. `lambda x: x.mean(axis=(1, 2, 3))`; received {type(attribute_fn).__name__}."
        )
    if int(num_samples) != num_samples or num_samples < 2:
        raise ValueError(f"`num_samples` must be an integer >= 2; received {num_samples!r}.")
    num_samples = int(num_samples)
    if group_size is None:
        group_size = max(num_samples // 10, 1)
    if int(group_size) != group_size or not 1 <= group_size <= num_samples // 2:
        raise ValueError(
            f"`group_size` must be an integer in [1, num_samples // 2 = {num_samples // 2}] so "
            f"the two groups do not overlap; received {group_size!r}."
        )
    group_size = int(group_size)
    latent_dim = _latent_size(model)
    _check_labels(model, labels)
    latents_for = getattr(model, "latents_for", None)
    if callable(latents_for):
        latents = np.asarray(latents_for(num_samples, seed=seed), dtype="float32")
    else:
        latents = np.random.default_rng(seed).standard_normal((num_samples, latent_dim)).astype("float32")
    if labels is not None and np.ndim(labels) == 0:
        labels = np.full((num_samples,), int(labels))
    images = _generate(model, latents, labels=labels, use_ema=use_ema, batch_size=batch_size)
    scores = attribute_fn(images)
    if not isinstance(scores, np.ndarray):
        scores = keras.ops.convert_to_numpy(scores)
    scores = np.asarray(scores)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.shape != (num_samples,) or not np.issubdtype(scores.dtype, np.number):
        raise ValueError(
            f"`attribute_fn` must return one number per image, shape ({num_samples},); "
            f"received {scores.dtype} of shape {scores.shape}. For class probabilities pick "
            "a column, e.g. `lambda x: classifier.predict(x)[:, 7]`."
        )
    scores = scores.astype("float64")
    if not np.all(np.isfinite(scores)):
        raise ValueError("`attribute_fn` returned NaN or infinite scores.")
    order = np.argsort(scores, kind="stable")
    low = order[:group_size]
    high = order[::-1][:group_size]
    return {
        "high": latents[high],
        "low": latents[low],
        "high_indices": high,
        "low_indices": low,
        "latents": latents,
        "scores": scores,
        "images": images,
    }
