"""scikit-learn estimators for the CNN and CNN-GRU models of image patches.

``PatchTiler`` needs only NumPy and OpenCV, and ``TrainingHistoryDisplay``
imports matplotlib only when it plots; the Keras-based estimators are
imported on first use, so ``from skcnnrnn import PatchTiler`` does not pay
TensorFlow's start-up.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from .display import TrainingHistoryDisplay
from .tiling import PatchTiler, TiledImages

try:
    __version__ = version("skcnnrnn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

_LAZY = {
    "CNNClassifier": "skcnnrnn.classifiers",
    "CNNGRUSequenceClassifier": "skcnnrnn.classifiers",
    "CNNRegressor": "skcnnrnn.regressors",
    "CNNGRUSequenceRegressor": "skcnnrnn.regressors",
}

__all__ = ["PatchTiler", "TiledImages", "TrainingHistoryDisplay", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'skcnnrnn' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
