"""
=====================================================================
Regression, multi-task training and per-step labels on digit strips
=====================================================================

The rest of the seed article, on scikit-learn's 8 x 8 digits tiled into four
2 x 8 row strips:

- :class:`~skcnnrnn.CNNGRUSequenceRegressor` predicts a number per digit, the
  ink in its top and bottom halves (two outputs);
- :class:`~skcnnrnn.CNNGRUSequenceClassifier` learns the digit and, as an
  auxiliary task on the same network, its total ink (multi-task learning);
- the same classifier labels each strip (low, medium or high ink): one label
  per step.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skcnnrnn import CNNGRUSequenceClassifier, CNNGRUSequenceRegressor, PatchTiler

digits = load_digits()
images = digits.images
halves = images.reshape(len(images), 2, 32).sum(axis=2)  # top, bottom ink
ink = images.sum(axis=(1, 2))
strips = images.reshape(len(images), 4, 16).sum(axis=2)
strip_labels = np.digitize(strips, np.quantile(strips, [1 / 3, 2 / 3]))

train, test = train_test_split(np.arange(len(images)), test_size=0.3, random_state=0)


def strip_pipeline(estimator):
    return make_pipeline(PatchTiler(patch_size=(2, 8), output_size=None), estimator)


# %%
# Regression: two numbers per digit
# ---------------------------------
# The regressor standardises the targets for training and predicts in their
# units; ``score`` is R², averaged over the two outputs.
regressor = strip_pipeline(CNNGRUSequenceRegressor(epochs=8, random_state=0))
regressor.fit(images[train], halves[train])
predicted = regressor.predict(images[test])
print(
    f"R² (top, bottom): {r2_score(halves[test], predicted, multioutput='raw_values')}"
)

fig, axes = plt.subplots(1, 2, figsize=(8, 4), sharex=True, sharey=True)
for ax, name, column in zip(axes, ["top half", "bottom half"], range(2), strict=True):
    ax.scatter(halves[test, column], predicted[:, column], s=4, alpha=0.5)
    ax.axline((0, 0), slope=1, color="gray", linestyle="--")
    ax.set(title=name, xlabel="true ink")
axes[0].set_ylabel("predicted ink")
fig.tight_layout()

# %%
# Multi-task: the digit, and its ink as an auxiliary target
# ----------------------------------------------------------
# ``auxiliary_target`` goes to ``fit`` (in a Pipeline, as
# ``cnngrusequenceclassifier__auxiliary_target``); the classifier still
# predicts classes, and ``predict_auxiliary`` the ink.
multitask = strip_pipeline(CNNGRUSequenceClassifier(epochs=8, random_state=0))
multitask.fit(
    images[train],
    digits.target[train],
    cnngrusequenceclassifier__auxiliary_target=ink[train],
)
sequences = multitask[:-1].transform(images[test])
print(f"digit accuracy: {multitask.score(images[test], digits.target[test]):.3f}")
print(f"ink R²: {r2_score(ink[test], multitask[-1].predict_auxiliary(sequences)):.3f}")

# %%
# One label per step
# ------------------
# With a ``(n, 4)`` target the GRU returns its whole sequence and a
# ``TimeDistributed`` softmax labels every strip; ``score`` is the mean
# per-step accuracy.
labeller = strip_pipeline(CNNGRUSequenceClassifier(epochs=8, random_state=0))
labeller.fit(images[train], strip_labels[train])
per_step = np.mean(labeller.predict(images[test]) == strip_labels[test], axis=0)
print(f"mean per-step accuracy: {labeller.score(images[test], strip_labels[test]):.3f}")

fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(range(1, 5), per_step)
ax.set(xlabel="strip (step)", ylabel="accuracy", ylim=(0, 1), xticks=range(1, 5))
ax.set_title("Per-step accuracy on held-out digits")
plt.show()
