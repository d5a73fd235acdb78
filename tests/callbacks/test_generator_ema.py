import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import snapshot_weights
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator
from keras_gen.testing.models import tiny_feature_extractor


def ramped_decay(decay, rampup, step):
    """The documented rule: min(decay, 0.5 ** (1 / (rampup * step)))."""
    if rampup is None:
        return decay
    return min(decay, 0.5 ** (1.0 / max(rampup * step, 1e-8)))


@pytest.mark.parametrize("rampup", [None, 0.5])
def test_ema_callback_tracks_the_generator_inside_the_step(tmp_path, rampup):
    gan = keras_gen.models.GAN(tiny_generator(4, batch_norm=True), tiny_discriminator(), seed=0)
    gan.compile()
    x = np.random.default_rng(0).standard_normal((64, 2)).astype("float32")
    start = snapshot_weights(gan.generator.trainable_variables)
    decay = 0.9
    # One step per fit(), recording the generator after each step to replay
    # the average in NumPy (the callback enables the EMA only once).
    history = []
    for i in range(4):
        gan.fit(x[16 * i : 16 * (i + 1)], batch_size=16, epochs=1, verbose=0,
                callbacks=[keras_gen.callbacks.GeneratorEMA(decay, rampup=rampup)])
        history.append(snapshot_weights(gan.generator.trainable_variables))
    expected = start
    for step, weights in enumerate(history):
        d = ramped_decay(decay, rampup, step)
        expected = [d * e + (1 - d) * w for e, w in zip(expected, weights)]
    for got, want in zip(snapshot_weights(gan.ema_model.trainable_variables), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    # generate() uses the average; the raw generator differs from it.
    z = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
    averaged = keras.ops.convert_to_numpy(gan.ema_model(z, training=False))
    np.testing.assert_allclose(gan.generate(3, latents=z), averaged, rtol=1e-6)
    assert not np.allclose(gan.generate(3, latents=z, use_ema=False), averaged)
    # The average and its rule are saved and restored with the model.
    gan.save(str(tmp_path / "gan.keras"))
    reloaded = keras.saving.load_model(str(tmp_path / "gan.keras"))
    np.testing.assert_allclose(reloaded.generate(3, latents=z), averaged, rtol=1e-6, atol=1e-6)
    assert (reloaded.ema_decay, reloaded.ema_rampup) == (decay, rampup)


def test_decay_follows_the_rampup_rule():
    gan = keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), ema_decay=0.999)
    assert gan.ema_rampup == 0.05
    for step in (0, 1, 20, 630, 6300, 13860, 50000):
        got = float(keras.ops.convert_to_numpy(gan.ema_decay_at(step)))
        np.testing.assert_allclose(got, ramped_decay(0.999, 0.05, step), rtol=1e-6, atol=1e-7)
    assert float(keras.ops.convert_to_numpy(gan.ema_decay_at(0))) == 0.0
    # After 630 steps the half-life is 0.05 * 630 = 31.5 steps.
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(gan.ema_decay_at(630))),
                               0.5 ** (1 / 31.5), rtol=1e-6)


def test_config_without_rampup_loads_with_the_default():
    gan = keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), ema_decay=0.99)
    config = gan.get_config()
    assert config["ema_rampup"] == 0.05
    del config["ema_rampup"]  # as written before the option existed
    restored = keras_gen.models.GAN.from_config(config)
    assert (restored.ema_decay, restored.ema_rampup) == (0.99, 0.05)
    constant = keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), ema_decay=0.99,
                                    ema_rampup=None)
    assert keras_gen.models.GAN.from_config(constant.get_config()).ema_rampup is None


@pytest.mark.parametrize("bad", [0.0, -0.1])
def test_rampup_must_be_positive(bad):
    with pytest.raises(ValueError, match="rampup"):
        keras_gen.callbacks.GeneratorEMA(0.999, rampup=bad)


TARGET_MEAN = np.array([2.0, -1.0], "float32")
TARGET_STD = 0.3


def _sample_error(samples):
    """Distance of the samples' mean and per-axis std to the target Gaussian's."""
    return float(np.linalg.norm(samples.mean(0) - TARGET_MEAN)
                 + np.abs(samples.std(0) - TARGET_STD).sum())


def _flat(variables):
    return np.concatenate([w.ravel() for w in snapshot_weights(variables)])


class _RawVersusAverage(keras.callbacks.Callback):
    """After every epoch: sample error of the raw and averaged generators, and their distance."""

    def on_train_begin(self, logs=None):
        self.initial = _flat(self.model.generator.trainable_variables)
        self.initial_error = _sample_error(self.model.generate(500, seed=1, use_ema=False))
        self.rows = []

    def on_epoch_end(self, epoch, logs=None):
        raw = _flat(self.model.generator.trainable_variables)
        average = _flat(self.model.ema_model.trainable_variables)
        self.rows.append((
            _sample_error(self.model.generate(500, seed=1, use_ema=False)),
            _sample_error(self.model.generate(500, seed=1)),
            np.linalg.norm(average - raw) / np.linalg.norm(raw - self.initial),
        ))


