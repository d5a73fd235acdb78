"""Pix2Pix and CycleGAN train the same with channels-first networks as with channels-last ones.

Same initial weights, seeds and data (transposed): one training step logs
the same losses and leaves networks that compute the same functions, so a user may
switch the layout for speed (the torch backend runs channels-first
convolutions without transposes) without changing what is learned.
"""

import keras
import numpy as np

import keras_gen
from keras_gen.networks import patchgan_discriminator
from keras_gen.networks import resnet_generator
from keras_gen.networks import unet_generator

LAST = (32, 32, 1)
FIRST = (1, 32, 32)


def _to_first(array):
    return np.ascontiguousarray(np.moveaxis(array, -1, 1))


def _images(n, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + LAST).astype("float32")


def _probe_inputs(network):
    rng = np.random.default_rng(9)
    inputs = [rng.uniform(-1, 1, (2,) + tuple(x.shape[1:])).astype("float32") for x in network.inputs]
    return inputs if len(inputs) > 1 else inputs[0]


def _outputs(network, inputs, channels_first=False):
    if channels_first:
        inputs = [_to_first(x) for x in inputs] if isinstance(inputs, list) else _to_first(inputs)
    outputs = keras.ops.convert_to_numpy(network(inputs, training=False))
    return np.moveaxis(outputs, 1, -1) if channels_first else outputs


def _step_both(build_model, data):
    """One SGD step of the model in each layout from the same weights.

    Returns the logs of each layout, and per network the channels-last
    outputs on probe inputs before the step, and after it in each layout.
    """
    logs, outputs, initial = {}, [], None
    for data_format, shape in (("channels_last", LAST), ("channels_first", FIRST)):
        keras.utils.set_random_seed(0)
        model = build_model(shape, data_format)
        # The networks' weights (an image pool holds images in the layout of its model).
        networks = [layer for layer in model.layers if isinstance(layer, keras.Model)]
        channels_first = data_format == "channels_first"
        if initial is None:
            initial = [network.get_weights() for network in networks]
            probes = [_probe_inputs(network) for network in networks]
            outputs = [[_outputs(network, probe)] for network, probe in zip(networks, probes)]
        else:
            for network, values in zip(networks, initial):
                network.set_weights(values)
        model.compile(optimizers={name: keras.optimizers.SGD(1e-3) for name in model.optimizer_names()})
        arrays = tuple(_to_first(a) for a in data) if channels_first else data
        logs[data_format] = model.fit(*arrays, batch_size=len(data[0]), epochs=1, verbose=0,
                                      shuffle=False).history
        for network, probe, row in zip(networks, probes, outputs):
            row.append(_outputs(network, probe, channels_first))
    return logs, outputs


def _assert_same_step(logs, outputs):
    """Same logs, and trained networks that compute the same functions.

    Compared through outputs, not weights: a convolution bias followed by
    instance normalization has a gradient that is zero in exact arithmetic,
    so its float32 update is rounding noise in either layout (and cancels in
    the output). XLA sums channels-first gradients in another order, which
    the small instance-normalized maps make visible: the outputs must agree
    to within 5% of what the step changed (a layout mistake is of the size
    of the change, or breaks the forward pass).
    """
    for key, values in logs["channels_last"].items():
        np.testing.assert_allclose(logs["channels_first"][key], values, rtol=1e-4, err_msg=key)
    for before, after_last, after_first in outputs:
        change = np.max(np.abs(after_last - before))
        assert change > 0
        assert np.max(np.abs(after_first - after_last)) <= 0.05 * change + 1e-6


def test_pix2pix():
    def build(shape, data_format):
        generator = unet_generator(shape, output_channels=1, base_filters=3, num_downsamples=3,
                                   dropout=0.0, data_format=data_format)
        discriminator = patchgan_discriminator(shape, target_shape=shape, base_filters=3,
                                               num_layers=2, data_format=data_format)
        return keras_gen.models.Pix2Pix(generator, discriminator, seed=0)

    x = _images(4, 0)
    _assert_same_step(*_step_both(build, (x, np.tanh(2.0 * x[:, ::-1]))))


def test_cyclegan():
    def build(shape, data_format):
        networks = [resnet_generator(shape, output_channels=1, base_filters=3, num_blocks=1,
                                     upsampling="subpixel", data_format=data_format)
                    for _ in range(2)]
        networks += [patchgan_discriminator(shape, base_filters=3, num_layers=2, norm="instance",
                                            data_format=data_format) for _ in range(2)]
        return keras_gen.models.CycleGAN(*networks, pool_size=4, seed=0)

    _assert_same_step(*_step_both(build, (_images(4, 1), _images(4, 2))))
