"""Orthogonal regularization of weight matrices (BigGAN)."""

import keras
from keras import ops


def orthogonal_regularization(kernel, beta=1e-4, off_diagonal=True):
    """Penalty that pulls the columns (filters) of a kernel towards orthogonality.

    The kernel is reshaped to a matrix `W` of shape `(-1, out_channels)` (so a
    `Conv2D` kernel `(kh, kw, in, out)` becomes `(kh * kw * in, out)`), and

    - `off_diagonal=True` (BigGAN): `beta * ||W^T W * (1 - I)||_F^2`, which
      only decorrelates filters and leaves their norms free;
    - `off_diagonal=False` (Saxe et al. 2014; Brock et al. 2017):
      `beta * ||W^T W - I||_F^2`.

    Args:
        kernel: a weight tensor of rank >= 2, output channels last.
        beta: the weight (BigGAN: 1e-4).
        off_diagonal: use the BigGAN variant (default) or the plain one.

    Returns:
        A scalar tensor.

    Example:

    ```python
    penalty = keras_gen.losses.orthogonal_regularization(
        keras.random.normal((3, 3, 16, 32)), beta=1e-4)
    ```

    Reference:
        Brock, Donahue & Simonyan, "Large Scale GAN Training for High Fidelity
        Natural Image Synthesis", ICLR 2019 (section 3.1); Brock et al.,
        "Neural Photo Editing with Introspective Adversarial Networks", ICLR 2017.
    """
    kernel = ops.convert_to_tensor(kernel)
    if len(kernel.shape) < 2:
        raise ValueError(
            "orthogonal_regularization needs a kernel of rank >= 2 (a bias vector "
            f"cannot be orthogonal). Received shape {kernel.shape}"
        )
    matrix = ops.reshape(kernel, (-1, kernel.shape[-1]))
    gram = ops.matmul(ops.transpose(matrix), matrix)
    identity = ops.eye(kernel.shape[-1], dtype=gram.dtype)
    if off_diagonal:
        residual = gram * (1.0 - identity)
    else:
        residual = gram - identity
    return beta * ops.sum(ops.square(residual))


@keras.saving.register_keras_serializable(package="keras_gen")
class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """Orthogonal regularization as a `kernel_regularizer=` (see `orthogonal_regularization`).

    Args:
        beta: the weight (BigGAN: 1e-4).
        off_diagonal: penalise only off-diagonal terms of `W^T W` (BigGAN) or
            `W^T W - I` (plain orthogonal regularization).

    Returns:
        Called on a kernel, a scalar penalty that Keras adds to `model.losses`.

    Example:

    ```python
    conv = keras.layers.Conv2D(
        64, 3, kernel_regularizer=keras_gen.losses.OrthogonalRegularizer(1e-4))
    ```

    Reference:
        Brock, Donahue & Simonyan, "Large Scale GAN Training for High Fidelity
        Natural Image Synthesis", ICLR 2019.
    """

    def __init__(self, beta=1e-4, off_diagonal=True):
        if beta < 0:
            raise ValueError(f"`beta` must be >= 0. Received: beta={beta}")
        self.beta = float(beta)
        self.off_diagonal = bool(off_diagonal)

    def __call__(self, x):
        return orthogonal_regularization(x, self.beta, self.off_diagonal)

    def get_config(self):
        return {"beta": self.beta, "off_diagonal": self.off_diagonal}
