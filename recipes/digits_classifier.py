"""Trains the digits classifier behind the "digits" metrics and writes its preset.

The classifier (`keras_gen.metrics.digits_classifier_network`) is trained on
the 4,000 embedded TRAIN digits with light augmentation (random translation
and rotation) and evaluated on the 1,000 held-out digits. Its 128-d penultimate
layer gives the features for FID/KID/precision-recall on digits and its softmax
the probabilities for the Inception Score.

Usage (a few minutes on 2 CPU cores; the recipe runs on TensorFlow):

    python recipes/digits_classifier.py
    python recipes/digits_classifier.py --epochs 2 --output /tmp/digits_preset  # smoke run
"""

import os

os.environ["KERAS_BACKEND"] = "tensorflow"

import argparse  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gen  # noqa: E402
from keras_gen.metrics.digits_classifier import digits_classifier_network  # noqa: E402
from keras_gen.metrics.digits_classifier import digits_preset_dir  # noqa: E402


def to_model_range(images):
    return images.astype("float32")[..., None] / 127.5 - 1.0


def augmentation():
    # The background is -1 in [-1, 1]: fill revealed pixels with it, not with gray 0.
    fill = {"fill_mode": "constant", "fill_value": -1.0}
    return keras.Sequential(
        [
            keras.layers.RandomTranslation(0.1, 0.1, **fill),
            keras.layers.RandomRotation(10.0 / 360.0, **fill),
        ],
        name="augmentation",
    )


def train(epochs, batch_size, learning_rate, seed):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = keras_gen.datasets.mnist.load_data(source="embedded")
    x_train, x_test = to_model_range(x_train), to_model_range(x_test)
    classifier = digits_classifier_network()
    trainer = keras.Sequential([keras.Input((28, 28, 1)), augmentation(), classifier])
    steps = epochs * int(np.ceil(len(x_train) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    trainer.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.time()
    trainer.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2)
    seconds = time.time() - start
    predictions = classifier.predict(x_test, batch_size=500, verbose=0).argmax(axis=1)
    accuracy = float((predictions == y_test).mean())
    train_accuracy = float(
        (classifier.predict(x_train, batch_size=500, verbose=0).argmax(axis=1) == y_train).mean()
    )
    return classifier, {
        "test_accuracy": accuracy,
        "train_accuracy": train_accuracy,
        "num_train": int(len(x_train)),
        "num_test": int(len(x_test)),
        "train_seconds": round(seconds, 1),
    }


def model_card(metadata):
    results = metadata["results"]
    return f"""# digits_classifier

A small CNN classifier for 28x28x1 handwritten digits in [-1, 1], used by
`keras_gen.metrics` as the `"digits"` feature extractor: its 128-d penultimate
layer (`features`, after ReLU) gives features for FID, KID and precision/recall,
and its 10-way softmax gives probabilities for the Inception Score.

- Architecture: `keras_gen.metrics.digits_classifier_network()`: 2x(Conv3x3-32),
  max-pool, 2x(Conv3x3-64), max-pool, dropout 0.3, Dense 128 ReLU (`features`),
  dropout 0.3, Dense 10 softmax; {metadata["parameter_count"]:,} parameters.
- Data: the {results["num_train"]:,} TRAIN digits of the embedded MNIST subset
  (`keras_gen/datasets/data/mnist_5k.npz`: per class the first 400 in file order;
  MNIST, CC BY-SA 3.0, see the README beside the file).
- Training: Adam {metadata["training"]["learning_rate"]} with cosine decay,
  {metadata["training"]["epochs"]} epochs, batch {metadata["training"]["batch_size"]},
  RandomTranslation(0.1) and RandomRotation(10 degrees) filled with the
  background value -1, seed {metadata["training"]["seed"]}, TensorFlow backend.
- Held-out accuracy: **{results["test_accuracy"]:.1%}** on the {results["num_test"]:,}
  held-out digits (per class the last 100); train accuracy {results["train_accuracy"]:.1%}.
- Reproduce: `{metadata["recipe"]}`.

Limits: trained on 4,000 digits only. Metrics computed with these features are
comparable between runs of this package, not to FID numbers published with
InceptionV3 features.

Usage:

```python
extractor = keras_gen.metrics.get_feature_extractor("digits")
features = extractor.features(images)          # (n, 128)
probabilities = extractor.probabilities(images)  # (n, 10)
```
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=digits_preset_dir(), help="preset folder to write")
    args = parser.parse_args()

    classifier, results = train(args.epochs, args.batch_size, args.learning_rate, args.seed)
    print(f"held-out accuracy: {results['test_accuracy']:.4f} on {results['num_test']} digits")
    metadata = {
        "name": "digits_classifier",
        "task": "digit classification; features for keras_gen.metrics",
        "dataset": "embedded MNIST subset (keras_gen/datasets/data/mnist_5k.npz), 4,000 train / 1,000 held out",
        "training": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": args.learning_rate,
            "seed": args.seed,
            "augmentation": "RandomTranslation(0.1, 0.1), RandomRotation(10 degrees), fill -1",
        },
        "results": results,
        "metrics": {
            "accuracy": results["test_accuracy"],
            "how_measured": "argmax accuracy on the 1,000 held-out embedded digits (per class the last 100)",
        },
    }
    keras_gen.presets.write_preset(classifier, args.output, metadata, model_card)
    print(f"preset written to {args.output}")


if __name__ == "__main__":
    main()
