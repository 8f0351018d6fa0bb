"""What a validated ``y`` becomes for training: one Keras output per head.

Every network output has a name: ``"target"`` for one label or number per
sample (or per step), ``"target_0"``... for ``k`` label columns, and
``"auxiliary"`` for the multi-task regression head. Each head brings its
values, its weights (sample weights, times class weights for a classifier)
and its loss, so training never asks how many outputs there are.
"""

import warnings
from dataclasses import dataclass, replace

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight

from ._continuing import same
from .networks import Head


@dataclass(frozen=True)
class TargetLayout:
    """What the outputs of a fitted network mean, as ``predict`` reads them.

    An estimator stores it as ``_target_layout`` after ``fit``; a continued
    fit (``warm_start``, ``partial_fit``) must produce the same layout.
    """

    output_names: tuple  # the heads of y, in column order ("target", ...)
    n_outputs: int  # label columns (classifier) or target columns (regressor)
    classes: object = None  # one array of labels, or one per label column
    per_step: bool = False  # one label per step of a sequence
    y_1d: bool = True  # a regressor's y was 1-D: predict returns 1-D
    n_auxiliary_outputs: int = 0  # columns of the auxiliary target
    auxiliary_1d: bool = False  # the auxiliary target was 1-D

    def differences(self, other):
        """``(name, mine, other's)`` of each field that differs: the kind of
        target first, then how it is laid out, the classes last."""
        names = ["n_outputs", "per_step", "n_auxiliary_outputs", "y_1d"]
        names += ["auxiliary_1d", "output_names", "classes"]
        return [
            (name, getattr(self, name), getattr(other, name))
            for name in names
            if not same(getattr(self, name), getattr(other, name))
        ]


@dataclass
class Targets:
    """The training targets of every head, keyed by output name."""

    values: dict  # name -> what Keras trains on (class codes or floats)
    weights: dict  # name -> weights, per sample or (per-step) per value
    heads: dict  # name -> networks.Head
    losses: dict
    metrics: dict
    loss_weights: dict
    layout: TargetLayout  # what the outputs mean, stored by the estimator
    standardise: tuple = ()  # names of heads whose values are standardised
    stratify: np.ndarray | None = None  # labels to stratify the validation by

    def take(self, rows):
        """These targets for ``rows`` of the samples only."""
        return replace(
            self,
            values={k: v[rows] for k, v in self.values.items()},
            weights={k: w[rows] for k, w in self.weights.items()},
            stratify=None if self.stratify is None else self.stratify[rows],
        )

    def without_padding(self, lengths):
        """These targets with no weight at the padded steps of per-step heads
        (sequences of different ``lengths``, padded at the end)."""
        weights = dict(self.weights)
        for name, head in self.heads.items():
            if head.per_step:
                steps = self.values[name].shape[1]
                real = np.arange(steps) < lengths[:, np.newaxis]
                w = weights[name]
                weights[name] = (w if w.ndim == 2 else w[:, np.newaxis]) * real
        return replace(self, weights=weights)

    def standardised(self, train):
        """Heads and loss weights with regression statistics of ``train``.

        A regression head's linear output is followed by a fixed layer that
        maps standardised values to the targets' units, and its squared error
        is divided by the targets' variance: training does not depend on the
        units, and a loss near 1 means no better than predicting the mean.
        """
        heads, loss_weights = dict(self.heads), dict(self.loss_weights)
        for name in self.standardise:
            values = self.values[name][train]
            weights = self.weights[name][train]
            mean = np.average(values, axis=0, weights=weights)
            variance = np.average((values - mean) ** 2, axis=0, weights=weights)
            heads[name] = heads[name]._replace(mean=mean, variance=variance)
            scale = float(np.mean(variance))
            loss_weights[name] *= 1.0 / scale if scale > 0 else 1.0
        return heads, loss_weights


def sample_weights(sample_weight, n_samples):
    """Validated sample weights as a new float64 array (ones for None)."""
    if sample_weight is None:
        return np.ones(n_samples)
    return _check_sample_weight(
        sample_weight,
        np.empty((n_samples, 0)),
        dtype=np.float64,
        ensure_non_negative=True,
        copy=True,
    )


def class_targets(y, weights, class_weight, *, steps=None, classes=None, n_train=None):
    """Targets of a classifier: one head, per-step labels or k label columns.

    ``steps`` is the number of steps of a sequence, whose 2-D ``y`` with one
    column per step holds per-step labels; any other 2-D ``y`` is k label
    columns, each with its own classes and head. ``classes`` (partial_fit)
    fixes the classes, one array (or one per label column); otherwise they
    are those of ``y``. ``"balanced"`` class weights come from the first
    ``n_train`` rows (all for None): a validation set appended to them is
    weighted as training rows of its classes are.
    """
    y = _column_vector_as_1d(y, steps)
    check_classification_targets(y)
    per_step = y.ndim == 2 and y.shape[1] == steps
    columns = [y] if y.ndim == 1 or per_step else list(y.T)
    names = (
        ["target"]
        if len(columns) == 1
        else [f"target_{j}" for j in range(len(columns))]
    )
    encoders = _encoders(columns, classes)
    codes = [
        e.transform(c.ravel()).reshape(c.shape).astype(np.int32)
        for e, c in zip(encoders, columns, strict=True)
    ]
    if isinstance(class_weight, (list, tuple)) and len(class_weight) != len(columns):
        raise ValueError(
            f"class_weight holds {len(class_weight)} dicts, but y has "
            f"{len(columns)} label columns: give one per column."
        )
    head_weights = [
        _class_weighted(weights, c, _for_column(class_weight, j), n_train)
        for j, c in enumerate(columns)
    ]
    if not any(np.any(w > 0) for w in head_weights):
        raise ValueError(
            "sample_weight (times class_weight) is zero for every sample: "
            "there is nothing to train on."
        )
    classes = [e.classes_ for e in encoders]
    return Targets(
        values=dict(zip(names, codes, strict=True)),
        weights=dict(zip(names, head_weights, strict=True)),
        heads={
            n: Head(len(c), "softmax", per_step)
            for n, c in zip(names, classes, strict=True)
        },
        losses=dict.fromkeys(names, "sparse_categorical_crossentropy"),
        metrics={n: ["accuracy"] for n in names},
        loss_weights=dict.fromkeys(names, 1.0),
        stratify=codes[0] if y.ndim == 1 else None,
        layout=TargetLayout(
            output_names=tuple(names),
            n_outputs=1 if y.ndim == 1 else y.shape[1],
            classes=classes[0] if y.ndim == 1 or per_step else classes,
            per_step=per_step,
        ),
    )


