"""Command lines of `keras-gen-train` and `keras-gen-judge`, kept apart from the `keras_gen` package.

Importing `keras_gen` imports Keras and its backend (seconds); this module
imports neither, so `keras-gen-train --help` answers at once and
`--backend` can set `KERAS_BACKEND` before Keras is imported. The training
itself is `keras_gen.train.run`.
"""

import argparse
import contextlib
import importlib.util
import os
import sys

BACKENDS = ("tensorflow", "jax", "torch")

# Defaults of the main job (keras_gen.train.MAIN_JOB holds the same values;
# tests/test_train.py checks that they agree).
DEFAULTS = {"output": "outputs/dcgan_mnist", "epochs": 10, "batch_size": 32, "seed": 0}

# TensorFlow's C++ log level unless the user set one (2: warnings and info hidden).
QUIET_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "2"}

EPILOG = """\
backend: Keras uses the backend named by --backend, else by the KERAS_BACKEND
environment variable, else the one in ~/.keras/keras.json (default tensorflow).
For example: KERAS_BACKEND=jax keras-gen-train, or keras-gen-train --backend torch.

TensorFlow's log messages are silenced (TF_CPP_MIN_LOG_LEVEL=2, and the notices
printed while the framework is imported) unless TF_CPP_MIN_LOG_LEVEL is already
set; use --verbose-logs to see them all.

Writes into --output: samples_epoch_XXX.png (the same latents after each epoch,
one class per column; the last grid from the better of the raw generator and
its moving average), conditional_dcgan_mnist.keras (the trained model, or
dcgan_mnist.keras with --unconditional: keras.saving.load_model after
`import keras_gen`), history.json (losses per epoch) and metrics.json (digits
FID / IS of both generators and which one is reported).
"""


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults (not None / False, which the help text explains) and keeps line breaks."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def build_parser():
    """The argument parser of `keras-gen-train` (imports no framework)."""
    parser = argparse.ArgumentParser(
        prog="keras-gen-train",
        description="Train a class-conditional DCGAN on the 4,000 MNIST digits shipped with\n"
                    "keras_gen (offline) and write sample grids, the model and its digits FID / IS.",
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--output", default=DEFAULTS["output"], help="output folder")
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"],
                        help="passes over the training digits")
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"],
                        help="images per training step")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"],
                        help="seed of the weights, noise and sample latents")
    parser.add_argument("--num-train", type=int, default=None,
                        help="use only this many training digits (default: all 4,000)")
    parser.add_argument("--unconditional", action="store_true",
                        help="train the unconditional DCGAN (the dcgan_mnist preset's "
                             "architecture) instead; it needs far longer for good digits")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="Keras backend; sets KERAS_BACKEND (default: $KERAS_BACKEND, "
                             "else Keras' configured backend)")
    parser.add_argument("--no-metrics", action="store_true",
                        help="skip the digits FID / IS at the end")
    parser.add_argument("--verbose-logs", action="store_true",
                        help="keep TensorFlow's log messages and import notices")
    return parser


def configure_environment(backend=None, quiet=True, environ=None):
    """Sets the backend and quiets TensorFlow's logs, before Keras is imported.

    Variables the user already set are left alone (except `KERAS_BACKEND`
    when `backend` is given).
    """
    environ = os.environ if environ is None else environ
    if backend is not None:
        keras = sys.modules.get("keras")
        current = keras.backend.backend() if hasattr(keras, "backend") else backend
        if current != backend:
            raise SystemExit(
                f"--backend {backend}: Keras is already imported with another backend in this "
                f"process; run `KERAS_BACKEND={backend} keras-gen-train ...` instead."
            )
        environ["KERAS_BACKEND"] = backend
    quiet = quiet and "TF_CPP_MIN_LOG_LEVEL" not in environ
    if quiet:
        environ.update(QUIET_ENVIRONMENT)
    return quiet


@contextlib.contextmanager
def stderr_silenced(active=True):
    """Sends what C libraries write to stderr (file descriptor 2) to /dev/null.

    TensorFlow prints its oneDNN and absl notices while it is imported,
    before any log level applies. Python exceptions raised inside still
    propagate and are printed after stderr is restored.
    """
    if not active:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def main(argv=None):
    """Parses the arguments, prepares the environment, then trains (`keras_gen.train.run`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    quiet = configure_environment(args.backend, quiet=not args.verbose_logs)
    with stderr_silenced(quiet):
        import keras  # noqa: F401 - the backend loads here, its notices silenced

        if importlib.util.find_spec("tensorflow") is not None:
            # keras.utils.set_random_seed imports TensorFlow on every backend when it is
            # installed: load it here, where its import notices are silenced.
            import tensorflow  # noqa: F401

        from keras_gen.train import run
    return run(args)


def judge(argv=None):
    """`keras-gen-judge`: the human real-vs-fake study (`keras_gen.evaluation.human_study`).

    The study's module uses only the standard library (and NumPy for image
    arrays); it is loaded from its file so that the `keras_gen` package, which
    imports Keras, is not imported at all.
    """
    name = "_keras_gen_human_study"
    module = sys.modules.get(name)
    if module is None:
        package = importlib.util.find_spec("keras_gen")
        path = os.path.join(package.submodule_search_locations[0], "evaluation", "human_study.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while it executes
        spec.loader.exec_module(module)
    return module.main(argv)


if __name__ == "__main__":
    sys.exit(main())
