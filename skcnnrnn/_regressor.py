"""What regression adds to the estimator shell: numeric targets and R²."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin, _fit_context

from ._base import BaseNetwork
from ._targets import regression_targets

if TYPE_CHECKING:
    from typing import Self


class BaseNetworkRegressor(RegressorMixin, BaseNetwork):
    """Base class of the Keras regressors; not for direct use."""

    _y_numeric = True

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        X_val: ArrayLike | None = None,
        y_val: ArrayLike | None = None,
        sample_weight_val: ArrayLike | None = None,
    ) -> Self:
        """Build the network and train it on ``(X, y)``.

        Parameters
        ----------
        X : array-like
            Training images or sequences; see the class documentation for the
            accepted shapes. Any numeric dtype; ``uint8`` pixels are fine, the
            network normalises its input. A NumPy memory map is streamed, as
            for the classifiers.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values, one number or one vector per sample, in any units:
            they are standardised for training.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples, rescaled to mean 1; samples
            of weight 0 are left out.

        X_val : array-like, default=None
            A validation set, used instead of ``validation_split``: its loss
            (``val_loss`` in ``history_``) drives ``early_stopping`` and
            ``best_epoch_``. Samples of the per-sample shape of ``X``; in a
            Pipeline, ``Pipeline(..., transform_input=["X_val"])`` (with
            scikit-learn's metadata routing on) transforms it as ``X``.

        y_val : array-like, default=None
            Targets of ``X_val``, of the layout of ``y``.

        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Non-negative weights of the rows of ``X_val`` in the validation
            loss (1 for None), scaled as ``sample_weight`` is.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, validation=validation)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Train the network for one epoch on ``(X, y)``: one chunk of a stream.

        The first call builds the network, as :meth:`fit` does: the input
        normalisation and the targets' standardisation come from its chunk
        and stay. Every call runs one epoch over all of ``X``, keeps the
        optimizer's state, appends the epoch to ``history_`` and increments
        ``n_iter_``. ``epochs``, ``validation_split`` and ``early_stopping``
        apply to :meth:`fit` only. Called on a fitted regressor, it goes on
        training its network.

        Parameters
        ----------
        X : array-like
            Training images or sequences of this chunk, of the per-sample
            shape of the first call; memory maps and lazy tiles are read one
            batch at a time.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets of this chunk, with the number of outputs of the first
            call.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples, rescaled to mean 1 within
            the chunk.

        Returns
        -------
        self : object
            The regressor, trained one more epoch.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skcnnrnn import CNNRegressor
        >>> digits = load_digits()
        >>> ink = digits.images.sum(axis=(1, 2))
        >>> reg = CNNRegressor(random_state=0)
        >>> for rows in np.array_split(np.arange(600), 3):
        ...     reg = reg.partial_fit(digits.images[rows], ink[rows])
        >>> reg.n_iter_
        3
        """
        return self._fit(X, y, sample_weight, partial=True)

    def _encode_target(self, y, weights, inputs, n_train=None):
        # Standardised later, by the training rows' statistics (train()).
        return regression_targets(y, weights)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted target of each sample.

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (float64), in the shape of the ``y`` given to
            :meth:`fit`.
        """
        y_pred = self._outputs(X)["target"].astype(np.float64)
        return y_pred.ravel() if self._target_layout.y_1d else y_pred

    def score(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Coefficient of determination R² of :meth:`predict` on ``(X, y)``.

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
            R² (1 is perfect, 0 is predicting the mean), averaged uniformly
            over outputs, as scikit-learn's regressors score.
        """
        return super().score(X, y, sample_weight=sample_weight)
