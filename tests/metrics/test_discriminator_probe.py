"""keras_gen.metrics.discriminator_probe: a linear classifier on frozen discriminator features."""

import keras
import numpy as np
import pytest

import keras_gen
import keras_gen.applications
from keras_gen.metrics import discriminator_feature_model
from keras_gen.metrics import discriminator_features
from keras_gen.metrics import discriminator_probe
from keras_gen.metrics import linear_probe
from keras_gen.metrics.discriminator_probe import _fit_softmax
from keras_gen.metrics.discriminator_probe import _probe_coordinates
from keras_gen.metrics.discriminator_probe import _standardize
from keras_gen.metrics.discriminator_probe import probe_split


def clusters(n_per_class=30, num_classes=3, dim=20, spread=0.3, seed=0):
    """Gaussian clusters around distant centres: linearly separable by construction."""
    rng = np.random.default_rng(seed)
    centres = 5.0 * np.eye(num_classes, dim)
    labels = np.repeat(np.arange(num_classes), n_per_class)
    features = centres[labels] + spread * rng.standard_normal((len(labels), dim))
    return features, labels


def linear_head(dim):
    """A 'discriminator' whose logit layer reads its input directly: features = inputs."""
    inputs = keras.Input((dim,), name="points")
    return keras.Model(inputs, keras.layers.Dense(1, name="logits")(inputs))


def test_separable_features_are_classified_perfectly():
    features, labels = clusters()
    details = linear_probe(features, labels, return_details=True)
    assert details["accuracy"] == 1.0 and details["train_accuracy"] == 1.0
    assert details["chance"] == pytest.approx(1 / 3)
    assert (details["num_classes"], details["num_features"]) == (3, 20)
    assert details["num_train"] + details["num_holdout"] == 90
    # The same through a model: the input of the logit layer is the input itself.
    assert discriminator_probe(linear_head(20), features.astype("float32"), labels) == 1.0


def test_random_labels_give_chance_accuracy():
    rng = np.random.default_rng(1)
    features = rng.standard_normal((400, 50))
    labels = rng.integers(0, 4, 400)
    details = linear_probe(features, labels, return_details=True)
    assert abs(details["accuracy"] - 0.25) < 0.12, details
    assert details["train_accuracy"] > 0.4  # what it learned from the training split does not carry over


def test_probe_is_deterministic_and_the_split_stratified():
    features, labels = clusters(n_per_class=20, spread=3.0, seed=2)
    first = linear_probe(features, labels, seed=3, return_details=True)
    assert linear_probe(features, labels, seed=3, return_details=True) == first
    train, test = probe_split(labels, holdout=0.25, seed=3)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(labels)
    np.testing.assert_array_equal(np.bincount(labels[test]), [5, 5, 5])
    # Any integer labels: classes are the distinct values.
    assert linear_probe(features, labels * 7 + 3, seed=3) == first["accuracy"]


def test_many_features_are_solved_exactly_in_the_span_of_the_training_rows():
    rng = np.random.default_rng(4)
    features = rng.standard_normal((40, 120))
    labels = np.arange(40) % 3
    train, test = probe_split(labels, seed=0)
    standardized = _standardize(features, train)
    x_train, x_test = _probe_coordinates(standardized, train, test)
    assert x_train.shape == (len(train), len(train))
    reduced = _fit_softmax(x_train, labels[train], 3, 1e-1, 3000)
    full = _fit_softmax(standardized[train], labels[train], 3, 1e-1, 3000)
    np.testing.assert_allclose(
        x_test @ reduced[0] + reduced[1], standardized[test] @ full[0] + full[1], atol=1e-3
    )


