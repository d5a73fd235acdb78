"""keras_gen.losses.perceptual and the VGG19 feature model (nothing downloads here)."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.losses import perceptual
from keras_gen.losses.perceptual import ImageNetCaffePreprocessing
from keras_gen.trainers.parameter_gradients import parameter_gradients


def _images(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def linear_feature_model():
    """Two 1x1 convolutions without bias: features that are known multiples of the image."""
    images = keras.Input((4, 4, 1))
    first = keras.layers.Conv2D(2, 1, use_bias=False, name="first")
    second = keras.layers.Conv2D(1, 1, use_bias=False, name="second")
    a = first(images)
    b = second(a)
    model = keras.Model(images, [a, b])
    first.kernel.assign(np.array([1.0, -3.0], "float32").reshape(1, 1, 1, 2))
    second.kernel.assign(np.array([0.5, 0.5], "float32").reshape(1, 1, 2, 1))
    return model


def test_weighted_l1_of_the_features_matches_a_hand_computation():
    model = linear_feature_model()
    real, fake = _images((3, 4, 4, 1), 0), _images((3, 4, 4, 1), 1)
    l1 = np.mean(np.abs(real - fake))
    # first = [x, -3x]: mean |.| = (1 + 3) / 2 * l1; second = 0.5x - 1.5x = -x: l1.
    first, second = 2.0 * l1, 1.0 * l1
    value = float(keras.ops.convert_to_numpy(perceptual(real, fake, model, weights=(0.25, 2.0))))
    np.testing.assert_allclose(value, 0.25 * first + 2.0 * second, rtol=1e-5)
    unweighted = float(keras.ops.convert_to_numpy(perceptual(real, fake, model)))
    np.testing.assert_allclose(unweighted, first + second, rtol=1e-5)
    named = float(keras.ops.convert_to_numpy(perceptual(real, fake, model, layer_names=("second",))))
    np.testing.assert_allclose(named, second, rtol=1e-5)
    assert float(keras.ops.convert_to_numpy(perceptual(real, real, model))) == 0.0


def test_only_the_fake_images_get_a_gradient():
    model = linear_feature_model()
    real, fake = _images((2, 4, 4, 1), 0), _images((2, 4, 4, 1), 1)
    _, (real_grad, fake_grad) = parameter_gradients(
        lambda tensors: perceptual(tensors[0], tensors[1], model), [real, fake]
    )
    assert np.all(keras.ops.convert_to_numpy(real_grad) == 0)
    assert np.any(keras.ops.convert_to_numpy(fake_grad) != 0)


def test_any_model_with_layer_names_e_g_the_digits_classifier():
    classifier = keras_gen.metrics.load_digits_classifier(weights=None)
    real, fake = _images((2, 28, 28, 1), 0), _images((2, 28, 28, 1), 1)
    value = perceptual(real, fake, classifier, layer_names=("features",))
    features = keras_gen.losses.feature_layers_model(classifier, "features")
    assert features is keras_gen.losses.feature_layers_model(classifier, ("features",))  # built once
    expected = np.mean(np.abs(
        keras.ops.convert_to_numpy(features(real)) - keras.ops.convert_to_numpy(features(fake))
    ))
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(value)), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"weights": (1.0,)}, ValueError, "2 feature map"),
        ({"layer_names": ("missing",)}, ValueError, "no layer"),
        ({"layer_names": ()}, ValueError, "at least one"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, error, match):
    real = _images((2, 4, 4, 1), 0)
    with pytest.raises(error, match=match):
        perceptual(real, real, linear_feature_model(), **kwargs)
    with pytest.raises(TypeError, match="keras.Model"):
        perceptual(real, real, lambda x: x)


def test_vgg19_download_failure_says_how_to_pass_a_local_file(monkeypatch):
    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network")  # what keras.utils.get_file raises

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(OSError) as info:
        keras_gen.losses.vgg19_feature_model()
    message = str(info.value)
    assert "no network" in message
    assert "weights='/path/to/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5'" in message
    assert "~/.keras/models/" in message
    with pytest.raises(FileNotFoundError, match="No VGG19 weights file"):
        keras_gen.losses.vgg19_feature_model(weights="/nonexistent/vgg19.h5")


def test_imagenet_preprocessing_matches_keras_applications():
    images = _images((2, 4, 4, 3), 0)
    expected = keras.applications.vgg19.preprocess_input((images + 1.0) * 127.5)
    layer = ImageNetCaffePreprocessing()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(images)), expected, rtol=1e-5, atol=1e-3
    )
    grey = images[..., :1]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(grey)),
        keras.applications.vgg19.preprocess_input(np.repeat((grey + 1.0) * 127.5, 3, axis=-1)),
        rtol=1e-5, atol=1e-3,
    )


def test_vgg19_feature_model_structure_with_random_weights():
    model = keras_gen.losses.vgg19_feature_model(
        weights=None, layer_names=("block1_conv1", "block2_conv1"), input_shape=(32, 32, 1)
    )
    assert not model.trainable and not model.trainable_weights
    outputs = model(_images((2, 32, 32, 1), 0))
    assert [tuple(o.shape) for o in outputs] == [(2, 32, 32, 64), (2, 16, 16, 128)]
    assert all(np.all(keras.ops.convert_to_numpy(o) >= 0) for o in outputs)  # ReLU outputs
