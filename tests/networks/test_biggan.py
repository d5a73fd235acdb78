import keras
import numpy as np
import pytest

from keras_gen.layers import SpectralNormalization
from keras_gen.layers import ConditionalBatchNormalization
from keras_gen.losses import orthogonal_regularization
from keras_gen.networks import biggan_generator
from keras_gen.networks import truncated_normal_latents
from keras_gen.testing import run_model_saving_test

LATENT = 8  # 8x8 -> one block -> two chunks of 4


@pytest.fixture(scope="module")
def generator():
    return biggan_generator(
        (8, 8, 3),
        latent_dim=LATENT,
        num_classes=5,
        shared_embedding_dim=6,
        base_filters=4,
        attention_resolution=8,
        orthogonal_regularization=1e-4,
    )


def _predict(model, inputs):
    return model.predict(inputs, verbose=0, batch_size=len(inputs[0]))


def test_shapes_and_inputs(generator):
    z = truncated_normal_latents(4, LATENT, seed=0)
    images = _predict(generator, [z, np.array([0, 1, 2, 4], "int32")])
    assert images.shape == (4, 8, 8, 3)
    assert np.all(np.abs(images) <= 1.0)
    assert [tuple(i.shape) for i in generator.inputs] == [(None, LATENT), (None,)]
    norms = [l for l in generator.layers if isinstance(l, ConditionalBatchNormalization)]
    assert len(norms) == 2
    for norm in norms:
        assert norm.num_classes is None  # linear projection of [chunk, shared embedding]
        assert tuple(norm.gain.shape)[0] == LATENT // 2 + 6


def test_every_latent_chunk_and_the_label_matter(generator):
    z = np.repeat(truncated_normal_latents(1, LATENT, seed=1), 4, axis=0)
    for chunk in range(2):
        z[chunk + 1, chunk * 4 : (chunk + 1) * 4] += 1.0
    labels = np.array([0, 0, 0, 3], "int32")
    images = _predict(generator, [z, labels])
    for other in range(1, 4):
        assert not np.allclose(images[0], images[other], atol=1e-5), other


def test_non_hierarchical_conditions_on_the_embedding_only():
    generator = biggan_generator(
        (8, 8, 3), latent_dim=10, num_classes=5, shared_embedding_dim=6,
        base_filters=4, hierarchical=False, attention_resolution=None,
    )
    norms = [l for l in generator.layers if isinstance(l, ConditionalBatchNormalization)]
    assert all(tuple(norm.gain.shape)[0] == 6 for norm in norms)
    assert generator.get_layer("dense_sn").layer.kernel.shape[0] == 10


def test_orthogonal_initialization_and_regularization(generator):
    kernel = keras.ops.convert_to_numpy(generator.get_layer("dense_sn").layer.kernel)
    assert kernel.shape[0] < kernel.shape[1]  # (4, 128): orthonormal rows
    np.testing.assert_allclose(kernel @ kernel.T, np.eye(kernel.shape[0]), atol=1e-5)
    embedding = keras.ops.convert_to_numpy(generator.get_layer("shared_embedding").embeddings)
    np.testing.assert_allclose(embedding @ embedding.T, np.eye(5), atol=1e-5)
    # One penalty per regularized kernel (convolutions and the dense layer).
    kernels = [
        layer.layer.kernel
        for layer in generator._flatten_layers()
        if isinstance(layer, SpectralNormalization)
        and layer.layer.kernel_regularizer is not None
    ]
    losses = generator.losses
    assert len(losses) == len(kernels) > 0
    expected = sum(float(keras.ops.convert_to_numpy(orthogonal_regularization(k))) for k in kernels)
    total = sum(float(keras.ops.convert_to_numpy(loss)) for loss in losses)
    np.testing.assert_allclose(total, expected, rtol=1e-5)


def test_saving_round_trip(generator, tmp_path):
    z = truncated_normal_latents(4, LATENT, seed=2)
    labels = np.array([0, 1, 2, 3], "int32")
    run_model_saving_test(generator, lambda m: m([z, labels]), tmp_path)


def test_truncation_reduces_mean_pairwise_distance_monotonically():
    def mean_pairwise_distance(z):
        diff = z[:, None, :] - z[None, :, :]
        return np.sqrt((diff**2).sum(-1)).mean()

    distances = [
        mean_pairwise_distance(truncated_normal_latents(200, 16, truncation=t, seed=3))
        for t in (None, 2.0, 1.0, 0.5, 0.25)
    ]
    assert all(a > b for a, b in zip(distances, distances[1:])), distances


def test_truncated_latents_are_bounded_and_reproducible():
    z = truncated_normal_latents(100, 8, truncation=0.5, seed=4)
    assert z.shape == (100, 8) and z.dtype == np.float32
    assert np.abs(z).max() <= 0.5
    assert np.abs(z).mean() > 0.2  # resampled, not clipped to the bound or zeroed
    np.testing.assert_array_equal(z, truncated_normal_latents(100, 8, truncation=0.5, seed=4))
    with pytest.raises(ValueError, match="positive threshold"):
        truncated_normal_latents(2, 8, truncation=0.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="divisible by the number of blocks"):
        biggan_generator((16, 16, 3), latent_dim=10, num_classes=5)  # 3 chunks
    with pytest.raises(ValueError, match="class-conditional"):
        biggan_generator((16, 16, 3), latent_dim=12, num_classes=None)
