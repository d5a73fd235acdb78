"""Losses: adversarial objectives, gradient penalties, feature matching,
reconstruction, classification and KL terms, regularizers."""

from keras_gen.losses.adversarial import AdversarialLoss
from keras_gen.losses.adversarial import check_label_smoothing
from keras_gen.losses.adversarial import get
from keras_gen.losses.adversarial import hinge
from keras_gen.losses.adversarial import least_squares
from keras_gen.losses.adversarial import minimax
from keras_gen.losses.adversarial import names
from keras_gen.losses.adversarial import non_saturating
from keras_gen.losses.adversarial import relativistic_average
from keras_gen.losses.adversarial import relativistic_average_discriminator
from keras_gen.losses.adversarial import relativistic_average_generator
from keras_gen.losses.adversarial import relativistic_average_least_squares
from keras_gen.losses.adversarial import relativistic_average_least_squares_discriminator
from keras_gen.losses.adversarial import relativistic_average_least_squares_generator
from keras_gen.losses.adversarial import wasserstein
from keras_gen.losses.classification import auxiliary_classifier_loss
from keras_gen.losses.divergences import gaussian_kl
from keras_gen.losses.feature_matching import feature_matching
from keras_gen.losses.feature_matching import feature_matching_l1
from keras_gen.losses.image import cycle_consistency_loss
from keras_gen.losses.image import l1_loss
from keras_gen.losses.perceptual import VGG19_LAYER_WEIGHTS
from keras_gen.losses.perceptual import VGG19_LAYERS
from keras_gen.losses.perceptual import feature_layers_model
from keras_gen.losses.perceptual import perceptual
from keras_gen.losses.perceptual import vgg19_feature_model
from keras_gen.losses.penalties import gradient_penalty
from keras_gen.losses.penalties import r1_penalty
from keras_gen.losses.penalties import r2_penalty
from keras_gen.losses.regularizers import OrthogonalRegularizer
from keras_gen.losses.regularizers import orthogonal_regularization
