"""The main job: train a DCGAN on the embedded digits, write samples, model and metrics.

Run as `keras-gen-train` (installed console script; see `keras_gen_cli`) or
`python -m keras_gen.train`. Everything is offline: the data are the 5,000
real MNIST digits shipped inside the package.

Example:

    keras-gen-train --epochs 10 --output outputs/dcgan_mnist
"""

import json
import os
import time

# The settings of `keras-gen-train`, chosen by measurement on 2 CPU cores (TensorFlow;
# README, "Two commands"). 10 epochs of the class-conditional DCGAN at batch 32 and
# Adam(1e-3, beta_1=0.5): digits FID 18.7 / IS 9.57 (moving average; raw 23.4), 90
# CPU-seconds. The unconditional DCGAN (`--unconditional`, the preset's networks and R1
# penalty) after 10 epochs at these settings: FID 80.2 / IS 6.46, 354 s on a shared machine.
MAIN_JOB = {
    "conditional": True,
    "epochs": 10,
    "batch_size": 32,
    "generator_learning_rate": 1e-3,
    "discriminator_learning_rate": 1e-3,
    "beta_1": 0.5,
    "ema_decay": 0.999,
    "ema_rampup": 0.05,
}


def digits_metrics(images, real_images, num_samples=1000):
    """Digits-feature FID and Inception Score of `images` against `real_images`.

    Both are arrays in [-1, 1] of shape (n, 28, 28, 1); the features and class
    probabilities come from the shipped `digits_classifier` preset.
    """
    from keras_gen import metrics

    fid = metrics.FrechetInceptionDistance(feature_extractor="digits")
    fid.update_state(real_images[:num_samples], images[:num_samples])
    inception = metrics.InceptionScore(classifier="digits")
    inception.update_state(images[:num_samples])
    score = inception.result()
    return {
        "fid_digits": float(fid.result()),
        "is_digits": float(score["is"]),
        "is_digits_std": float(score["is_std"]),
    }


def digits_class_statistics(images, classifier=None):
    """Per-class counts of the digits classifier's decisions on `images`, and its mean top-class probability.

    Args:
        images: digits in [-1, 1], `(n, 28, 28, 1)`.
        classifier: the classifier (default: the shipped `digits_classifier`
            preset, `keras_gen.metrics.load_digits_classifier()`).

    Returns:
        `(counts, mean_confidence)`: a list of 10 ints and a float.
    """
    import numpy as np

    from keras_gen import metrics

    classifier = classifier or metrics.load_digits_classifier()
    probabilities = np.asarray(classifier.predict(images, batch_size=256, verbose=0))
    counts = np.bincount(probabilities.argmax(axis=1), minlength=10)
    return [int(c) for c in counts], float(probabilities.max(axis=1).mean())


_LOG_TO_SUMMARY = {"fid": "fid_digits", "is": "is_digits", "is_std": "is_digits_std"}
_GENERATOR_NAMES = {"ema": "moving average of the generator (EMA)", "raw": "raw generator"}


