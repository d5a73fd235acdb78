"""Reconstruction losses of the image-to-image models (pix2pix L1, CycleGAN cycle and identity)."""

from keras import ops


def l1_loss(target, prediction):
    """Mean absolute difference between two image batches.

    The pix2pix reconstruction term (`λ·E|y - G(x)|`, λ = 100) and the
    CycleGAN cycle-consistency (`E|F(G(a)) - a|`) and identity
    (`E|G(b) - b|`) terms are all this function, weighted by the model.

    Args:
        target: the reference images.
        prediction: images of the same shape.

    Returns:
        A float32 scalar: the mean of `|target - prediction|` over all
        pixels, channels and batch items.

    Example:

    >>> keras_gen.losses.l1_loss(np.zeros((1, 2, 2, 1)), np.ones((1, 2, 2, 1)))  # 1.0

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017 (https://arxiv.org/abs/1611.07004), eq. 3.
    """
    target = ops.cast(target, "float32")
    prediction = ops.cast(prediction, "float32")
    return ops.mean(ops.abs(target - prediction))
