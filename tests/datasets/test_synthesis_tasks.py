"""Offline synthesis tasks: skeletons2digits (multimodal), digits2styled (style), digits_segmentation (label maps)."""

import numpy as np
import pytest
from scipy import ndimage

import keras_gen
from keras_gen.datasets import tasks
from keras_gen.datasets.tasks import _mnist_split
from keras_gen.datasets.tasks import digit_skeletons
from keras_gen.datasets.tasks import digits2styled
from keras_gen.datasets.tasks import digits_segmentation
from keras_gen.datasets.tasks import one_hot_label_maps
from keras_gen.datasets.tasks import render_strokes
from keras_gen.datasets.tasks import skeletons2digits
from keras_gen.datasets.tasks import stroke_style
from keras_gen.datasets.tasks import style_digits

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent

EIGHT = np.ones((3, 3), dtype=bool)


@pytest.fixture(scope="module")
def bicycle():
    return skeletons2digits("test", styles_per_digit=3, seed=3, return_style=True)


@pytest.fixture(scope="module")
def styled():
    return digits2styled("test", seed=5, return_style=True)


def test_exported_from_the_package():
    for name in ("skeletons2digits", "digits2styled", "digits_segmentation", "one_hot_label_maps"):
        assert getattr(keras_gen.datasets, name) is getattr(tasks, name)
    assert tasks.SEGMENTATION_CLASSES == 11 and tasks.STYLE_FACTORS == ("thickness", "intensity")


# ------------------------------------------------------------- skeletons


def test_skeleton_of_a_bar_by_hand():
    bar = np.zeros((1, 7, 9))
    bar[0, 2:5, 1:8] = 1.0
    skeleton = digit_skeletons(bar)[0]
    expected = np.zeros((7, 9), bool)
    # By hand: pass 1 peels the south row, the east column and the north-west
    # corner; pass 2 the north row, the west end and the new south-east end;
    # then every pixel left has one neighbour or two transitions. Zhang-Suen's
    # passes are not symmetric, so the middle row keeps columns 2..5 of 1..7.
    expected[3, 2:6] = True
    np.testing.assert_array_equal(skeleton, expected)
    with pytest.raises(ValueError, match="shape"):
        digit_skeletons(np.zeros((7, 9)))


def test_skeletons_are_thin_and_keep_the_topology():
    digits, _ = _mnist_split("test", 32)
    digits = digits[:200]
    strokes = digits > 0.5
    skeletons = digit_skeletons(digits)
    assert not np.any(skeletons & ~strokes)
    for stroke, skeleton in zip(strokes, skeletons):
        # Same 8-connected pieces and the same holes (4-connected background pieces).
        assert ndimage.label(stroke, EIGHT)[1] == ndimage.label(skeleton, EIGHT)[1]
        assert ndimage.label(~stroke)[1] == ndimage.label(~skeleton)[1]
    # One pixel wide: 2x2 blocks of skeleton are rare leftovers of Zhang-Suen.
    blocks = skeletons[:, 1:, 1:] & skeletons[:, :-1, 1:] & skeletons[:, 1:, :-1] & skeletons[:, :-1, :-1]
    assert blocks.sum() < 0.01 * skeletons.sum()
    assert skeletons.sum() < 0.6 * strokes.sum()


def test_skeletons_lie_on_scikit_image_skeletons():
    morphology = pytest.importorskip("skimage.morphology")
    digits, _ = _mnist_split("test", 32)
    strokes = digits[:100] > 0.5
    ours = digit_skeletons(digits[:100])
    theirs = np.stack([morphology.skeletonize(stroke) for stroke in strokes])
    # Both thin the same strokes: every pixel of one is at most one step from the other.
    near_theirs = ndimage.binary_dilation(theirs, np.ones((1, 3, 3), bool))
    near_ours = ndimage.binary_dilation(ours, np.ones((1, 3, 3), bool))
    assert near_theirs[ours].mean() > 0.99 and near_ours[theirs].mean() > 0.99


