"""Batch normalization over the global batch of a data-parallel run."""

import keras


def sync_batch_norm(model, enabled=True):
    """Makes every `BatchNormalization` of `model` normalize with global-batch statistics.

    In data-parallel training each replica sees only its part of the batch;
    by default a `keras.layers.BatchNormalization` normalizes with (and
    keeps moving averages of) that part's mean and variance, as PyTorch DDP
    does without `SyncBatchNorm`. With this option the mean and variance in
    training are those of the global batch, the gradient flows through them
    to every replica's inputs, and the moving statistics stay equal on every
    replica:

    - torch (`torch.distributed`): each layer's moments come from one
      differentiable all-reduce of the ranks' sums (Keras's own
      `synchronized=True` is refused on torch); without a process group the
      layer computes exactly what it did before.
    - TensorFlow (`tf.distribute`): sets Keras's own `synchronized` flag of
      each layer.
    - JAX (`keras.distribution`): nothing to do; the step is one program
      over the global batch, whose statistics every layer already uses.

    Layers inside sub-models and wrapping layers (e.g.
    `keras_gen.layers.ConditionalBatchNormalization`, `SPADE`) are included.
    The setting is not saved with the model: call this again after loading.

    Args:
        model: a Keras model (e.g. a `keras_gen.models.GenerativeModel`).
        enabled: False goes back to per-replica statistics.

    Returns:
        The number of `BatchNormalization` layers set.

    Example:

    ```python
    context = keras_gen.distributed.initialize()
    gan = keras_gen.models.DCGAN(generator, discriminator)
    keras_gen.distributed.sync_batch_norm(gan)
    gan.compile()
    ```
    """
    layers = [
        layer for layer in model._flatten_layers(include_self=True, recursive=True)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    backend = keras.backend.backend()
    for layer in layers:
        if backend == "torch":
            from keras_gen.trainers.torch_distributed import synchronize_batch_norm

            synchronize_batch_norm(layer, enabled)
        elif backend == "tensorflow":
            layer.synchronized = bool(enabled)
    return len(layers)
