"""
==========================================================
CNNClassifier on digits: training curves, confusion matrix
==========================================================

The seed article's CNN on scikit-learn's 8 x 8 digits. A quarter of the data
is kept for testing; the classifier holds out a stratified tenth of the rest
to stop early, and :class:`~skcnnrnn.TrainingHistoryDisplay` shows the
curves it trained by.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from skcnnrnn import CNNClassifier, TrainingHistoryDisplay

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.images,
    digits.target,
    test_size=0.25,
    stratify=digits.target,
    random_state=0,
)
clf = CNNClassifier(
    epochs=25, early_stopping=True, n_iter_no_change=3, random_state=0
).fit(X_train, y_train)
print(f"trained for {clf.n_iter_} epoch(s), kept epoch {clf.best_epoch_ + 1}")
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Training curves: loss and accuracy per epoch, on the training data and on
# the held-out validation tenth. The dashed line is the epoch whose weights
# the classifier kept.
TrainingHistoryDisplay.from_estimator(clf)

# %%
# Confusion matrix on the test quarter, with scikit-learn's own display.
ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test, colorbar=False)
plt.show()
