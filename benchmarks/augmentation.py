"""Held-out accuracy with and without augmentation on a small training set.

    python benchmarks/augmentation.py          # about 2 minutes on 2 cores

``CNNClassifier`` trained on 100 of scikit-learn's digits (10 per class),
scored on 1,000 others, over 5 seeds, without augmentation and with small
rotations, zooms and translations (a digit stays a digit under them; flips
would not keep it one). Prints the accuracy of each seed, the mean and the
standard deviation. Nothing here asserts.
"""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow's C++ start-up lines

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from skcnnrnn import CNNClassifier  # noqa: E402

AUGMENT = {"rotation": 0.04, "zoom": 0.1, "translation": 0.1}
SEEDS = range(5)


def main():
    digits = load_digits()
    rng = np.random.default_rng(0)
    train = np.concatenate(
        [
            rng.choice(np.flatnonzero(digits.target == k), 10, replace=False)
            for k in range(10)
        ]
    )
    test = rng.choice(
        np.setdiff1d(np.arange(len(digits.target)), train), 1000, replace=False
    )
    X, y = digits.images[train], digits.target[train]
    X_test, y_test = digits.images[test], digits.target[test]
    print(f"{len(train)} training digits, {len(test)} held out; augment={AUGMENT}")
    scores = {}
    for name, augment in (("without", None), ("with", AUGMENT)):
        scores[name] = [
            CNNClassifier(epochs=60, augment=augment, random_state=seed)
            .fit(X, y)
            .score(X_test, y_test)
            for seed in SEEDS
        ]
        values = np.array(scores[name])
        print(
            f"{name:>8} augmentation: "
            + " ".join(f"{v:.3f}" for v in values)
            + f"  mean {values.mean():.3f} +/- {values.std():.3f}"
        )


if __name__ == "__main__":
    main()
