"""The cost model counts the multiply-adds a hand computation gives."""

import keras
import pytest

import flops
from keras_gen.layers import SelfAttention2D


class ScaledKernel(keras.layers.Layer):
    """A layer with a kernel the cost model has no rule for."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 3), name="kernel")

    def call(self, x):
        return keras.ops.matmul(x, self.kernel)


def test_convolutions_dense_and_nested_models_are_counted_by_hand():
    inner_input = keras.Input((8, 8, 4))
    up = keras.layers.Conv2DTranspose(3, 4, strides=2, padding="same", name="up")(inner_input)
    inner = keras.Model(inner_input, up, name="inner")
    images = keras.Input((8, 8, 2))
    x = keras.layers.SpectralNormalization(keras.layers.Conv2D(4, 3, padding="same"), name="conv")(images)
    x = keras.layers.BatchNormalization()(x)
    x = inner(x)
    x = keras.layers.Dense(5, name="dense")(keras.layers.Flatten()(x))
    total, per_layer, uncounted = flops.forward_macs(keras.Model(images, x))
    conv = 8 * 8 * 4 * (3 * 3 * 2)
    transpose = 8 * 8 * 4 * (4 * 4) * 3  # every input pixel scatters a 4x4x3 patch
    dense = 16 * 16 * 3 * 5
    assert per_layer == {"conv": conv, "inner/up": transpose, "dense": dense}
    assert total == conv + transpose + dense and uncounted == []


def test_layers_with_unknown_weights_are_reported_not_priced_at_zero():
    x = keras.Input((6,))
    model = keras.Model(x, ScaledKernel(name="mystery")(keras.layers.Dense(4, name="d")(x)))
    total, _, uncounted = flops.forward_macs(model)
    assert total == 6 * 4 and uncounted == ["mystery"]


@pytest.mark.parametrize("pool", [False, True])
def test_self_attention_counts_projections_and_attention(pool):
    x = keras.Input((8, 8, 16))
    model = keras.Model(x, SelfAttention2D(pool_keys_values=pool, name="attention")(x))
    total, _, _ = flops.forward_macs(model)
    n, c, k, v = 64, 16, 2, 2  # key/value channels: C/8 by default
    keys = n // 4 if pool else n
    expected = n * c * k + n * c * (k + v) + n * keys * (k + v) + n * v * c
    assert total == expected


def test_gan_step_is_four_generator_and_eight_discriminator_passes():
    z = keras.Input((3,))
    generator = keras.Model(z, keras.layers.Dense(4)(z))
    x = keras.Input((4,))
    discriminator = keras.Model(x, keras.layers.Dense(1)(keras.layers.Dense(2)(x)))
    cost = flops.gan_step_flops(generator, discriminator)
    g, d = 3 * 4, 4 * 2 + 2
    assert (cost["generator_forward"], cost["discriminator_forward"]) == (g, d)
    assert cost["discriminator_phase"] == 2 * (g + 6 * d)
    assert cost["generator_phase"] == 2 * (3 * g + 2 * d)
    assert cost["step"] == 2 * (4 * g + 8 * d)


def test_throughput_report_turns_images_per_cpu_second_into_fractions_of_peak():
    import dcgan_throughput
    import harness

    steps = 10  # 640 images per run
    result = harness.Result("ours", runs=[harness.Run(0, 2.0, 4.0, {}), harness.Run(1, 2.0, 2.0, {})])
    cost = {"step_flops": {"subpixel": 50e6},
            "peaks": {"float32": {"matmul": 100.0, "conv3x3": 80.0}}}
    table = dcgan_throughput.format_arithmetic_table(
        {("jax", "keras_gen", "subpixel"): result}, ["jax"], ["subpixel"], steps, cost)
    # Median of 640/4 and 640/2 images per CPU-second = 240; x 50 MFLOP = 12 GFLOP/s.
    assert "| keras_gen [jax] | subpixel | 12.0 | 12% | 15% |" in table
    assert "| plain PyTorch | subpixel | n/a | n/a | n/a |" in table


@pytest.mark.parametrize("upsampling", ["transpose", "subpixel"])
def test_channels_first_networks_cost_what_their_channels_last_twins_cost(upsampling):
    from keras_gen.applications.dcgan import build_dcgan
    from keras_gen.applications.sagan import build_sagan

    for build, kwargs in ((build_dcgan, {"latent_dim": 8, "base_filters": 4, "upsampling": upsampling}),
                          (build_sagan, {"image_shape": (16, 16, 1), "latent_dim": 8, "base_filters": 3})):
        last = build(data_format="channels_last", **kwargs)
        first = build(data_format="channels_first", **kwargs)
        assert flops.gan_step_flops(first.generator, first.discriminator) == \
            flops.gan_step_flops(last.generator, last.discriminator)
