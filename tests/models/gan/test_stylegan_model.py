"""StyleGAN training model: phases, w average, style mixing, truncation in W, saving."""

import types

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import snapshot_weights
from keras_gen.testing import tiny_generator

LATENT, STYLE, SHAPE = 8, 16, (8, 8, 1)
NUM_STYLES = 4  # two per resolution: 4x4 and 8x8


def networks():
    mapping = keras_gen.networks.stylegan_mapping_network(LATENT, STYLE, num_layers=2)
    # Fixed noise maps: generation is a deterministic function of the styles.
    synthesis = keras_gen.networks.stylegan_synthesis_network(
        STYLE, SHAPE, base_filters=4, max_filters=8, randomize_noise=False
    )
    discriminator = keras_gen.networks.stylegan_discriminator(SHAPE, base_filters=4, max_filters=8)
    return mapping, synthesis, discriminator


def images(n=32, dtype="float32"):
    return np.random.default_rng(0).uniform(-1, 1, (n,) + SHAPE).astype(dtype)


def latents(n, seed):
    return np.random.default_rng(seed).standard_normal((n, LATENT)).astype("float32")


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def mean_pairwise_distance(samples):
    flat = samples.reshape(len(samples), -1).astype("float64")
    distances = np.sqrt(((flat[:, None] - flat[None]) ** 2).sum(-1))
    return distances.sum() / (len(flat) * (len(flat) - 1))


@pytest.fixture(scope="module")
def trained():
    """A StyleGAN fitted for 4 steps on a tf.data pipeline, with lazy R1 and EMA."""
    import tensorflow as tf

    keras.utils.set_random_seed(0)  # independent of which tests ran before
    model = keras_gen.models.StyleGAN(
        *networks(), penalty_interval=2, ema_decay=0.9, w_average_decay=0.5, seed=0
    )
    model.compile()
    before = snapshot_weights(model.discriminator.trainable_variables)
    dataset = tf.data.Dataset.from_tensor_slices(images(32)).batch(16)
    history = model.fit(dataset, epochs=2, shuffle=False, verbose=0)
    return types.SimpleNamespace(
        model=model, history=history, discriminator_before=before, dataset=dataset
    )


def test_composite_generator_is_mapping_then_synthesis():
    mapping, synthesis, discriminator = networks()
    model = keras_gen.models.StyleGAN(mapping, synthesis, discriminator, seed=0)
    assert model.mapping is mapping and model.synthesis is synthesis
    assert (model.latent_dim, model.num_styles, model.style_dim) == (LATENT, NUM_STYLES, STYLE)
    z = latents(4, 0)
    styles = np.repeat(numpy(mapping(z))[:, None], NUM_STYLES, axis=1)
    np.testing.assert_allclose(
        numpy(model.generator(z)), numpy(synthesis(styles)), rtol=1e-5, atol=1e-6
    )
    # The generator phase trains mapping and synthesis, the other phase D.
    phases = {phase.name: {id(v) for v in phase.variables} for phase in model.phases()}
    expected = mapping.trainable_variables + synthesis.trainable_variables
    assert phases["generator"] == {id(v) for v in expected}
    assert phases["discriminator"] == {id(v) for v in discriminator.trainable_variables}
    assert [v.path for v in model.non_trainable_variables].count("style_gan/w_average") == 1
    assert np.all(numpy(model.w_average) == 0)


class GeneratorPhaseOnly(keras_gen.models.StyleGAN):
    def phases(self):
        return [p for p in super().phases() if p.name == "generator"]


def test_generator_phase_moves_mapping_synthesis_and_w_average_only():
    # (Which variables each phase updates is checked above through `phases()`;
    # that the discriminator phase moves the discriminator, in `trained`.)
    model = GeneratorPhaseOnly(*networks(), seed=0)
    model.compile()
    parts = {
        "mapping": model.mapping,
        "synthesis": model.synthesis,
        "discriminator": model.discriminator,
    }
    before = {name: snapshot_weights(part.trainable_variables) for name, part in parts.items()}
    model.fit(images(16), batch_size=16, epochs=1, verbose=0)
    for name, part in parts.items():
        after = snapshot_weights(part.trainable_variables)
        moved = [not np.array_equal(a, b) for a, b in zip(before[name], after)]
        assert all(moved) if name != "discriminator" else not any(moved), name
    assert np.all(numpy(model.w_average) != 0)


