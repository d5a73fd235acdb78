"""The main job: train a DCGAN on the embedded digits, write samples, model and metrics.

Run as `keras-gen-train` (installed console script) or
`python -m keras_gen.train`. Everything is offline: the data are the 5,000
real MNIST digits shipped inside the package.

Example:

    keras-gen-train --epochs 10 --output outputs/dcgan_mnist
"""

import argparse
import json
import os
import time

import keras


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


def train_dcgan_mnist(output="outputs/dcgan_mnist", epochs=10, batch_size=64, seed=0,
                      num_train=None, sample_every=1, verbose=1, measure=True, ema_decay=0.999):
    """Trains `keras_gen.applications.DCGAN`'s architecture on the embedded digits.

    Writes `samples_epoch_XXX.png` grids (the same latent batch every time),
    `dcgan_mnist.keras`, `history.json` and `metrics.json` into `output`.
    The generator's weights are averaged with `GeneratorEMA(ema_decay)`;
    samples and metrics use the average.

    Returns:
        `(gan, summary)` where `summary` is the dict written to `metrics.json`.
    """
    from keras_gen import callbacks
    from keras_gen import datasets
    from keras_gen.applications.dcgan import DCGAN_MNIST_CONFIG
    from keras_gen.applications.dcgan import build_dcgan

    os.makedirs(output, exist_ok=True)
    keras.utils.set_random_seed(seed)
    (x_train, _), (x_test, _) = datasets.mnist.load_data(source="embedded")
    x_train = datasets.scale_images(x_train[:num_train] if num_train else x_train)
    x_test = datasets.scale_images(x_test)

    gan = build_dcgan(seed=seed, **DCGAN_MNIST_CONFIG)
    gan.compile()
    sample_grid = callbacks.SampleGrid(output, num_samples=64, every_n_epochs=sample_every, seed=seed)
    start = time.time()
    history = gan.fit(
        x_train, batch_size=batch_size, epochs=epochs,
        callbacks=[callbacks.GeneratorEMA(ema_decay), sample_grid],
        verbose=verbose, shuffle=True,
    )
    training_seconds = time.time() - start

    gan.save(os.path.join(output, "dcgan_mnist.keras"))
    with open(os.path.join(output, "history.json"), "w") as f:
        json.dump({k: [float(v) for v in vs] for k, vs in history.history.items()}, f, indent=2)
    summary = {
        "backend": keras.backend.backend(),
        "epochs": epochs,
        "batch_size": batch_size,
        "train_images": int(len(x_train)),
        "generator_ema_decay": ema_decay,
        "training_seconds": round(training_seconds, 1),
        "final_d_loss": float(history.history["d_loss"][-1]),
        "final_g_loss": float(history.history["g_loss"][-1]),
        "sample_grids": [os.path.basename(p) for p in sample_grid.paths],
    }
    if measure:
        samples = gan.generate(1000, seed=seed + 1)
        summary.update(digits_metrics(samples, x_test))
        summary["metrics_protocol"] = (
            "1,000 generated digits (seed %d) vs the 1,000 held-out embedded test digits; "
            "features and class probabilities of the shipped digits_classifier preset" % (seed + 1)
        )
    with open(os.path.join(output, "metrics.json"), "w") as f:
        json.dump(summary, f, indent=2)
    return gan, summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="outputs/dcgan_mnist", help="output folder")
    parser.add_argument("--epochs", type=int, default=10, help="epochs over the 4,000 training digits")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-train", type=int, default=None, help="use only this many training digits")
    parser.add_argument("--no-metrics", action="store_true", help="skip the digits FID/IS at the end")
    args = parser.parse_args(argv)
    print(f"keras_gen: training a DCGAN on the embedded MNIST digits with the "
          f"{keras.backend.backend()} backend; writing to {args.output}")
    _, summary = train_dcgan_mnist(
        output=args.output, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
        num_train=args.num_train, measure=not args.no_metrics, verbose=2,
    )
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    main()
