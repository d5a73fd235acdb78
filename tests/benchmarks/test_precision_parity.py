"""The precision-parity benchmark's comparison and report, on hand-made results."""

import numpy as np
import pytest

import harness
import precision_parity


def test_comparison_matches_welchs_test_by_hand():
    a, b = [20.0, 22.0, 24.0], [21.0, 25.0, 26.0]
    c = precision_parity.compare(a, b)
    # Welch: t = (mean_a - mean_b) / sqrt(s_a^2/n + s_b^2/n), s_a^2 = 4, s_b^2 = 7.
    t = (22.0 - 24.0) / np.sqrt(4.0 / 3 + 7.0 / 3)
    dof = (4.0 / 3 + 7.0 / 3) ** 2 / ((4.0 / 3) ** 2 / 2 + (7.0 / 3) ** 2 / 2)
    from scipy import stats
    assert c["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), dof))
    assert c["difference"] == pytest.approx(2.0)
    assert c["float32"] == pytest.approx((22.0, 2.0))
    assert c["within_noise"]


def test_a_shift_far_beyond_the_seed_spread_is_not_noise():
    c = precision_parity.compare([20.0, 20.5, 21.0], [40.0, 40.5, 41.0])
    assert c["p_value"] < 0.05 and not c["within_noise"]


def test_report_lists_every_run_and_the_verdict_per_metric():
    def run(precision, seed, fid):
        return {"backend": "torch", "precision": precision, "seed": seed, "epochs": 10,
                "fid_digits": fid, "is_digits": 9.0 + seed / 10, "samples_from": "ema",
                "training_seconds": 90.0 + seed}
    results = [run(p, s, 20.0 + s + (p == "mixed_bfloat16")) for s in range(3)
               for p in precision_parity.PRECISIONS]
    report = precision_parity.format_report(results, harness.Provenance("precision_parity.py", []))
    assert "| torch | mixed_bfloat16 | 2 | 23.00 | 9.20 | ema | 92 |" in report
    assert "| torch | fid_digits | 21.00 ± 1.00 | 22.00 ± 1.00 | +1.00 |" in report
    assert report.count("| torch |") == 6 + 2