def _short_run(rampup):
    """48 steps on a 2-D Gaussian, far shorter than 0.999's warm-up (13,860 steps)."""
    x = (TARGET_MEAN + TARGET_STD * np.random.default_rng(0).standard_normal((512, 2))).astype("float32")
    gan = keras_gen.models.GAN(tiny_generator(4), tiny_discriminator(), seed=0)
    gan.compile(generator_optimizer=keras.optimizers.Adam(5e-3, beta_1=0.5),
                discriminator_optimizer=keras.optimizers.Adam(5e-3, beta_1=0.5))
    record = _RawVersusAverage()
    gan.fit(x, batch_size=64, epochs=6, verbose=0,
            callbacks=[keras_gen.callbacks.GeneratorEMA(0.999, rampup=rampup), record])
    return record


def _never_worse(record):
    """The average is, after every epoch, near the raw weights and samples no worse.

    "No worse" allows a lag of a quarter of the initial error: the raw
    generator moves by a large part of it in a few steps here, while a
    constant 0.999 average stays near the initial weights for thousands.
    """
    tolerance = 0.25 * record.initial_error
    for epoch, (raw_error, ema_error, distance) in enumerate(record.rows, start=1):
        assert distance < 0.3, f"epoch {epoch}: average is {distance:.2f} of the way back to init"
        assert ema_error <= raw_error + tolerance, (
            f"epoch {epoch}: EMA error {ema_error:.3f} > raw {raw_error:.3f} + {tolerance:.3f}"
        )


def test_ramped_ema_is_never_worse_than_the_generator_early_on():
    record = _short_run(rampup=0.05)
    _never_worse(record)
    # Training moved the raw generator well away from its start.
    assert min(raw for raw, _, _ in record.rows) < 0.8 * record.initial_error


def test_constant_decay_fails_the_same_check():
    # The old rule (constant 0.999 from step 1) keeps ~95% of the initial
    # weights after 48 steps: the check above must catch it.
    with pytest.raises(AssertionError):
        _never_worse(_short_run(rampup=None))


def _image_gan():
    gan = keras_gen.models.GAN(
        tiny_generator(4, output_shape=(8, 8, 1)), tiny_discriminator((8, 8, 1)), seed=0
    )
    gan.compile()
    return gan


def test_metrics_and_grid_report_both_generators_and_use_the_better(tmp_path):
    real = np.random.default_rng(0).uniform(-1, 1, (40, 8, 8, 1)).astype("float32")
    gan = _image_gan()
    metrics = keras_gen.callbacks.GenerativeMetrics(
        real, metrics=("fid", "is"), num_samples=40, batch_size=20,
        feature_extractor=tiny_feature_extractor(), verbose=0,
    )
    grid = keras_gen.callbacks.SampleGrid(tmp_path, num_samples=4, compare=True)
    history = gan.fit(real, batch_size=20, epochs=1, verbose=0,
                      callbacks=[keras_gen.callbacks.GeneratorEMA(0.9), metrics, grid])
    logs = {key: values[-1] for key, values in history.history.items()}
    for key in ("fid", "is", "is_std"):
        assert f"ema_{key}" in logs and f"raw_{key}" in logs
    chosen = "ema" if logs["ema_better"] == 1.0 else "raw"
    assert logs["ema_better"] in (0.0, 1.0)
    assert logs["fid"] == logs[f"{chosen}_fid"]
    assert metrics.selected_generator == chosen == grid.generators[-1]
    # Monitors know which way each generator's keys improve.
    assert metrics.directions["ema_fid"] == metrics.directions["raw_fid"] == "down"
    assert metrics.directions["raw_is"] == "up"
    other = "raw" if chosen == "ema" else "ema"
    assert (tmp_path / f"samples_epoch_001_{other}.png").is_file()

    # An average made useless (huge weights) loses to the raw generator ...
    for variable in gan.ema_model.trainable_variables:
        variable.assign(np.full(variable.shape, 100.0, "float32"))
    results = metrics.evaluate_generators(gan)
    assert results["ema_better"] == 0.0 and metrics.selected_generator == "raw"
    assert results["fid"] == results["raw_fid"] < results["ema_fid"]
    assert "raw generator, the better" in metrics.describe(results)
    # ... and the grid callback follows the metrics' choice.
    grid.on_epoch_end(1, {"ema_better": 0.0})
    assert grid.generators[-1] == "raw"
    raw_grid = grid.generate_grid(use_ema=False)
    from PIL import Image

    np.testing.assert_array_equal(np.asarray(Image.open(grid.paths[-1])), raw_grid[..., 0])
    # An average equal to the generator ties, and a tie goes to the average.
    gan.ema_model.set_weights(gan.generator.get_weights())
    assert metrics.evaluate_generators(gan)["ema_better"] == 1.0
    # Without an average only the plain keys are logged.
    plain = _image_gan()
    assert set(metrics.evaluate_generators(plain)) == {"fid", "is", "is_std"}
    assert metrics.selected_generator is None
