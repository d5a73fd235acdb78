"""ConditionalGAN: it generates the requested class, each conditioning's objective
is computed as the papers define it, labels are checked, and it saves."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.datasets import toy
from keras_gen.networks import conditional_dcgan_discriminator
from keras_gen.networks import conditional_dcgan_generator
from keras_gen.networks import conditional_mlp_discriminator
from keras_gen.networks import conditional_mlp_generator
from keras_gen.testing import snapshot_weights

CONDITIONINGS = ("concat", "projection", "auxiliary")
K = 4
MODES = toy.ring_modes(K, radius=2.0)


def labelled_modes(n, seed=0, std=0.1):
    """Class k = points around mode k of a 4-mode ring (well separated)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, K, n).astype("int32")
    return (MODES[labels] + rng.normal(0, std, (n, 2))).astype("float32"), labels


def toy_cgan(conditioning="projection", width=16, **kwargs):
    generator = conditional_mlp_generator(2, 2, K, hidden_units=(width, width))
    discriminator = conditional_mlp_discriminator(
        2, K, conditioning=conditioning, hidden_units=(width, width)
    )
    kwargs.setdefault("seed", 0)
    return keras_gen.models.ConditionalGAN(
        generator, discriminator, num_classes=K, conditioning=conditioning, **kwargs
    )


def image_cgan(conditioning="projection", **kwargs):
    generator = conditional_dcgan_generator((8, 8, 1), 4, 3, embedding_dim=2, base_filters=4)
    discriminator = conditional_dcgan_discriminator((8, 8, 1), 3, conditioning, base_filters=4)
    return keras_gen.models.ConditionalGAN(
        generator, discriminator, num_classes=3, conditioning=conditioning, seed=0, **kwargs
    )


def images(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 8, 8, 1)).astype("float32"), rng.integers(0, 3, n).astype("int32")


def constant(array):
    return keras.initializers.Constant(array)


def value(tensor):
    return float(keras.ops.convert_to_numpy(tensor))


def nearest_mode(points):
    return ((points[:, None, :] - MODES[None]) ** 2).sum(-1).argmin(1)


# ----------------------------------------------------------------- learning
@pytest.mark.quality
@pytest.mark.parametrize("conditioning", CONDITIONINGS)
def test_generates_the_requested_class(conditioning):
    x, y = labelled_modes(120 * 64)  # 120 steps
    cgan = toy_cgan(conditioning, width=64)
    cgan.compile(
        generator_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5),
    )
    cgan.fit(x, y, batch_size=64, epochs=1, verbose=0)
    accuracy = [np.mean(nearest_mode(cgan.generate(200, labels=k, seed=1)) == k) for k in range(K)]
    print(f"{conditioning}: per-class accuracy {np.round(accuracy, 3)} (chance 0.25)")
    assert min(accuracy) >= 0.8, accuracy


class FixedFakeLabels(keras_gen.models.ConditionalGAN):
    fake_labels = None

    def fake_condition(self, batch_size):
        return keras.ops.convert_to_tensor(self.fake_labels, dtype="int32")


def _softplus(x):
    return np.logaddexp(0.0, x)


def _cross_entropy(labels, logits):
    logits = logits - logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(labels)), labels])


def test_auxiliary_losses_match_hand_computation():
    # G(z, y) = M[y] (z ignored); D has linear heads: logit x·w, class logits x A + b.
    table = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, -1.0], [0.5, -2.0]], "float32")
    z = keras.Input((2,))
    labels = keras.Input((), dtype="int32")
    embedded = keras.layers.Embedding(K, 2, embeddings_initializer=constant(table))(labels)
    zero = keras.layers.Dense(2, kernel_initializer="zeros", use_bias=False)(z)
    generator = keras.Model([z, labels], keras.layers.Add()([embedded, zero]))
    w = np.array([[0.3], [-0.2]], "float32")
    a = np.random.default_rng(0).standard_normal((2, K)).astype("float32")
    b = np.array([0.1, -0.1, 0.2, 0.0], "float32")
    points = keras.Input((2,))
    logits = keras.layers.Dense(1, use_bias=False, kernel_initializer=constant(w))(points)
    class_logits = keras.layers.Dense(
        K, kernel_initializer=constant(a), bias_initializer=constant(b)
    )(points)
    discriminator = keras.Model(points, [logits, class_logits])

    weight = 0.7
    cgan = FixedFakeLabels(
        generator, discriminator, num_classes=K, conditioning="auxiliary", auxiliary_weight=weight
    )
    cgan.fake_labels = np.array([3, 0, 2, 1, 1, 3], "int32")
    x, y = labelled_modes(6, seed=3)
    fake = table[cgan.fake_labels]

    d_total, d_logs = cgan.compute_phase_loss("discriminator", (x, y), training=False)
    d_class = _cross_entropy(y, x @ a + b) + _cross_entropy(cgan.fake_labels, fake @ a + b)
    d_loss = np.mean(_softplus(-(x @ w))) + np.mean(_softplus(fake @ w))
    np.testing.assert_allclose(value(d_logs["d_class"]), d_class, rtol=1e-5)
    np.testing.assert_allclose(value(d_logs["d_loss"]), d_loss, rtol=1e-5)
    np.testing.assert_allclose(value(d_total), d_loss + weight * d_class, rtol=1e-5)

    g_total, g_logs = cgan.compute_phase_loss("generator", (x, y), training=False)
    g_class = _cross_entropy(cgan.fake_labels, fake @ a + b)
    g_loss = np.mean(_softplus(-(fake @ w)))
    np.testing.assert_allclose(value(g_logs["g_class"]), g_class, rtol=1e-5)
    np.testing.assert_allclose(value(g_total), g_loss + weight * g_class, rtol=1e-5)


