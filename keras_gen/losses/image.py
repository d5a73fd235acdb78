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


def cycle_consistency_loss(real, reconstructed, weight=1.0):
    """CycleGAN's cycle-consistency term for one direction: `weight · E|F(G(a)) - a|`.

    The L1 distance (`l1_loss`, the mean over pixels, channels and batch)
    between images and their round trip through both generators. CycleGAN
    adds the two directions, `E|F(G(a)) - a| + E|G(F(b)) - b|`, weighted by
    λ = 10. TF-GAN's `cycle_consistency_loss` is the average of the two
    directions instead, i.e. half that sum.

    Args:
        real: images of one domain.
        reconstructed: the same images after the round trip, same shape.
        weight: λ, multiplied in (1 by default, so a model can log the
            unweighted term and weight it itself).

    Returns:
        A float32 scalar.

    Example:

    >>> cycle = (keras_gen.losses.cycle_consistency_loss(a, g_ba(g_ab(a)))
    ...          + keras_gen.losses.cycle_consistency_loss(b, g_ab(g_ba(b))))

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017 (https://arxiv.org/abs/1703.10593), eq. 2.
    """
    return weight * l1_loss(real, reconstructed)
