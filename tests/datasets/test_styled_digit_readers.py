"""Reading digits2styled images back: background_colours, unstyle_digits, digit_accuracy."""

import numpy as np
import pytest

import keras_gen
from keras_gen.datasets import background_colours
from keras_gen.datasets import digit_accuracy
from keras_gen.datasets import unstyle_digits
from keras_gen.datasets.tasks import _mnist_split
from keras_gen.datasets.tasks import digits2styled
from keras_gen.datasets.tasks import style_digits

# NumPy only, except the test with the shipped classifier (it runs a Keras model).
independent = pytest.mark.backend_independent


def flat_style(foreground, background):
    return {"foreground": foreground, "background": background, "stripe_colour": [0.0, 0.0, 0.0],
            "stripe_angle": 0.0, "stripe_period": 4.0, "stripe_phase": 0.0, "stripe_amplitude": 0.0}


@independent
def test_background_colours_average_the_two_pixel_frame():
    images = np.zeros((2, 6, 6, 3), np.float32)
    images[0] = [0.2, -0.4, 0.6]
    images[0, 2:4, 2:4] = 1.0  # the inside is ignored
    images[1, 0, :] = 1.0  # 6 of the 32 frame pixels
    np.testing.assert_allclose(background_colours(images), [[0.2, -0.4, 0.6], [6 / 32] * 3], atol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        background_colours(np.zeros((1, 4, 4, 3)))


@independent
def test_unstyle_digits_by_hand():
    # Ink 1, 0.5 and 0 in red on blue: luminances 0.299, 0.2065, 0.114 (BT.601).
    ink = np.zeros((1, 6, 6), np.float32)
    ink[0, 2, 2], ink[0, 2, 3] = 1.0, 0.5
    styled = style_digits(ink * 2.0 - 1.0, flat_style([1.0, 0.0, 0.0], [0.0, 0.0, 1.0]))
    np.testing.assert_allclose(background_colours(styled), [[-1.0, -1.0, 1.0]], atol=1e-6)
    grey = unstyle_digits(styled)
    assert grey.shape == (1, 6, 6, 1) and grey.dtype == np.float32
    # |luma - 0.114| / 0.185 = 1, 0.5, 0 -> 1, 0, -1 in [-1, 1].
    np.testing.assert_allclose(grey[0, 2, 2:4, 0], [1.0, 0.0], atol=1e-5)
    np.testing.assert_allclose(np.delete(grey.ravel(), [14, 15]), -1.0, atol=1e-6)
    # Dark ink on a light background reads the same.
    light = style_digits(ink * 2.0 - 1.0, flat_style([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]))
    np.testing.assert_allclose(unstyle_digits(light), grey, atol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        unstyle_digits(np.zeros((1, 6, 6, 1)))


@independent
def test_styled_digits_give_back_their_background_and_grey_digit():
    _, _, b, _, style = digits2styled("test", image_size=16, stripes=False, seed=2, return_style=True)
    # Restyle known grey digits in B's flat styles and read both back.
    digits, _ = _mnist_split("test", 16)
    digits = digits[:200]
    styled = style_digits(digits * 2.0 - 1.0, {key: value[:200] for key, value in style.items()})
    frame = np.ones((16, 16), bool)
    frame[2:-2, 2:-2] = False
    clear = digits[:, frame].max(axis=1) == 0  # no ink on the frame: the reading is exact
    assert clear.mean() > 0.8
    background = 2.0 * style["background"][:200] - 1.0
    np.testing.assert_allclose(background_colours(styled)[clear], background[clear], atol=1e-5)
    np.testing.assert_allclose(background_colours(styled), background, atol=0.05)
    expected = digits / digits.max(axis=(1, 2), keepdims=True) * 2.0 - 1.0
    np.testing.assert_allclose(unstyle_digits(styled)[clear, ..., 0], expected[clear], atol=1e-4)
    # The task's own B images: the same backgrounds where the frame is clear.
    errors = np.abs(background_colours(b) - (2.0 * style["background"] - 1.0)).max(axis=1)
    assert np.mean(errors < 1e-5) > 0.8 and errors.max() < 0.05


class FixedClassifier:
    """Predicts class 3 for every image, and records the shape it was given."""

    def probabilities(self, images):
        self.shape = images.shape
        return np.tile(np.eye(10)[3], (len(images), 1))


@independent
def test_digit_accuracy_crops_the_padding_and_counts_hits():
    classifier = FixedClassifier()
    labels = np.array([3, 3, 1, 0])
    assert digit_accuracy(classifier, np.zeros((4, 16, 16, 1)), labels) == 0.5
    assert classifier.shape == (4, 14, 14, 1)  # 1 of 16 pixels each side (2 of 32)
    assert digit_accuracy(classifier, np.zeros((4, 32, 32, 1)), labels) == 0.5
    assert classifier.shape == (4, 28, 28, 1)
    assert digit_accuracy(classifier, np.zeros((4, 8, 8, 1)), labels) == 0.5
    assert classifier.shape == (4, 8, 8, 1)  # under 16 pixels: nothing to crop
    with pytest.raises(ValueError, match="probabilities"):
        digit_accuracy(object(), np.zeros((4, 16, 16, 1)), labels)
    with pytest.raises(ValueError, match="shape"):
        digit_accuracy(classifier, np.zeros((4, 16, 16, 1)), labels[:3])


def test_the_digits_classifier_reads_real_and_unstyled_digits():
    a, labels_a, b, labels_b = digits2styled("test", image_size=16, stripes=False, seed=1)
    classifier = keras_gen.metrics.get_feature_extractor("digits")
    assert digit_accuracy(classifier, a[:200, ..., :1], labels_a[:200]) > 0.9
    assert digit_accuracy(classifier, unstyle_digits(b[:200]), labels_b[:200]) > 0.9
