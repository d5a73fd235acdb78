"""What every model of the autoencoder family shares: networks, checks, batching.

`AutoEncoderFamily` holds an encoder and a decoder, checks that they fit
together and fit the data, and turns NumPy calls (`encode`, `decode`,
`reconstruct`) into batched network calls. Subclasses set the objective.
Conditional models (`num_classes` set) pass a one-hot label as a second input
to both networks.
"""

import keras
import numpy as np
from keras import ops

from keras_gen.models import validation
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.validation import same_shape
from keras_gen.models.vae import objectives
from keras_gen.models.vae.latent_density import LatentDensity


def _shapes(tensors):
    if tensors is None:
        return None
    if not isinstance(tensors, (list, tuple)):
        tensors = [tensors]
    return [tuple(t.shape) for t in tensors]


def _network_shapes(model, attribute):
    try:
        return _shapes(getattr(model, attribute, None))
    except (AttributeError, ValueError):
        return None


class AutoEncoderFamily(LatentDensity, GenerativeModel):
    """Base class of `AutoEncoder`, `VAE`, `ConditionalVAE`, `AdversarialAutoencoder`.

    Args:
        encoder: `keras.Model` mapping images (and one-hot labels when
            conditional) to `encoder_outputs` tensors `(batch, latent_dim)`.
        decoder: `keras.Model` mapping `(batch, latent_dim)` codes (and
            labels) to images or logits of the data's shape.
        latent_dim: checked against the networks; inferred when None.
        num_classes: None, or the number of classes of a conditional model.
        seed: seed of the model's `keras.random.SeedGenerator`.
    """

    networks = ("encoder", "decoder")
    encoder_outputs = 1

    def __init__(self, encoder, decoder, latent_dim=None, num_classes=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(encoder, keras.Model) or not isinstance(decoder, keras.Model):
            raise TypeError(
                "`encoder` and `decoder` must be keras.Model instances (e.g. "
                "keras_gen.networks.conv_encoder / conv_decoder); received "
                f"{type(encoder).__name__} and {type(decoder).__name__}."
            )
        self.encoder = encoder
        self.decoder = decoder
        self.num_classes = None if num_classes is None else int(num_classes)
        self.image_shape, self.latent_dim = self._check_networks(latent_dim)

    @property
    def conditional(self):
        return self.num_classes is not None

    # -------------------------------------------------------------- checks
    def _check_networks(self, latent_dim):
        """Returns `(image_shape, latent_dim)`, raising if the networks disagree."""
        expected_inputs = 2 if self.conditional else 1
        label_hint = (
            f" ([images, one_hot_labels] with labels of shape (batch, {self.num_classes}))"
            if self.conditional
            else ""
        )
        enc_in = _network_shapes(self.encoder, "inputs")
        enc_out = _network_shapes(self.encoder, "outputs")
        dec_in = _network_shapes(self.decoder, "inputs")
        dec_out = _network_shapes(self.decoder, "outputs")
        name = self.__class__.__name__
        if enc_in is not None and len(enc_in) != expected_inputs:
            raise ValueError(
                f"{name}'s encoder must take {expected_inputs} input(s){label_hint}; it "
                f"takes {len(enc_in)}. Build it with keras_gen.networks.conv_encoder("
                f"num_classes={self.num_classes})."
            )
        if dec_in is not None and len(dec_in) != expected_inputs:
            raise ValueError(
                f"{name}'s decoder must take {expected_inputs} input(s)"
                f"{label_hint.replace('images', 'latents')}; it takes {len(dec_in)}. Build "
                f"it with keras_gen.networks.conv_decoder(num_classes={self.num_classes})."
            )
        if enc_out is not None:
            if len(enc_out) != self.encoder_outputs:
                what = (
                    "two outputs [mean, log_var]"
                    if self.encoder_outputs == 2
                    else "a single output (the code z)"
                )
                fix = "variational=True" if self.encoder_outputs == 2 else "variational=False"
                raise ValueError(
                    f"{name}'s encoder must have {what}; it has {len(enc_out)} output(s). "
                    f"Build it with keras_gen.networks.conv_encoder(..., {fix})."
                )
            if any(len(s) != 2 for s in enc_out) or len({s[1] for s in enc_out}) != 1:
                raise ValueError(
                    f"{name}'s encoder outputs must each be (batch, latent_dim) with the "
                    f"same latent_dim; received shapes {enc_out}."
                )
        if self.conditional and enc_in is not None and enc_in[1][1:] != (self.num_classes,):
            raise ValueError(
                f"The encoder's label input has shape {enc_in[1]}, expected "
                f"(None, {self.num_classes}) for num_classes={self.num_classes}."
            )
        if self.conditional and dec_in is not None and dec_in[1][1:] != (self.num_classes,):
            raise ValueError(
                f"The decoder's label input has shape {dec_in[1]}, expected "
                f"(None, {self.num_classes}) for num_classes={self.num_classes}."
            )
        inferred = {}
        if enc_out is not None and enc_out[0][1] is not None:
            inferred["encoder output"] = int(enc_out[0][1])
        if dec_in is not None and len(dec_in[0]) == 2 and dec_in[0][1] is not None:
            inferred["decoder input"] = int(dec_in[0][1])
        if latent_dim is not None:
            inferred["latent_dim argument"] = int(latent_dim)
        if len(set(inferred.values())) > 1:
            raise ValueError(
                f"{name}: latent sizes disagree: {inferred}. The encoder's code size must "
                "equal the decoder's input size (and `latent_dim` if given)."
            )
        if not inferred:
            raise ValueError(
                f"Could not infer the latent size from the networks; pass `latent_dim=` "
                f"to {name}."
            )
        latent_dim = next(iter(inferred.values()))

        image_shape = tuple(enc_in[0][1:]) if enc_in is not None else None
        if dec_out is not None:
            if len(dec_out) != 1:
                raise ValueError(
                    f"{name}'s decoder must have one output (the image or its logits); "
                    f"it has {len(dec_out)}."
                )
            if image_shape is not None and not same_shape(dec_out[0][1:], image_shape):
                raise ValueError(
                    f"The decoder outputs shape {dec_out[0]}, but the encoder takes images "
                    f"of shape (None,) + {image_shape}: reconstructions must have the data's "
                    "shape. Build both networks for the same image_shape."
                )
            if image_shape is None:
                image_shape = tuple(dec_out[0][1:])
        return image_shape, latent_dim

    def validate_batch_spec(self, shape, dtype):
        validation.check_float_images(dtype, "Images", self.__class__.__name__)
        validation.check_image_spec(
            shape, self.image_shape, "Images", "the encoder",
            "Resize or reshape the data (e.g. add a channel axis with `x[..., None]`), "
            "or build the networks for this shape.",
        )

    def validate_training_data(self, x, y=None):
        """Images as the encoder takes them; for a conditional model, labels too."""
        super().validate_training_data(x, y)
        if not self.conditional:
            return
        name = self.__class__.__name__
        if not validation.has_second_element(x, y):
            raise ValueError(
                f"{name} needs labels: call fit(x, y) with class indices y in "
                f"[0, {self.num_classes - 1}], or pass a dataset of (images, labels) "
                "pairs, e.g. tf.data.Dataset.from_tensor_slices((x, y)).batch(64)."
            )
        labels = validation.array_second_element(x, y)
        if labels is not None:
            validation.check_class_labels(
                labels, self.num_classes, validation.num_array_samples(x), one_hot=True
            )
            return
        spec = validation.second_spec(x, y)
        if spec is not None:
            validation.check_label_spec(*spec, self.num_classes, name, one_hot=True)

    def _check_images(self, x):
        """NumPy-side check of images passed to encode/reconstruct/likelihoods.

        Checks the dtype and shape, and warns about values outside [-1, 1]
        (e.g. [0, 255] pixels, or images in [0, 1]; see
        `validation.check_image_values`).
        """
        x = np.asarray(keras.ops.convert_to_numpy(x))
        self.validate_batch_spec((None,) + x.shape[1:] if x.ndim else (), str(x.dtype))
        validation.check_image_values(x, "Images", self.__class__.__name__, strict=False)
        return x.astype("float32")

    # ---------------------------------------------------------- data access
    def _unpack(self, data):
        """Returns `(images, one_hot_labels or None)` from what `fit()` passes."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, dict):
            x = x.get("image", x.get("images"))
        if isinstance(x, (list, tuple)) and self.conditional and y is None and len(x) == 2:
            x, y = x
        self.validate_batch_spec(tuple(x.shape), x.dtype)
        # Eager steps may receive NumPy batches; a network called on a list
        # must not mix NumPy arrays and tensors. Values are checked in the
        # step (data from a dataset could not be checked before `fit()`).
        x = validation.guard_images_in_step(self, ops.convert_to_tensor(x))
        if not self.conditional:
            return x, None
        if y is None:
            raise ValueError(
                f"{self.__class__.__name__} needs labels: call fit(x, y) with class "
                "indices y, or use a dataset of (images, labels) pairs."
            )
        one_hot, x = self._one_hot(y, x)
        return x, one_hot

    def _one_hot(self, y, x):
        """Labels in a step -> `(float32 one-hot (batch, num_classes), x)`.

        Labels out of range (or rows that are not one-hot) are caught here,
        in the step: `x` comes back as NaN, so the step is not applied, and
        `fit()` stops with a `ValueError` (see `validation.guard_labels_in_step`).
        """
        rank = len(y.shape)
        if rank == 2 and y.shape[-1] == self.num_classes:
            one_hot = ops.cast(y, "float32")
            return validation.guard_one_hot_in_step(self, one_hot, x)
        if rank == 2 and y.shape[-1] == 1:
            y = ops.reshape(y, (-1,))
        elif rank != 1:
            raise ValueError(
                f"Labels must be class indices (batch,) or one-hot (batch, "
                f"{self.num_classes}); received shape {tuple(y.shape)}."
            )
        labels, x = validation.guard_labels_in_step(
            self, ops.cast(y, "int32"), self.num_classes, x
        )
        return ops.one_hot(labels, self.num_classes), x

    def _encoder_inputs(self, x, one_hot):
        return x if one_hot is None else [x, one_hot]

    def _decoder_inputs(self, z, one_hot):
        return z if one_hot is None else [z, one_hot]

    def _labels_for(self, labels, num_samples):
        """NumPy one-hot labels for a conditional model, None otherwise."""
        if not self.conditional:
            if labels is not None:
                raise ValueError(f"{self.__class__.__name__} is not conditional: drop `labels`.")
            return None
        if labels is None:
            raise ValueError(
                f"{self.__class__.__name__} is conditional: pass `labels` (class indices in "
                f"[0, {self.num_classes - 1}])."
            )
        indices = validation.check_class_labels(labels, self.num_classes, num_samples, one_hot=True)
        return np.eye(self.num_classes, dtype="float32")[indices]

    # ------------------------------------------------------------- numpy API
    @property
    def decoder_outputs_logits(self):
        """True when the decoder outputs logits (Bernoulli / `"bce"`)."""
        raise NotImplementedError

    def _encode_arrays(self, x, one_hot, batch_size):
        x = self._check_images(x)
        outputs = self.run_in_batches(
            lambda xb, yb: self.encoder(self._encoder_inputs(xb, yb), training=False),
            [x, one_hot],
            batch_size,
        )
        return outputs if isinstance(outputs, list) else [outputs]

    def _decode_arrays(self, z, one_hot, batch_size):
        z = np.asarray(ops.convert_to_numpy(z), dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"Latent codes must have shape (num_samples, {self.latent_dim}); "
                f"received {z.shape}."
            )
        return self.run_in_batches(
            lambda zb, yb: objectives.output_to_images(
                self.decoder(self._decoder_inputs(zb, yb), training=False),
                self.decoder_outputs_logits,
            ),
            [z, one_hot],
            batch_size,
        )

    def _codes_for(self, num_samples, latents, seed, draw=None):
        """`latents` checked against `(num_samples, latent_dim)`, or codes drawn from the prior.

        Args:
            num_samples: an integer >= 0 (0 gives no codes).
            latents: explicit codes, or None.
            seed: passed to `draw` (default: `_prior_latents`).
            draw: `fn(num_samples, seed)` drawing prior codes.
        """
        num_samples = validation.check_sample_count(num_samples)
        if latents is None:
            return (draw or self._prior_latents)(num_samples, seed)
        latents = np.asarray(ops.convert_to_numpy(latents), dtype="float32")
        if latents.shape != (num_samples, self.latent_dim):
            raise ValueError(
                f"latents must have shape (num_samples, {self.latent_dim}) = ({num_samples}, "
                f"{self.latent_dim}), one code per sample; received {latents.shape}."
            )
        return latents

    def _prior_latents(self, num_samples, seed):
        """N(0, I) latents: NumPy for an int seed (same on every backend)."""
        num_samples = validation.check_sample_count(num_samples)
        if seed is None:
            return ops.convert_to_numpy(
                keras.random.normal((num_samples, self.latent_dim), seed=self.seed_generator)
            )
        rng = np.random.default_rng(seed)
        return rng.standard_normal((num_samples, self.latent_dim)).astype("float32")