def train_dcgan_mnist(output="outputs/dcgan_mnist", epochs=10, batch_size=64, seed=0,
                      num_train=None, sample_every=1, verbose=1, measure=True, ema_decay=0.999,
                      ema_rampup=0.05, generator_learning_rate=2e-4,
                      discriminator_learning_rate=2e-4, beta_1=0.5, conditional=False,
                      num_metric_samples=1000, architecture=None, augmentation=None,
                      metrics_every=None, gan_options=None, initial_weights=None):
    """Trains a DCGAN on the embedded digits; the defaults are the `dcgan_mnist` preset's.

    With `conditional=False` the model is `keras_gen.applications.DCGAN`'s
    architecture (`build_dcgan`); with `conditional=True` it is the
    class-conditional DCGAN of `keras_gen.applications.ConditionalDCGAN`
    (`build_conditional_dcgan`, projection discriminator), trained on the
    digits and their labels. `keras-gen-train` uses `MAIN_JOB`.

    Writes `samples_epoch_XXX.png` grids (the same latent batch every time;
    10 x 10 with one class per column for the conditional model),
    `dcgan_mnist.keras` (or `conditional_dcgan_mnist.keras`), `history.json`
    and `metrics.json` into `output`. A moving average of the generator is
    kept with `GeneratorEMA(ema_decay, rampup=ema_rampup)`. With `measure`,
    the digits FID and IS of the raw generator and of its average are
    measured after the last epoch (`GenerativeMetrics`); the better one
    (lower FID) draws the last grid and gives the headline numbers, and
    `metrics.json` says which (`samples_from`) and keeps both (`generators`).

    Args:
        output: folder for the files (created).
        epochs: passes over the training digits.
        batch_size: images per step.
        seed: seed of the weights, the latent noise and the sample latents.
        num_train: use only the first this many training digits (every
            prefix of the embedded split holds all classes equally).
        sample_every: write a grid every this many epochs (and after the last).
        verbose: passed to `fit()`.
        measure: measure digits FID / IS at the end.
        ema_decay: decay of the generator's moving average.
        ema_rampup: its ramp-up (see `keras_gen.callbacks.GeneratorEMA`).
        generator_learning_rate: Adam learning rate of the generator.
        discriminator_learning_rate: Adam learning rate of the discriminator.
        beta_1: Adam's beta_1 for both.
        conditional: train the class-conditional DCGAN.
        num_metric_samples: generated digits for the metrics (against the
            1,000 held-out test digits; classes 0-9 in turn when conditional).
        architecture: builder arguments that replace the preset's
            (`DCGAN_MNIST_CONFIG` / `CGAN_MNIST_CONFIG`), e.g.
            `{"base_filters": 64}`.
        augmentation: DiffAugment policy of the discriminator's inputs
            (`GAN(augmentation=)`, e.g. `"translation,cutout"`); None for none.
        metrics_every: also measure every this many epochs (the history
            then holds the curve); default: after the last epoch only.
        gan_options: keyword arguments of the unconditional
            `keras_gen.models.GAN` (default: the preset's,
            `DCGAN_MNIST_TRAINING`, an R1 penalty of weight 1).
        initial_weights: a weights file of the same architecture to continue
            from (e.g. a preset's `model.weights.h5`: both networks and the
            generator's average); the optimizers start afresh.

    Returns:
        `(gan, summary)` where `summary` is the dict written to `metrics.json`
        plus `files`, the paths written.
    """
    import keras

    from keras_gen import callbacks
    from keras_gen import datasets

    os.makedirs(output, exist_ok=True)
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, _) = datasets.mnist.load_data(source="embedded")
    if num_train:
        x_train, y_train = x_train[:num_train], y_train[:num_train]
    x_train = datasets.scale_images(x_train)
    x_test = datasets.scale_images(x_test)

    if conditional and (augmentation or gan_options):
        raise ValueError("`augmentation` and `gan_options` are options of the unconditional "
                         "DCGAN; pass conditional=False, or leave them None.")
    if conditional:
        from keras_gen.applications.conditional_dcgan import CGAN_MNIST_CONFIG
        from keras_gen.applications.conditional_dcgan import build_conditional_dcgan

        gan = build_conditional_dcgan(seed=seed, **{**CGAN_MNIST_CONFIG, **(architecture or {})})
        model_name = "conditional_dcgan_mnist"
        fit_data = (x_train, y_train.astype("int32"))
        # One class per column: labels cycle 0..9 along each row of 10.
        grid = {"num_samples": 100, "num_rows": 10}
    else:
        from keras_gen.applications.dcgan import DCGAN_MNIST_CONFIG
        from keras_gen.applications.dcgan import build_dcgan

        from keras_gen.applications.dcgan import DCGAN_MNIST_TRAINING

        gan_options = DCGAN_MNIST_TRAINING if gan_options is None else gan_options
        gan = build_dcgan(seed=seed, augmentation=augmentation, **gan_options,
                          **{**DCGAN_MNIST_CONFIG, **(architecture or {})})
        model_name = "dcgan_mnist"
        fit_data = (x_train, None)
        grid = {"num_samples": 64}
    if initial_weights:
        gan.enable_ema(ema_decay, ema_rampup)  # so that the file's average has a home
        gan.load_weights(initial_weights)
    gan.compile(
        generator_optimizer=keras.optimizers.Adam(generator_learning_rate, beta_1=beta_1),
        discriminator_optimizer=keras.optimizers.Adam(discriminator_learning_rate, beta_1=beta_1),
    )
    fit_callbacks = [callbacks.GeneratorEMA(ema_decay, rampup=ema_rampup)]
    metrics_callback = None
    if measure:
        # Evaluated after the last epoch only, before the grid is drawn.
        metrics_callback = callbacks.GenerativeMetrics(
            x_test, metrics=("fid", "is"), num_samples=num_metric_samples,
            every_n_epochs=metrics_every or epochs + 1, seed=seed + 1, verbose=0,
        )
        fit_callbacks.append(metrics_callback)
    sample_grid = callbacks.SampleGrid(output, every_n_epochs=sample_every, seed=seed, **grid)
    fit_callbacks.append(sample_grid)
    start = time.time()
    history = gan.fit(
        *fit_data, batch_size=batch_size, epochs=epochs, callbacks=fit_callbacks,
        verbose=verbose, shuffle=True,
    )
    training_seconds = time.time() - start
    if not sample_grid.paths or epochs % sample_every:
        sample_grid.write(epochs, use_ema=metrics_callback is None
                          or metrics_callback.selected_generator != "raw")

    model_path = os.path.join(output, f"{model_name}.keras")
    gan.save(model_path)
    logs = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    history_path = os.path.join(output, "history.json")
    with open(history_path, "w") as f:
        json.dump(logs, f, indent=2)
    summary = {
        "backend": keras.backend.backend(),
        "model": type(gan).__name__ + (" (class-conditional DCGAN)" if conditional else " (DCGAN)"),
        "epochs": epochs,
        "batch_size": batch_size,
        "train_images": int(len(x_train)),
        "generator_learning_rate": generator_learning_rate,
        "discriminator_learning_rate": discriminator_learning_rate,
        "beta_1": beta_1,
        "generator_ema_decay": ema_decay,
        "generator_ema_rampup": ema_rampup,
        "training_seconds": round(training_seconds, 1),
        "initial_weights": initial_weights,
        "final_d_loss": logs["d_loss"][-1],
        "final_g_loss": logs["g_loss"][-1],
        "sample_grids": [os.path.basename(p) for p in sample_grid.paths],
        "sample_grid_generators": list(sample_grid.generators),
    }
    if measure:
        last = {key: values[-1] for key, values in logs.items()}
        summary["samples_from"] = metrics_callback.selected_generator or "ema"
        for key, name in _LOG_TO_SUMMARY.items():
            summary[name] = last[key]
        summary["generators"] = {
            which: {name: last[f"{which}_{key}"] for key, name in _LOG_TO_SUMMARY.items()}
            for which in ("ema", "raw")
        }
        classes = "classes 0-9 in turn, " if conditional else ""
        summary["metrics_protocol"] = (
            f"{num_metric_samples:,} generated digits ({classes}latents from NumPy seeds "
            f"{seed + 1}, {seed + 2}, ... per batch of 100) vs the 1,000 held-out embedded test "
            "digits; features and class probabilities of the shipped digits_classifier preset; "
            "the raw generator and its moving average are both measured and the one with the "
            "lower FID is reported"
        )
    metrics_path = os.path.join(output, "metrics.json")
    with open(metrics_path, "w") as f:
        json.dump(summary, f, indent=2)
    summary["files"] = [model_path, history_path, metrics_path] + list(sample_grid.paths)
    return gan, summary


