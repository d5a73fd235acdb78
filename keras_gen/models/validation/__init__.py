"""Checks of data against a model, with messages that name the fix.

One home for every check a model makes of what it is given, in small modules:
`arguments` (counts and weights), `images` (dtypes, shapes, values in [-1, 1]),
`labels` (class labels of every conditional model), `networks` (what can be
checked at construction), `weights_files`, and `in_step` (checks of `tf.data`
batches inside the train step). The static description of training data that
`fit()` can read without iterating (`keras_gen.trainers.data_specs`) is
re-exported here.
"""

from keras_gen.models.validation.arguments import check_positive_int  # noqa: F401
from keras_gen.models.validation.arguments import check_sample_count  # noqa: F401
from keras_gen.models.validation.arguments import check_non_negative_number  # noqa: F401
from keras_gen.models.validation.images import check_float_images  # noqa: F401
from keras_gen.models.validation.images import same_shape  # noqa: F401
from keras_gen.models.validation.images import check_image_spec  # noqa: F401
from keras_gen.models.validation.images import IMAGE_VALUE_LIMIT  # noqa: F401
from keras_gen.models.validation.images import _range_fix  # noqa: F401
from keras_gen.models.validation.images import check_image_values  # noqa: F401
from keras_gen.models.validation.images import array_first_element  # noqa: F401
from keras_gen.models.validation.images import check_has_samples  # noqa: F401
from keras_gen.models.validation.labels import check_class_labels  # noqa: F401
from keras_gen.models.validation.labels import check_label_spec  # noqa: F401
from keras_gen.models.validation.networks import _output_shapes  # noqa: F401
from keras_gen.models.validation.networks import check_logits_shape  # noqa: F401
from keras_gen.models.validation.networks import check_logits_output  # noqa: F401
from keras_gen.models.validation.networks import check_generator_feeds_discriminator  # noqa: F401
from keras_gen.models.validation.networks import _walk_operations  # noqa: F401
from keras_gen.models.validation.networks import class_counts_of  # noqa: F401
from keras_gen.models.validation.networks import check_network_classes  # noqa: F401
from keras_gen.models.validation.weights_files import read_weights_file_groups  # noqa: F401
from keras_gen.models.validation.weights_files import check_moving_average_in_weights_file  # noqa: F401
from keras_gen.models.validation.in_step import DataCheckState  # noqa: F401
from keras_gen.models.validation.in_step import _Subjects  # noqa: F401
from keras_gen.models.validation.in_step import _state_of  # noqa: F401
from keras_gen.models.validation.in_step import _step_of  # noqa: F401
from keras_gen.models.validation.in_step import _poison  # noqa: F401
from keras_gen.models.validation.in_step import guard_labels_in_step  # noqa: F401
from keras_gen.models.validation.in_step import guard_one_hot_in_step  # noqa: F401
from keras_gen.models.validation.in_step import guard_images_in_step  # noqa: F401
from keras_gen.models.validation.in_step import _failure_message  # noqa: F401
from keras_gen.models.validation.in_step import DataCheckMonitor  # noqa: F401
from keras_gen.models.validation.in_step import _all_finite  # noqa: F401
from keras_gen.trainers.data_specs import array_second_element  # noqa: F401
from keras_gen.trainers.data_specs import data_spec  # noqa: F401
from keras_gen.trainers.data_specs import has_second_element  # noqa: F401
from keras_gen.trainers.data_specs import num_array_samples  # noqa: F401
from keras_gen.trainers.data_specs import second_spec  # noqa: F401
