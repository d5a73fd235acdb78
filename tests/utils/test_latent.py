"""keras_gen.utils.latent: interpolation, strips, 2-D code maps, traversals."""

import numpy as np
import pytest
from PIL import Image

import keras_gen
from keras_gen.utils import interpolate


def test_linear_interpolation_is_evenly_spaced():
    path = interpolate(np.zeros(3), np.full(3, 4.0), 5)
    np.testing.assert_allclose(path[:, 0], [0, 1, 2, 3, 4])
    assert path.shape == (5, 3) and path.dtype == np.float32


def test_slerp_endpoints_and_norms():
    rng = np.random.default_rng(0)
    z1, z2 = rng.standard_normal(16), rng.standard_normal(16)
    z2 = z2 / np.linalg.norm(z2) * np.linalg.norm(z1)  # equal norms
    path = interpolate(z1, z2, 9, method="slerp")
    np.testing.assert_array_equal(path[0], z1.astype("float32"))
    np.testing.assert_array_equal(path[-1], z2.astype("float32"))
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(z1), rtol=1e-5)
    # Linear paths cut through the inside of the sphere.
    linear = interpolate(z1, z2, 9)
    assert np.linalg.norm(linear[4]) < np.linalg.norm(z1) - 1e-3
    # The angle advances uniformly along the great circle.
    unit = path / np.linalg.norm(path, axis=1, keepdims=True)
    steps = np.arccos(np.clip(np.sum(unit[1:] * unit[:-1], axis=1), -1, 1))
    np.testing.assert_allclose(steps, steps[0], rtol=1e-4)


def test_slerp_degenerate_cases_fall_back_to_linear():
    z = np.ones(4)
    np.testing.assert_allclose(interpolate(z, 2 * z, 3, "slerp"), interpolate(z, 2 * z, 3))
    zero = np.zeros(4)
    np.testing.assert_allclose(interpolate(zero, z, 3, "slerp"), interpolate(zero, z, 3))


def test_interpolate_errors():
    with pytest.raises(ValueError, match="slerp"):
        interpolate(np.zeros(2), np.ones(2), 3, method="cubic")
    with pytest.raises(ValueError, match="num_steps"):
        interpolate(np.zeros(2), np.ones(2), 1)
    with pytest.raises(ValueError, match="same shape"):
        interpolate(np.zeros(2), np.ones(3), 3)


@pytest.fixture
def vae(nets):
    return keras_gen.models.VAE(nets.encoder(), nets.decoder(), seed=0)


def test_interpolation_strip_decodes_the_path(vae, nets):
    x, _ = nets.patterns(2)
    strip = keras_gen.utils.interpolation_strip(vae, x[0], x[1], num_steps=6, method="slerp")
    assert strip.dtype == np.uint8 and strip.shape == (4 + 4, 6 * 6 + 2, 1)
    mean, _ = vae.encode(x)
    expected = vae.decode(interpolate(mean[0], mean[1], 6, "slerp"))
    np.testing.assert_array_equal(strip, keras_gen.utils.make_grid(expected, num_rows=1))
    with_inputs = keras_gen.utils.interpolation_strip(vae, x[0], x[1], 6, include_inputs=True)
    assert with_inputs.shape == (8, 8 * 6 + 2, 1)


def test_interpolation_strip_works_for_autoencoders_and_conditional_models(nets):
    x, _ = nets.patterns(2)
    ae = keras_gen.models.AutoEncoder(nets.encoder(variational=False), nets.decoder())
    assert keras_gen.utils.interpolation_strip(ae, x[0], x[1], 4).shape == (8, 26, 1)
    cvae = keras_gen.models.ConditionalVAE(nets.encoder(num_classes=2), nets.decoder(num_classes=2))
    assert keras_gen.utils.interpolation_strip(cvae, x[0], x[1], 4, labels=1).shape == (8, 26, 1)
    with pytest.raises(ValueError, match="conditional"):
        keras_gen.utils.interpolation_strip(cvae, x[0], x[1], 4)


def test_latent_scatter_writes_a_png(vae, nets, tmp_path):
    x, labels = nets.patterns(40)
    path = keras_gen.utils.latent_scatter(vae, x, labels, str(tmp_path / "codes.png"), title="t")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (600, 500)


def test_latent_scatter_needs_two_dimensions(nets, tmp_path):
    vae = keras_gen.models.VAE(nets.encoder(latent_dim=3), nets.decoder(latent_dim=3))
    x, labels = nets.patterns(10)
    with pytest.raises(ValueError, match="dims="):
        keras_gen.utils.latent_scatter(vae, x, labels, str(tmp_path / "a.png"))
    keras_gen.utils.latent_scatter(vae, x, labels, str(tmp_path / "b.png"), dims=(0, 2))
    with pytest.raises(ValueError, match="one label per image"):
        keras_gen.utils.latent_scatter(vae, x, labels[:5], str(tmp_path / "c.png"), dims=(0, 1))


def test_latent_traversal_grid(vae):
    values = np.linspace(-2, 2, 5)
    grid = keras_gen.utils.latent_traversal_grid(vae, dims=[1, 0], values=values, base=[0.5, -0.5])
    assert grid.shape == (2 * 6 + 2, 5 * 6 + 2, 1)
    codes = np.array([[0.5, v] for v in values] + [[v, -0.5] for v in values], "float32")
    expected = keras_gen.utils.make_grid(vae.decode(codes), num_rows=2)
    np.testing.assert_array_equal(grid, expected)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        keras_gen.utils.latent_traversal_grid(vae, dims=[2], values=values)
    with pytest.raises(ValueError, match="base"):
        keras_gen.utils.latent_traversal_grid(vae, dims=[0], values=values, base=[0.0])
