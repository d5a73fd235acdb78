"""Losses: adversarial objectives, gradient penalties, regularizers."""

from keras_gen.losses.adversarial import AdversarialLoss
from keras_gen.losses.adversarial import get
from keras_gen.losses.adversarial import hinge
from keras_gen.losses.adversarial import least_squares
from keras_gen.losses.adversarial import minimax
from keras_gen.losses.adversarial import names
from keras_gen.losses.adversarial import non_saturating
from keras_gen.losses.adversarial import wasserstein
from keras_gen.losses.penalties import gradient_penalty
from keras_gen.losses.penalties import r1_penalty
from keras_gen.losses.regularizers import OrthogonalRegularizer
from keras_gen.losses.regularizers import orthogonal_regularization
from keras_gen.losses.image import l1_loss