def test_errors_name_the_fix():
    features, labels = clusters()
    with pytest.raises(ValueError, match="one label per sample"):
        linear_probe(features, labels[:-1])
    with pytest.raises(ValueError, match="astype"):
        linear_probe(features, labels.astype("float32"))
    with pytest.raises(ValueError, match="argmax"):
        linear_probe(features, np.eye(3)[labels])
    with pytest.raises(ValueError, match="at least 2"):
        linear_probe(features[:61], np.concatenate([labels[:60], [7]]))
    with pytest.raises(ValueError, match="two classes"):
        linear_probe(features, np.zeros(90, "int32"))
    with pytest.raises(ValueError, match="holdout"):
        linear_probe(features, labels, holdout=1.0)
    with pytest.raises(ValueError, match="2-D"):
        linear_probe(features.reshape(90, 4, 5), labels)
    with pytest.raises(ValueError, match="NaN"):
        linear_probe(np.full_like(features, np.nan), labels)
    # (n, 1) integer labels are accepted.
    assert linear_probe(features, labels[:, None]) == 1.0
    images = np.zeros((6, 8, 8, 1), "float32")
    discriminator = keras_gen.networks.dcgan_discriminator(image_shape=(8, 8, 1), base_filters=4)
    with pytest.raises(ValueError, match="one label per image|one label per sample"):
        discriminator_probe(discriminator, images, [0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="no layer 'nope'"):
        discriminator_probe(discriminator, images, [0, 1] * 3, layer="nope")
    with pytest.raises(ValueError, match="takes inputs of shape"):
        discriminator_probe(discriminator, np.zeros((6, 4, 4, 1)), [0, 1] * 3)
    generator = keras_gen.networks.dcgan_generator(image_shape=(8, 8, 1), latent_dim=4, base_filters=4)
    with pytest.raises(ValueError, match="include_discriminator=True"):
        discriminator_probe(generator, images, [0, 1] * 3)


def test_discriminators_that_cannot_be_probed_are_refused():
    concat = keras_gen.networks.conditional_dcgan_discriminator(
        image_shape=(8, 8, 1), num_classes=3, conditioning="concat", base_filters=4
    )
    with pytest.raises(ValueError, match="'concat'-conditioned"):
        discriminator_feature_model(concat)

    class Subclassed(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="no graph of layers"):
        discriminator_feature_model(Subclassed())
    with pytest.raises(ValueError, match="needs a GAN"):
        discriminator_feature_model(object())


def test_layer_choice_for_unconditional_projection_and_auxiliary_discriminators():
    images = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)).astype("float32")
    plain = keras_gen.networks.dcgan_discriminator(image_shape=(8, 8, 1), base_filters=4)
    model, description = discriminator_feature_model(plain)
    assert description == "input of 'logits'"
    assert model.output.shape[-1] == plain.get_layer("logits").input.shape[-1]
    # A named layer gives its output; uint8 images are rescaled to [-1, 1].
    features = discriminator_features(plain, (images * 127.5 + 127.5).astype("uint8"), layer="down_0_conv")
    assert features.shape == (4, 4 * 4 * 4) and features.dtype == np.float64
    for conditioning in ("projection", "auxiliary"):
        conditional = keras_gen.networks.conditional_dcgan_discriminator(
            image_shape=(8, 8, 1), num_classes=3, conditioning=conditioning, base_filters=4
        )
        model, description = discriminator_feature_model(conditional)
        assert len(model.inputs) == 1, conditioning  # the label-free phi(x)
        assert discriminator_features(conditional, images).shape == (4, model.output.shape[-1])
    # A spectrally normalised logit layer (SAGAN, `spectral_norm=True`) is a wrapped Dense.
    points = keras.Input((6,))
    hidden = keras.layers.Dense(5, name="hidden")(points)
    wrapped = keras.Model(points, keras.layers.SpectralNormalization(keras.layers.Dense(1))(hidden))
    assert discriminator_feature_model(wrapped)[0].output.shape[-1] == 5


def test_shipped_dcgan_discriminator_beats_a_random_one_on_real_digits():
    """The dcgan_mnist discriminator's features classify held-out digits far above chance,
    and better than the features of the same architecture with fresh random weights."""
    (_, _), (x_test, y_test) = keras_gen.datasets.mnist.load_data(source="embedded")
    images = keras_gen.datasets.scale_images(x_test[:600])  # digits the GAN never saw
    labels = y_test[:600]
    gan = keras_gen.applications.DCGAN(weights="dcgan_mnist", include_discriminator=True)
    trained = discriminator_probe(gan, images, labels, holdout=0.5, return_details=True)
    random = discriminator_probe(
        keras.models.clone_model(gan.discriminator), images, labels, holdout=0.5, return_details=True
    )
    print(f"dcgan_mnist probe: trained {trained['accuracy']:.3f}, random {random['accuracy']:.3f}")
    # The features are the 7x7 map of the last (256-filter) convolution.
    assert trained["layer"] == "input of 'logits'" and trained["num_features"] == 7 * 7 * 256
    assert trained["chance"] == 0.1 and trained["accuracy"] > 0.8
    assert trained["accuracy"] > random["accuracy"] + 0.03


def test_shipped_projection_discriminator_uses_its_label_free_features():
    (_, _), (x_test, y_test) = keras_gen.datasets.mnist.load_data(source="embedded")
    cgan = keras_gen.applications.ConditionalDCGAN(weights="cgan_mnist")
    model, description = discriminator_feature_model(cgan)
    assert description == "input of 'logits'" and len(model.inputs) == 1
    accuracy = discriminator_probe(cgan, keras_gen.datasets.scale_images(x_test[:300]), y_test[:300])
    assert accuracy > 0.6
