import keras
import numpy as np

import keras_gen
from keras_gen.testing import snapshot_weights
from keras_gen.testing import tiny_discriminator
from keras_gen.testing import tiny_generator


def test_ema_callback_tracks_the_generator_inside_the_step(tmp_path):
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
                callbacks=[keras_gen.callbacks.GeneratorEMA(decay)])
        history.append(snapshot_weights(gan.generator.trainable_variables))
    expected = start
    for weights in history:
        expected = [decay * e + (1 - decay) * w for e, w in zip(expected, weights)]
    for got, want in zip(snapshot_weights(gan.ema_model.trainable_variables), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    # generate() uses the average; the raw generator differs from it.
    z = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
    averaged = keras.ops.convert_to_numpy(gan.ema_model(z, training=False))
    np.testing.assert_allclose(gan.generate(3, latents=z), averaged, rtol=1e-6)
    assert not np.allclose(gan.generate(3, latents=z, use_ema=False), averaged)
    # The average is saved and restored with the model.
    gan.save(str(tmp_path / "gan.keras"))
    reloaded = keras.saving.load_model(str(tmp_path / "gan.keras"))
    np.testing.assert_allclose(reloaded.generate(3, latents=z), averaged, rtol=1e-6, atol=1e-6)
