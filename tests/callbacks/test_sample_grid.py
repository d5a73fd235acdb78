import io
import os
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gen.callbacks import SampleGrid

LATENT_DIM = 4


class StandIn(keras.Model):
    """A plain regression model that also exposes `.generator` and `.latent_dim`.

    Training the head through the generator moves the generator's weights, so
    grids from different epochs differ.
    """

    def __init__(self):
        super().__init__()
        self.latent_dim = LATENT_DIM
        self.generator = keras.Sequential(
            [
                keras.Input((LATENT_DIM,)),
                keras.layers.Dense(8 * 8, activation="tanh"),
                keras.layers.Reshape((8, 8, 1)),
            ]
        )
        self.flatten = keras.layers.Flatten()
        self.head = keras.layers.Dense(1)

    def call(self, z):
        return self.head(self.flatten(self.generator(z)))


def _fit(model, callback, epochs):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((16, LATENT_DIM)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(z, y, batch_size=8, epochs=epochs, callbacks=[callback], verbose=0)


def test_writes_grids_at_the_right_epochs(tmp_path):
    callback = SampleGrid(tmp_path / "samples", num_samples=6, every_n_epochs=2, num_rows=2)
    model = StandIn()
    _fit(model, callback, epochs=4)
    names = [os.path.basename(p) for p in callback.paths]
    assert names == ["samples_epoch_002.png", "samples_epoch_004.png"]
    assert sorted(os.listdir(tmp_path / "samples")) == names
    # 2 rows x 3 columns of 8x8 tiles with 2-pixel padding.
    with Image.open(callback.paths[-1]) as image:
        assert image.size == (3 * 8 + 4 * 2, 2 * 8 + 3 * 2) and image.mode == "L"
        last = np.asarray(image)
    with Image.open(callback.paths[0]) as image:
        first = np.asarray(image)
    assert not np.array_equal(first, last)  # the generator trained in between

    # Same fixed z and unchanged weights: the same grid, equal to the last PNG.
    np.testing.assert_array_equal(callback.generate_grid(), callback.generate_grid())
    np.testing.assert_array_equal(callback.generate_grid()[..., 0], last)
    np.testing.assert_array_equal(
        callback.latents, np.random.default_rng(0).standard_normal((6, LATENT_DIM)).astype("float32")
    )


def test_prefers_generate_from_latents(tmp_path):
    class WithHook(StandIn):
        def generate_from_latents(self, z):
            return np.ones((len(z), 8, 8, 1), "float32")

    callback = SampleGrid(tmp_path, num_samples=4, filename="grid_{epoch}.png")
    model = WithHook()
    callback.set_model(model)
    path = callback.write(epoch=7)
    assert os.path.basename(path) == "grid_7.png"
    grid = callback.generate_grid()
    assert set(np.unique(grid)) == {0, 255}  # white tiles on black padding


def test_tensorboard_summary(tmp_path):
    tf = pytest.importorskip("tensorflow")
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    callback = SampleGrid(tmp_path / "png", num_samples=4, log_dir=tmp_path / "logs")
    _fit(StandIn(), callback, epochs=2)

    # Read the images back from the event file: one per epoch, step = epoch (from 1), the PNG's grid.
    events = EventAccumulator(os.fspath(tmp_path / "logs"), size_guidance={"tensors": 0})
    events.Reload()
    assert events.Tags()["tensors"] == ["samples"]
    written = events.Tensors("samples")
    assert [event.step for event in written] == [1, 2]
    for event, path in zip(written, callback.paths):
        width, height, png = tf.make_ndarray(event.tensor_proto)
        assert (int(width), int(height)) == (2 * 8 + 3 * 2, 2 * 8 + 3 * 2)  # 2x2 tiles of 8x8
        with Image.open(io.BytesIO(png)) as logged, Image.open(path) as saved:
            np.testing.assert_array_equal(np.asarray(logged).reshape(np.asarray(saved).shape),
                                          np.asarray(saved))


def test_without_tensorboard_warns_once(tmp_path, monkeypatch):
    # Hiding TensorBoard (not TensorFlow, which the TF backend itself needs).
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import now fails
    callback = SampleGrid(tmp_path, num_samples=4, log_dir=tmp_path / "logs")
    callback.set_model(StandIn())
    with pytest.warns(UserWarning, match="TensorFlow"):
        callback.write(1)
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callback.write(2)
    assert not [w for w in caught if "TensorFlow" in str(w.message)]
    assert len(callback.paths) == 2 and not (tmp_path / "logs").exists()


def test_bad_arguments_and_models(tmp_path):
    with pytest.raises(ValueError, match="every_n_epochs"):
        SampleGrid(tmp_path, every_n_epochs=0)
    with pytest.raises(ValueError, match="epoch"):
        SampleGrid(tmp_path, filename="grid_{step}.png")
    callback = SampleGrid(tmp_path)
    callback.set_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
    with pytest.raises(ValueError, match="latent_dim"):
        callback.write(1)
