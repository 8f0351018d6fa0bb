"""
=================================
Augmentation of a small image set
=================================

``augment`` applies Keras' random preprocessing layers to the training
batches only: never at predict, nor to validation data. Here a
:class:`~skcnnrnn.CNNClassifier` learns the digits from 100 of them (10 per
class), enlarged to 32 x 32, with and without small rotations, zooms and
translations, and is scored on 1,000 others. On the original 8 x 8 digits the
same transforms lower the accuracy (``benchmarks/augmentation.py``: 0.906 to
0.894 over five seeds): moving so few pixels is mostly blur.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skcnnrnn import CNNClassifier
from skcnnrnn.augmentation import augmentation

digits = load_digits()
images = np.kron(digits.images, np.ones((4, 4), dtype=np.float32))  # 32 x 32
rng = np.random.default_rng(0)
train = np.concatenate(
    [
        rng.choice(np.flatnonzero(digits.target == c), 10, replace=False)
        for c in range(10)
    ]
)
test = rng.choice(np.setdiff1d(np.arange(len(images)), train), 1000, replace=False)
settings = {"rotation": 0.03, "zoom": 0.1, "translation": 0.1}

for augment in (None, settings):
    clf = CNNClassifier(augment=augment, epochs=100, random_state=0)
    clf.fit(images[train], digits.target[train])
    score = clf.score(images[test], digits.target[test])
    print(f"augment={augment}: held-out accuracy {score:.3f}")

# %%
# What the network sees in training: each row is one training digit, then
# five draws of the same transforms (Keras' random layers transform when
# called outside a model).
transform = augmentation(settings, value_range=(0, 16), seed=0)
shown = images[train[::20], :, :, np.newaxis]
fig, axes = plt.subplots(len(shown), 6, figsize=(6, 5), layout="constrained")
for row, image in zip(axes, shown, strict=True):
    draws = [image] + [np.asarray(transform(image[np.newaxis]))[0] for _ in range(5)]
    for ax, draw in zip(row, draws, strict=True):
        ax.imshow(draw[..., 0], cmap="gray_r", vmin=0, vmax=16)
        ax.axis("off")
axes[0, 0].set_title("digit", fontsize=9)
axes[0, 3].set_title("augmented draws", fontsize=9)
plt.show()