def _linear_projection_critic(w, table):
    """D(x, y) = x·w + x·V[y], whose input gradient is w + V[y]."""
    points = keras.Input((2,))
    labels = keras.Input((), dtype="int32")
    embedded = keras.layers.Embedding(K, 2, embeddings_initializer=constant(table))(labels)
    inner = keras.layers.Dot(axes=1)([points, embedded])
    linear = keras.layers.Dense(1, use_bias=False, kernel_initializer=constant(w))(points)
    return keras.Model([points, labels], keras.layers.Add()([linear, inner]))


@pytest.mark.parametrize("penalty", ["r1", "wgan_gp"])
def test_gradient_penalties_condition_the_critic_on_the_real_labels(penalty):
    w = np.array([[0.3], [0.4]], "float32")
    table = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, -2.0], [0.5, 0.5]], "float32")
    cgan = keras_gen.models.ConditionalGAN(
        conditional_mlp_generator(2, 2, K, hidden_units=(4,)),
        _linear_projection_critic(w, table),
        num_classes=K,
        loss="wasserstein",
        gradient_penalty=penalty,
        seed=0,
    )
    x, y = labelled_modes(8, seed=2)
    _, logs = cgan.compute_phase_loss("discriminator", (x, y), training=False)
    norms = np.linalg.norm(w[:, 0] + table[y], axis=1)
    expected = np.mean(norms**2) if penalty == "r1" else np.mean((norms - 1.0) ** 2)
    np.testing.assert_allclose(value(logs[penalty]), expected, rtol=1e-4)
    cgan.compile()
    history = cgan.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history[penalty][0])


def test_biggan_generator_and_sagan_projection_discriminator_train():
    generator = keras_gen.networks.biggan_generator(
        (8, 8, 1), latent_dim=4, num_classes=3, shared_embedding_dim=4, base_filters=4,
        attention_resolution=None, orthogonal_regularization=1e-4,
    )
    discriminator = keras_gen.networks.sagan_discriminator(
        (8, 8, 1), base_filters=4, attention_resolution=None, num_classes=3,
        kernel_initializer="orthogonal",
    )
    cgan = keras_gen.models.ConditionalGAN(
        generator, discriminator, num_classes=3, loss="hinge", discriminator_steps=2, seed=0
    )
    cgan.compile(run_eagerly=keras.backend.backend() == "tensorflow")  # faster for one step
    g_before = snapshot_weights(generator.trainable_variables)
    x, y = images(8)
    history = cgan.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert history.history["g_reg"][0] > 0
    assert int(keras.ops.convert_to_numpy(cgan.optimizers["discriminator"].iterations)) == 2
    g_after = snapshot_weights(generator.trainable_variables)
    assert any(not np.array_equal(a, b) for a, b in zip(g_before, g_after))
    samples = cgan.generate(4, labels=[0, 1, 2, 1], seed=0, truncation=0.5)
    assert samples.shape == (4, 8, 8, 1) and np.all(np.abs(samples) <= 1)


def test_augmentation_sees_every_discriminator_input():
    calls = []

    class CountingGAN(keras_gen.models.ConditionalGAN):
        def augment(self, images, training=True):
            calls.append(tuple(images.shape[1:]))
            return super().augment(images, training)

    for conditioning in ("projection", "auxiliary"):
        calls.clear()
        cgan = CountingGAN(
            conditional_dcgan_generator((8, 8, 1), 4, 3, embedding_dim=2, base_filters=4),
            conditional_dcgan_discriminator((8, 8, 1), 3, conditioning, base_filters=4),
            num_classes=3, conditioning=conditioning,
        )
        x, y = images(4)
        cgan.compute_phase_loss("discriminator", (x, y))
        cgan.compute_phase_loss("generator", (x, y))
        assert calls == [(8, 8, 1)] * 3  # real and fake for D, fake for G


def test_tf_data_augmentation_ema_and_evaluate():
    import tensorflow as tf

    cgan = image_cgan(
        "auxiliary", ema_decay=0.9, augmentation="translation,cutout", gradient_penalty="r1"
    )
    cgan.compile()
    x, y = images(32)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = cgan.fit(dataset, epochs=2, verbose=0)
    assert set(history.history) >= {"d_loss", "d_class", "r1", "g_loss", "g_class"}
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    results = cgan.evaluate(dataset, verbose=0, return_dict=True)
    assert np.isfinite(results["d_class"])
    # generate() uses the averaged generator, which differs from the raw one.
    z = cgan.latents_for(4, seed=0)
    averaged = cgan.generate(latents=z, labels=1)
    assert not np.allclose(averaged, cgan.generate(latents=z, labels=1, use_ema=False))


