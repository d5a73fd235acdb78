"""Shared test helpers: every layer and model test is a short call into these."""

from keras_gen.testing.helpers import assert_weights_changed
from keras_gen.testing.helpers import run_layer_test
from keras_gen.testing.helpers import run_model_saving_test
from keras_gen.testing.helpers import snapshot_weights
from keras_gen.testing.models import tiny_discriminator
from keras_gen.testing.models import tiny_generator
