"""A validation set given to ``fit`` (``X_val``, ``y_val``), as scikit-learn's
HistGradientBoosting takes one: appended to the training rows, which
``_training.train`` then splits at ``n_train`` instead of at random."""

import numpy as np
from sklearn.base import is_classifier

from ._targets import sample_weights
from .sequences import ConcatenatedRows


def check_validation_set(X_val=None, y_val=None, sample_weight_val=None):
    """Whether a validation set is given: both or neither (and its weights
    only with it)."""
    if sample_weight_val is not None and X_val is None:
        raise ValueError(
            "sample_weight_val is given without a validation set: pass X_val "
            "and y_val too."
        )
    if (X_val is None) != (y_val is None):
        raise ValueError(
            "X_val and y_val must be given together (a validation set), or "
            f"neither; got X_val={'None' if X_val is None else '...'} and "
            f"y_val={'None' if y_val is None else '...'}."
        )
    return X_val is not None


def with_validation_set(estimator, inputs, y, X_val, y_val):
    """The network inputs and ``y`` with the validation set's appended.

    ``X_val`` must have the per-sample shape of ``X`` and ``y_val`` the
    layout of ``y`` (and, for a classifier, only the classes of ``y``); each
    error names ``X_val`` or ``y_val``.
    """
    if getattr(inputs, "lengths", None) is not None:
        raise ValueError(
            "X_val is not supported with sequences of different lengths (padded "
            "sequences): use validation_split, or give the images one size."
        )
    try:
        X_val, y_val = estimator._check_input(X_val, y_val, reset=False)
    except ValueError as error:
        raise ValueError(f"X_val or y_val is not valid: {error}") from error
    if y_val.shape[1:] != y.shape[1:]:
        raise ValueError(
            f"y_val has shape {y_val.shape} and y {y.shape}: the validation "
            "targets must have the layout of the training targets."
        )
    if is_classifier(estimator):
        unknown = np.setdiff1d(np.ravel(y_val), np.ravel(y))
        if len(unknown):
            raise ValueError(
                f"y_val holds labels {unknown[:10].tolist()} that y does not: "
                "the network can only predict the classes it is trained on."
            )
    validation = estimator._network_input(X_val)
    return ConcatenatedRows(inputs, validation), np.concatenate([y, y_val])


def validation_weights(sample_weight_val, n_val):
    """Validated ``sample_weight_val`` (ones for None), its errors named."""
    try:
        return sample_weights(sample_weight_val, n_val)
    except ValueError as error:  # also all zero: nothing to validate on
        raise ValueError(
            f"sample_weight_val is not valid for the {n_val} rows of X_val: {error}"
        ) from None