# --------------------------------------------------------------- generate
def test_generate_label_handling_and_seed():
    cgan = image_cgan()
    z = keras_gen.networks.truncated_normal_latents(6, 4, seed=0)  # NumPy: any backend
    direct = keras.ops.convert_to_numpy(cgan.generator([z, np.full(6, 2, "int32")], training=False))
    np.testing.assert_allclose(cgan.generate(6, labels=2, seed=0), direct, rtol=1e-5, atol=1e-6)
    assert cgan.generate(labels=[0, 2, 1]).shape == (3, 8, 8, 1)
    assert cgan.generate(5).shape == (5, 8, 8, 1)
    np.testing.assert_array_equal(cgan.labels_for(5), [0, 1, 2, 0, 1])
    np.testing.assert_array_equal(cgan.labels_for(labels=np.array([[2], [0]])), [2, 0])
    a = cgan.generate(4, labels=1, seed=7)
    np.testing.assert_array_equal(a, cgan.generate(4, labels=1, seed=7))
    assert not np.allclose(a, cgan.generate(4, labels=0, seed=7))  # the label matters
    assert not np.allclose(a, cgan.generate(4, labels=1, seed=8))
    np.testing.assert_array_equal(cgan.generate_from_latents(z[:3], labels=[0, 1, 2]),
                                  cgan.generate(labels=[0, 1, 2], latents=z[:3]))


def test_generate_with_truncation():
    cgan = image_cgan()
    z = cgan.latents_for(16, seed=0, truncation=0.5)
    assert np.max(np.abs(z)) <= 0.5
    np.testing.assert_array_equal(
        cgan.generate(16, labels=2, seed=0, truncation=0.5), cgan.generate(labels=2, latents=z)
    )


def test_generate_rejects_bad_labels():
    cgan = image_cgan()
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        cgan.generate(2, labels=3)
    with pytest.raises(TypeError, match="astype"):
        cgan.generate(labels=[0.0, 1.0])
    with pytest.raises(ValueError, match="one label per sample"):
        cgan.generate(3, labels=[0, 1])
    with pytest.raises(ValueError, match="num_samples"):
        cgan.generate(labels=1)
    with pytest.raises(ValueError, match=r"latents must have shape \(2, 4\)"):
        cgan.generate(labels=[0, 1], latents=np.zeros((2, 3)))


# ----------------------------------------------------------------- errors
def test_network_and_conditioning_mismatches_name_the_fix():
    generator = conditional_mlp_generator(2, 2, K)
    projection = conditional_mlp_discriminator(2, K, "projection")
    auxiliary = conditional_mlp_discriminator(2, K, "auxiliary")
    ConditionalGAN = keras_gen.models.ConditionalGAN
    with pytest.raises(ValueError, match="'projection'"):
        ConditionalGAN(generator, projection, num_classes=K, conditioning="proj")
    with pytest.raises(ValueError, match="conditioning='auxiliary'"):
        ConditionalGAN(generator, auxiliary, num_classes=K, conditioning="projection")
    with pytest.raises(ValueError, match="conditioning='projection'"):
        ConditionalGAN(generator, projection, num_classes=K, conditioning="auxiliary")
    with pytest.raises(ValueError, match="num_classes=3"):
        ConditionalGAN(generator, auxiliary, num_classes=3, conditioning="auxiliary")
    with pytest.raises(ValueError, match="conditional_dcgan_generator"):
        ConditionalGAN(keras_gen.networks.mlp_generator(2), projection, num_classes=K)
    with pytest.raises(ValueError, match="num_classes"):
        ConditionalGAN(generator, projection, num_classes=None)


def assert_still_trains(cgan):
    x, y = images(16)
    history = cgan.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


def test_bad_training_labels_get_clear_errors_and_leave_the_model_usable():
    import tensorflow as tf

    cgan = image_cgan()
    cgan.compile()
    x, y = images(16)
    with pytest.raises(ValueError, match=r"fit\(images, labels\)"):
        cgan.fit(x, batch_size=8, verbose=0)
    with pytest.raises(TypeError, match="integer class indices"):
        cgan.fit(x, y.astype("float32"), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        cgan.fit(x, y + 1, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="one label per sample"):
        cgan.fit(x, y[:-1], batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="argmax"):
        cgan.fit(x, np.eye(3, dtype="int32")[y], batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"\(images, labels\)"):
        cgan.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), verbose=0)
    with pytest.raises(TypeError, match="integer class indices"):
        cgan.fit(tf.data.Dataset.from_tensor_slices((x, y.astype("float32"))).batch(8), verbose=0)
    assert_still_trains(cgan)


# ----------------------------------------------------------------- saving