"""Every shipped preset, checked by `keras_gen.testing.run_preset_test` on every backend."""

import pytest

from keras_gen import presets
from keras_gen.testing import run_preset_test


@pytest.mark.parametrize("name", presets.list_presets())
def test_preset_contract(name):
    run_preset_test(name)
