"""What classification adds to the estimator shell: labels, probabilities,
per-step and multi-output targets, and the auxiliary regression head."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseNetwork
from ._input import check_auxiliary_target
from ._scores import ScoresMixin
from ._targets import class_targets, with_auxiliary

if TYPE_CHECKING:
    from typing import Self


class BaseNetworkClassifier(ScoresMixin, ClassifierMixin, BaseNetwork):
    """Base class of the Keras classifiers; not for direct use.

    A 2-D ``y`` holds ``k`` label columns, one output head each, except for a
    sequence classifier given one column per step: one label per step.
    """

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
        "auxiliary_loss_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        auxiliary_target: ArrayLike | None = None,
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
            network normalises its input. A NumPy memory map
            (``np.load(path, mmap_mode="r")``) is streamed: batches are read
            and converted one at a time, never the whole dataset.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, of any type (ints, strings...). A 2-D ``y`` holds
            ``n_outputs`` label columns (or a binary indicator matrix), one
            output head each; for :class:`CNNGRUSequenceClassifier`, a ``y``
            with exactly one column per step holds one label per step.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples. They are rescaled to mean 1
            (with ``class_weight`` applied), so their scale does not change the
            effective learning rate; samples of weight 0 are left out.

        auxiliary_target : array-like of shape (n_samples,) or \
(n_samples, n_auxiliary), default=None
            A regression target (a number or a vector per sample) learnt
            jointly with the classes by a second, linear head on the same
            network, weighted by ``auxiliary_loss_weight`` (the seed's
            multi-task learning); :meth:`predict_auxiliary` returns the head's
            predictions. Cross-validation and grid search split it with the
            samples, and a Pipeline routes it as ``clf__auxiliary_target``.

        X_val : array-like, default=None
            A validation set, used instead of ``validation_split``: its loss
            (``val_loss`` in ``history_``) drives ``early_stopping`` and
            ``best_epoch_``. Samples of the per-sample shape of ``X``; in a
            Pipeline, ``Pipeline(..., transform_input=["X_val"])`` (with
            scikit-learn's metadata routing on) transforms it as ``X``.

        y_val : array-like, default=None
            Targets of ``X_val``, of the layout of ``y`` (and only classes of ``y``).

        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Non-negative weights of the rows of ``X_val`` in the validation
            loss (1 for None), times ``class_weight`` as in training: the
            validation loss is the training objective. ``"balanced"`` class
            weights are computed from ``y`` alone.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(
            X,
            y,
            sample_weight,
            validation=validation,
            auxiliary_target=auxiliary_target,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        classes: ArrayLike | list | None = None,
        sample_weight: ArrayLike | None = None,
        auxiliary_target: ArrayLike | None = None,
    ) -> Self:
        """Train the network for one epoch on ``(X, y)``: one chunk of a stream.

        The first call builds the network, as :meth:`fit` does: the input
        normalisation (and the auxiliary target's scaling) come from its
        chunk and stay. Every call runs one epoch over all of ``X``, keeps the
        optimizer's state, appends the epoch to ``history_`` and increments
        ``n_iter_``. ``epochs``, ``validation_split`` and ``early_stopping``
        apply to :meth:`fit` only. Called on a fitted classifier, it goes on
        training its network.

        Parameters
        ----------
        X : array-like
            Training images or sequences of this chunk, of the per-sample
            shape of the first call; a NumPy memory map or lazy tiles are read
            one batch at a time, as in :meth:`fit`.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels of this chunk, each among ``classes``; the same kind
            of ``y`` (one label per sample, per step, or label columns) at
            every call.

        classes : array-like of shape (n_classes,), or list of such, \
default=None
            Every class the stream holds: required on the first call
            (scikit-learn's rule, as for SGDClassifier), since a chunk need not
            hold them all; a list of one array per column for label columns.
            Later calls may omit it, or must repeat it unchanged.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples, rescaled to mean 1 within
            the chunk. ``class_weight="balanced"`` cannot be computed from one
            chunk: pass a dict computed on a sample of the stream instead.

        auxiliary_target : array-like of shape (n_samples,) or \
(n_samples, n_auxiliary), default=None
            The auxiliary regression target of the chunk, as in :meth:`fit`:
            given at every call if at the first.

        Returns
        -------
        self : object
            The classifier, trained one more epoch.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skcnnrnn import CNNClassifier
        >>> digits = load_digits()
        >>> clf = CNNClassifier(random_state=0)
        >>> for rows in np.array_split(np.arange(1000), 4):  # a stream of chunks
        ...     X, y = digits.images[rows], digits.target[rows]
        ...     clf = clf.partial_fit(X, y, classes=np.arange(10))
        >>> clf.n_iter_, len(clf.history_["loss"])
        (4, 4)
        """
        _check_partial_fit(self, classes)
        return self._fit(
            X,
            y,
            sample_weight,
            partial=True,
            classes=self.classes_ if hasattr(self, "model_") else classes,
            auxiliary_target=auxiliary_target,
        )

    def _store_layout(self, layout):
        super()._store_layout(layout)
        self.classes_ = layout.classes
        self.n_auxiliary_outputs_ = layout.n_auxiliary_outputs

    def _encode_target(self, y, weights, inputs, auxiliary_target=None, **rows):
        # rows: n_train (where a validation set starts), classes (partial_fit)
        steps = self._steps(inputs)
        targets = class_targets(y, weights, self.class_weight, steps=steps, **rows)
        if auxiliary_target is None:
            return targets
        auxiliary = check_auxiliary_target(auxiliary_target, len(y))
        return with_auxiliary(targets, auxiliary, weights, self.auxiliary_loss_weight)

    def predict_proba(self, X: ArrayLike) -> np.ndarray | list[np.ndarray]:
        """Probability of each class for each sample (or each step or column).

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or list of such arrays
            Class probabilities in the order of ``classes_``; rows sum to 1.
            Fitted on a 2-D ``y``, a list with one array per label column (or
            per step), as scikit-learn's multi-output classifiers return
            (RandomForestClassifier, MultiOutputClassifier).
        """
        probas = self._probas(X)
        per_step = self._target_layout.per_step
        return probas[0] if len(probas) == 1 and not per_step else probas

    def _probas(self, X):
        """One (n, n_classes) array per label column or per step."""
        outputs = self._outputs(X)
        probas = []
        layout = self._target_layout
        for name in layout.output_names:
            proba = outputs[name].astype(np.float64)
            proba /= proba.sum(axis=-1, keepdims=True)
            probas.extend(np.moveaxis(proba, 1, 0) if layout.per_step else [proba])
        return [np.ascontiguousarray(p) for p in probas]

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class of each sample (or each step or column).

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Labels from ``classes_``; one per column (or step) when fitted on
            a 2-D ``y``.
        """
        probas = self._probas(X)  # checks that the classifier is fitted
        classes = self.classes_
        per_step = self._target_layout.per_step
        if per_step or self.n_outputs_ == 1:
            classes = [classes] * len(probas)
        labels = [c[p.argmax(axis=1)] for c, p in zip(classes, probas, strict=True)]
        if self.n_outputs_ == 1 and not per_step:
            return labels[0]
        return np.stack(labels, axis=1)

    def score(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Mean accuracy of :meth:`predict` on ``(X, y)``.

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels, in the shape of the ``y`` given to :meth:`fit`.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the mean.

        Returns
        -------
        score : float
            Fraction of samples classified correctly (weighted). With per-step
            labels, the mean per-step accuracy: the fraction of all steps of
            all sequences labelled correctly, each sequence weighted by its
            ``sample_weight``. With label columns, the subset accuracy: the
            fraction of samples whose every label is right, as
            MultiOutputClassifier scores.
        """
        y_pred = self.predict(X)
        y = np.asarray(y)
        if y_pred.ndim == 1:
            return accuracy_score(y, y_pred, sample_weight=sample_weight)
        if y.shape != y_pred.shape:
            raise ValueError(
                f"y has shape {y.shape}, but the classifier predicts shape "
                f"{y_pred.shape}: one label per column (or step) of its fit's y."
            )
        per_step = self._target_layout.per_step
        correct = (y == y_pred).mean(axis=1) if per_step else (y == y_pred).all(1)
        return float(np.average(correct, weights=sample_weight))

    def predict_auxiliary(self, X: ArrayLike) -> np.ndarray:
        """Predict the auxiliary regression target with the auxiliary head.

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        Returns
        -------
        auxiliary : ndarray of shape (n_samples,) or (n_samples, n_auxiliary)
            The head's output, in the units and shape of the
            ``auxiliary_target`` given to :meth:`fit`.
        """
        check_is_fitted(self)
        if not self.n_auxiliary_outputs_:
            raise NotFittedError(
                f"This {type(self).__name__} was fitted without auxiliary_target, "
                "so it has no auxiliary head: call fit(X, y, auxiliary_target=...)."
            )
        outputs = self._outputs(X)["auxiliary"].astype(np.float64)
        return outputs.ravel() if self._target_layout.auxiliary_1d else outputs


def _check_partial_fit(classifier, classes):
    """``classes`` on the first call of partial_fit, the same later; no
    ``class_weight="balanced"``."""
    if not hasattr(classifier, "model_"):
        if classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
    elif classes is not None and not _same_classes(classes, classifier.classes_):
        raise ValueError(
            f"classes={classes!r} is not the same as on the first call to "
            f"partial_fit, which gave classes_={classifier.classes_!r}."
        )
    if _is_balanced(classifier.class_weight):
        raise ValueError(
            'class_weight="balanced" is not supported by partial_fit: one '
            "chunk does not give the class frequencies of the stream. Use "
            "sklearn.utils.class_weight.compute_class_weight('balanced', "
            "classes=classes, y=y) on a large enough sample of the labels, "
            "and pass the resulting weights as a dict."
        )


def _same_classes(classes, fitted):
    """Whether ``classes`` (given again to partial_fit) are the fitted ones."""
    if isinstance(fitted, list):  # label columns: one array each
        return len(classes) == len(fitted) and all(
            np.array_equal(np.unique(c), f)
            for c, f in zip(classes, fitted, strict=True)
        )
    return np.array_equal(np.unique(np.asarray(classes)), fitted)


def _is_balanced(class_weight):
    if isinstance(class_weight, (list, tuple)):
        return any(_is_balanced(w) for w in class_weight)
    return isinstance(class_weight, str) and class_weight == "balanced"
