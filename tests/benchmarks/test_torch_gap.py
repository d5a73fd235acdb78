"""The Keras torch-backend changes that `torch_gap.py` measures compute what Keras computes."""

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.backend.backend() != "torch",
                                reason="the changes are to Keras's torch backend")


@pytest.fixture
def fixes():
    import torch_gap

    installed = torch_gap.KerasFixes()
    yield installed
    installed.uninstall()


def test_fixed_convolutions_and_batch_norm_keep_the_dcgan_s_outputs(fixes):
    import torch_gap

    assert torch_gap.check_fixes_keep_outputs(fixes, training=False) < 1e-6
    assert torch_gap.check_fixes_keep_outputs(fixes, training=True) < 1e-5


def test_fused_batch_norm_keeps_keras_s_moving_statistics(fixes):
    """Keras's momentum convention and biased batch variance, not torch's unbiased one."""
    x = np.random.default_rng(0).normal(2.0, 3.0, (6, 5, 5, 4)).astype("float32")
    layers = []
    for enabled in (False, True):
        fixes.enabled = enabled
        layer = keras.layers.BatchNormalization(momentum=0.9)
        outputs = keras.ops.convert_to_numpy(layer(x, training=True))
        layers.append((layer, outputs))
    fixes.enabled = False
    (keras_layer, keras_out), (fused_layer, fused_out) = layers
    np.testing.assert_allclose(fused_out, keras_out, atol=1e-5)
    for name in ("moving_mean", "moving_variance"):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(getattr(fused_layer, name)),
                                   keras.ops.convert_to_numpy(getattr(keras_layer, name)), rtol=1e-5)
    expected_variance = 0.9 + 0.1 * x.reshape(-1, 4).var(axis=0)  # biased, n not n - 1
    np.testing.assert_allclose(keras.ops.convert_to_numpy(fused_layer.moving_variance),
                               expected_variance, rtol=1e-5)


def test_uninstall_restores_keras(fixes):
    from keras.src.backend.torch import nn as torch_nn

    fixes.uninstall()
    assert torch_nn.conv is fixes._conv and torch_nn.conv_transpose is fixes._conv_transpose
