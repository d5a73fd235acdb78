"""A history of generated images for the discriminator (CycleGAN's image buffer)."""

import keras
from keras import ops

from keras_gen.distributed.seeds import ReplicaSeedGenerator


@keras.saving.register_keras_serializable(package="keras_gen")
class ImagePool(keras.layers.Layer):
    """Keeps the last generated images and sometimes returns an old one instead of a new one.

    Showing the discriminator a history of generated images, not only the
    latest generator's, damps oscillation between G and D (Shrivastava et al.
    2017); CycleGAN uses a pool of 50 images per domain.

    The rule, per image, in batch order (the same as the reference
    implementation processing the batch one image at a time):

    - while the pool holds fewer than `pool_size` images, the image is stored
      in the next free slot and returned unchanged;
    - once the pool is full, with probability 0.5 a slot is drawn uniformly,
      the image stored there is returned and the new image takes its place;
      otherwise the new image is returned and the pool is left alone.

    The call is vectorised over the batch but keeps that sequential meaning
    exactly: an image can fill the last free slots and a later image of the
    same batch can already swap with it; when two images of one batch draw
    the same slot, the second returns the first one's image and the slot ends
    up holding the last writer's image.

    The state is two non-trainable variables, `buffer` of shape
    `(pool_size, height, width, channels)` and the integer `count` of stored
    images, plus a `keras.random.SeedGenerator`. They are updated with
    `keras.ops` only, so the pool works inside a jitted JAX train step (the
    state is threaded as non-trainable variables), in TF graphs and in torch,
    and its contents are saved with the layer in `.keras` files and weights
    files. Input height, width and channels must be known when the layer is
    built.

    Called with `training=False` (e.g. inside `predict()`), the layer returns
    its inputs and leaves the pool unchanged. `pool_size=0` disables the pool.

    Args:
        pool_size: number of stored images; 50 in CycleGAN.
        seed: int or `None`, the seed of the layer's `SeedGenerator`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`).

    Returns:
        A layer mapping a batch of images to a batch of the same shape.

    Example:

    >>> pool = keras_gen.layers.ImagePool(pool_size=50)
    >>> fake_for_discriminator = pool(fake_images)  # inside the D loss

    Reference:
        Shrivastava et al., "Learning from Simulated and Unsupervised Images
        through Adversarial Training", CVPR 2017
        (https://arxiv.org/abs/1612.07828); Zhu et al., "Unpaired
        Image-to-Image Translation using Cycle-Consistent Adversarial
        Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593).
    """

    def __init__(self, pool_size=50, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(pool_size, int) or isinstance(pool_size, bool) or pool_size < 0:
            raise ValueError(
                f"`pool_size` must be a non-negative int (0 disables the pool); "
                f"received {pool_size!r}."
            )
        self.pool_size = pool_size
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 4 or any(d is None for d in input_shape[1:]):
            raise ValueError(
                "ImagePool needs images of a known shape (batch, height, width, "
                f"channels) when it is built; received {input_shape}. Give the "
                "model's inputs a fixed image shape."
            )
        if self.pool_size > 0:
            self.buffer = self.add_weight(
                shape=(self.pool_size,) + tuple(input_shape[1:]),
                initializer="zeros",
                trainable=False,
                name="buffer",
            )
            self.count = self.add_weight(
                shape=(), initializer="zeros", dtype="int32", trainable=False, name="count"
            )
        self.built = True

    def call(self, images, training=True):
        if self.pool_size == 0 or not training:
            return images
        batch_size = ops.shape(images)[0]
        pool_size = self.pool_size
        count = ops.convert_to_tensor(self.count)
        buffer = ops.convert_to_tensor(self.buffer)
        position = ops.arange(batch_size, dtype="int32")

        # Per image: fills a free slot, swaps with a random slot, or neither.
        fills = (count + position) < pool_size
        coin = keras.random.uniform((batch_size,), seed=self.seed_generator)
        drawn = keras.random.randint(
            (batch_size,), 0, pool_size, dtype="int32", seed=self.seed_generator
        )
        swaps = ops.logical_and(ops.logical_not(fills), coin < 0.5)
        write_slot = ops.where(fills, count + position, ops.where(swaps, drawn, -1))

        # A swapping image returns what its slot holds at its turn: the image of
        # the latest earlier writer to that slot in this batch, else the buffer.
        same_slot = ops.logical_and(
            ops.equal(write_slot[:, None], write_slot[None, :]), write_slot[:, None] >= 0
        )
        earlier = position[None, :] < position[:, None]
        previous_writer = ops.max(
            ops.where(ops.logical_and(same_slot, earlier), position[None, :], -1), axis=1
        )
        from_batch = ops.take(images, ops.maximum(previous_writer, 0), axis=0)
        from_buffer = ops.cast(
            ops.take(buffer, ops.clip(write_slot, 0, pool_size - 1), axis=0), images.dtype
        )
        stored = ops.where(
            ops.reshape(previous_writer >= 0, (-1, 1, 1, 1)), from_batch, from_buffer
        )
        outputs = ops.where(ops.reshape(swaps, (-1, 1, 1, 1)), stored, images)

        # Each slot ends up with its last writer's image.
        slots = ops.arange(pool_size, dtype="int32")
        writes = ops.equal(write_slot[:, None], slots[None, :])
        last_writer = ops.max(ops.where(writes, position[:, None], -1), axis=0)
        new_buffer = ops.where(
            ops.reshape(last_writer >= 0, (-1, 1, 1, 1)),
            ops.take(images, ops.maximum(last_writer, 0), axis=0),
            buffer,
        )
        self.buffer.assign(ops.cast(new_buffer, self.buffer.dtype))
        self.count.assign(ops.minimum(count + ops.cast(batch_size, "int32"), pool_size))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "seed": self.seed})
        return config
