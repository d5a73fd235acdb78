"""Sample-quality metrics for generative models: FID, KID, IS, precision/recall, nearest neighbours,
and the linear probe of a discriminator's features.

Plain functions work on features (NumPy, float64); the `keras.metrics.Metric`
classes stream image batches through a feature extractor into them.
"""

from keras_gen.metrics.base import FeatureMetric
from keras_gen.metrics.digits_classifier import digits_classifier_network
from keras_gen.metrics.directions import MonitorDirections
from keras_gen.metrics.directions import declare_directions
from keras_gen.metrics.discriminator_probe import discriminator_feature_model
from keras_gen.metrics.discriminator_probe import discriminator_features
from keras_gen.metrics.discriminator_probe import discriminator_probe
from keras_gen.metrics.discriminator_probe import linear_probe
from keras_gen.metrics.diversity import sample_diversity
from keras_gen.metrics.digits_classifier import load_digits_classifier
from keras_gen.metrics.faithfulness import mean_iou
from keras_gen.metrics.faithfulness import per_class_accuracy
from keras_gen.metrics.faithfulness import per_class_iou
from keras_gen.metrics.faithfulness import segmentation_faithfulness
from keras_gen.metrics.feature_extractors import FeatureExtractor
from keras_gen.metrics.feature_extractors import get_feature_extractor
from keras_gen.metrics.frechet import FrechetInceptionDistance
from keras_gen.metrics.frechet import frechet_distance
from keras_gen.metrics.inception_score import InceptionScore
from keras_gen.metrics.inception_score import inception_score
from keras_gen.metrics.kernel_inception import KernelInceptionDistance
from keras_gen.metrics.kernel_inception import kernel_inception_distance
from keras_gen.metrics.nearest_neighbours import nearest_neighbour_grid
from keras_gen.metrics.nearest_neighbours import nearest_neighbours
from keras_gen.metrics.precision_recall import PrecisionRecall
from keras_gen.metrics.precision_recall import precision_recall
from keras_gen.metrics.statistics import RunningMoments
from keras_gen.metrics.statistics import feature_statistics
from keras_gen.metrics.statistics import sqrt_psd