def test_render_strokes_width_by_hand():
    line = np.zeros((1, 9, 9), bool)
    line[0, :, 4] = True  # a vertical skeleton
    for width, column in [(1.0, [0, 0, 0, 0, 1, 0, 0, 0, 0]),
                          (2.0, [0, 0, 0, 0.5, 1, 0.5, 0, 0, 0]),
                          (3.0, [0, 0, 0, 1, 1, 1, 0, 0, 0]),
                          (4.0, [0, 0, 0.5, 1, 1, 1, 0.5, 0, 0])]:
        drawn = render_strokes(line, width, 0.5)
        assert drawn.shape == (1, 9, 9, 1) and drawn.dtype == np.float32
        ink = (drawn[0, 4, :, 0] + 1.0) / 2.0
        np.testing.assert_allclose(ink, 0.5 * np.array(column), atol=1e-6)
        np.testing.assert_allclose(ink.sum(), 0.5 * width, atol=1e-6)
    with pytest.raises(ValueError, match="thickness"):
        render_strokes(line, 0.0, 1.0)
    with pytest.raises(ValueError, match="intensity"):
        render_strokes(line, 2.0, 1.5)


def test_skeletons2digits_shapes_ranges_and_layout(bicycle):
    a, b, style = bicycle
    assert a.shape == b.shape == (3000, 32, 32, 1) and a.dtype == b.dtype == np.float32
    assert set(np.unique(a)) == {-1.0, 1.0}
    assert b.min() == -1.0 and b.max() <= 1.0
    assert set(style) == {"thickness", "intensity", "labels", "source_index"}
    for key in style:
        assert style[key].shape == (3000,)
    assert np.all((style["thickness"] >= 1.0) & (style["thickness"] <= 4.0))
    assert np.all((style["intensity"] >= 0.4) & (style["intensity"] <= 1.0))
    # Pair s * 1000 + i is digit i in its s-th style: same input, same label.
    np.testing.assert_array_equal(style["source_index"], np.tile(np.arange(1000), 3))
    np.testing.assert_array_equal(a[:1000], a[1000:2000])
    np.testing.assert_array_equal(a[:1000], a[2000:])
    _, labels = _mnist_split("test", 32)
    np.testing.assert_array_equal(style["labels"], np.tile(labels, 3))
    # The input is the skeleton of the split's digit.
    digits, _ = _mnist_split("test", 32)
    np.testing.assert_array_equal(a[:50, ..., 0] > 0, digit_skeletons(digits[:50]))
    # The target's ink lies along the skeleton: within half its width (+0.5) of it.
    distance = ndimage.distance_transform_edt(~(a[:200, ..., 0] > 0), sampling=(1e6, 1, 1))
    reach = style["thickness"][:200, None, None] / 2.0 + 0.5
    assert np.all((distance < reach)[b[:200, ..., 0] > -1.0])
    # Every skeleton pixel is fully inked at the style's intensity.
    on_skeleton = (b[:200, ..., 0] + 1.0) / 2.0
    for i in range(0, 200, 37):
        np.testing.assert_allclose(on_skeleton[i][a[i, ..., 0] > 0], style["intensity"][i], atol=1e-6)


def test_skeletons2digits_outputs_of_one_input_differ_along_the_factors(bicycle):
    a, b, style = bicycle
    measured = stroke_style(b[:600])
    # Intensity is recovered exactly, thickness up to diagonal bias but in order.
    np.testing.assert_allclose(measured["intensity"], style["intensity"][:600], atol=1e-5)
    rank = lambda x: np.argsort(np.argsort(x))  # noqa: E731
    assert np.corrcoef(rank(measured["thickness"]), rank(style["thickness"][:600]))[0, 1] > 0.9
    # For one input, the output with the wider stroke has more ink pixels.
    for i in range(20):
        copies = [i, 1000 + i, 2000 + i]
        thickness = style["thickness"][copies]
        area = (b[copies] > -1.0).reshape(3, -1).sum(axis=1)
        assert np.all(np.diff(area[np.argsort(thickness)]) >= 0)
        assert len({b[j].tobytes() for j in copies}) == 3


