"""benchmarks/lazy_regularization.py: feature_costs.py's contestants and shares, its own report."""

import harness
import lazy_regularization
import pytest


def result(label, seconds, warnings=()):
    return harness.Result(label, runs=[harness.Run(round=i, wall_seconds=s, cpu_seconds=s / 2,
                                                   info={}) for i, s in enumerate(seconds)],
                          warnings=list(warnings))


@pytest.mark.backend_independent
def test_variants_are_feature_costs_variants_with_the_lazy_interval():
    assert lazy_regularization.gan_kwargs("none", 16) == {}
    assert lazy_regularization.gan_kwargs("every_step", 16) == {
        "gradient_penalty": "r1", "penalty_interval": 1}
    assert lazy_regularization.gan_kwargs("lazy", 4) == {
        "gradient_penalty": "r1", "penalty_interval": 4}
    # feature_costs' own variant is left as it is.
    assert lazy_regularization.feature_costs.MODEL_VARIANTS["r1_lazy"][1]["penalty_interval"] == 16


@pytest.mark.backend_independent
def test_cost_table_keeps_the_recorded_format():
    results = {
        "tensorflow": {"none": result("a [tensorflow]", [1.6, 3.2, 1.6]),
                       "every_step": result("b [tensorflow]", [2.4, 4.8, 2.4], ["slow"]),
                       "lazy": result("c [tensorflow]", [1.6, 4.0, 2.0])},
        "jax": {"none": result("a [jax]", [1.6]), "every_step": result("b [jax]", []),
                "lazy": result("c [jax]", [2.4])},
    }
    table = lazy_regularization.cost_table(results, 160, 16, "wall_seconds")
    # The header and rows of results_lazy_regularization*.md; shares are paired per round.
    assert table.splitlines() == [
        "| Backend | no penalty (ms/step) | R1 every step (ms/step) | R1 every 16 steps (ms/step) "
        "| share, every step | share, every 16 steps |",
        "|---|---:|---:|---:|---:|---:|",
        "| tensorflow | 10.0 | 15.0 (!) | 12.5 | +50% | +25% |",
        "| jax | 10.0 | n/a | 15.0 | n/a | +50% |",
    ]
    assert "| tensorflow | 5.0 | 7.5 (!) | 6.2 |" in lazy_regularization.cost_table(
        results, 160, 16, "cpu_seconds")
    assert lazy_regularization.feature_costs.warning_report(results) == [
        "", "Warnings ((!) in the table):", "- b [tensorflow]: slow"]


@pytest.mark.backend_independent
def test_command_line():
    args = lazy_regularization.parse_args(["--quick", "--worker", "lazy", "--lazy-interval", "4"])
    assert (args.steps, args.repeats, args.worker, args.lazy_interval) == (
        lazy_regularization.QUICK_STEPS, lazy_regularization.QUICK_REPEATS, "lazy", 4)
    assert lazy_regularization.parse_args([]).steps == 160


def test_lazy_contestant_is_the_small_dcgan_and_trains():
    contestant = lazy_regularization.make_contestant("lazy", 4, steps=3)
    assert contestant.model.penalty_interval == 4 and contestant.model.latent_dim == 32
    assert contestant.timed_data.shape == (3 * 32, 16, 16, 1) and contestant.batch_size == 32
    assert contestant.expected_logs == {"d_loss", "g_loss", "r1"}
    assert contestant.warmup() == {"warnings": []}
