"""Image-to-image translation models: Pix2Pix (paired) and CycleGAN (unpaired)."""

from keras_gen.models.image_to_image.bicyclegan import BicycleGAN
from keras_gen.models.image_to_image.cyclegan import CycleGAN
from keras_gen.models.image_to_image.munit import MUNIT
from keras_gen.models.image_to_image.pix2pix import Pix2Pix
from keras_gen.models.image_to_image.schedules import LinearDecayAfter
from keras_gen.models.image_to_image.spade import SPADE
