"""A seed generator whose random streams differ across data-parallel replicas."""

import keras
from keras import ops

from keras_gen.distributed.replicas import replica_index

# Added to the seed once per replica index: any odd constant far from the
# small seeds users pick keeps the replicas' streams apart.
_REPLICA_STRIDE = 1_000_003


class ReplicaSeedGenerator(keras.random.SeedGenerator):
    """A `keras.random.SeedGenerator` that gives every replica its own stream.

    Under `tf.distribute` every replica reads the same mirrored seed state,
    and under `torch.distributed` every rank holds the same seed, so a plain
    `SeedGenerator` makes every replica draw the same latent noise, penalty
    interpolation and augmentation: the fake batches of a step repeat across
    replicas. This generator adds `replica_index() * 1_000_003` to the seed
    it hands out, so replicas draw different values that are still
    reproducible for a given seed and replica count. On one device (and on
    JAX, whose distributed step is one program over the global batch) the
    offset is 0 and the draws are exactly those of `keras.random.SeedGenerator`.

    Every keras_gen model and random layer uses it; use it in your own layers
    the same way.

    Example:

    ```python
    seed_generator = keras_gen.distributed.ReplicaSeedGenerator(0)
    noise = keras.random.normal((4, 8), seed=seed_generator)
    ```
    """

    def next(self, ordered=True):
        seed = super().next(ordered=ordered)
        index = replica_index()
        if isinstance(index, int) and index == 0:
            return seed
        offset = ops.cast(index, seed.dtype) * ops.cast(_REPLICA_STRIDE, seed.dtype)
        return seed + ops.cast(ops.stack([offset, ops.zeros_like(offset)]), seed.dtype)
