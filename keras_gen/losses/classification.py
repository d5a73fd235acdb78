"""Classification losses of class-conditional GANs."""

from keras import ops


def auxiliary_classifier_loss(labels, class_logits):
    """AC-GAN's class loss L_C: mean softmax cross-entropy of the class head.

    `L_C = E[-log P(C = c | X)]` with `P = softmax(class_logits)`. The
    discriminator minimises it on real and generated images (the sum of
    the two means), the generator on generated images, each weighted by
    the model (`ConditionalGAN(auxiliary_weight=1)`).

    Args:
        labels: integer class labels `(batch,)`.
        class_logits: the class head's logits `(batch, num_classes)`.

    Returns:
        A float32 scalar.

    Example:

    >>> d_class = (keras_gen.losses.auxiliary_classifier_loss(labels, real_class_logits)
    ...            + keras_gen.losses.auxiliary_classifier_loss(fake_labels, fake_class_logits))

    Reference: Odena, Olah & Shlens, "Conditional Image Synthesis with
    Auxiliary Classifier GANs", ICML 2017 (https://arxiv.org/abs/1610.09585), eq. 3.
    """
    return ops.mean(
        ops.sparse_categorical_crossentropy(
            labels, ops.cast(class_logits, "float32"), from_logits=True
        )
    )
