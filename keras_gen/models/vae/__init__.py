"""The autoencoder family: AutoEncoder, VAE (β-VAE), ConditionalVAE, AdversarialAutoencoder."""

from keras_gen.models.vae.adversarial_autoencoder import AdversarialAutoencoder
from keras_gen.models.vae.autoencoder import AutoEncoder
from keras_gen.models.vae.conditional_vae import ConditionalVAE
from keras_gen.models.vae.vae import VAE