def test_skeletons2digits_seed_and_options():
    a, b, style = skeletons2digits("test", seed=3, return_style=True)
    a2, b2, style2 = skeletons2digits("test", seed=3, return_style=True)
    np.testing.assert_array_equal(b, b2)
    np.testing.assert_array_equal(style["thickness"], style2["thickness"])
    a3, b3 = skeletons2digits("test", seed=4)
    np.testing.assert_array_equal(a, a3)  # inputs do not depend on the seed
    assert not np.array_equal(b, b3)
    small, small_b, small_style = skeletons2digits(
        "test", image_size=16, thickness_range=(1.0, 1.5), intensity_range=(1.0, 1.0), return_style=True
    )
    assert small.shape == small_b.shape == (1000, 16, 16, 1)
    assert np.all(small_style["intensity"] == 1.0) and small_style["thickness"].max() <= 1.5
    for kwargs, match in [({"styles_per_digit": 0}, "styles_per_digit"),
                          ({"thickness_range": (3.0, 1.0)}, "thickness_range"),
                          ({"thickness_range": (0.0, 1.0)}, "thickness_range"),
                          ({"intensity_range": (0.5, 1.5)}, "intensity_range"),
                          ({"intensity_range": 0.5}, "intensity_range"),
                          ({"seed": -1}, "seed"), ({"seed": "a"}, "seed"),
                          ({"image_size": 4}, "image_size"), ({"split": "val"}, "split")]:
        with pytest.raises(ValueError, match=match):
            skeletons2digits(**{"split": "test", **kwargs})


# ---------------------------------------------------------------- styled


def test_digits2styled_domains_and_style(styled):
    a, labels_a, b, labels_b, style = styled
    assert a.shape == b.shape == (500, 32, 32, 3) and a.dtype == b.dtype == np.float32
    assert labels_a.dtype == labels_b.dtype == np.int32
    assert np.bincount(labels_a).tolist() == [50] * 10 == np.bincount(labels_b).tolist()
    assert a.min() >= -1 and a.max() <= 1 and b.min() >= -1 and b.max() <= 1
    # A: plain grey, white on black.
    np.testing.assert_array_equal(a[..., 0], a[..., 1])
    np.testing.assert_array_equal(a[..., 0], a[..., 2])
    assert np.median(a) == -1.0
    # The style of every B image is recorded, in range, and legible.
    assert set(style) == {"foreground", "background", "stripe_colour", "stripe_angle",
                          "stripe_period", "stripe_phase", "stripe_amplitude"}
    for key in ("foreground", "background", "stripe_colour"):
        assert style[key].shape == (500, 3) and style[key].min() >= 0 and style[key].max() <= 1
    for key in ("stripe_angle", "stripe_period", "stripe_phase", "stripe_amplitude"):
        assert style[key].shape == (500,) and style[key].dtype == np.float32
    assert np.all((style["stripe_period"] >= 3) & (style["stripe_period"] <= 8))
    assert np.all((style["stripe_angle"] >= 0) & (style["stripe_angle"] < np.pi))
    luma = np.array([0.299, 0.587, 0.114])
    gap_b = (style["background"] - style["foreground"]) @ luma
    gap_s = (style["stripe_colour"] - style["foreground"]) @ luma
    assert np.all(np.abs(gap_b) >= 0.35 - 1e-6) and np.all(np.abs(gap_s) >= 0.35 - 1e-6)
    assert np.all(gap_b * gap_s > 0)
    # Colours vary between images: a real style factor.
    assert style["foreground"].std(axis=0).min() > 0.2
    # B is exactly B's digits rendered in the recorded styles; A holds the other digits.
    digits, labels = _mnist_split("test", 32)
    rank = np.zeros(len(labels), int)
    for d in range(10):
        rank[labels == d] = np.arange((labels == d).sum())
    grey_b = digits[rank % 2 == 1] * 2.0 - 1.0
    np.testing.assert_allclose(b, style_digits(grey_b, style), atol=1e-6)
    np.testing.assert_allclose(a[..., 0], digits[rank % 2 == 0] * 2.0 - 1.0, atol=1e-6)
    # Background pixels show the background/stripe mixture, ink pixels the foreground colour.
    full_ink = grey_b >= 1.0
    i = int(np.argmax(full_ink.reshape(500, -1).sum(axis=1)))
    np.testing.assert_allclose((b[i][full_ink[i]] + 1.0) / 2.0,
                               np.broadcast_to(style["foreground"][i], (full_ink[i].sum(), 3)), atol=1e-6)


