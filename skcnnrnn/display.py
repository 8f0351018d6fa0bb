"""Training curves of a fitted classifier, as a scikit-learn Display."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted


class TrainingHistoryDisplay:
    """Loss and metrics per epoch, on the training and the validation data.

    The seed article looks at these curves (its sections 3.4 and 3.6) to see
    whether a network is still learning or over-fitting. Create it with
    :meth:`from_estimator`; the constructor is for histories you already
    have. One Axes per metric, each with a "train" curve and, when the
    estimator held out validation data (``validation_split``), a "validation"
    curve. With ``early_stopping``, a dashed vertical line marks the epoch
    whose weights the model kept.

    matplotlib is needed only to plot (``pip install "skcnnrnn[plot]"``).

    Parameters
    ----------
    history : dict of str to list of float
        Per-epoch values, as in a fitted classifier's ``history_``: ``"loss"``,
        ``"accuracy"``, ... and their ``"val_"`` counterparts.

    best_epoch : int, default=None
        Index in ``history`` of the epoch to mark, or None for no mark.

    estimator_name : str, default=None
        Name shown in the titles.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The curves, keyed like ``history`` (``"loss"``, ``"val_loss"``, ...).

    best_epoch_lines_ : list of matplotlib Line2D
        The vertical best-epoch marks, one per Axes; empty without
        ``best_epoch``.

    axes_ : ndarray of matplotlib Axes
        The Axes, one per metric, in the order of ``metrics`` (an array, so
        named as scikit-learn's PartialDependenceDisplay names its own).

    figure_ : matplotlib Figure
        The figure holding the Axes.

    See Also
    --------
    CNNClassifier : Records ``history_`` while it trains.
    sklearn.metrics.ConfusionMatrixDisplay : The Display API this follows.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skcnnrnn import CNNClassifier, TrainingHistoryDisplay
    >>> digits = load_digits()
    >>> clf = CNNClassifier(epochs=3, validation_split=0.2, random_state=0)
    >>> clf = clf.fit(digits.images, digits.target)
    >>> display = TrainingHistoryDisplay.from_estimator(clf)
    >>> sorted(display.lines_)
    ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    >>> len(display.axes_)
    2
    """

    def __init__(
        self,
        *,
        history: dict[str, list[float]],
        best_epoch: int | None = None,
        estimator_name: str | None = None,
    ) -> None:
        self.history = history
        self.best_epoch = best_epoch
        self.estimator_name = estimator_name

    def plot(
        self, ax: Any = None, *, metrics: Sequence[str] | None = None
    ) -> TrainingHistoryDisplay:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per metric. None makes a new figure with one row of Axes.

        metrics : list of str, default=None
            Metrics to draw, each a key of ``history`` without the ``"val_"``
            prefix, e.g. ``["loss"]``. None draws every one, loss first.

        Returns
        -------
        display : TrainingHistoryDisplay
            This display, with ``lines_``, ``axes_`` and ``figure_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        metrics = self._check_metrics(metrics)
        if ax is None:
            _, axes = plt.subplots(
                1,
                len(metrics),
                figsize=(4.5 * len(metrics), 3.6),
                squeeze=False,
                layout="constrained",
            )
        else:
            axes = np.asarray(ax, dtype=object)
        axes = axes.ravel()
        if len(axes) != len(metrics):
            raise ValueError(
                f"ax holds {len(axes)} Axes for {len(metrics)} metrics "
                f"{metrics}: pass one Axes per metric."
            )
        epochs = np.arange(1, len(self.history["loss"]) + 1)
        self.lines_, self.best_epoch_lines_ = {}, []
        for axis, metric in zip(axes, metrics, strict=True):
            for key, label in [(metric, "train"), (f"val_{metric}", "validation")]:
                if key in self.history:
                    (self.lines_[key],) = axis.plot(
                        epochs, self.history[key], marker=".", label=label
                    )
            if self.best_epoch is not None:
                self.best_epoch_lines_.append(
                    axis.axvline(
                        self.best_epoch + 1,
                        color="0.4",
                        linestyle="--",
                        label=f"kept (epoch {self.best_epoch + 1})",
                    )
                )
            title = (
                metric
                if self.estimator_name is None
                else (f"{self.estimator_name}: {metric}")
            )
            axis.set(xlabel="epoch", ylabel=metric, title=title)
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.legend()
        self.axes_ = axes
        self.figure_ = axes[0].figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        ax: Any = None,
        metrics: Sequence[str] | None = None,
    ) -> TrainingHistoryDisplay:
        """Plot the training curves of a fitted classifier (or Pipeline).

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`CNNClassifier`, :class:`CNNGRUSequenceClassifier`,
            or a Pipeline ending in one.

        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per metric. None makes a new figure.

        metrics : list of str, default=None
            Metrics to draw (keys of ``history_`` without ``"val_"``). None
            draws every one.

        Returns
        -------
        display : TrainingHistoryDisplay
            The display, with ``lines_``, ``axes_`` and ``figure_`` set.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        final = estimator[-1] if hasattr(estimator, "steps") else estimator
        check_is_fitted(final, "history_")
        stopped = getattr(final, "early_stopping", False)
        display = cls(
            history=final.history_,
            best_epoch=final.best_epoch_ if stopped else None,
            estimator_name=type(final).__name__,
        )
        return display.plot(ax=ax, metrics=metrics)

    def _check_metrics(self, metrics):
        if "loss" not in self.history or not len(self.history["loss"]):
            raise ValueError(
                "history has no 'loss' values: pass a fitted estimator's history_."
            )
        # A metric may have validation values only (scikit-learn scorers).
        available = list(dict.fromkeys(k.removeprefix("val_") for k in self.history))
        available.sort(key=lambda key: key != "loss")
        if metrics is None:
            return available
        if isinstance(metrics, str):
            metrics = [metrics]
        unknown = [m for m in metrics if m not in available]
        if unknown or not metrics:
            raise ValueError(
                f"metrics {unknown or metrics!r} are not in the history; "
                f"choose from {available}."
            )
        return list(metrics)
