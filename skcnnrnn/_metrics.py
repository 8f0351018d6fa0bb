"""Chosen losses and metrics (``loss=``, ``metrics=``).

Keras' losses and metrics (by name or object) are compiled into the network
and computed by Keras on every batch. scikit-learn's scorers (by name, e.g.
``"balanced_accuracy"``) need whole predictions, so :class:`ScorerHistory`
computes them at the end of each epoch, on the validation rows where there
are some (``val_<name>``), else on the training rows (``<name>``), and puts
them in the epoch's logs, where ``history_``, early stopping and the user's
callbacks read them.
"""

from dataclasses import replace

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer, get_scorer_names

from ._batches import outputs_in_chunks
from ._keras import keras
from ._routing import did_you_mean


def check_loss(loss):
    """``loss`` checked: None, a Keras loss (name, object or function), or a
    dict of them by output name (checked against the outputs at training)."""
    if isinstance(loss, dict):
        return {
            name: _one_loss(value, f"loss[{name!r}]") for name, value in loss.items()
        }
    return None if loss is None else _one_loss(loss, "loss")


def _one_loss(loss, where):
    if isinstance(loss, str):
        try:
            keras.losses.get(loss)
        except ValueError:
            raise ValueError(
                f"{where}={loss!r} is not a Keras loss name; e.g. "
                "'categorical_focal_crossentropy', 'huber', 'mean_absolute_error'."
            ) from None
    elif not callable(loss):
        raise TypeError(
            f"{where} must be a Keras loss name, a keras.losses.Loss or a function "
            f"(y_true, y_pred); got {type(loss).__name__}."
        )
    return loss


def check_metrics(metrics):
    """``metrics`` split into Keras metrics and scikit-learn scorers by name.

    A name of one of scikit-learn's scorers is a scorer; any other name must
    be a Keras metric's. ``"accuracy"`` stays Keras' (the same value, and
    classifiers report it already).
    """
    if metrics is None:
        return [], {}
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    keras_metrics, scorers = [], {}
    for metric in metrics:
        if isinstance(metric, str) and metric != "accuracy":
            if metric in get_scorer_names():
                scorers[metric] = get_scorer(metric)
                continue
            try:
                keras.metrics.get(metric)
            except ValueError:
                known = [*get_scorer_names(), "accuracy", "auc", "precision"]
                raise ValueError(
                    f"metrics holds {metric!r}, which is neither one of "
                    "scikit-learn's scorer names (sklearn.metrics."
                    "get_scorer_names()) nor a Keras metric's"
                    f"{did_you_mean(metric, known)}"
                ) from None
        elif not isinstance(metric, str) and not callable(metric):
            raise TypeError(
                "metrics must hold metric names, keras.metrics.Metric objects "
                f"or functions (y_true, y_pred); got {type(metric).__name__}."
            )
        if metric not in keras_metrics:
            keras_metrics.append(metric)
    return keras_metrics, scorers


def with_chosen_loss(targets, loss, metrics):
    """``targets`` with the chosen ``loss`` and Keras ``metrics``.

    One loss applies to the main heads (``target``, ``target_0``, ...), the
    auxiliary head keeping its squared error; a dict names the outputs. A
    classification head whose loss is not a sparse one (its name says
    "sparse") trains on one-hot rows, the shape of its probabilities.
    """
    losses = dict(targets.losses)
    if isinstance(loss, dict):
        unknown = sorted(set(loss) - set(losses))
        if unknown:
            raise ValueError(
                f"loss names outputs {unknown} that the network does not have; "
                f"its outputs are {sorted(losses)}."
            )
        losses.update(loss)
    elif loss is not None:
        losses.update({name: loss for name in losses if name != "auxiliary"})
    values = dict(targets.values)
    for name, head in targets.heads.items():
        if head.activation == "softmax" and not _is_sparse(losses[name]):
            values[name] = np.eye(head.units, dtype=np.float32)[values[name]]
    chosen = {
        name: [*targets.metrics.get(name, []), *metrics]
        for name in targets.metrics
        if name != "auxiliary"
    }
    return replace(targets, losses=losses, values=values, metrics=chosen)


def _is_sparse(loss):
    name = loss if isinstance(loss, str) else type(loss).__name__
    if name == "function":
        name = getattr(loss, "__name__", "")
    return "sparse" in name.lower()


class ScorerHistory(keras.callbacks.Callback):
    """scikit-learn scorers of the network's predictions at each epoch's end.

    Predicts ``inputs[rows]`` in chunks (an inference pass over them per
    epoch) and writes ``<prefix><name>`` into the epoch's logs; without
    sample weights, as skorch's ``EpochScoring``.
    """

    def __init__(self, scorers, inputs, rows, y_true, classes, prefix, dtype):
        super().__init__()
        self.scorers, self.inputs, self.rows = scorers, inputs, rows
        self.y_true, self.classes = y_true, classes
        self.prefix, self.dtype = prefix, dtype

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        output = outputs_in_chunks(self.model, self.inputs, self.rows, self.dtype)
        output = output["target"]
        predictions = (
            _RegressorOutput(output, self.y_true.ndim == 1)
            if self.classes is None
            else _ClassifierOutput(output, self.classes)
        )
        for name, scorer in self.scorers.items():
            logs[f"{self.prefix}{name}"] = float(
                scorer(predictions, self.rows, self.y_true)
            )


def scorer_history(scorers, inputs, rows, targets, at, prefix, dtype):
    """The :class:`ScorerHistory` of a fit (None without scorers): it scores
    ``inputs[rows[at]]`` against the targets at positions ``at``."""
    if not scorers:
        return None
    layout = targets.layout
    if layout.per_step or len(layout.output_names) > 1:
        raise ValueError(
            f"metrics={list(scorers)} holds scikit-learn scorers, which score "
            "one label (or one row of targets) per sample; this y has "
            f"{'per-step labels' if layout.per_step else 'several label columns'}."
            " Use Keras metrics for it."
        )
    values = targets.values["target"][at]
    classes = None
    if targets.heads["target"].activation == "softmax":
        classes = layout.classes
        y_true = classes[values if values.ndim == 1 else values.argmax(-1)]
    else:
        y_true = values.ravel() if layout.y_1d else values
    return ScorerHistory(scorers, inputs, rows[at], y_true, classes, prefix, dtype)


class _RegressorOutput(RegressorMixin, BaseEstimator):
    """What a scorer calls: this epoch's predictions of the network, whatever X."""

    def __init__(self, output, one_d):
        self.output, self.one_d = output, one_d

    def predict(self, X):
        return self.output.ravel() if self.one_d else self.output


class _ClassifierOutput(ClassifierMixin, BaseEstimator):
    """What a scorer calls: this epoch's probabilities of the network, whatever X."""

    def __init__(self, output, classes):
        self.output, self.classes_ = output, classes

    def predict(self, X):
        return self.classes_[self.output.argmax(axis=1)]

    def predict_proba(self, X):
        return self.output
