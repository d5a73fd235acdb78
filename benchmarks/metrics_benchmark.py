"""Benchmarks keras_gen.metrics: FID speed and stability, and real-data floors on digits.

(a) FID of two sets of random features (default 10,000 x 2,048): the
    eigendecomposition route of `keras_gen.metrics.frechet_distance` against
    `scipy.linalg.sqrtm` on the same statistics, timed side by side.
(b) The real-data floor with the "digits" features: FID, KID, IS, precision and
    recall of the 4,000 embedded train digits against the 1,000 held-out ones.
(c) The same numbers for 1,000 samples of the `dcgan_mnist` preset against the
    held-out digits, when that preset exists (skipped with a message otherwise).

Usage:

    python benchmarks/metrics_benchmark.py --output benchmarks/metrics_results.md
    python benchmarks/metrics_benchmark.py --num-features 2000 --dim 256  # quick
"""

import argparse

import keras
import numpy as np
import scipy.linalg

import harness
import keras_gen


def scipy_frechet_distance(mu1, sigma1, mu2, sigma2):
    """The classic formula with `scipy.linalg.sqrtm` (real part taken, as usual)."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    imaginary = float(np.abs(np.imag(covmean)).max()) if np.iscomplexobj(covmean) else 0.0
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(np.real(covmean))
    return float(value), imaginary


def seconds(timing):
    """Wall seconds, with the process' CPU seconds alongside."""
    return f"{timing.wall_seconds:.2f} s ({timing.cpu_seconds:.2f} s CPU)"


def fid_speed(num_features, dim, seed=0):
    rng = np.random.default_rng(seed)
    features1 = rng.standard_normal((num_features, dim))
    mixing = np.eye(dim) + rng.standard_normal((dim, dim)) * (0.5 / np.sqrt(dim))
    features2 = rng.standard_normal((num_features, dim)) @ mixing + 0.05
    mu1, sigma1 = keras_gen.metrics.feature_statistics(features1)
    mu2, sigma2 = keras_gen.metrics.feature_statistics(features2)
    ours, ours_time = harness.measure(keras_gen.metrics.frechet_distance, mu1, sigma1, mu2, sigma2)
    (reference, imaginary), scipy_time = harness.measure(
        scipy_frechet_distance, mu1, sigma1, mu2, sigma2
    )
    return [
        ("features", f"{num_features:,} x {dim:,} per set (random)"),
        ("keras_gen frechet_distance", f"{ours:.6f} in {seconds(ours_time)}"),
        (
            "scipy.linalg.sqrtm",
            f"{reference:.6f} in {seconds(scipy_time)} (max imaginary part {imaginary:.1e})",
        ),
        ("relative difference", f"{abs(ours - reference) / abs(reference):.1e}"),
        (
            "speed-up (scipy time / ours)",
            f"{scipy_time.wall_seconds / ours_time.wall_seconds:.1f}x",
        ),
    ]


def quality_row(name, extractor, real_outputs, images, seed=0):
    """One row of the quality table: FID, KID, IS, precision and recall of `images`."""
    outputs = extractor.extract(images)
    fid = keras_gen.metrics.frechet_distance(
        *keras_gen.metrics.feature_statistics(real_outputs["features"]),
        *keras_gen.metrics.feature_statistics(outputs["features"]),
    )
    kid, kid_std = keras_gen.metrics.kernel_inception_distance(
        real_outputs["features"], outputs["features"], num_subsets=100, subset_size=1000, seed=seed
    )
    score, score_std = keras_gen.metrics.inception_score(outputs["probabilities"], num_splits=10)
    pr = keras_gen.metrics.precision_recall(real_outputs["features"], outputs["features"], k=3)
    return [
        name, f"{len(images):,}", f"{fid:.3f}", f"{kid:.5f} +- {kid_std:.5f}",
        f"{score:.3f} +- {score_std:.3f}", f"{pr['precision']:.3f}", f"{pr['recall']:.3f}",
    ]


def dcgan_samples(num_samples, seed=1):
    """Samples of the shipped preset, drawn as in its model card (seed 1)."""
    try:
        from keras_gen import applications

        gan = applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
    except (ImportError, ValueError, FileNotFoundError, OSError) as error:
        return None, f"skipped (c): no dcgan_mnist preset ({type(error).__name__}: {error})"
    return gan.generate(num_samples, seed=seed), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-features", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--skip-speed", action="store_true", help="skip part (a)")
    parser.add_argument("--output", help="also write the markdown to this file")
    args = parser.parse_args()
    provenance = harness.Provenance(__file__)

    lines = [f"# keras_gen.metrics benchmark (keras {keras.__version__}, backend {keras.backend.backend()})", ""]
    if not args.skip_speed:
        lines += [
            "## (a) FID: keras_gen (Cholesky or eigendecomposition, symmetric) vs scipy sqrtm",
            "",
            harness.markdown_table(["", ""], fid_speed(args.num_features, args.dim)),
            "",
        ]

    (x_train, _), (x_test, _) = keras_gen.datasets.mnist.load_data(source="embedded")
    # IS splits are consecutive rows: shuffle (the embedded splits are class-balanced anyway).
    rng = np.random.default_rng(0)
    x_train, x_test = x_train[rng.permutation(len(x_train))], x_test[rng.permutation(len(x_test))]
    extractor = keras_gen.metrics.get_feature_extractor("digits")
    held_out = extractor.extract(x_test)
    rows = [quality_row("embedded train digits (real-data floor)", extractor, held_out, x_train)]
    samples, message = dcgan_samples(1000)
    if samples is not None:
        rows.append(quality_row("dcgan_mnist preset", extractor, held_out, samples))
    header = ["samples", "n", "FID", "KID", "IS", "precision", "recall"]
    lines += [
        "## (b, c) Digits features (128-d digits classifier) against the 1,000 held-out digits",
        "",
        harness.markdown_table(header, rows),
        "",
        "KID: 100 subsets of min(1000, n) samples, mean +- std. IS: 10 splits. "
        "Precision/recall: k = 3. IS of the held-out digits themselves: "
        "{:.3f}.".format(keras_gen.metrics.inception_score(held_out["probabilities"])[0]),
    ]
    if message:
        lines += ["", message]
    lines += [""] + provenance.lines()
    harness.publish("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
