"""benchmarks/gan_objectives.py: each objective is set up as its paper says, and the report is right."""

import os

import gan_objectives
import keras
import pytest

from keras_gen.applications.dcgan import build_dcgan


def discriminator_layer_types(gan):
    return {type(layer).__name__ for layer in gan.discriminator.layers}


@pytest.mark.parametrize("objective", sorted(gan_objectives.OBJECTIVES))
def test_each_objective_builds_the_gan_its_paper_describes(objective):
    spec = gan_objectives.OBJECTIVES[objective]
    gan = build_dcgan(base_filters=2, latent_dim=4, **spec["gan"])
    types = discriminator_layer_types(gan)
    expected_critic_steps = 5 if objective in ("wgan", "wgan_gp") else 1
    assert gan.discriminator_steps == expected_critic_steps
    # Per-sample penalties need per-sample normalization; SN drops BatchNorm.
    if objective in ("wgan_gp", "non_saturating_r1"):
        assert "GroupNormalization" in types and "BatchNormalization" not in types
    elif objective == "hinge_sn":
        assert "SpectralNormalization" in types and "BatchNormalization" not in types
    else:
        assert "BatchNormalization" in types
    assert (gan.weight_clip == 0.01) == (objective == "wgan")
    optimizer = gan_objectives.optimizer_from(spec["optimizer"])
    assert isinstance(optimizer, keras.optimizers.RMSprop if objective == "wgan" else keras.optimizers.Adam)


@pytest.mark.guide  # trains (briefly) with the digits classifier: once per CI run
def test_a_short_run_records_its_fid_curve():
    run = gan_objectives.run_one("wgan_gp", seed=0, epochs=2, eval_every=1, batch_size=32,
                                 num_samples=100, num_train=64)
    assert [point["epoch"] for point in run["curve"]] == [1, 2]
    assert [point["generator_steps"] for point in run["curve"]] == [2, 4]
    assert run["final_fid"] == run["curve"][-1]["fid"] and run["best_fid"] <= run["final_fid"]
    assert run["discriminator_steps_per_generator_step"] == 5
    assert run["backend"] == keras.backend.backend()


def fake_run(objective, seed, fids):
    return {"objective": objective, "seed": seed, "backend": "jax", "epochs": 2, "batch_size": 64,
            "generator_steps": 126, "training_seconds": 10.0, "num_samples": 1000, "machine": "test",
            "curve": [{"generator_steps": 63 * (i + 1), "fid": f, "is": 5.0} for i, f in enumerate(fids)],
            "final_fid": fids[-1], "final_is": 5.0, "best_fid": min(fids)}


@pytest.mark.backend_independent
def test_report_gives_mean_and_spread_over_seeds_sorted_by_final_fid(tmp_path):
    runs = [fake_run("hinge_sn", 0, [90.0, 30.0]), fake_run("hinge_sn", 1, [80.0, 50.0]),
            fake_run("wgan", 0, [200.0, 100.0]), fake_run("wgan", 1, [200.0, 100.0])]
    output, plot = tmp_path / "table.md", tmp_path / "curve.png"
    gan_objectives.report(runs, str(output), str(plot), "python benchmarks/gan_objectives.py all")
    text = output.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    # hinge_sn: final FIDs 30 and 50 -> mean 40, sample std 14.1; it sorts before wgan.
    assert rows[0].startswith("| `hinge_sn` | 0, 1 | 40.0 ± 14.1 | 40.0 ± 14.1 |")
    assert rows[1].startswith("| `wgan` | 0, 1 | 100.0 ± 0.0 |")
    assert "python benchmarks/gan_objectives.py all" in text
    assert os.path.getsize(plot) > 1000 and "curve.png" in text