def run(args):
    """Runs the main job for parsed `keras_gen_cli` arguments and prints what it wrote."""
    import keras

    settings = dict(MAIN_JOB, conditional=not args.unconditional, epochs=args.epochs,
                    batch_size=args.batch_size)
    kind = "class-conditional DCGAN" if settings["conditional"] else "DCGAN"
    print(f"keras_gen: training a {kind} on the embedded MNIST digits with the "
          f"{keras.backend.backend()} backend; writing to {args.output}", flush=True)
    _, summary = train_dcgan_mnist(
        output=args.output, seed=args.seed, num_train=args.num_train,
        measure=not args.no_metrics, verbose=2, **settings,
    )
    if "samples_from" in summary:
        chosen = summary["samples_from"]
        other = "raw" if chosen == "ema" else "ema"
        print(
            f"Digits FID {summary['fid_digits']:.1f}, IS {summary['is_digits']:.2f} from the "
            f"{_GENERATOR_NAMES[chosen]}, the better of the two (the {_GENERATOR_NAMES[other]}: "
            f"FID {summary['generators'][other]['fid_digits']:.1f}, IS "
            f"{summary['generators'][other]['is_digits']:.2f}); the last grid shows it.")
    print(f"Trained {summary['epochs']} epochs in {summary['training_seconds']:.0f} s. Wrote:")
    for path in summary["files"]:
        print(f"  {path}")
    return 0


def main(argv=None):
    """`keras-gen-train`: see `keras_gen_cli.main` (arguments, backend, logging)."""
    import keras_gen_cli

    return keras_gen_cli.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
