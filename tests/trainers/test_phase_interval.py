"""`Phase(interval=k)`: the phase runs on every k-th step and its work is skipped on the others."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.trainers import Phase


class CountingModel(keras_gen.models.GenerativeModel):
    """Two phases on one network; the second counts how often its loss is computed."""

    networks = ("net",)

    def __init__(self, net, interval=3, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.net = net
        self.interval = interval
        self.computed = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                        name="computed")

    def phases(self):
        variables = self.net.trainable_variables
        return [
            Phase("main", "net", variables, log_names=("main_loss",)),
            Phase("lazy", "net", variables, log_names=("lazy_loss",), interval=self.interval),
        ]

    def default_optimizers(self):
        return {"net": keras.optimizers.SGD(0.01)}

    def compute_phase_loss(self, phase, data, training=True):
        x = data[0] if isinstance(data, tuple) else data
        loss = keras.ops.mean(self.net(x, training=training) ** 2)
        if phase == "lazy" and training:
            self.computed.assign(self.computed + 1.0)
        return loss, {f"{phase}_loss": loss}


def test_a_phase_with_an_interval_runs_and_is_computed_only_when_due():
    model = CountingModel(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), seed=0)
    model.compile()
    x = np.random.default_rng(0).standard_normal((56, 2)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)  # steps 0..6
    # Due on steps 0, 3 and 6: 7 main updates and 3 lazy ones, and the lazy
    # loss was computed 3 times, not 7 (a masked phase would compute it 7 times).
    assert int(keras.ops.convert_to_numpy(model.optimizer["net"].iterations)) == 7 + 3
    assert float(keras.ops.convert_to_numpy(model.computed)) == 3.0


def test_interval_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="interval"):
        Phase("lazy", "net", [], interval=0)
    with pytest.raises(ValueError, match="repeats"):
        Phase("lazy", "net", [], repeats=1.5)


def test_lazy_penalty_is_its_own_phase_and_counts_its_updates():
    gan = keras_gen.models.GAN(keras_gen.testing.tiny_generator(4),
                               keras_gen.testing.tiny_discriminator(),
                               gradient_penalty="r1", penalty_interval=4, seed=0)
    assert [(p.name, p.interval) for p in gan.phases()] == [
        ("discriminator", 1), ("discriminator_penalty", 4), ("generator", 1)]
    gan.compile()
    x = np.random.default_rng(0).standard_normal((64, 2)).astype("float32")
    history = gan.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)  # 8 steps
    assert int(keras.ops.convert_to_numpy(gan.optimizers["discriminator"].iterations)) == 8 + 2
    assert history.history["r1"][0] > 0
