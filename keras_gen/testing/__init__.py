"""Test kits: every layer, model and preset test is a short call into these.

- `run_model_test(cls, init_kwargs, data)`: the contract of a model (fit
  with NumPy and `tf.data`, phase isolation, optimizer counts, the
  non-finite guard, `evaluate`, saving, bad-input errors);
- `MODEL_CASES` / `register_model_case`: the tiny configurations the generic
  tests run `run_model_test` on;
- `run_preset_test(name)`: a shipped preset's metadata, card, verified
  loading, tamper refusal and exact round trip;
- `run_layer_test`, `run_model_saving_test`, weight snapshots, and
  `assert_trains_like_keras` for a keras_gen twin of a Keras layer;
- `layouts.step_in_both_layouts` / `layouts.assert_same_step`: one training
  step of a model in each image layout from the same weights.
"""

from keras_gen.testing.cases import MODEL_CASES
from keras_gen.testing.cases import ModelCase
from keras_gen.testing.cases import register_model_case
from keras_gen.testing.helpers import InterruptFit
from keras_gen.testing.helpers import assert_trains_like_keras
from keras_gen.testing.helpers import assert_weights_changed
from keras_gen.testing.helpers import perturbed_weights
from keras_gen.testing.helpers import run_layer_test
from keras_gen.testing.helpers import run_model_saving_test
from keras_gen.testing.helpers import snapshot_weights
from keras_gen.testing.model_test import only_phase
from keras_gen.testing.model_test import run_model_test
from keras_gen.testing.preset_test import run_preset_test
from keras_gen.testing.models import tiny_discriminator
from keras_gen.testing.models import tiny_generator
