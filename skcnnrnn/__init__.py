"""scikit-learn estimators for the CNN and CNN-GRU models of image patches.

``ImageReader``, ``VideoReader`` and ``PatchTiler`` need only NumPy and OpenCV, and
``TrainingHistoryDisplay`` imports matplotlib only when it plots; the
Keras-based estimators are imported on first use, so ``from skcnnrnn import
PatchTiler`` does not pay TensorFlow's start-up.
"""

from importlib import import_module

from ._version import __version__
from .display import TrainingHistoryDisplay
from .readers import ImageReader, ReadImages
from .sequences import PaddedSequences, TiledImages
from .tiling import PatchTiler
from .video import ReadVideos, VideoReader

_LAZY = {
    "CNNClassifier": "skcnnrnn.classifiers",
    "CNNGRUSequenceClassifier": "skcnnrnn.classifiers",
    "CNNRegressor": "skcnnrnn.regressors",
    "CNNGRUSequenceRegressor": "skcnnrnn.regressors",
}

__all__ = [
    "ImageReader",
    "PaddedSequences",
    "PatchTiler",
    "ReadImages",
    "ReadVideos",
    "TiledImages",
    "TrainingHistoryDisplay",
    "VideoReader",
    "__version__",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'skcnnrnn' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