def test_style_digits_by_hand():
    digits = -np.ones((2, 4, 4, 1), np.float32)
    digits[:, 1, 1] = 1.0
    style = {"foreground": [1.0, 0.0, 0.0], "background": [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]],
             "stripe_colour": [0.0, 0.0, 0.0], "stripe_angle": 0.0, "stripe_period": 4.0,
             "stripe_phase": [0.0, np.pi / 2], "stripe_amplitude": [0.0, 1.0]}
    out = (style_digits(digits, style) + 1.0) / 2.0
    assert out.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(out[:, 1, 1], [[1, 0, 0], [1, 0, 0]], atol=1e-6)
    np.testing.assert_allclose(out[0, 0, 0], [0, 0, 1], atol=1e-6)  # flat background
    # Stripes along x: mix = 0.5 + 0.5 sin(2 pi x / 4 + pi / 2) = 1, 0.5, 0, 0.5 for x = 0..3.
    mix = np.array([1.0, 0.5, 0.0, 0.5])
    np.testing.assert_allclose(out[1, 0, :, 1], 1.0 - mix, atol=1e-6)
    with pytest.raises(ValueError, match="lacks"):
        style_digits(digits, {"foreground": [1, 1, 1]})


def test_digits2styled_seed_and_options(styled):
    a, _, b, _ = digits2styled("test", seed=5)
    np.testing.assert_array_equal(b, styled[2])
    a2, _, b2, _, flat = digits2styled("test", seed=6, stripes=False, return_style=True)
    np.testing.assert_array_equal(a, a2)  # A does not depend on the seed
    assert not np.array_equal(b, b2)
    assert np.all(flat["stripe_amplitude"] == 0)
    # Flat backgrounds: pixels without ink have exactly the background colour.
    corner = (b2[:, 0, 0] + 1.0) / 2.0
    np.testing.assert_allclose(corner, flat["background"], atol=1e-6)
    small = digits2styled("test", image_size=16)
    assert small[0].shape == small[2].shape == (500, 16, 16, 3)
    for kwargs, match in [({"min_contrast": 0.8}, "min_contrast"), ({"min_contrast": "x"}, "min_contrast"),
                          ({"stripes": 1}, "stripes"), ({"period_range": (1.0, 4.0)}, "period_range"),
                          ({"seed": 1.5}, "seed"), ({"split": "val"}, "split")]:
        with pytest.raises(ValueError, match=match):
            digits2styled(**{"split": "test", **kwargs})


# ----------------------------------------------------------- segmentation


def test_digits_segmentation_single_digit():
    images, label_maps, layout = digits_segmentation("test", image_size=28, return_layout=True)
    assert images.shape == (1000, 28, 28, 1) and images.dtype == np.float32
    assert label_maps.shape == (1000, 28, 28) and label_maps.dtype == np.int32
    assert images.min() == -1.0 and images.max() == 1.0
    assert layout["labels"].shape == (1000, 1) and layout["boxes"].shape == (1000, 1, 4)
    np.testing.assert_array_equal(layout["boxes"][:, 0], np.tile([0, 0, 28, 28], (1000, 1)))
    # One pass over the split: every test digit once, classes balanced.
    assert np.bincount(layout["labels"][:, 0]).tolist() == [100] * 10
    # Stroke pixels of the map are exactly the ink of the image.
    np.testing.assert_array_equal(label_maps > 0, images[..., 0] > 0)
    # The map's only foreground class is 1 + the digit's label.
    for label_map, label in zip(label_maps, layout["labels"][:, 0]):
        assert set(np.unique(label_map).tolist()) == {0, 1 + label}
    # The images are the split's digits (in a seeded order).
    (_, _), (x_test, _) = keras_gen.datasets.mnist.load_data(source="embedded")
    known = {(x.astype(np.float32) / 255.0 * 2.0 - 1.0).tobytes() for x in x_test}
    assert all(image[..., 0].tobytes() in known for image in images[:50])


