"""A 2-D GAN on a ring of 8 Gaussians must find the modes (fixed seeds).

Mode coverage follows VEEGAN/PacGAN: a sample is high quality within 3σ
(σ = 0.02) of its nearest mode; a mode is covered by at least one such sample.
Both runs use a cosine-decayed learning rate and a generator EMA (0.99), the
usual recipe for sharp toy-data samples.
"""

import keras
import pytest

import keras_gen
from keras_gen.datasets import toy

BATCH = 256


def optimizer(learning_rate, steps, beta_2):
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    return keras.optimizers.Adam(schedule, beta_1=0.5, beta_2=beta_2)


CASES = {
    # loss, penalty, λ, critic steps, generator steps, learning rate, Adam β2
    "non_saturating": ("non_saturating", None, None, 1, 2000, 1e-3, 0.999),
    # λ = 0.1 as in the WGAN-GP authors' toy-data experiments.
    "wgan_gp": ("wasserstein", "wgan_gp", 0.1, 5, 2000, 1e-3, 0.9),
}


@pytest.mark.quality
@pytest.mark.parametrize("case", sorted(CASES))
def test_ring_of_gaussians_modes_are_covered(case):
    loss, penalty, weight, critic_steps, steps, learning_rate, beta_2 = CASES[case]
    keras.utils.set_random_seed(0)
    gan = keras_gen.models.GAN(
        keras_gen.networks.mlp_generator(latent_dim=2, hidden_units=(128, 128)),
        keras_gen.networks.mlp_discriminator(hidden_units=(128, 128)),
        loss=loss, gradient_penalty=penalty, penalty_weight=weight,
        discriminator_steps=critic_steps, ema_decay=0.99, seed=0,
    )
    gan.compile(
        generator_optimizer=optimizer(learning_rate, steps, beta_2),
        discriminator_optimizer=optimizer(learning_rate, steps * critic_steps, beta_2),
    )
    data = toy.ring_of_gaussians(steps * BATCH, std=0.02, seed=0)
    gan.fit(data, batch_size=BATCH, epochs=1, verbose=0)
    coverage = toy.mode_coverage(gan.generate(2500, seed=1), toy.ring_modes(), std=0.02)
    assert coverage["modes_covered"] >= 7, coverage
    assert coverage["high_quality_fraction"] >= 0.5, coverage
