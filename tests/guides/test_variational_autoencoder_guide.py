"""The VAE guide runs top to bottom in its fast mode."""

import pytest
from PIL import Image

pytestmark = pytest.mark.guide


def test_variational_autoencoder_guide_runs_in_fast_mode(run_guide, tmp_path):
    run_guide("variational_autoencoder")
    for name in (
        "vae_reconstructions.png",
        "vae_samples.png",
        "vae_samples_fitted_density.png",
        "vae_interpolation.png",
        "vae_latent_map.png",
        "vae_manifold.png",
        "vae_traversal.png",
    ):
        with Image.open(tmp_path / name) as image:
            assert image.format == "PNG"
    assert (tmp_path / "vae_digits.keras").is_file()