def test_digits_segmentation_grid_layouts():
    images, label_maps, layout = digits_segmentation("test", image_size=56, return_layout=True)
    assert images.shape == (250, 56, 56, 1) and label_maps.shape == (250, 56, 56)
    assert layout["labels"].shape == (250, 4)
    assert np.bincount(layout["labels"].ravel()).tolist() == [100] * 10
    np.testing.assert_array_equal(label_maps > 0, images[..., 0] > 0)
    cells = [(0, 0), (0, 28), (28, 0), (28, 28)]
    for i in range(0, 250, 7):
        for k, (top, left) in enumerate(cells):
            np.testing.assert_array_equal(layout["boxes"][i, k], [top, left, top + 28, left + 28])
            cell = label_maps[i, top : top + 28, left : left + 28]
            assert set(np.unique(cell).tolist()) == {0, 1 + layout["labels"][i, k]}
    # 64x64: 32-pixel cells, digits at random offsets inside their cell, never overlapping.
    images, label_maps, layout = digits_segmentation("test", image_size=64, num_images=600, seed=1,
                                                     return_layout=True)
    assert images.shape == (600, 64, 64, 1)  # more canvases than one pass (250): a second pass
    boxes = layout["boxes"]
    offsets = boxes[:, :, :2] - np.array([[0, 0], [0, 32], [32, 0], [32, 32]])
    assert offsets.min() == 0 and offsets.max() == 4 and len(np.unique(offsets)) == 5
    assert np.all(boxes[:, :, 2:] - boxes[:, :, :2] == 28)
    np.testing.assert_array_equal(label_maps > 0, images[..., 0] > 0)
    for i in range(0, 600, 50):
        for k in range(4):
            top, left, bottom, right = boxes[i, k]
            inside = np.zeros((64, 64), bool)
            inside[top:bottom, left:right] = True
            assert set(np.unique(label_maps[i][inside]).tolist()) == {0, 1 + layout["labels"][i, k]}
    # Small cells: digits resized to the cell.
    images, label_maps = digits_segmentation("test", image_size=32, digits_per_side=2)
    assert images.shape == (250, 32, 32, 1) and label_maps.max() <= 10
    np.testing.assert_array_equal(label_maps > 0, images[..., 0] > 0)


def test_digits_segmentation_seed_and_errors():
    first = digits_segmentation("test", image_size=56, num_images=20, seed=2)
    again = digits_segmentation("test", image_size=56, num_images=20, seed=2)
    other = digits_segmentation("test", image_size=56, num_images=20, seed=3)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])
    for kwargs, match in [({"image_size": 40, "digits_per_side": 6}, "cell"),
                          ({"digits_per_side": 0}, "digits_per_side"), ({"num_images": 0}, "num_images"),
                          ({"seed": None}, "seed"), ({"image_size": 7}, "image_size"),
                          ({"split": "all"}, "split")]:
        with pytest.raises(ValueError, match=match):
            digits_segmentation(**{"split": "test", **kwargs})


def test_one_hot_label_maps():
    maps = np.array([[[0, 3], [10, 1]]])
    one_hot = one_hot_label_maps(maps)
    assert one_hot.shape == (1, 2, 2, 11) and one_hot.dtype == np.float32
    np.testing.assert_array_equal(one_hot.argmax(-1), maps)
    np.testing.assert_array_equal(one_hot.sum(-1), np.ones((1, 2, 2)))
    assert one_hot_label_maps(maps, num_classes=12).shape == (1, 2, 2, 12)
    with pytest.raises(ValueError, match="class ids"):
        one_hot_label_maps(np.array([[11]]))
    with pytest.raises(ValueError, match="class ids"):
        one_hot_label_maps(np.array([[-1]]))
    with pytest.raises(ValueError, match="integer"):
        one_hot_label_maps(np.array([[0.5]]))


def test_tasks_feed_tf_data():
    tf = pytest.importorskip("tensorflow")
    a, b = skeletons2digits("test")
    dataset = keras_gen.datasets.paired_dataset(a[:64], b[:64], batch_size=16, shuffle=False)
    inputs, targets = next(iter(dataset))
    assert inputs.shape == (16, 32, 32, 1) and targets.shape == (16, 32, 32, 1)
    images, label_maps = digits_segmentation("test", num_images=8)
    segmaps = tf.data.Dataset.from_tensor_slices((one_hot_label_maps(label_maps), images)).batch(4)
    segmap, image = next(iter(segmaps))
    assert segmap.shape == (4, 28, 28, 11) and image.shape == (4, 28, 28, 1)
