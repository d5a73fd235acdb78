"""StyleGAN trains the same with channels-first networks as with channels-last ones.

Same initial weights, seeds and data (transposed): two training steps (style
mixing, lazy R1, random noise inputs, generator EMA) log the same losses and
leave the same weights and moving averages, and the trained model generates
the same images, transposed.
"""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import perturbed_weights
from keras_gen.testing import snapshot_weights

LATENT, STYLE = 8, 6
LAST, FIRST = (8, 8, 3), (3, 8, 8)


def _to_first(array):
    return np.ascontiguousarray(np.moveaxis(array, -1, 1))


def _build(shape, data_format):
    keras.utils.set_random_seed(0)  # the same noise seeds in both layouts
    mapping = keras_gen.networks.stylegan_mapping_network(LATENT, STYLE, num_layers=2)
    synthesis = keras_gen.networks.stylegan_synthesis_network(
        STYLE, shape, base_filters=5, max_filters=9, data_format=data_format)
    discriminator = keras_gen.networks.stylegan_discriminator(
        shape, base_filters=5, max_filters=9, data_format=data_format)
    return keras_gen.models.StyleGAN(mapping, synthesis, discriminator, penalty_interval=2,
                                     ema_decay=0.9, seed=0)


@pytest.fixture(scope="module")
def trained():
    """Two SGD steps of a StyleGAN in each layout from the same weights: the models, logs, initial weights."""
    images = np.random.default_rng(0).uniform(-1, 1, (16,) + LAST).astype("float32")
    models, logs, initial = {}, {}, None
    for data_format, shape in (("channels_last", LAST), ("channels_first", FIRST)):
        model = _build(shape, data_format)
        networks = (model.mapping, model.synthesis, model.discriminator)
        if initial is None:
            # Non-zero biases and noise weights: an offset or noise on the wrong axis shows.
            initial = [perturbed_weights(network, seed) for seed, network in enumerate(networks)]
        for network, weights in zip(networks, initial):
            network.set_weights(weights)
        model.compile(optimizers={name: keras.optimizers.SGD(1e-3) for name in model.optimizer_names()})
        data = _to_first(images) if data_format == "channels_first" else images
        logs[data_format] = model.fit(data, batch_size=8, epochs=1, verbose=0, shuffle=False).history
        models[data_format] = model
    return models, logs, initial


def test_training_steps_are_the_same_in_either_layout(trained):
    models, logs, initial = trained
    assert "r1" in logs["channels_last"]
    for key, values in logs["channels_last"].items():
        np.testing.assert_allclose(logs["channels_first"][key], values, rtol=1e-4, err_msg=key)
    last, first = models["channels_last"], models["channels_first"]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(first.w_average),
                               keras.ops.convert_to_numpy(last.w_average), rtol=1e-4, atol=1e-6)
    networks = zip(("mapping", "synthesis", "discriminator"), initial)
    for name, before in networks:
        after_last = snapshot_weights(getattr(last, name).weights)
        after_first = snapshot_weights(getattr(first, name).weights)
        change = max(np.max(np.abs(a - b)) for a, b in zip(after_last, before))
        assert change > 0, name
        for a, b, variable in zip(after_first, after_last, getattr(last, name).weights):
            # Float32 sums in another order: a layout mistake is of the size of the change.
            assert np.max(np.abs(a - b)) <= 0.01 * change + 1e-6, variable.path


def test_a_trained_model_generates_the_same_images_transposed(trained):
    models = trained[0]
    last, first = models["channels_last"], models["channels_first"]
    made_first = first.generate(4, seed=0, truncation=0.7)
    assert made_first.shape == (4,) + FIRST
    np.testing.assert_allclose(np.moveaxis(made_first, 1, -1), last.generate(4, seed=0, truncation=0.7),
                               atol=1e-4)
    coarse, fine = last.latents_for(2, seed=1), last.latents_for(3, seed=2)
    grid_first = first.style_mix(coarse, fine, crossover=2, use_ema=False)
    assert grid_first.shape == (2, 3) + FIRST
    np.testing.assert_allclose(np.moveaxis(grid_first, 2, -1),
                               last.style_mix(coarse, fine, crossover=2, use_ema=False), atol=1e-4)


def test_networks_of_different_layouts_are_refused():
    mapping = keras_gen.networks.stylegan_mapping_network(LATENT, STYLE, num_layers=1)
    synthesis = keras_gen.networks.stylegan_synthesis_network(
        STYLE, FIRST, base_filters=5, max_filters=9, data_format="channels_first")
    discriminator = keras_gen.networks.stylegan_discriminator(
        LAST, base_filters=5, max_filters=9, data_format="channels_last")
    with pytest.raises(ValueError, match="same sample shape"):
        keras_gen.models.StyleGAN(mapping, synthesis, discriminator)
