"""The GAN's constructor options, checked, and the objects built from them.

Each check raises a `ValueError`/`TypeError` that names the fix, at
construction, before anything trains.
"""

import keras
import numpy as np

from keras_gen import losses as losses_module
from keras_gen.layers.diff_augment import DiffAugment
from keras_gen.models import validation
from keras_gen.networks.layout import network_data_format


def check_penalty_arguments(gradient_penalty, penalty_weight, penalty_interval):
    if gradient_penalty is not None:
        return
    given = []
    if penalty_weight is not None and penalty_weight != 0:
        given.append(f"penalty_weight={penalty_weight!r}")
    if penalty_interval != 1:
        given.append(f"penalty_interval={penalty_interval!r}")
    if given:
        raise ValueError(
            f"{' and '.join(given)} would have no effect without a gradient penalty: pass "
            "gradient_penalty='wgan_gp', 'r1' or 'r2' as well, or leave "
            f"{'them' if len(given) > 1 else 'it'} out."
        )


def check_wgan_gp_options(gradient_penalty, target, one_sided, normalized):
    """`(target, one_sided, normalized)` checked: WGAN-GP's options, only with it."""
    target = validation.check_non_negative_number(
        target, "penalty_target", " (WGAN-GP: 1)", positive=True
    )
    for value, name in ((one_sided, "penalty_one_sided"), (normalized, "penalty_normalized")):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False; received {value!r}.")
    given = []
    if target != 1.0:
        given.append(f"penalty_target={target!r}")
    if one_sided:
        given.append("penalty_one_sided=True")
    if normalized:
        given.append("penalty_normalized=True")
    if given and gradient_penalty != "wgan_gp":
        raise ValueError(
            f"{' and '.join(given)} only shape{'s' if len(given) == 1 else ''} the WGAN-GP "
            f"penalty, but gradient_penalty={gradient_penalty!r}: pass "
            "gradient_penalty='wgan_gp', or leave "
            f"{'them' if len(given) > 1 else 'it'} out."
        )
    return target, bool(one_sided), bool(normalized)


def check_label_smoothing(label_smoothing, adversarial_loss):
    value = losses_module.check_label_smoothing(label_smoothing)
    if value > 0 and not adversarial_loss.supports_label_smoothing:
        smoothable = [
            name for name in losses_module.names()
            if losses_module.get(name).supports_label_smoothing
        ]
        raise ValueError(
            f"label_smoothing={label_smoothing!r} does not apply to loss="
            f"{adversarial_loss.name!r}: one-sided label smoothing replaces the real "
            "target 1 of a sigmoid cross-entropy, which this objective does not have. "
            f"Use loss= one of {smoothable}, or label_smoothing=0."
        )
    return value


class FeatureExtractor:
    """The discriminator up to one layer, as a sub-model sharing its layers.

    A plain object, so that Keras does not track the shared layers as the
    model's own a second time.
    """

    def __init__(self, discriminator, layer_name=None):
        if not getattr(discriminator, "inputs", None):
            raise ValueError(
                "feature_matching needs a functional or Sequential discriminator (with "
                "an `Input`) to read an intermediate layer from; "
                f"{discriminator.name!r} has no known inputs."
            )
        if layer_name is None:
            dense = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.Dense)]
            if not dense:
                raise ValueError(
                    "feature_matching could not choose a feature layer: the discriminator "
                    f"{discriminator.name!r} has no Dense layer. Pass feature_layer=<name> "
                    f"(one of {[layer.name for layer in discriminator.layers]})."
                )
            features = dense[-1].input
        else:
            if not isinstance(layer_name, str):
                raise TypeError(
                    f"feature_layer must be a layer name (str) or None; received {layer_name!r}."
                )
            names = [layer.name for layer in discriminator.layers]
            if layer_name not in names:
                raise ValueError(
                    f"feature_layer={layer_name!r} is not a layer of the discriminator "
                    f"{discriminator.name!r}; use one of {names}."
                )
            features = discriminator.get_layer(layer_name).output
        inputs = discriminator.inputs
        self.model = keras.Model(
            inputs[0] if len(inputs) == 1 else inputs, features,
            name=f"{discriminator.name}_features",
        )


def image_input_shape(discriminator):
    inputs = getattr(discriminator, "inputs", None)
    if not inputs:
        raise ValueError(
            "`augmentation` needs a discriminator with a known image input "
            "(a functional or Sequential model with an `Input`)."
        )
    return tuple(inputs[0].shape)


def check_augmentation_layout(augmentation, discriminator):
    """Raises `ValueError` if `augmentation` expects images in another layout than `discriminator`."""
    data_format = network_data_format(discriminator)
    if augmentation is None or data_format is None or augmentation.data_format == data_format:
        return
    raise ValueError(
        f"The augmentation layer works on {augmentation.data_format} images, but the "
        f"discriminator takes {data_format} images. Pass "
        f"keras_gen.layers.DiffAugment(..., data_format={data_format!r}), or the policy "
        "string alone (e.g. augmentation='color,translation,cutout'), which follows the "
        "discriminator."
    )


def augmentation_layer(augmentation, seed, data_format=None):
    """The `DiffAugment` of `augmentation` (a layer, a policy string or None).

    A policy string makes a layer in `data_format` (the discriminator's).
    """
    if augmentation is None or isinstance(augmentation, DiffAugment):
        return augmentation
    if isinstance(augmentation, str):
        return DiffAugment(augmentation, seed=seed, data_format=data_format)
    raise TypeError(
        "`augmentation` must be None, a policy string such as "
        "'color,translation,cutout', or a keras_gen.layers.DiffAugment; "
        f"received {type(augmentation).__name__}."
    )

