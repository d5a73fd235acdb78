"""Pretrained-style constructors in the style of `keras.applications`.

Installed as `keras_gen.applications`; preset folders live in `presets/`.
"""

from keras_gen.applications.dcgan import DCGAN
from keras_gen.presets import list_presets
from keras_gen.applications.sagan import SAGAN
from keras_gen.applications.conditional_dcgan import ConditionalDCGAN
