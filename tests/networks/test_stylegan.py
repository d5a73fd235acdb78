import numpy as np
import pytest

from keras_gen.layers import AdaptiveInstanceNormalization
from keras_gen.layers import EqualizedDense
from keras_gen.layers import MinibatchStandardDeviation
from keras_gen.layers import NoiseInjection
from keras_gen.layers import PixelNormalization
from keras_gen.networks import stylegan_discriminator
from keras_gen.networks import stylegan_mapping_network
from keras_gen.networks import stylegan_num_styles
from keras_gen.networks import stylegan_synthesis_network
from keras_gen.testing import run_model_saving_test

STYLE = 8
SHAPE = (8, 8, 1)


def _predict(model, inputs):
    return model.predict(inputs, verbose=0, batch_size=4)


def _styles(seed, n=4):
    w = np.random.default_rng(seed).standard_normal((n, STYLE)).astype("float32")
    return np.repeat(w[:, None], stylegan_num_styles(SHAPE), axis=1)


@pytest.fixture(scope="module")
def synthesis():
    return stylegan_synthesis_network(
        STYLE, SHAPE, base_filters=4, max_filters=8, randomize_noise=False
    )


@pytest.fixture(scope="module")
def discriminator():
    return stylegan_discriminator(SHAPE, base_filters=4, max_filters=8)


def test_mapping_network():
    mapping = stylegan_mapping_network(latent_dim=6, style_dim=STYLE, num_layers=4)
    assert isinstance(mapping.layers[1], PixelNormalization)
    dense = [l for l in mapping.layers if isinstance(l, EqualizedDense)]
    assert len(dense) == 4 and all(l.lr_multiplier == 0.01 for l in dense)
    z = np.random.default_rng(0).standard_normal((4, 6)).astype("float32")
    w = _predict(mapping, z)
    assert w.shape == (4, STYLE)
    # Pixel normalization makes the mapping invariant to the scale of z.
    np.testing.assert_allclose(_predict(mapping, 3.0 * z), w, rtol=1e-4, atol=1e-5)


def test_synthesis_structure(synthesis):
    assert stylegan_num_styles((32, 32, 1)) == 8
    assert stylegan_num_styles((28, 28, 1)) == 6  # a 7x7 constant, then 14 and 28
    assert synthesis.input_shape == (None, stylegan_num_styles(SHAPE), STYLE)
    adain = [l for l in synthesis.layers if isinstance(l, AdaptiveInstanceNormalization)]
    noise = [l for l in synthesis.layers if isinstance(l, NoiseInjection)]
    assert len(adain) == len(noise) == stylegan_num_styles(SHAPE)
    images = _predict(synthesis, _styles(0))
    assert images.shape == (4,) + SHAPE
    assert np.all(np.abs(images) <= 1.0)


def test_style_mixing_changes_the_output(synthesis):
    styles_a, styles_b = _styles(1), _styles(2)
    mixed = styles_a.copy()
    mixed[:, 2:] = styles_b[:, 2:]  # coarse styles from a, fine styles from b
    only_first = styles_a.copy()
    only_first[:, 0] = styles_b[:, 0]
    out_a, out_b, out_mixed, out_first = (
        _predict(synthesis, s) for s in (styles_a, styles_b, mixed, only_first)
    )
    np.testing.assert_allclose(_predict(synthesis, styles_a), out_a, atol=1e-6)  # fixed noise
    for other in (out_b, out_mixed, out_first):
        assert not np.allclose(out_a, other, atol=1e-5)
    assert not np.allclose(out_b, out_mixed, atol=1e-5)


def test_random_noise_is_fresh_on_every_call():
    synthesis = stylegan_synthesis_network(STYLE, SHAPE, base_filters=4, max_filters=8)
    for layer in synthesis.layers:
        if isinstance(layer, NoiseInjection):
            layer.weight.assign(np.full(layer.weight.shape, 0.5, "float32"))
    styles = np.repeat(_styles(3)[:, :1], stylegan_num_styles(SHAPE), axis=1)
    assert not np.allclose(_predict(synthesis, styles), _predict(synthesis, styles))


def test_discriminator(discriminator):
    names = [l.name for l in discriminator.layers]
    assert isinstance(discriminator.get_layer("minibatch_std"), MinibatchStandardDeviation)
    assert names.index("minibatch_std") == names.index("final_conv") - 1
    assert discriminator.get_layer("minibatch_std").output.shape == (None, 4, 4, 9)
    images = np.random.default_rng(0).uniform(-1, 1, (4,) + SHAPE).astype("float32")
    assert _predict(discriminator, images).shape == (4, 1)
    with pytest.raises(ValueError, match="divisible by the group size"):
        discriminator(images[:3].repeat(2, axis=0))


def test_saving_round_trips(synthesis, discriminator, tmp_path):
    mapping = stylegan_mapping_network(latent_dim=6, style_dim=STYLE, num_layers=2)
    z = np.random.default_rng(0).standard_normal((4, 6)).astype("float32")
    images = np.random.default_rng(1).uniform(-1, 1, (4,) + SHAPE).astype("float32")
    styles = _styles(4)
    cases = [("m", mapping, z), ("s", synthesis, styles), ("d", discriminator, images)]
    for folder, model, inputs in cases:
        (tmp_path / folder).mkdir()
        run_model_saving_test(model, lambda m, inputs=inputs: m(inputs), tmp_path / folder)


def test_bad_arguments():
    with pytest.raises(ValueError, match="output_activation"):
        stylegan_synthesis_network(STYLE, SHAPE, output_activation="sigmoid")
    with pytest.raises(ValueError, match="Unsupported image side"):
        stylegan_discriminator((24, 24, 1))
    with pytest.raises(ValueError, match="num_layers"):
        stylegan_mapping_network(num_layers=0)
