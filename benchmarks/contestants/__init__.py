"""Contestants the benchmarks time: objects with `warmup()` and `run()` for `harness.serve`.

- `keras_fit.FitContestant`: any compiled Keras model trained with `fit`.
- `handwritten_keras`: the DCGAN as a plain `keras.Model` with a `train_step`
  written the keras.io way for each backend.
- `plain_pytorch`: the DCGAN as `torch.nn` modules and a plain PyTorch loop.

Nothing here imports a framework at module level: a worker imports it after
the driver has set its backend and thread limits.
"""

import math

import numpy as np


def uniform_images(num_images, shape, seed=0):
    """Uniform [-1, 1] float32 images of `shape`; throughput does not depend on content.

    Args:
        num_images: how many images.
        shape: the shape of one image, e.g. `(28, 28, 1)` or `(1, 28, 28)`.
        seed: seed of the NumPy generator.

    Returns:
        A float32 array of shape `(num_images,) + shape`.
    """
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, size=(num_images,) + tuple(shape)).astype("float32")


def loss_warnings(losses, when):
    """A warning (in a list) if any of the `losses` (name -> float) is not finite."""
    if all(math.isfinite(value) for value in losses.values()):
        return []
    return [f"non-finite losses {when}: {losses}"]
