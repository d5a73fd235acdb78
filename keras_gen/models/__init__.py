"""Models: `GenerativeModel` and the GAN, VAE and image-to-image families."""

from keras_gen.models.gan import GAN
from keras_gen.models.gan import ConditionalGAN
from keras_gen.models.gan import StyleGAN
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.image_to_image import BicycleGAN
from keras_gen.models.image_to_image import CycleGAN
from keras_gen.models.image_to_image import MUNIT
from keras_gen.models.image_to_image import Pix2Pix
from keras_gen.models.image_to_image import SPADE
from keras_gen.models.vae import AdversarialAutoencoder
from keras_gen.models.vae import AutoEncoder
from keras_gen.models.vae import ConditionalVAE
from keras_gen.models.vae import VAE
