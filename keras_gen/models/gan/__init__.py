"""The GAN family: GAN, ConditionalGAN, StyleGAN."""

from keras_gen.models.gan.conditional_gan import ConditionalGAN
from keras_gen.models.gan.gan import GAN
from keras_gen.models.gan.stylegan import StyleGAN
