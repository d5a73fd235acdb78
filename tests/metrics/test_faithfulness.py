"""Semantic-synthesis faithfulness: mean IoU and per-class accuracy by hand, and the digit-region mode."""

import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.metrics import mean_iou
from keras_gen.metrics import per_class_accuracy
from keras_gen.metrics import per_class_iou
from keras_gen.metrics import segmentation_faithfulness
from keras_gen.metrics.digits_classifier import digits_preset_dir
from keras_gen.metrics.faithfulness import confusion_matrix

HAS_PRESET = os.path.isfile(os.path.join(digits_preset_dir(), "model.weights.h5"))
needs_preset = pytest.mark.skipif(not HAS_PRESET, reason="run recipes/digits_classifier.py first")

TRUTH = np.array([[[0, 0, 1, 1],
                   [0, 2, 2, 1],
                   [3, 3, 0, 0]]])
PREDICTED = np.array([[[0, 1, 1, 1],
                       [0, 2, 1, 1],
                       [3, 0, 0, 2]]])


def numpy_iou(predicted, truth, cls):
    p, t = predicted == cls, truth == cls
    union = (p | t).sum()
    return (p & t).sum() / union if union else np.nan


def test_confusion_matrix_by_hand():
    matrix = confusion_matrix(PREDICTED, TRUTH, num_classes=4)
    expected = np.zeros((4, 5), int)
    for t, p in [(0, 0), (0, 1), (1, 1), (1, 1), (0, 0), (2, 2), (2, 1), (1, 1), (3, 3), (3, 0), (0, 0), (0, 2)]:
        expected[t, p] += 1
    np.testing.assert_array_equal(matrix, expected)


def test_iou_and_accuracy_by_hand():
    # Class 1: truth {(0,2),(0,3),(1,3)}, predicted {(0,1),(0,2),(0,3),(1,2),(1,3)} -> 3 / 5.
    # Class 2: truth {(1,1),(1,2)}, predicted {(1,1),(2,3)} -> 1 / 3.
    # Class 3: truth {(2,0),(2,1)}, predicted {(2,0)} -> 1 / 2.
    iou = per_class_iou(PREDICTED, TRUTH, num_classes=4)
    np.testing.assert_allclose(iou[1:], [3 / 5, 1 / 3, 1 / 2])
    np.testing.assert_allclose(iou, [numpy_iou(PREDICTED, TRUTH, c) for c in range(4)])
    assert mean_iou(PREDICTED, TRUTH, 4) == pytest.approx((3 / 5 + 1 / 3 + 1 / 2) / 3)
    assert mean_iou(PREDICTED, TRUTH, 4, ignore_background=False) == pytest.approx(np.mean(iou))
    # Accuracy (recall): background 3 of 5, class 1 3 of 3, class 2 1 of 2, class 3 1 of 2.
    np.testing.assert_allclose(per_class_accuracy(PREDICTED, TRUTH, 4), [3 / 5, 1.0, 0.5, 0.5])


def test_absent_classes_and_out_of_range_predictions():
    truth = np.array([0, 1, 1, 255])  # 255: void, ignored
    predicted = np.array([0, 1, 7, 2])  # 7 is no class: wrong for class 1
    iou = per_class_iou(predicted, truth, num_classes=4)
    np.testing.assert_allclose(iou[:2], [1.0, 0.5])
    assert np.isnan(iou[3])  # neither in the labels nor in the predictions
    assert np.isnan(iou[2])  # only predicted on a void pixel, which is ignored
    assert mean_iou(predicted, truth, 4) == pytest.approx(0.5)
    accuracy = per_class_accuracy(predicted, truth, 4)
    np.testing.assert_allclose(accuracy[:2], [1.0, 0.5])
    assert np.isnan(accuracy[2]) and np.isnan(accuracy[3])
    assert np.isnan(mean_iou(np.zeros(3, int), np.zeros(3, int), 4))  # only background
    perfect = np.array([[0, 2], [2, 1]])
    assert mean_iou(perfect, perfect, 3) == 1.0
    with pytest.raises(ValueError, match="same shape"):
        mean_iou(np.zeros((2, 2), int), np.zeros((2, 3), int), 3)
    with pytest.raises(ValueError, match="num_classes"):
        mean_iou(perfect, perfect, 0)
    with pytest.raises(ValueError, match="integer"):
        per_class_accuracy(np.array([0.5]), np.array([0]), 2)


