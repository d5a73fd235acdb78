"""FID at the size papers report: 50,000 x 2,048 features per set.

Measures, side by side in one process (rounds interleaved, medians and the
median of the paired ratios reported):

(a) Statistics of one set: keras_gen's streaming float64 moments
    (`keras_gen.metrics.RunningMoments`, fed 1,000 features at a time as
    `GenerativeMetrics` feeds it) against holding every feature and calling
    `feature_statistics` on the whole array once; time, peak traced memory
    (tracemalloc, NumPy's allocations) and the largest difference between the
    two covariances.
(b) The distance on those statistics: `keras_gen.metrics.frechet_distance`
    (Cholesky/eigendecomposition route) against `scipy.linalg.sqrtm` (the
    pytorch-fid formula); time and agreement.

Features are synthetic, shaped like pooled CNN activations (non-negative,
correlated), and generated chunk by chunk from a seed, so the streaming path
never holds the whole set.

Usage:

    python benchmarks/fid_at_scale.py --output benchmarks/results_fid_at_scale.md
    python benchmarks/fid_at_scale.py --num-features 2000 --dim 64 --rounds 1   # quick
"""

import argparse
import statistics
import tracemalloc

import numpy as np
import scipy.linalg

import harness
import keras_gen

CHUNK = 1000


def feature_chunks(num_features, dim, seed, shift=0.0, chunk=CHUNK):
    """Yields float32 chunks `(<= chunk, dim)` of non-negative correlated features."""
    mixing = np.random.default_rng(seed).standard_normal((dim, dim)) / np.sqrt(dim)
    for start in range(0, num_features, chunk):
        rng = np.random.default_rng([seed, start])
        z = rng.standard_normal((min(chunk, num_features - start), dim))
        yield np.maximum(z @ mixing + 0.5 + shift, 0.0).astype(np.float32)


def streaming_statistics(num_features, dim, seed, shift=0.0):
    moments = keras_gen.metrics.RunningMoments()
    for chunk in feature_chunks(num_features, dim, seed, shift):
        moments.update(chunk)
    return moments.mean_and_covariance()


def all_at_once_statistics(num_features, dim, seed, shift=0.0):
    features = np.concatenate(list(feature_chunks(num_features, dim, seed, shift)))
    return keras_gen.metrics.feature_statistics(features)


def scipy_frechet_distance(mu1, sigma1, mu2, sigma2):
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    imaginary = float(np.abs(np.imag(covmean)).max()) if np.iscomplexobj(covmean) else 0.0
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(np.real(covmean))
    return float(value), imaginary


def traced_peak_mib(function, *args):
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def interleaved(contestants, rounds):
    """{name: [wall seconds per round]} and {name: last value}, contestants alternating each round."""
    times, values = {name: [] for name in contestants}, {}
    for round_index in range(rounds):
        order = list(contestants) if round_index % 2 == 0 else list(reversed(contestants))
        for name in order:
            values[name], timing = harness.measure(contestants[name])
            times[name].append(timing.wall_seconds)
    return times, values


def paired_ratio(times, numerator, denominator):
    return statistics.median(a / b for a, b in zip(times[numerator], times[denominator]))


def run(num_features, dim, rounds):
    rows = [("features", f"{num_features:,} x {dim:,} per set, float32 chunks of {CHUNK:,}")]
    # (a) statistics of one set
    stats_contestants = {
        "streaming": lambda: streaming_statistics(num_features, dim, seed=0),
        "all at once": lambda: all_at_once_statistics(num_features, dim, seed=0),
    }
    times, values = interleaved(stats_contestants, rounds)
    (mu_s, sigma_s), (mu_a, sigma_a) = values["streaming"], values["all at once"]
    for name in stats_contestants:
        peak = traced_peak_mib(stats_contestants[name])
        rows.append((f"statistics, {name}",
                     f"median {statistics.median(times[name]):.2f} s over {rounds} rounds; "
                     f"peak traced memory {peak:,.0f} MiB"))
    rows.append(("streaming / all at once (time, median of paired ratios)",
                 f"{paired_ratio(times, 'streaming', 'all at once'):.2f}"))
    rows.append(("largest covariance difference", f"{np.abs(sigma_s - sigma_a).max():.1e} "
                 f"(covariance entries up to {np.abs(sigma_a).max():.2f}); mean "
                 f"{np.abs(mu_s - mu_a).max():.1e}"))
    # (b) the distance between two sets' statistics
    mu2, sigma2 = streaming_statistics(num_features, dim, seed=1, shift=0.05)
    distance_contestants = {
        "keras_gen frechet_distance": lambda: keras_gen.metrics.frechet_distance(
            mu_s, sigma_s, mu2, sigma2),
        "scipy.linalg.sqrtm": lambda: scipy_frechet_distance(mu_s, sigma_s, mu2, sigma2),
    }
    times, values = interleaved(distance_contestants, rounds)
    ours, (reference, imaginary) = values["keras_gen frechet_distance"], values["scipy.linalg.sqrtm"]
    for name in distance_contestants:
        rows.append((f"distance, {name}", f"median {statistics.median(times[name]):.2f} s"))
    rows.append(("keras_gen / scipy (time, median of paired ratios)",
                 f"{paired_ratio(times, 'keras_gen frechet_distance', 'scipy.linalg.sqrtm'):.2f}"))
    rows.append(("FID", f"keras_gen {ours:.6f}, scipy {reference:.6f} (relative difference "
                 f"{abs(ours - reference) / max(abs(reference), 1e-12):.1e}; scipy's largest "
                 f"imaginary part {imaginary:.1e})"))
    return rows, {"streaming_sigma": sigma_s, "all_at_once_sigma": sigma_a, "fid": ours,
                  "scipy_fid": reference}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-features", type=int, default=50_000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", help="also write the markdown table to this file")
    args = parser.parse_args(argv)
    provenance = harness.Provenance(__file__, argv)
    rows, _ = run(args.num_features, args.dim, args.rounds)
    lines = ["## FID at scale", "", harness.markdown_table(["measure", "value"], rows), ""]
    harness.publish("\n".join(lines + provenance.lines()), args.output)


if __name__ == "__main__":
    main()
