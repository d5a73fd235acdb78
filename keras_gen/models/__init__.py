"""Models: `GenerativeModel` and the GAN, VAE and image-to-image families."""

from keras_gen.models.gan import GAN
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.vae import AdversarialAutoencoder, AutoEncoder, ConditionalVAE, VAE
from keras_gen.models.image_to_image import CycleGAN, Pix2Pix
from keras_gen.models.gan.stylegan import StyleGAN
from keras_gen.models.gan.conditional_gan import ConditionalGAN
