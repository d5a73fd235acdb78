"""Presets: named, verified model folders; the one writer recipes use; the registry; application loading."""

from keras_gen.presets.application import inference_generator
from keras_gen.presets.application import load_application
from keras_gen.presets.application import load_weights_file
from keras_gen.presets.preset import builtin_presets_dir
from keras_gen.presets.application import load_model_file
from keras_gen.presets.preset import check_preset_arguments
from keras_gen.presets.preset import expected_sha256
from keras_gen.presets.preset import from_preset
from keras_gen.presets.preset import load_metadata
from keras_gen.presets.preset import load_preset_weights
from keras_gen.presets.preset import record_file_hashes
from keras_gen.presets.preset import resolve_preset
from keras_gen.presets.preset import save_to_preset
from keras_gen.presets.preset import sha256_of_file
from keras_gen.presets.preset import verify_file
from keras_gen.presets.preset import verify_weights
from keras_gen.presets.registry import PresetEntry
from keras_gen.presets.registry import list_presets
from keras_gen.presets.registry import preset_entry
from keras_gen.presets.registry import register_preset
from keras_gen.presets.registry import registered_presets
from keras_gen.presets.writer import check_round_trip
from keras_gen.presets.writer import hardware_description
from keras_gen.presets.writer import reproduce_command
from keras_gen.presets.writer import write_preset
