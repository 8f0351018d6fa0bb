"""
============================================
Training on data that does not fit in memory
============================================

When the training data is larger than memory, or arrives as a stream,
:meth:`~skcnnrnn.CNNClassifier.partial_fit` trains on it one chunk at a time:
each call is one epoch over its chunk, and the network, its input
normalisation and its optimizer's state carry over from call to call, as
with scikit-learn's ``SGDClassifier`` or ``MLPClassifier``.

Here the digits are written to a file on disk, read back as a memory map, and
fed to the classifier in chunks of 100 images; a held-out quarter is scored
after every chunk. Only the current chunk is read from the file (and a
memory map is read batch by batch even within a chunk). The same classifier
in ``dask_ml.wrappers.Incremental`` trains on a Dask array chunk by chunk
across a cluster (see the :doc:`scaling page </scaling>`).
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skcnnrnn import CNNClassifier

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.images.astype(np.uint8),  # pixels 0-16, kept as integers on disk
    digits.target,
    test_size=0.25,
    stratify=digits.target,
    random_state=0,
)
folder = tempfile.mkdtemp()
np.save(Path(folder) / "images.npy", X_train)
images = np.load(Path(folder) / "images.npy", mmap_mode="r")  # nothing read yet

# %%
# Two passes over the stream, 100 images per call. The first call must name
# every class: a chunk need not hold them all.
clf = CNNClassifier(random_state=0)
classes = np.arange(10)
chunks = np.array_split(np.arange(len(images)), len(images) // 100)
seen, scores = [], []
for _ in range(2):
    for rows in chunks:
        clf.partial_fit(images[rows], y_train[rows], classes=classes)
        seen.append((seen[-1] if seen else 0) + len(rows))
        scores.append(clf.score(X_test, y_test))
print(f"{clf.n_iter_} calls, held-out accuracy {scores[-1]:.3f}")

# %%
# For comparison, ``fit`` on the whole training set (in memory) for the same
# two epochs.
full = CNNClassifier(epochs=2, random_state=0).fit(X_train, y_train)
print(f"fit for 2 epochs: held-out accuracy {full.score(X_test, y_test):.3f}")

# %%
# The held-out accuracy after each chunk. Training goes on where it stopped:
# the second pass starts from the accuracy the first one reached.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(seen, scores, marker=".", label="partial_fit, after each chunk")
ax.axhline(
    full.score(X_test, y_test), color="grey", linestyle="--", label="fit, 2 epochs"
)
ax.axvline(len(images), color="black", linewidth=0.5)
ax.set_xlabel("images trained on")
ax.set_ylabel("held-out accuracy")
ax.set_ylim(0, 1)
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
