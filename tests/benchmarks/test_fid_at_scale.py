"""benchmarks/fid_at_scale.py on small sizes, so it cannot rot: its statistics and distances agree."""

import numpy as np
import pytest

import fid_at_scale

pytestmark = pytest.mark.backend_independent


def test_streaming_statistics_and_both_distances_agree():
    rows, values = fid_at_scale.run(num_features=2500, dim=24, rounds=1)
    # Streaming float64 moments over chunks equal the whole-array statistics.
    np.testing.assert_allclose(values["streaming_sigma"], values["all_at_once_sigma"],
                               rtol=1e-10, atol=1e-12)
    assert values["fid"] > 0
    np.testing.assert_allclose(values["fid"], values["scipy_fid"], rtol=1e-8)
    names = [name for name, _ in rows]
    assert "statistics, streaming" in names and "distance, scipy.linalg.sqrtm" in names


def test_feature_chunks_are_deterministic_and_non_negative():
    first = np.concatenate(list(fid_at_scale.feature_chunks(2100, 8, seed=3)))
    second = np.concatenate(list(fid_at_scale.feature_chunks(2100, 8, seed=3)))
    assert first.shape == (2100, 8) and first.dtype == np.float32
    np.testing.assert_array_equal(first, second)
    assert first.min() >= 0 and first.std() > 0.1
