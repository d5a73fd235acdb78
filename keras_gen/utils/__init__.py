"""Small utilities shared by models, callbacks and recipes."""

from keras_gen.utils.gaussian_mixture import fit_gaussian_mixture
from keras_gen.utils.gaussian_mixture import sample_gaussian_mixture
from keras_gen.utils.images import make_grid
from keras_gen.utils.images import save_image
from keras_gen.utils.images import save_image_grid
from keras_gen.utils.images import to_uint8
from keras_gen.utils.latent_arithmetic import latent_arithmetic
from keras_gen.utils.latent_arithmetic import latent_groups
from keras_gen.utils.latent import interpolate, interpolation_strip, latent_scatter, latent_traversal_grid