def test_with_a_segmenter():
    images, label_maps = keras_gen.datasets.digits_segmentation("test", image_size=28, num_images=10)

    def oracle(batch):
        return label_maps[: len(batch)] if len(batch) == 10 else None

    scores = segmentation_faithfulness(images, label_maps, segmenter=oracle)
    assert scores["mean_iou"] == 1.0 and scores["pixel_accuracy"] == 1.0
    assert "region_accuracy" not in scores
    present = np.unique(label_maps)
    np.testing.assert_allclose(scores["per_class_accuracy"][present], 1.0)

    def scores_of_everything_background(batch):
        scores = np.zeros(batch.shape[:3] + (11,), np.float32)
        scores[..., 0] = 1.0
        return keras.ops.convert_to_tensor(scores)

    scores = segmentation_faithfulness(images, label_maps, segmenter=scores_of_everything_background, batch_size=3)
    assert scores["mean_iou"] == 0.0
    assert scores["pixel_accuracy"] == pytest.approx(np.mean(label_maps == 0))
    # A keras.Model segmenter: one 1x1 convolution predicting "background" everywhere.
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Conv2D(11, 1, kernel_initializer="zeros",
                                  bias_initializer=keras.initializers.Constant([1.0] + [0.0] * 10))(inputs)
    model_scores = segmentation_faithfulness(images, label_maps, segmenter=keras.Model(inputs, outputs))
    assert model_scores["mean_iou"] == 0.0
    with pytest.raises(ValueError, match="shape"):
        segmentation_faithfulness(images, label_maps, segmenter=lambda batch: batch[:, :4, :4, 0])


@needs_preset
def test_real_digits_are_faithful_to_their_maps_and_shuffled_maps_are_not():
    images, label_maps = keras_gen.datasets.digits_segmentation("test", image_size=56, num_images=40, seed=0)
    scores = segmentation_faithfulness(images, label_maps)
    assert scores["num_regions"] >= 160  # four digits a canvas (a broken digit may count twice)
    assert scores["region_accuracy"] > 0.9
    assert scores["mean_iou"] > 0.8
    assert scores["predicted_maps"].shape == label_maps.shape
    # Ink matches strokes exactly, so each region's IoU is 1 when its digit is recognised.
    foreground = label_maps > 0
    assert np.all((scores["predicted_maps"] > 0) == foreground)
    shuffled = label_maps[np.roll(np.arange(len(label_maps)), 1)]
    classifier = keras_gen.metrics.get_feature_extractor("digits")  # loaded once for the rest
    bad = segmentation_faithfulness(images, shuffled, classifier=classifier)
    assert bad["mean_iou"] < 0.3 and bad["region_accuracy"] < 0.4
    # A single digit per 28x28 canvas, and 3-channel images (channels averaged).
    images, label_maps = keras_gen.datasets.digits_segmentation("test", image_size=28, num_images=30)
    scores = segmentation_faithfulness(np.repeat(images, 3, axis=-1), label_maps, classifier=classifier)
    assert scores["num_regions"] >= 30 and scores["mean_iou"] > 0.8


@needs_preset
def test_stray_ink_counts_against_the_nearest_region():
    images, label_maps = keras_gen.datasets.digits_segmentation("test", image_size=56, num_images=4, seed=0)
    classifier = keras_gen.metrics.get_feature_extractor("digits")
    clean = segmentation_faithfulness(images, label_maps, classifier=classifier)
    dirty = images.copy()
    dirty[:, 0:3, 20:36] = 1.0  # a bar of ink between the two top digits, on background labels
    assert np.all(label_maps[:, 0:3, 20:36] == 0)
    scores = segmentation_faithfulness(dirty, label_maps, classifier=classifier)
    assert np.all(scores["predicted_maps"][:, 0:3, 20:36] > 0)
    assert scores["mean_iou"] < clean["mean_iou"]


def test_default_mode_without_foreground_and_errors():
    images = -np.ones((2, 28, 28, 1), np.float32)
    images[1, 10:12, 10:12] = 1.0  # ink with no region anywhere: wrong, whatever it is
    label_maps = np.zeros((2, 28, 28), np.int32)
    scores = segmentation_faithfulness(images, label_maps)
    assert scores["num_regions"] == 0 and np.isnan(scores["region_accuracy"])
    assert scores["pixel_accuracy"] == pytest.approx(1.0 - 4 / (2 * 28 * 28))
    assert np.isnan(scores["mean_iou"])
    with pytest.raises(ValueError, match="class ids"):
        segmentation_faithfulness(images, label_maps + 11)
    with pytest.raises(ValueError, match="same"):
        segmentation_faithfulness(images[:1], label_maps)
    with pytest.raises(ValueError, match="height"):
        segmentation_faithfulness(images[:, :20], label_maps)
    with pytest.raises(ValueError, match=r"\(n, height, width\)"):
        segmentation_faithfulness(images, label_maps[0])
    with pytest.raises(ValueError, match="margin"):
        segmentation_faithfulness(images, label_maps, margin=-1)
    with pytest.raises(TypeError, match="segmenter"):
        segmentation_faithfulness(images, label_maps, segmenter="unet")
