"""
===========================================
CNN-GRU on tiled images against a plain CNN
===========================================

The seed article's two models on the same task: the CNN sees each digit
whole; the CNN-GRU sees it as a sequence of patches from
:class:`~skcnnrnn.PatchTiler`. Both are cross-validated on the same folds.
"""

import time

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline

from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier, PatchTiler

digits = load_digits()
X, y = digits.images[:900], digits.target[:900]
cv = StratifiedKFold(3, shuffle=True, random_state=0)
models = {
    "CNN (whole image)": CNNClassifier(epochs=8, random_state=0),
    "CNN-GRU (4 row strips)": Pipeline(
        [
            ("tile", PatchTiler(patch_size=(2, 8), output_size=None)),
            ("clf", CNNGRUSequenceClassifier(epochs=8, random_state=0)),
        ]
    ),
    "CNN-GRU (4 quadrants, 8x8)": Pipeline(
        [
            ("tile", PatchTiler(patch_size=(4, 4), output_size=(8, 8))),
            ("clf", CNNGRUSequenceClassifier(epochs=8, random_state=0)),
        ]
    ),
}
scores, fit_times = {}, {}
for name, model in models.items():
    start = time.perf_counter()
    result = cross_validate(model, X, y, cv=cv)
    scores[name], fit_times[name] = result["test_score"], result["fit_time"].mean()
    print(
        f"{name:28s} accuracy {scores[name].mean():.3f} "
        f"+/- {scores[name].std():.3f}, {fit_times[name]:.1f} s per fit "
        f"({time.perf_counter() - start:.0f} s in all)"
    )

# %%
# Accuracy per fold (dots) and mean (bar).
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
for k, name in enumerate(scores):
    ax.bar(k, scores[name].mean(), color=f"C{k}", alpha=0.6)
    ax.plot([k] * len(scores[name]), scores[name], "ko", markersize=4)
ax.set_xticks(range(len(scores)), list(scores), fontsize=8)
ax.set_ylim(min(min(s) for s in scores.values()) - 0.05, 1.0)
ax.set_ylabel("accuracy (3-fold CV)")
ax.set_title("same digits, same folds")
plt.show()
