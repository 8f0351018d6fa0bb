"""
=========================================
Photographs of assorted sizes, from files
=========================================

Real data starts as files of different sizes. Here 48 crops of the two
photographs that ship with scikit-learn, from 48 to 160 pixels a side, are
saved as JPEG and PNG files in a temporary folder; the task is to tell which
photograph a crop comes from. The Pipeline takes the *paths*:
:class:`~skcnnrnn.ImageReader` decodes them with OpenCV (into RGB, each at its
own size), :class:`~skcnnrnn.PatchTiler` with ``grid=(4, 4)`` cuts every image
into 16 equal patches whatever its size, each resized to 16 x 16, and
:class:`~skcnnrnn.CNNGRUSequenceClassifier` reads the 16 patches in order.
"""

import tempfile
from pathlib import Path

import cv2
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_images
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

from skcnnrnn import CNNGRUSequenceClassifier, ImageReader, PatchTiler

folder = Path(tempfile.mkdtemp())
rng = np.random.default_rng(0)
paths, labels = [], []
for label, photo in enumerate(load_sample_images().images):  # RGB, 427 x 640
    for i in range(24):
        height, width = rng.integers(48, 161, size=2)
        top = rng.integers(0, photo.shape[0] - height)
        left = rng.integers(0, photo.shape[1] - width)
        crop = photo[top : top + height, left : left + width]
        path = folder / f"photo{label}_{i:02d}.{'jpg' if i % 2 else 'png'}"
        cv2.imwrite(str(path), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
        paths.append(str(path))
        labels.append(label)
labels = np.array(labels)

pipe = Pipeline(
    [
        ("read", ImageReader()),
        ("tile", PatchTiler(grid=(4, 4), output_size=16)),
        ("clf", CNNGRUSequenceClassifier(epochs=10, random_state=0)),
    ]
)
scores = cross_val_score(pipe, paths, labels, cv=4)
print(f"4-fold accuracy: {scores.mean():.3f} +/- {scores.std():.3f}")

# %%
# A few of the files, as :class:`~skcnnrnn.ImageReader` reads them (a 1-D
# object array, as their sizes differ), with the 4 x 4 grid each is cut into:
# the patches of a small crop are small, those of a large one large, and all
# become 16 x 16 frames of the sequence.
images = ImageReader().fit_transform(paths[::12])
fig, axes = plt.subplots(1, len(images), figsize=(10, 2.6), layout="constrained")
for ax, image in zip(axes, images, strict=True):
    ax.imshow(image)
    height, width = image.shape[0] // 4, image.shape[1] // 4
    for k in range(5):
        ax.axhline(k * height - 0.5, color="white", linewidth=0.8)
        ax.axvline(k * width - 0.5, color="white", linewidth=0.8)
    ax.set_title(f"{image.shape[0]} x {image.shape[1]}", fontsize=9)
    ax.axis("off")
fig.suptitle("files of assorted sizes, each cut into a 4 x 4 grid")

# %%
# The sequence the classifier reads for the first of them.
tiles = PatchTiler(grid=(4, 4), output_size=16).fit_transform(images)
fig, axes = plt.subplots(1, 16, figsize=(10, 1.0), layout="constrained")
for t, ax in enumerate(axes):
    ax.imshow(tiles[0, t])
    ax.axis("off")
fig.suptitle(f"{images[0].shape[0]} x {images[0].shape[1]} image as 16 patches")
plt.show()
