"""keras_gen.presets: the registry, the one preset writer and the one application loader."""

import json
import os

import keras
import numpy as np
import pytest

import keras_gen
import keras_gen.applications
from keras_gen import presets


def tiny_gan(ema_decay=None):
    return keras_gen.applications.dcgan.build_dcgan(
        latent_dim=4, base_filters=2, seed=0, name="tiny"
    ) if ema_decay is None else keras_gen.models.GAN(
        keras_gen.networks.dcgan_generator(latent_dim=4, base_filters=2),
        keras_gen.networks.dcgan_discriminator(base_filters=2),
        latent_dim=4, ema_decay=ema_decay, seed=0,
    )


# ------------------------------------------------------------------ registry
def test_every_shipped_preset_is_registered_and_loads_as_its_class():
    registered = presets.registered_presets()
    for name in presets.list_presets():
        assert name in registered, f"{name} is shipped but not registered"
        model = presets.from_preset(name, load_weights=False)
        assert isinstance(model, registered[name].model_class), name
        assert registered[name].description


def test_list_presets_per_model_class():
    shipped = presets.list_presets()
    gans = presets.list_presets(keras_gen.models.GAN)
    assert set(gans) <= set(shipped)
    for name in ("dcgan_mnist", "sagan_mnist", "cgan_mnist"):
        assert (name in gans) == (name in shipped)
    assert "vae_mnist" not in gans
    assert set(presets.list_presets(keras_gen.models.VAE)) <= {"vae_mnist"}
    assert presets.preset_entry("dcgan_mnist").application == "DCGAN"


def test_registering_a_name_twice_with_another_class_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        presets.register_preset("dcgan_mnist", keras_gen.models.VAE, "not a DCGAN")


# -------------------------------------------------------------------- writer
def test_write_preset_writes_hashes_and_checks_the_round_trip(tmp_path):
    gan = tiny_gan()
    folder = str(tmp_path / "tiny")
    seen = {}

    def card(metadata):
        seen.update(metadata)
        return f"# tiny\n\nReproduce: `{metadata['recipe']}` on {metadata['hardware']}.\n"

    metadata = presets.write_preset(
        gan, folder, {"dataset": "none", "metrics": {"fid": 1.0}}, card,
        figures={"samples.png": lambda path: keras_gen.utils.save_image_grid(
            gan.generate(4, seed=0), path, num_rows=2)},
        recipe_script=os.path.join(os.path.dirname(keras_gen.__path__[0]), "recipes", "tiny.py"),
        recipe_args=["--epochs", "1"],
    )
    assert metadata["recipe"] == (
        f"KERAS_BACKEND={keras.backend.backend()} python recipes/tiny.py --epochs 1"
    )
    assert seen["recipe"] == metadata["recipe"] and seen["parameter_count"] == gan.count_params()
    with open(os.path.join(folder, "metadata.json")) as f:
        assert json.load(f) == metadata
    assert metadata["recipe"] in open(os.path.join(folder, "README.md")).read()
    assert set(metadata["files_sha256"]) == {
        "config.json", "model.weights.h5", "README.md", "samples.png"}
    for name, digest in metadata["files_sha256"].items():
        assert presets.sha256_of_file(os.path.join(folder, name)) == digest
    assert metadata["weights_sha256"] == metadata["files_sha256"]["model.weights.h5"]
    size = os.path.getsize(os.path.join(folder, "model.weights.h5")) / 1e6
    assert metadata["weights_megabytes"] == pytest.approx(size, abs=1e-3)
    assert metadata["hardware"] == presets.hardware_description()
    loaded = presets.from_preset(folder)
    np.testing.assert_allclose(loaded.generate(3, seed=1), gan.generate(3, seed=1), atol=1e-6)


def test_write_preset_refuses_what_it_owns_and_a_model_that_does_not_reload(tmp_path):
    gan = tiny_gan()
    with pytest.raises(ValueError, match="recipe"):
        presets.write_preset(gan, str(tmp_path / "a"), {"recipe": "python x.py"}, "# card")
    folder = str(tmp_path / "b")
    presets.write_preset(gan, folder, {"metrics": {"fid": 1.0}}, "# card")
    # A model that no longer matches the folder fails the round-trip check.
    for variable in gan.generator.trainable_variables:
        variable.assign(variable + 0.5)
    with pytest.raises(ValueError, match="does not reproduce"):
        presets.check_round_trip(gan, folder)