def test_fit_on_tf_data_logs_lazy_r1(trained):
    model, history = trained.model, trained.history
    after = snapshot_weights(model.discriminator.trainable_variables)
    for old, new in zip(trained.discriminator_before, after):
        assert not np.array_equal(old, new)
    assert set(history.history) == {"d_loss", "g_loss", "r1"}
    for values in history.history.values():
        assert np.all(np.isfinite(values))
    assert np.all(np.array(history.history["r1"]) > 0)
    # Lazy R1 is its own discriminator update on steps 0 and 2 of 4 (interval
    # 2), weighted γ/2 · interval: 4 adversarial updates and 2 penalty updates.
    assert int(numpy(model.optimizers["discriminator"].iterations)) == 4 + 2
    assert float(numpy(model._penalty_scale())) == pytest.approx(0.5 * 10.0 * 2)


def test_update_w_average_by_hand(trained):
    model = trained.model
    saved = numpy(model.w_average)
    start = np.linspace(-1, 1, STYLE).astype("float32")
    w = np.random.default_rng(0).standard_normal((5, STYLE)).astype("float32")
    model.w_average.assign(start)
    model.update_w_average(w)
    np.testing.assert_allclose(
        numpy(model.w_average), 0.5 * start + 0.5 * w.mean(0), rtol=1e-5, atol=1e-6
    )
    model.w_average.assign(saved)


def test_w_average_moves_toward_the_mean_of_mapped_latents(trained):
    model = trained.model
    population_mean = numpy(model.mapping(latents(1024, 1))).mean(0)
    w_average = numpy(model.w_average)
    # Started at 0; after 4 updates with decay 0.5 it is a mean of batch means.
    assert np.linalg.norm(w_average - population_mean) < 0.5 * np.linalg.norm(population_mean)


def mixing_model(trained, probability):
    model = trained.model
    return keras_gen.models.StyleGAN(
        model.mapping, model.synthesis, model.discriminator,
        style_mixing_probability=probability, seed=0,
    )


def test_without_mixing_training_styles_are_the_plain_generator(trained):
    model = mixing_model(trained, 0.0)
    z1, z2 = latents(4, 1), latents(4, 2)
    styles, w = model.training_styles(z1, z2, training=False)
    np.testing.assert_allclose(numpy(w), numpy(model.mapping(z1)), rtol=1e-6)
    np.testing.assert_allclose(
        numpy(model.synthesis(styles)), numpy(model.generator(z1)), rtol=1e-5, atol=1e-6
    )


def test_style_mixing_uses_a_random_crossover(trained):
    model = mixing_model(trained, 1.0)
    z1, z2 = latents(4, 1), latents(4, 2)
    w1, w2 = numpy(model.mapping(z1)), numpy(model.mapping(z2))
    crossovers = set()
    for _ in range(12):
        styles = numpy(model.training_styles(z1, z2, training=False)[0])
        matches = [
            k
            for k in range(1, NUM_STYLES)
            if np.allclose(styles, numpy(model.mix_styles(w1, w2, k)))
        ]
        assert len(matches) == 1, "styles are not w1 up to a crossover and w2 after it"
        crossovers.add(matches[0])
    assert len(crossovers) > 1
    mixed = numpy(model.synthesis(model.mix_styles(w1, w2, 2)))
    assert not np.allclose(mixed, numpy(model.generator(z1)), atol=1e-5)
    assert not np.allclose(mixed, numpy(model.generator(z2)), atol=1e-5)


