"""What the classifiers' scores add to their probabilities: decision_function."""

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.metaestimators import available_if


def _one_label_per_sample(classifier):
    """decision_function's condition: unfitted, or one label per sample."""
    layout = getattr(classifier, "_target_layout", None)
    return layout is None or (layout.n_outputs == 1 and not layout.per_step)


class ScoresMixin:
    """``decision_function`` from the classifier's ``_probas``."""

    @available_if(_one_label_per_sample)
    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Confidence scores: the log-odds of ``classes_[1]`` (binary).

        :meth:`predict` picks ``classes_[1]`` where the score is above 0 (a
        probability above 0.5); ``TunedThresholdClassifierCV`` moves that
        threshold. Available when fitted on one label per sample.

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Binary: ``log(p / (1 - p))`` of ``p = predict_proba(X)[:, 1]``
            (``inf`` where ``p`` is 1 in float precision); more classes: the
            log-probabilities, whose largest is the predicted class.
        """
        proba = self._probas(X)[0]
        with np.errstate(divide="ignore"):
            if proba.shape[1] == 2:  # from p alone: ranked exactly as p
                return np.log(proba[:, 1]) - np.log1p(-proba[:, 1])
            return np.log(proba)
