"""Keras's own callbacks work with keras_gen models: TensorBoard logs every optimizer's
learning rate, learning-rate callbacks reach every optimizer, and monitors know which way
losses and sample-quality metrics improve without `mode=`."""

import os

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing.cases import MODEL_CASES

pytest.importorskip("tensorflow")  # the summary writer of keras.callbacks.TensorBoard
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def make(case_name, **compile_kwargs):
    case = MODEL_CASES[case_name]
    keras.utils.set_random_seed(0)
    model = case.model_class(**case.init_kwargs())
    model.compile(**compile_kwargs)
    return model


def fit(model, case_name, callbacks, epochs=2, samples=16):
    data = [array[:samples] for array in MODEL_CASES[case_name].data()]
    return model.fit(*data, batch_size=8, epochs=epochs, shuffle=False, verbose=0,
                     callbacks=callbacks)


def read_scalars(log_dir):
    """`{tag: [(step, value), ...]}` read back from the event files in `log_dir`."""
    import tensorflow as tf

    events = event_accumulator.EventAccumulator(os.fspath(log_dir), size_guidance={"tensors": 0})
    events.Reload()
    return {
        tag: [(event.step, float(tf.make_ndarray(event.tensor_proto))) for event in events.Tensors(tag)]
        for tag in events.Tags()["tensors"]
    }


def test_tensorboard_logs_the_losses_and_each_optimizers_learning_rate(tmp_path):
    # The generator's rate halves at every one of its steps (2 per epoch).
    decay = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=1, decay_rate=0.5)
    gan = make("gan", generator_optimizer=keras.optimizers.Adam(decay),
               discriminator_optimizer=keras.optimizers.Adam(4e-4))
    history = fit(gan, "gan", [keras.callbacks.TensorBoard(tmp_path / "logs")])

    scalars = read_scalars(tmp_path / "logs" / "train")
    for name in ("d_loss", "g_loss"):
        steps, values = zip(*scalars[f"epoch_{name}"])
        assert steps == (0, 1)
        np.testing.assert_allclose(values, history.history[name], rtol=1e-6)
    np.testing.assert_allclose(
        [value for _, value in scalars["epoch_learning_rate_generator"]], [2.5e-4, 6.25e-5], rtol=1e-6)
    np.testing.assert_allclose(
        [value for _, value in scalars["epoch_learning_rate_discriminator"]], [4e-4, 4e-4], rtol=1e-6)


@pytest.mark.parametrize("case_name", ["vae_gaussian_warmup", "adversarial_autoencoder"])
def test_tensorboard_with_one_or_three_optimizers(case_name, tmp_path):
    model = make(case_name)
    fit(model, case_name, [keras.callbacks.TensorBoard(tmp_path, update_freq="batch")], epochs=1)
    tags = set(read_scalars(tmp_path / "train"))
    expected = {f"epoch_learning_rate_{name}" for name in model.optimizer_names()}
    assert expected <= tags
    assert {f"batch_{name}" for name in model._loss_trackers} <= tags


def test_learning_rate_callbacks_reach_every_optimizer():
    gan = make("gan", generator_optimizer=keras.optimizers.Adam(1e-3),
               discriminator_optimizer=keras.optimizers.Adam(4e-4))
    halve = keras.callbacks.LearningRateScheduler(lambda epoch, rate: rate / 2)
    history = fit(gan, "gan", [halve])
    for name, start in (("generator", 1e-3), ("discriminator", 4e-4)):
        rate = float(keras.ops.convert_to_numpy(gan.optimizers[name].learning_rate))
        np.testing.assert_allclose(rate, start / 4, rtol=1e-6)
        np.testing.assert_allclose(history.history[f"learning_rate_{name}"], [start / 2, start / 4],
                                   rtol=1e-6)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="g_loss", patience=0, factor=0.5)
    fit(gan, "gan", [plateau], epochs=1)  # no `mode=` needed, nothing raised


class WeightsPerEpoch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([np.array(w) for w in self.model.get_weights()])


def test_checkpoint_on_g_loss_keeps_the_epoch_with_the_lowest_g_loss(tmp_path):
    path = os.fspath(tmp_path / "best.weights.h5")
    gan = make("gan")
    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor="g_loss", save_best_only=True,
                                                 save_weights_only=True)  # no mode=
    record = WeightsPerEpoch()
    history = fit(gan, "gan", [checkpoint, record], epochs=3)

    losses = history.history["g_loss"]
    best = int(np.argmin(losses))
    assert best != int(np.argmax(losses))  # the test tells the two directions apart
    assert checkpoint.monitor_op is keras.ops.less
    assert checkpoint.best == losses[best]
    saved = make("gan")
    saved.load_weights(path)
    for got, expected in zip(saved.get_weights(), record.weights[best]):
        np.testing.assert_array_equal(got, expected)


def tiny_extractor(image_shape=(4, 4, 1)):
    inputs = keras.Input(image_shape)
    flat = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, {
        "features": keras.layers.Dense(5)(flat),
        "probabilities": keras.layers.Dense(3, activation="softmax")(flat),
    })


def test_monitors_know_that_fid_falls_and_is_and_elbo_rise():
    vae = make("vae_gaussian_warmup")
    real = MODEL_CASES["vae_gaussian_warmup"].data()[0]
    metrics = keras_gen.callbacks.GenerativeMetrics(
        real, metrics=("fid", "is"), num_samples=16, batch_size=16,
        feature_extractor=tiny_extractor(), verbose=0)
    monitors = {name: keras.callbacks.EarlyStopping(monitor=name, patience=10)  # no mode=
                for name in ("fid", "is", "elbo", "kl_loss")}
    history = fit(vae, "vae_gaussian_warmup", [metrics, *monitors.values()], epochs=3)

    for name, pick in (("fid", min), ("is", max), ("elbo", max), ("kl_loss", min)):
        values = history.history[name]
        assert len(set(values)) == 3, values  # the test tells the two directions apart
        assert monitors[name].best == pick(values), name


def test_generative_metrics_declares_directions_on_a_plain_keras_model():
    class Generator(keras.Model):
        latent_dim = 4

        def __init__(self):
            super().__init__()
            self.generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16),
                                               keras.layers.Reshape((4, 4, 1))])
            self.generator.trainable = False
            self.head = keras.layers.Dense(1)

        def call(self, x):
            return self.head(x)

    model = Generator()
    model.compile(optimizer="sgd", loss="mse")
    metrics = keras_gen.callbacks.GenerativeMetrics(
        np.zeros((8, 4, 4, 1), "float32"), metrics=("kid", "fid"), num_samples=8, batch_size=8,
        feature_extractor=tiny_extractor(), verbose=0, kid_subsets=2, kid_subset_size=4)
    stop = keras.callbacks.EarlyStopping(monitor="kid", patience=10)
    model.fit(np.zeros((8, 4), "float32"), np.zeros((8, 1), "float32"), epochs=1, verbose=0,
              callbacks=[metrics, stop])
    assert stop.monitor_op is keras.ops.less
