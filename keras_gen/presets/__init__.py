"""Presets: save a model to a verified folder and build it back from its name."""

from keras_gen.presets.preset import builtin_presets_dir
from keras_gen.presets.preset import check_preset_arguments
from keras_gen.presets.preset import from_preset
from keras_gen.presets.preset import list_presets
from keras_gen.presets.preset import load_metadata
from keras_gen.presets.preset import load_preset_weights
from keras_gen.presets.preset import resolve_preset
from keras_gen.presets.preset import save_to_preset
from keras_gen.presets.preset import verify_weights
