from keras_gen.models.gan.gan import GAN
from keras_gen.models.gan.stylegan import StyleGAN
from keras_gen.models.gan.conditional_gan import ConditionalGAN
