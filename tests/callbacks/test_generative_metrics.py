import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.callbacks.generative_metrics import GenerativeMetrics
from keras_gen.testing.models import tiny_feature_extractor

LATENT_DIM = 4


class GeneratorOnly(keras.Model):
    """A trivially trainable model with a frozen `generator` and `latent_dim`.

    `fit()` trains a Dense head with MSE through the ordinary Keras train step;
    the generator is frozen, so generated images are the same every epoch.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = LATENT_DIM
        self.generator = keras.Sequential(
            [
                keras.Input((LATENT_DIM,)),
                keras.layers.Dense(8 * 8, activation="tanh"),
                keras.layers.Reshape((8, 8, 1)),
            ]
        )
        self.generator.trainable = False
        self.head = keras.layers.Dense(1)

    def call(self, x):
        return self.head(x)


class StandIn(GeneratorOnly):
    """The same with the `generate(num_samples, seed)` method of keras_gen models."""

    def generate(self, num_samples, seed=None):
        latents = keras.random.normal((num_samples, LATENT_DIM), seed=seed)
        return self.generator(latents, training=False)


def real_images(n=40):
    return np.random.default_rng(0).uniform(-1, 1, (n, 8, 8, 1)).astype("float32")


def fit(model, callbacks, epochs=2):
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).standard_normal((16, 3)).astype("float32")
    y = np.zeros((16, 1), "float32")
    return model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, callbacks=callbacks)


def test_metrics_reach_history_and_model_checkpoint(tmp_path):
    metrics = GenerativeMetrics(
        real_images(),
        metrics=("fid", "kid", "is", "pr"),
        num_samples=24,
        batch_size=10,
        feature_extractor=tiny_feature_extractor(),
        kid_subsets=5,
        kid_subset_size=20,
        verbose=0,
    )
    path = str(tmp_path / "best.weights.h5")
    checkpoint = keras.callbacks.ModelCheckpoint(
        path, monitor="fid", mode="min", save_best_only=True, save_weights_only=True
    )
    history = fit(StandIn(), [metrics, checkpoint])
    for key in ("fid", "kid", "kid_std", "is", "is_std", "precision", "recall"):
        assert len(history.history[key]) == 2, key
        assert np.all(np.isfinite(history.history[key]))
    assert history.history["fid"][0] > 0
    # The frozen generator and fixed seeds give the same samples each epoch.
    np.testing.assert_allclose(history.history["fid"][0], history.history["fid"][1], rtol=1e-6)
    assert 1.0 <= history.history["is"][0] <= 3.0
    assert os.path.exists(path)
    assert metrics.log_keys == ("fid", "kid", "kid_std", "is", "is_std", "precision", "recall")


def test_values_match_the_metric_functions():
    model = StandIn()
    extractor = keras_gen.metrics.get_feature_extractor(tiny_feature_extractor())
    real = real_images()
    callback = GenerativeMetrics(real, metrics=("fid",), num_samples=20, batch_size=20, feature_extractor=extractor, verbose=0)
    result = callback.evaluate(model)
    generated = keras.ops.convert_to_numpy(model.generate(20, seed=0))
    expected = keras_gen.metrics.frechet_distance(
        *keras_gen.metrics.feature_statistics(extractor.features(real)),
        *keras_gen.metrics.feature_statistics(extractor.features(generated)),
    )
    np.testing.assert_allclose(result["fid"], expected, rtol=1e-6)


def test_every_n_epochs_and_generator_fallback(capsys):
    callback = GenerativeMetrics(
        [(real_images(20), None), (real_images(20), None)],  # an iterable of (images, labels)
        num_samples=12,
        batch_size=5,
        every_n_epochs=2,
        feature_extractor=tiny_feature_extractor(),
        verbose=1,
    )
    history = fit(GeneratorOnly(), [callback], epochs=3)
    # Evaluated after epoch 2 and after the last epoch (3), not after epoch 1.
    assert len(history.history["fid"]) == 2
    assert len(history.history["loss"]) == 3
    assert "GenerativeMetrics epoch 2: fid:" in capsys.readouterr().out


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown metric"):
        GenerativeMetrics(real_images(), metrics=("fud",), feature_extractor=tiny_feature_extractor())
    with pytest.raises(ValueError, match="num_samples"):
        GenerativeMetrics(real_images(), num_samples=1, feature_extractor=tiny_feature_extractor())
    callback = GenerativeMetrics(real_images(), num_samples=4, feature_extractor=tiny_feature_extractor(), verbose=0)
    with pytest.raises(ValueError, match="generate"):
        callback.evaluate(keras.Sequential([keras.layers.Dense(1)]))


@pytest.mark.skipif(not hasattr(keras_gen.models, "GAN"), reason="keras_gen.models.GAN not available")
def test_with_a_real_gan_fit(tmp_path):
    generator = keras.Sequential(
        [keras.Input((LATENT_DIM,)), keras.layers.Dense(64, activation="tanh"), keras.layers.Reshape((8, 8, 1))]
    )
    discriminator = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    gan = keras_gen.models.GAN(generator, discriminator, seed=0)
    gan.compile()
    callback = GenerativeMetrics(
        real_images(32), metrics=("fid", "is"), num_samples=20, batch_size=10, feature_extractor=tiny_feature_extractor(), verbose=0
    )
    path = str(tmp_path / "best.weights.h5")
    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor="fid", mode="min", save_best_only=True, save_weights_only=True)
    history = gan.fit(real_images(32), batch_size=8, epochs=2, verbose=0, callbacks=[callback, checkpoint])
    assert len(history.history["fid"]) == 2 and np.all(np.isfinite(history.history["fid"]))
    assert os.path.exists(path)