def test_style_mix_grid(trained):
    model = trained.model
    coarse, fine = latents(2, 1), latents(2, 2)
    # Entry [i, j] of the grid, flattened, pairs coarse[i] with fine[j].
    only_coarse = model.generate(4, latents=np.repeat(coarse, 2, axis=0)).reshape((2, 2) + SHAPE)
    only_fine = model.generate(4, latents=np.tile(fine, (2, 1))).reshape((2, 2) + SHAPE)
    grids = {k: model.style_mix(coarse, fine, k) for k in (0, 2, NUM_STYLES)}
    assert grids[2].shape == (2, 2) + SHAPE
    np.testing.assert_allclose(grids[NUM_STYLES], only_coarse, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grids[0], only_fine, rtol=1e-5, atol=1e-5)
    for i in range(2):
        for j in range(2):
            assert not np.allclose(grids[2][i, j], only_coarse[i, j], atol=1e-5)
            assert not np.allclose(grids[2][i, j], only_fine[i, j], atol=1e-5)
    with pytest.raises(ValueError, match="crossover"):
        model.style_mix(coarse, fine, NUM_STYLES + 1)


def test_truncation_in_w(trained):
    model = trained.model
    z = latents(4, 3)
    plain = model.generate(4, latents=z)
    np.testing.assert_array_equal(model.generate(4, latents=z, truncation=1.0), plain)
    np.testing.assert_allclose(
        model.generate(4, latents=z, truncation=0.5, truncation_cutoff=0), plain, atol=1e-5
    )
    # psi = 0: every style is w_average, so every latent gives the same image.
    at_average = model.generate(4, latents=z, truncation=0.0)
    w_average = np.repeat(numpy(model.w_average)[None, None], NUM_STYLES, axis=1)
    expected = numpy(model.ema_model.layers[-1](w_average))
    np.testing.assert_allclose(at_average, np.repeat(expected, 4, axis=0), rtol=1e-5, atol=1e-6)
    # Truncating only the coarse styles lies between the two.
    coarse_only = model.generate(4, latents=z, truncation=0.0, truncation_cutoff=2)
    assert not np.allclose(coarse_only, plain, atol=1e-5)
    assert not np.allclose(coarse_only, at_average, atol=1e-5)
    with pytest.raises(ValueError, match="truncation_cutoff"):
        model.generate(4, seed=0, truncation=0.5, truncation_cutoff=NUM_STYLES + 1)


def test_truncation_reduces_diversity_monotonically(trained):
    model = trained.model
    spreads = [
        mean_pairwise_distance(model.generate(16, seed=4, batch_size=4, truncation=psi))
        for psi in (1.0, 0.7, 0.4, 0.1)
    ]
    assert all(a > b for a, b in zip(spreads, spreads[1:])), spreads


def test_gan_z_truncation_reduces_diversity_monotonically():
    generator = tiny_generator(latent_dim=LATENT, output_shape=(4, 4, 1), units=32)
    gan = keras_gen.models.GAN(generator, keras_gen.testing.tiny_discriminator((4, 4, 1)), seed=0)
    spreads = [
        mean_pairwise_distance(gan.generate(64, seed=5, truncation=t))
        for t in (2.0, 1.0, 0.5, 0.25)
    ]
    assert all(a > b for a, b in zip(spreads, spreads[1:])), spreads


def test_bad_arguments():
    mapping, synthesis, discriminator = networks()
    with pytest.raises(ValueError, match="style_mixing_probability"):
        keras_gen.models.StyleGAN(mapping, synthesis, discriminator, style_mixing_probability=1.5)
    with pytest.raises(ValueError, match="w_average_decay"):
        keras_gen.models.StyleGAN(mapping, synthesis, discriminator, w_average_decay=1.0)
    other = keras_gen.networks.stylegan_mapping_network(LATENT, STYLE + 1, num_layers=1)
    with pytest.raises(ValueError, match="same style_dim"):
        keras_gen.models.StyleGAN(other, synthesis, discriminator)
    with pytest.raises(TypeError, match="stylegan_mapping_network"):
        keras_gen.models.StyleGAN(keras.layers.Dense(STYLE), synthesis, discriminator)


def test_bad_input_raises_and_leaves_the_model_usable(trained):
    model = trained.model
    with pytest.raises(ValueError, match=r"expects \(batch,\) \+ \(8, 8, 1\)"):
        model.fit(np.zeros((16, 8, 8), "float32"), batch_size=16, verbose=0)
    with pytest.raises(TypeError, match="scale_images"):
        model.fit(images(16, "uint8"), batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="latents must have shape"):
        model.generate(2, latents=np.zeros((2, LATENT + 1)))
    history = model.fit(trained.dataset, epochs=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
