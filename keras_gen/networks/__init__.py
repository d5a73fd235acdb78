from keras_gen.networks.dcgan import dcgan_discriminator
from keras_gen.networks.dcgan import dcgan_generator
from keras_gen.networks.mlp import mlp_discriminator
from keras_gen.networks.mlp import mlp_generator
from keras_gen.networks.biggan import biggan_generator
from keras_gen.networks.biggan import truncated_normal_latents
from keras_gen.networks.sagan import sagan_discriminator
from keras_gen.networks.sagan import sagan_generator
from keras_gen.networks.stylegan import stylegan_discriminator
from keras_gen.networks.stylegan import stylegan_mapping_network
from keras_gen.networks.stylegan import stylegan_num_styles
from keras_gen.networks.stylegan import stylegan_synthesis_network
from keras_gen.networks.autoencoder import conv_decoder, conv_encoder, mlp_latent_discriminator
from keras_gen.networks.unet import unet_generator
from keras_gen.networks.patchgan import patchgan_discriminator
from keras_gen.networks.patchgan import patchgan_receptive_field
from keras_gen.networks.resnet_generator import resnet_generator
