"""Class-conditional batch normalization (SAGAN / BigGAN generators)."""

import keras
from keras import ops

from keras_gen.layers.batch_normalization import BatchNormalization


@keras.saving.register_keras_serializable(package="keras_gen")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization whose gain and bias depend on a condition.

    Called as `layer([x, condition])`. `x` is normalized by a
    `keras.layers.BatchNormalization(center=False, scale=False)` (batch
    statistics in training, moving statistics in inference), then
    `y = gain * x_hat + bias` with a per-sample, per-channel gain and bias:

    - `num_classes` given: `condition` holds integer labels `(batch,)` or
      `(batch, 1)`; gain and bias are rows of learned class tables
      initialised at 1 and 0 (Dumoulin et al. 2017; de Vries et al. 2017;
      SAGAN; Miyato & Koyama 2018).
    - `num_classes=None`: `condition` is a float vector `(batch, dim)` (BigGAN's
      shared class embedding concatenated with a latent chunk); gain is
      `1 + condition @ W_gain` and bias is `condition @ W_bias`. The projection
      kernels default to zeros so the layer starts as plain batch norm;
      BigGAN uses orthogonal initialisation here.

    `axis` is the channel axis: -1 for channels-last maps (default), 1 for
    channels-first ones; the statistics, the gain and the bias are per
    channel on that axis, with the same weights in either layout.

    Args:
        num_classes: number of classes, or `None` for the linear projection of
            a float conditioning vector.
        momentum: momentum of the moving statistics (Keras default 0.99).
        epsilon: added to the variance (Keras default 1e-3; BigGAN uses 1e-5).
        projection_initializer: initializer of the projection kernels when
            `num_classes=None`.
        axis: the channel axis of `x` (-1, or 1 for channels-first maps).
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor with the shape of `x`.

    Example:

    ```python
    cbn = keras_gen.layers.ConditionalBatchNormalization(num_classes=10)
    y = cbn([keras.random.normal((4, 8, 8, 16)), keras.ops.array([0, 1, 2, 3])],
            training=True)
    proj = keras_gen.layers.ConditionalBatchNormalization(num_classes=None)
    y = proj([keras.random.normal((4, 8, 8, 16)), keras.random.normal((4, 148))])
    ```

    Reference:
        de Vries et al., "Modulating early visual processing by language",
        NeurIPS 2017; Miyato & Koyama, "cGANs with Projection Discriminator",
        ICLR 2018; Brock et al., "Large Scale GAN Training for High Fidelity
        Natural Image Synthesis", ICLR 2019.
    """

    def __init__(
        self,
        num_classes=None,
        momentum=0.99,
        epsilon=1e-3,
        projection_initializer="zeros",
        axis=-1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_classes is not None and int(num_classes) < 1:
            raise ValueError(
                "`num_classes` must be a positive integer, or None to project a "
                f"float conditioning vector. Received: num_classes={num_classes}"
            )
        self.num_classes = None if num_classes is None else int(num_classes)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.projection_initializer = keras.initializers.get(projection_initializer)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(
                f"`axis` must be an int, the channel axis (-1, or 1 for channels-first maps). "
                f"Received: axis={axis!r}"
            )
        self.axis = axis
        self.batch_norm = BatchNormalization(
            axis=axis,
            center=False,
            scale=False,
            momentum=self.momentum,
            epsilon=self.epsilon,
            dtype=self.dtype_policy,
            name="batch_norm",
        )

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(
                "ConditionalBatchNormalization is called as layer([x, condition])."
                f" Received input shape {input_shape}"
            )
        x_shape, condition_shape = input_shape
        rank = len(x_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:  # out of range, or the batch
            raise ValueError(
                f"`axis={self.axis}` is not a channel axis of x with shape {x_shape} "
                "(use -1 for channels-last maps, 1 for channels-first ones)."
            )
        channels = x_shape[self.axis]
        self.batch_norm.build(x_shape)
        if self.num_classes is not None:
            self.gain = self.add_weight(
                shape=(self.num_classes, channels), initializer="ones", name="gain"
            )
            self.bias = self.add_weight(
                shape=(self.num_classes, channels), initializer="zeros", name="bias"
            )
        else:
            if len(condition_shape) != 2 or condition_shape[-1] is None:
                raise ValueError(
                    "With num_classes=None the condition must be a float vector "
                    f"(batch, dim). Received condition shape {condition_shape}; "
                    "pass num_classes for integer labels."
                )
            dim = condition_shape[-1]
            self.gain = self.add_weight(
                shape=(dim, channels),
                initializer=self.projection_initializer,
                name="gain_kernel",
            )
            self.bias = self.add_weight(
                shape=(dim, channels),
                initializer=self.projection_initializer,
                name="bias_kernel",
            )

    def call(self, inputs, training=None):
        x, condition = inputs
        normalized = self.batch_norm(x, training=training)
        if self.num_classes is not None:
            labels = ops.reshape(ops.cast(condition, "int32"), (-1,))
            gain = ops.take(self.gain, labels, axis=0)
            bias = ops.take(self.bias, labels, axis=0)
        else:
            condition = ops.cast(condition, self.compute_dtype)
            gain = 1.0 + ops.matmul(condition, self.gain)
            bias = ops.matmul(condition, self.bias)
        # (batch, channels) -> (batch, 1, ..., channels, ..., 1), channels on `axis`.
        rank = len(x.shape)
        channel_axis = self.axis % rank
        broadcast_shape = tuple(
            -1 if i == 0 else x.shape[i] if i == channel_axis else 1 for i in range(rank)
        )
        gain = ops.cast(ops.reshape(gain, broadcast_shape), normalized.dtype)
        bias = ops.cast(ops.reshape(bias, broadcast_shape), normalized.dtype)
        return normalized * gain + bias

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "axis": self.axis,
            "projection_initializer": keras.initializers.serialize(
                self.projection_initializer
            ),
        }
