from keras_gen.models.gan.gan import GAN
