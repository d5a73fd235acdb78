"""keras_gen.callbacks.DiscriminatorProbe: the discriminator's linear-probe accuracy in fit()'s logs."""

import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing.models import patterns
from keras_gen.testing.models import tiny_discriminator
from keras_gen.testing.models import tiny_generator

IMAGE_SHAPE = (8, 8, 1)


def tiny_gan():
    gan = keras_gen.models.GAN(
        tiny_generator(latent_dim=4, output_shape=IMAGE_SHAPE),
        tiny_discriminator(input_shape=IMAGE_SHAPE),
        seed=0,
    )
    gan.compile()
    return gan


def test_probe_accuracy_reaches_the_logs_and_model_checkpoint(tmp_path):
    images, labels = patterns(n=64, image_shape=IMAGE_SHAPE)
    probe = keras_gen.callbacks.DiscriminatorProbe(images, labels, holdout=0.5)
    path = str(tmp_path / "best.weights.h5")
    # No `mode=`: the callback declares that a higher accuracy is better.
    checkpoint = keras.callbacks.ModelCheckpoint(
        path, monitor="d_probe_accuracy", save_best_only=True, save_weights_only=True
    )
    gan = tiny_gan()
    history = gan.fit(images, batch_size=16, epochs=1, verbose=0, callbacks=[probe, checkpoint])
    (accuracy,) = history.history["d_probe_accuracy"]
    assert 0.0 <= accuracy <= 1.0
    assert os.path.exists(path)
    assert checkpoint.monitor_op is keras.ops.greater  # "max", read from the declared direction
    assert keras_gen.metrics.MonitorDirections.of(gan).direction("d_probe_accuracy") == "up"
    # The value is the probe of the trained discriminator (its weights after the epoch).
    assert accuracy == keras_gen.metrics.discriminator_probe(gan, images, labels, holdout=0.5)
    epoch, details = probe.results[0]
    assert epoch == 0 and details["accuracy"] == accuracy
    assert details["layer"].startswith("input of") and details["num_features"] == 16
    # The callback keeps its feature model between epochs: it must see new weights.
    rng = np.random.default_rng(5)
    for variable in gan.discriminator.trainable_variables:
        variable.assign(rng.standard_normal(variable.shape).astype("float32"))
    assert probe.evaluate() == keras_gen.metrics.discriminator_probe(
        gan, images, labels, holdout=0.5, return_details=True
    ) | {"layer": details["layer"]}


def test_every_n_epochs_custom_key_and_verbose_line(capsys):
    images, labels = patterns(n=32, image_shape=IMAGE_SHAPE)
    probe = keras_gen.callbacks.DiscriminatorProbe(
        images, labels, every_n_epochs=2, log_key="probe", verbose=1
    )
    history = tiny_gan().fit(images, batch_size=16, epochs=3, verbose=0, callbacks=[probe])
    assert len(history.history["probe"]) == 2  # epochs 2 and 3 (the last)
    assert [epoch for epoch, _ in probe.results] == [1, 2]
    assert "DiscriminatorProbe epoch 2: probe:" in capsys.readouterr().out


def test_bad_arguments_fail_before_training():
    images, labels = patterns(n=32, image_shape=IMAGE_SHAPE)
    with pytest.raises(ValueError, match="astype"):
        keras_gen.callbacks.DiscriminatorProbe(images, labels.astype("float32"))
    with pytest.raises(ValueError, match="one label per sample"):
        keras_gen.callbacks.DiscriminatorProbe(images, labels[:-1])
    with pytest.raises(ValueError, match="at least 2"):
        keras_gen.callbacks.DiscriminatorProbe(images[:3], [0, 0, 1])
    with pytest.raises(ValueError, match="every_n_epochs"):
        keras_gen.callbacks.DiscriminatorProbe(images, labels, every_n_epochs=0)
