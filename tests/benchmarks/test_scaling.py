"""The scaling benchmark's sweep, its saturation rule and its report, on hand-made results."""

import scaling


def row(batch, side, seconds, finite=True):
    return {"batch_size": batch, "image_shape": [side, side, 1 if side == 28 else 3],
            "seconds_per_step": seconds, "finite": finite}


def test_sweep_is_batches_at_28_then_image_sizes_at_64_without_repeats():
    pairs = scaling.configurations((16, 64), ((28, 28, 1), (64, 64, 3)))
    assert pairs == [(16, (28, 28, 1)), (64, (28, 28, 1)), (64, (64, 64, 3))]


def test_saturation_is_the_first_batch_gaining_less_than_ten_percent():
    # images/s: 100, 200, 215 (+7.5%), 400
    rows = [row(16, 28, 0.16), row(32, 28, 0.16), row(64, 28, 64 / 215), row(128, 28, 0.32),
            row(64, 64, 1.0)]
    assert scaling.saturation_batch(rows) == 64
    assert scaling.saturation_batch(rows[:2]) is None


def test_report_lists_images_per_second_and_marks_failures():
    args = scaling.parse_args(["--batch-sizes", "16,32", "--image-sizes", "28,64"])
    results = {("jax", "float32"): [row(16, 28, 0.02), row(32, 28, 0.04, finite=False),
                                    row(64, 28, 0.05)]}
    report = scaling.format_report(results, args)
    assert "| jax | float32 | 800 | 800 (!) | 1,280 | failed |" in report
    assert "stop growing (less than 10% more) at batch 32" in report
