"""The model contract, checked for every registered model case on every backend.

A new model is tested by registering a case in `keras_gen.testing.cases`;
this module needs no change.
"""

import inspect

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.testing import MODEL_CASES
from keras_gen.testing import run_model_test


@pytest.mark.parametrize("name", sorted(MODEL_CASES))
def test_model_contract(name):
    case = MODEL_CASES[name]
    run_model_test(
        case.model_class, case.init_kwargs, case.data(), batch_size=case.batch_size,
        outputs_fn=case.outputs_fn, partial_phases=case.partial_phases,
    )


def test_every_model_class_has_a_case():
    exported = {
        obj for obj in vars(keras_gen.models).values()
        if inspect.isclass(obj) and issubclass(obj, keras_gen.models.GenerativeModel)
        and obj is not keras_gen.models.GenerativeModel
    }
    covered = {case.model_class for case in MODEL_CASES.values()}
    assert exported - covered == set(), f"register a model case for {exported - covered}"


class MeanMatcher(keras_gen.models.GenerativeModel):
    """What a newcomer writes: networks, phases and the objective, nothing else.

    A generator maps noise to points; a critic estimates the mean; the
    generator is trained so that the critic sees the data's mean.
    """

    networks = ("generator", "critic")

    def __init__(self, generator, critic, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.generator = generator
        self.critic = critic

    def phases(self):
        return [
            keras_gen.trainers.Phase("critic", "critic", self.critic.trainable_variables,
                                     log_names=("critic_loss",)),
            keras_gen.trainers.Phase("generator", "generator",
                                     self.generator.trainable_variables, log_names=("g_loss",)),
        ]

    def default_optimizers(self):
        return {"critic": keras.optimizers.Adam(1e-2), "generator": keras.optimizers.Adam(1e-2)}

    def validate_batch_spec(self, shape, dtype):
        keras_gen.models.validation.check_float_images(dtype, "Points", "MeanMatcher")
        keras_gen.models.validation.check_image_spec(shape, (2,), "Points", "the critic",
                                                     "Pass points of shape (n, 2).")

    def compute_phase_loss(self, phase, data, training=True):
        x = data[0] if isinstance(data, tuple) else data
        self.validate_batch_spec(tuple(x.shape), x.dtype)
        noise = keras.random.normal((keras.ops.shape(x)[0], 2), seed=self.seed_generator)
        fake = self.generator(noise, training=training)
        if phase == "critic":
            loss = keras.ops.mean((self.critic(x, training=training) - 1.0) ** 2) + keras.ops.mean(
                (self.critic(keras.ops.stop_gradient(fake), training=training) + 1.0) ** 2)
            return loss, {"critic_loss": loss}
        loss = keras.ops.mean((self.critic(fake, training=training) - 1.0) ** 2)
        return loss, {"g_loss": loss}


keras.saving.register_keras_serializable(package="keras_gen_tests")(MeanMatcher)


def test_a_newcomers_model_passes_the_kit():
    def init_kwargs():
        return {
            "generator": keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]),
            "critic": keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, "tanh"),
                                        keras.layers.Dense(1)]),
            "seed": 0,
        }

    data = (np.random.default_rng(0).normal(3.0, 1.0, (32, 2)).astype("float32"),)
    run_model_test(MeanMatcher, init_kwargs, data)
    model = MeanMatcher(**init_kwargs())
    assert model.optimizer_names() == ["critic", "generator"]
    model.compile(generator_optimizer=keras.optimizers.SGD(0.1))
    assert isinstance(model.optimizers["generator"], keras.optimizers.SGD)
    with pytest.raises(ValueError, match="critic_optimizer="):
        model.compile(discriminator_optimizer="adam")
