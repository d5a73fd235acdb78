"""Models: `GenerativeModel` and the GAN, VAE and image-to-image families."""

from keras_gen.models.gan import GAN
from keras_gen.models.generative_model import GenerativeModel
