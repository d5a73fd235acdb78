"""Training core: phases, the optimizer group, per-backend train steps.

This is the only package that imports TensorFlow, JAX or PyTorch (the
adapters and the two differentiable primitives, `input_gradient` and
`parameter_gradients`). `PhaseTrainer` is the adapter for the active Keras backend,
chosen once at import, the way Keras chooses its own `Trainer`.
"""

import keras

from keras_gen.trainers.input_gradients import input_gradient
from keras_gen.trainers.optimizer_group import OptimizerGroup
from keras_gen.trainers.parameter_gradients import parameter_gradients
from keras_gen.trainers.phase import Phase
from keras_gen.trainers.unrolled import FunctionalOptimizer
from keras_gen.trainers.unrolled import current_values
from keras_gen.trainers.unrolled import unroll
from keras_gen.trainers.unrolled import unrolled_critic
from keras_gen.trainers.unrolled import unrolled_generator_loss

_backend = keras.backend.backend()
if _backend == "tensorflow":
    from keras_gen.trainers.tensorflow_trainer import TensorFlowPhaseTrainer as PhaseTrainer
elif _backend == "jax":
    from keras_gen.trainers.jax_trainer import JAXPhaseTrainer as PhaseTrainer
elif _backend == "torch":
    from keras_gen.trainers.torch_trainer import TorchPhaseTrainer as PhaseTrainer
else:
    raise ImportError(
        f"keras_gen supports the tensorflow, jax and torch backends; "
        f"KERAS_BACKEND is {_backend!r}."
    )
del _backend
