"""
=================================================
Grid search over the tiler and the CNN-GRU
=================================================

``Pipeline([("tile", PatchTiler()), ("clf", CNNGRUSequenceClassifier())])``
is an ordinary scikit-learn estimator: ``GridSearchCV`` tunes the tiling and
the network together. Each digit is cut into row strips (``patch_size``) that
the GRU reads top to bottom.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from skcnnrnn import CNNGRUSequenceClassifier, PatchTiler

digits = load_digits()
X, y = digits.images[:600], digits.target[:600]
pipe = Pipeline(
    [
        ("tile", PatchTiler(output_size=None)),
        ("clf", CNNGRUSequenceClassifier(epochs=6, random_state=0)),
    ]
)
grid = {"tile__patch_size": [(1, 8), (2, 8), (4, 8)], "clf__gru_units": [16, 64]}
search = GridSearchCV(pipe, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0))
search.fit(X, y)
print("best:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# Mean cross-validated accuracy (± one standard deviation over the folds) of
# each strip height, one line per GRU size.
results = search.cv_results_
heights = [size[0] for size in grid["tile__patch_size"]]
fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
for units in grid["clf__gru_units"]:
    rows = np.flatnonzero(np.asarray(results["param_clf__gru_units"]) == units)
    ax.errorbar(
        heights,
        results["mean_test_score"][rows],
        yerr=results["std_test_score"][rows],
        marker="o",
        capsize=3,
        label=f"gru_units={units}",
    )
ax.set(xlabel="strip height (pixels)", ylabel="CV accuracy", xticks=heights)
ax.set_title("GridSearchCV over PatchTiler + CNN-GRU")
ax.legend()
plt.show()