def regression_targets(y, weights):
    """Targets of a regressor: one linear head with one unit per column of y."""
    try:
        values = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    except (TypeError, ValueError) as error:
        raise ValueError(f"y must hold numbers for a regressor: {error}") from None
    if not np.any(weights > 0):
        raise ValueError(
            "sample_weight is zero for every sample: there is nothing to train on."
        )
    return Targets(
        values={"target": values},
        weights={"target": weights},
        heads={"target": Head(values.shape[1], "linear")},
        losses={"target": "mean_squared_error"},
        metrics={"target": []},
        loss_weights={"target": 1.0},
        standardise=("target",),
        layout=TargetLayout(("target",), n_outputs=values.shape[1], y_1d=y.ndim == 1),
    )


def with_auxiliary(targets, auxiliary, weights, loss_weight):
    """``targets`` plus a linear, standardised ``"auxiliary"`` head."""
    values = auxiliary.reshape(len(auxiliary), -1)
    return replace(
        targets,
        values={**targets.values, "auxiliary": values},
        weights={**targets.weights, "auxiliary": weights},
        heads={**targets.heads, "auxiliary": Head(values.shape[1], "linear")},
        losses={**targets.losses, "auxiliary": "mean_squared_error"},
        loss_weights={**targets.loss_weights, "auxiliary": loss_weight},
        standardise=(*targets.standardise, "auxiliary"),
        layout=replace(
            targets.layout,
            n_auxiliary_outputs=values.shape[1],
            auxiliary_1d=auxiliary.ndim == 1,
        ),
    )


def _encoders(columns, classes):
    """A fitted LabelEncoder per label column: of the given ``classes``, after
    checking that the column holds no other label, or of the column's own."""
    known = _column_classes(classes, len(columns))
    encoders = []
    for column, labels in zip(columns, known, strict=True):
        if labels is None:
            encoders.append(LabelEncoder().fit(column.ravel()))
        else:
            _check_known_labels(column, labels)
            encoders.append(LabelEncoder().fit(labels))
    return encoders


def _column_classes(classes, n_columns):
    """The given classes of each label column (None each when not given)."""
    if classes is None:
        return [None] * n_columns
    if n_columns == 1:
        classes = [classes]
    elif not isinstance(classes, (list, tuple)) or len(classes) != n_columns:
        raise ValueError(
            f"y has {n_columns} label columns, so classes must be a list of "
            f"{n_columns} arrays of labels, one per column; got {classes!r}."
        )
    known = [np.unique(np.asarray(c)) for c in classes]
    if any(c.ndim != 1 or len(c) == 0 for c in known):
        raise ValueError(
            f"classes must hold the labels as 1-D arrays; got {classes!r}."
        )
    return known


def _check_known_labels(column, classes):
    """Raise if ``column`` holds labels outside the given ``classes``."""
    unknown = np.setdiff1d(column.ravel(), classes)
    if len(unknown):
        raise ValueError(
            f"y holds labels {unknown[:10].tolist()} that are not among the "
            f"classes {classes.tolist()} given on partial_fit's first call."
        )


def _column_vector_as_1d(y, steps):
    """scikit-learn's rule: a ``(n, 1)`` y is taken as 1-D, with a warning.

    Not for sequences of one step, whose ``(n, 1)`` y is one label per step.
    """
    if y.ndim != 2 or y.shape[1] != 1 or steps == 1:
        return y
    warnings.warn(
        "A column-vector y was passed when a 1d array was expected. Please "
        "change the shape of y to (n_samples,), for example using ravel().",
        DataConversionWarning,
        stacklevel=5,
    )
    return y.ravel()


def _for_column(class_weight, column):
    if isinstance(class_weight, (list, tuple)):
        return class_weight[column]
    return class_weight


def _class_weighted(weights, codes, class_weight, n_train=None):
    """``weights`` times the class weights, in the shape of ``codes``;
    "balanced" from the first ``n_train`` rows."""
    if class_weight is None:
        return weights
    # scikit-learn's subsample: "balanced" from these rows, applied to all.
    from_rows = n_train is not None and isinstance(class_weight, str)
    rows = np.arange(codes[:n_train].size) if from_rows else None
    per_value = compute_sample_weight(class_weight, codes.ravel(), indices=rows)
    return weights.reshape(-1, *[1] * (codes.ndim - 1)) * per_value.reshape(codes.shape)
