"""
=======================================================
Fine-tuning a keras.applications body, frozen then not
=======================================================

A ``keras.applications`` model without its top can be the body of any
estimator (:func:`~skcnnrnn.backbones.application_body`), with weights from a
local file. The usual recipe: train a new head on the frozen body, then
unfreeze the body with ``warm_start`` at a lower learning rate (its
``BatchNormalization`` layers stay frozen, as Keras advises).

These machines have no internet, so ``weights="imagenet"`` is out of reach:
the weights file here is a stand-in, a small MobileNet (``alpha=0.25``)
trained on the digits 0-4 and saved with Keras' ``save_weights``. The new task
is the digits 5-9, from 50 PNG files of assorted sizes (10 per class), scored
on the other 846 files. It printed: 0.327 with the frozen body and a new head,
0.441 once unfrozen, 0.203 (chance) for the same MobileNet from random
weights, and 0.936 for the package's default CNN in the same Pipeline
(TensorFlow's default threads; on one thread, as in the test suite's build of
these pages, 0.297, 0.382, 0.194 and 0.936: the sums of a deep network's
float32 gradients are made in another order). The mechanics are those of real
fine-tuning; the gain is not: a network designed for 224 x 224 photographs,
pretrained on 901 tiny digits, is a weak start, and what fine-tuning gains
comes from the weights file (ImageNet's, for photographs). On small images
like these, the default CNN is the better choice.
"""

import tempfile
from pathlib import Path

import cv2
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.pipeline import Pipeline

from skcnnrnn import CNNClassifier, ImageReader
from skcnnrnn.backbones import application_body

digits = load_digits()
images = (np.kron(digits.images, np.ones((4, 4))) * 15.9).astype(np.uint8)
mobilenet = {
    "network": application_body,
    "network__application": "MobileNet",
    "network__alpha": 0.25,
}

# %%
# The stand-in weights: a MobileNet trained on the digits 0-4, its learning
# rate lowered for the last epochs (its batch normalisation statistics need
# that to settle), then the backbone, a nested model of ``model_``, saved.
source = digits.target < 5
X_source, y_source = images[source, ..., np.newaxis], digits.target[source]
pretrained = CNNClassifier(**mobilenet, epochs=15, warm_start=True, random_state=0)
pretrained.fit(X_source, y_source)
pretrained.set_params(learning_rate=1e-4, epochs=5).fit(X_source, y_source)
folder = Path(tempfile.mkdtemp())
weights = str(folder / "mobilenet_digits04.weights.h5")
pretrained.model_.get_layer("mobilenet_0.25_32").save_weights(weights)

# %%
# The new task, from files: the digits 5-9 as PNG files of 24 to 40 pixels a
# side, read back at 32 x 32.
rng = np.random.default_rng(0)
paths = []
for i in np.flatnonzero(~source):
    side = int(rng.integers(24, 41))
    paths.append(str(folder / f"digit{i:04d}.png"))
    cv2.imwrite(paths[-1], cv2.resize(images[i], (side, side)))
paths, labels = np.array(paths), digits.target[~source]
train = np.concatenate(
    [rng.choice(np.flatnonzero(labels == c), 10, replace=False) for c in range(5, 10)]
)
test = np.setdiff1d(np.arange(len(paths)), train)


def pipeline(clf):
    read = ImageReader(color="grayscale", size=(32, 32))
    return Pipeline([("read", read), ("clf", clf)])


scores = {}
pipe = pipeline(
    CNNClassifier(
        **mobilenet,
        network__weights=weights,
        freeze_body=True,
        learning_rate=1e-2,
        epochs=100,
        warm_start=True,
        random_state=0,
    )
)
pipe.fit(paths[train], labels[train])
scores["frozen body,\nnew head"] = pipe.score(paths[test], labels[test])

# Unfrozen: the whole network trains on, from where it is, at a lower rate.
pipe.set_params(clf__freeze_body=False, clf__learning_rate=1e-4, clf__epochs=30)
pipe.fit(paths[train], labels[train])
scores["then\nunfrozen"] = pipe.score(paths[test], labels[test])

scratch = pipeline(CNNClassifier(**mobilenet, epochs=30, random_state=0))
scores["MobileNet,\nrandom weights"] = scratch.fit(paths[train], labels[train]).score(
    paths[test], labels[test]
)
default = pipeline(CNNClassifier(epochs=100, random_state=0))
scores["default CNN"] = default.fit(paths[train], labels[train]).score(
    paths[test], labels[test]
)
for name, score in scores.items():
    print(f"{name.replace(chr(10), ' ')}: held-out accuracy {score:.3f}")

# %%
# Held-out accuracy on the digits 5-9, each network trained on 50 files.
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.bar(list(scores), list(scores.values()), color="tab:blue")
ax.axhline(0.2, color="gray", linestyle=":", label="chance")
ax.set_ylabel("held-out accuracy")
ax.set_ylim(0, 1)
ax.legend()
plt.show()
