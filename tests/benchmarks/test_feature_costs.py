"""benchmarks/feature_costs.py: its contestants train, and its shares are the paired ratios."""

import feature_costs
import harness
import pytest


@pytest.mark.parametrize("variant", ["no_guard", "adaptive"])
def test_the_variants_built_for_the_benchmark_train_both_networks(variant):
    # The unguarded GAN (the guard's baseline) and the never-closing gates
    # must still train like the plain GAN, or the table measures nothing.
    contestant = feature_costs.make_contestant(variant, steps=2, upsampling="transpose")
    assert contestant.warmup() == {"warnings": []}


def test_make_contestant_takes_another_dcgan_and_gan_arguments():
    # What lazy_regularization.py builds with it: a smaller DCGAN, its own interval.
    contestant = feature_costs.make_contestant(
        "r1_lazy", steps=3, upsampling="subpixel",
        gan_kwargs={"gradient_penalty": "r1", "penalty_interval": 4}, image_shape=(16, 16, 1),
        latent_dim=32, base_filters=16, batch_size=8)
    assert contestant.model.penalty_interval == 4 and contestant.model.latent_dim == 32
    assert contestant.timed_data.shape == (24, 16, 16, 1) and contestant.batch_size == 8
    assert contestant.expected_logs == {"d_loss", "g_loss", "r1"}
    default = feature_costs.make_contestant("r1_lazy", steps=1, upsampling="transpose")
    assert default.model.penalty_interval == feature_costs.LAZY_INTERVAL
    assert default.timed_data.shape == (feature_costs.BATCH_SIZE,) + feature_costs.IMAGE_SHAPE


def result(label, seconds):
    return harness.Result(label, runs=[harness.Run(round=i, wall_seconds=s, cpu_seconds=s, info={})
                                       for i, s in enumerate(seconds)])


@pytest.mark.backend_independent
def test_shares_are_paired_ratios_to_the_plain_step_and_the_guard_to_no_guard():
    results = {"plain": result("plain", [1.0, 2.0, 1.0]),
               "no_guard": result("no_guard", [0.8, 1.6, 0.8]),
               "r1": result("r1", [1.5, 3.0, 1.5])}
    assert feature_costs.share(results, "plain", "wall_seconds") is None
    assert feature_costs.share(results, "r1", "wall_seconds") == pytest.approx(0.5)
    # The guard: plain / no_guard - 1, i.e. what the guard adds to an unguarded step.
    assert feature_costs.share(results, "no_guard", "wall_seconds") == pytest.approx(0.25)
    table = feature_costs.cost_table({"torch": results}, ["plain", "no_guard", "r1"], 100,
                                     "wall_seconds")
    assert "| R1 every step | 15.0 | +50.0% |" in table
    assert "non-finite guard" in table


@pytest.mark.backend_independent
def test_unknown_variants_are_refused_and_plain_is_always_measured():
    assert feature_costs.parse_variants("r1,ema") == ["plain", "r1", "ema"]
    with pytest.raises(ValueError, match="choose from"):
        feature_costs.parse_variants("r1,warp_drive")


@pytest.mark.backend_independent
def test_cells_and_warnings():
    timed = result("r1 [torch]", [0.3, 0.5, 0.4])
    assert feature_costs.ms_per_step_cell(timed, 100, "wall_seconds") == "4.0"
    assert feature_costs.ms_per_step_cell(result("none", []), 100, "wall_seconds") == "n/a"
    warned = harness.Result("ema [jax]", runs=[], warnings=["no update"])
    assert feature_costs.ms_per_step_cell(warned, 100, "wall_seconds") == "n/a (!)"
    results = {"torch": {"r1": timed}, "jax": {"ema": warned}}
    assert feature_costs.warning_report(results) == [
        "", "Warnings ((!) in the table):", "- ema [jax]: no update"]
    assert feature_costs.warning_report({"torch": {"r1": timed}}) == []