def test_the_round_trip_check_compares_nested_outputs(tmp_path):
    # SPADE's multi-scale discriminator returns [features..., logits] per scale.
    from keras_gen.testing.cases import MODEL_CASES

    case = MODEL_CASES["spade"]
    model = case.model_class(**case.init_kwargs())
    folder = str(tmp_path / "spade")
    presets.write_preset(model, folder, {"metrics": {"fid": 1.0}}, "# card")
    # A changed discriminator feature is caught, not only a changed image.
    variable = model.discriminator.trainable_variables[0]
    variable.assign(variable + 0.5)
    with pytest.raises(ValueError, match="does not reproduce"):
        presets.check_round_trip(model, folder)


def test_a_modified_config_is_refused(tmp_path):
    folder = str(tmp_path / "p")
    presets.write_preset(tiny_gan(), folder, {"metrics": {"fid": 1.0}}, "# card")
    path = os.path.join(folder, "config.json")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace('"tiny"', '"renamed"'))
    with pytest.raises(ValueError, match="corrupted"):
        presets.from_preset(folder)


# --------------------------------------------------------------- applications
def test_every_kind_of_weights_returns_the_same_kind_of_object(tmp_path):
    kwargs = {"latent_dim": 4, "base_filters": 2}
    gan = keras_gen.applications.DCGAN(weights=None, include_discriminator=True, **kwargs)
    weights_file = str(tmp_path / "gan.weights.h5")
    gan.save_weights(weights_file)
    folder = str(tmp_path / "preset")
    presets.write_preset(gan, folder, {"metrics": {"fid": 1.0}}, "# card")
    made = [
        keras_gen.applications.DCGAN(weights=weights, **extra)
        for weights, extra in ((None, kwargs), (weights_file, kwargs), (folder, {}))
    ]
    assert len({type(m) for m in made}) == 1
    assert all(isinstance(m, keras.Model) and not isinstance(m, keras_gen.models.GAN) for m in made)
    z = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(made[1](z, training=False)),
        keras.ops.convert_to_numpy(made[2](z, training=False)), atol=1e-6,
    )


def test_a_weights_file_with_a_moving_average_gives_the_average(tmp_path):
    gan = keras_gen.applications.sagan.build_sagan(latent_dim=4, base_filters=2, ema_decay=0.9, seed=0)
    for variable in gan.ema_model.trainable_variables:
        variable.assign(variable + 0.01)
    path = str(tmp_path / "sagan.weights.h5")
    gan.save_weights(path)
    generator = keras_gen.applications.SAGAN(weights=path, latent_dim=4, base_filters=2)
    z = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(generator(z, training=False)),
        keras.ops.convert_to_numpy(gan.ema_model(z, training=False)), atol=1e-6,
    )


@pytest.mark.skipif("cgan_mnist" not in presets.list_presets(), reason="needs the cgan_mnist preset")
def test_a_preset_of_another_application_is_refused_with_its_loader():
    with pytest.raises(ValueError, match=r"ConditionalDCGAN\(weights='cgan_mnist'\)"):
        keras_gen.applications.DCGAN(weights="cgan_mnist")
    with pytest.raises(ValueError, match=r"from_preset\('vae_mnist'\)"):
        keras_gen.applications.SAGAN(weights="vae_mnist")


@pytest.mark.skipif("dcgan_mnist" not in presets.list_presets(), reason="needs the dcgan_mnist preset")
def test_every_preset_argument_is_checked():
    for kwargs in ({"base_filters": 32}, {"upsampling": "transpose"}, {"image_shape": (32, 32, 1)}):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            keras_gen.applications.DCGAN(weights="dcgan_mnist", **kwargs)
    keras_gen.applications.DCGAN(weights="dcgan_mnist", base_filters=64, upsampling="subpixel")


def test_a_missing_weights_file_is_refused_before_building():
    for application in (keras_gen.applications.DCGAN, keras_gen.applications.SAGAN,
                        keras_gen.applications.ConditionalDCGAN):
        with pytest.raises(ValueError, match="does not exist"):
            application(weights="/nonexistent/model.weights.h5")


def test_write_preset_needs_measured_metrics(tmp_path):
    with pytest.raises(ValueError, match="'metrics'"):
        presets.write_preset(tiny_gan(), str(tmp_path / "tiny"), {"dataset": "x"}, "# card")
