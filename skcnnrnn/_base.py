"""The scikit-learn contract of the Keras estimators, owned in one place.

scikeras still does the Keras plumbing: routing of ``optimizer__*``,
``fit__*`` and ``callbacks__*`` parameters and building optimizers and
callbacks from them (``scikeras._utils``), and pickling of Keras models
(importing scikeras registers it). What scikeras gets wrong on current
scikit-learn is done here: mixin order and tags, input validation before
TensorFlow sees data, seeding without leftover global state, never touching
the caller's arrays, and fast prediction.

This class does not derive from scikeras' ``BaseWrapper``: that class defines
the pre-1.6 ``_more_tags`` without ``__sklearn_tags__``, which scikit-learn's
``check_estimator_tags_renamed`` rejects for every class in the MRO, and its
public ``initialize``/``partial_fit`` would bypass this class's validation.
"""

from __future__ import annotations

import contextlib
import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    is_regressor,
)
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._input import (
    FLOAT_DTYPES,
    as_positive_ints,
    as_positive_pair,
    check_auxiliary_target,
    check_input,
    check_tiled_input,
    unchanged_on_error,
)
from ._persistence import VersionedPickleMixin
from ._random import keras_seed, seed_from
from ._runtime import (
    cap_tensorflow_threads,
    quiet_tensorflow_start,
    releasing_training_graphs,
)
from .tiling import TiledImages

with quiet_tensorflow_start():  # the first import of TensorFlow in a process
    import keras
    import scikeras  # noqa: F401  (registers pickling of Keras models)
    from scikeras._utils import get_optimizer_class, route_params, unflatten_params

cap_tensorflow_threads()

OPTIMIZERS = {
    "adam",
    "adamw",
    "sgd",
    "rmsprop",
    "adagrad",
    "adadelta",
    "adamax",
    "nadam",
    "ftrl",
    "lion",
}
DTYPE_POLICIES = {"float32", "float64", "mixed_float16", "mixed_bfloat16"}
# Inputs up to this many values are predicted in one call; larger inputs in
# chunks of about this size, bounding the memory of the activations.
_PREDICT_CHUNK_VALUES = 2**22
# Prefixes of routed parameters (scikeras' convention), e.g. optimizer__beta_1.
ROUTING_PREFIXES = ("optimizer", "fit", "callbacks")


if TYPE_CHECKING:  # typing.Self is Python 3.11+; annotations are not evaluated
    from typing import Self


def _is_routed(name):
    prefix, sep, rest = name.partition("__")
    return bool(sep) and bool(rest) and prefix in ROUTING_PREFIXES


class BaseNetwork(VersionedPickleMixin, BaseEstimator):
    """Base class of the Keras estimators; not for direct use.

    Owns fitting, validation, seeding and prediction. The classifier and
    regressor bases below add what their targets mean (``_encode_target``)
    and their ``predict``/``score``. Concrete estimators define ``__init__``
    (storing their parameters), the network builder ``_build_network``, how
    validated ``X`` becomes network input (``_network_input``),
    ``_max_ndim`` and ``_network_kwargs``.
    """

    _parameter_constraints: dict = {
        "filters": [tuple, list, Interval(Integral, 1, None, closed="left")],
        "kernel_size": [tuple, list, Interval(Integral, 1, None, closed="left")],
        "pool_size": [tuple, list, Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "padding": [StrOptions({"same", "valid"})],
        "optimizer": [StrOptions(OPTIMIZERS), HasMethods(["apply_gradients"])],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left"), None],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "callbacks": [list, tuple, dict, HasMethods(["set_model"]), None],
        "dtype": [StrOptions(DTYPE_POLICIES)],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "distribution": [StrOptions({"mirrored"}), HasMethods(["scope"]), None],
    }
    # Whether fit accepts a 2-D y (validate_data's multi_output).
    _multi_output_y = False

    def get_params(self, deep: bool = True) -> dict:
        """Get the parameters of this estimator, routed ones included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update(self._extra_params())
        return params

    def set_params(self, **params) -> Self:
        """Set the parameters of this estimator, routed ones included.

        Parameters
        ----------
        **params : dict
            Estimator parameters, and routed parameters such as
            ``optimizer__beta_1`` or ``fit__validation_freq``.

        Returns
        -------
        self : estimator instance
            This estimator.
        """
        extra = self._extra_params()
        routed = {k: params.pop(k) for k in list(params) if _is_routed(k) or k in extra}
        vars(self).update(routed)
        return super().set_params(**params)

    def _extra_params(self):
        """Parameters given through ``**kwargs``, as scikeras stores them."""
        signature = set(self._get_param_names())
        return {
            name: value
            for name, value in vars(self).items()
            if name not in signature and not name.endswith("_") and name[0] != "_"
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = self._multi_output_y
        return tags

    def _fit(self, X, y, sample_weight, auxiliary_target=None):
        """Validate, build the network and train it; see the subclasses' fit."""
        self._check_routed_params()
        network_kwargs = self._network_kwargs()
        validation_fraction = self._validation_fraction()
        streamed = _is_memory_map(X) or isinstance(X, TiledImages)
        if streamed:
            self._check_streamed_fit_params()
        with unchanged_on_error(self):
            X, y = self._check_input(X, y, reset=True)
            inputs = self._network_input(X)
            target = self._encode_target(y, inputs.shape)
            targets = {"target": target.values}
            auxiliary_1d = False
            if auxiliary_target is not None:
                auxiliary = check_auxiliary_target(auxiliary_target, len(y))
                auxiliary_1d = auxiliary.ndim == 1
                targets["auxiliary"] = auxiliary.reshape(len(auxiliary), -1)
            sample, cell = self._training_weights(X, target.values, sample_weight)
            rows = np.flatnonzero(
                (sample > 0) & (cell.reshape(len(cell), -1) > 0).any(1)
            )
            targets = _take(targets, rows)
            sample, cell = sample[rows], cell[rows]
            # Streamed, ``rows`` keep indexing X, read one batch at a time;
            # in memory, the kept rows are taken now and indexed from 0.
            if not streamed:
                if len(rows) < len(inputs):
                    inputs = inputs[rows]
                inputs = inputs.astype(self._input_dtype(), copy=False)
                rows = np.arange(len(inputs))
            seed = seed_from(self.random_state)
            stratify = None if target.stratify is None else target.stratify[rows]
            train, valid = self._validation_split(
                len(rows), stratify, validation_fraction, seed
            )
            sample = sample[train] / sample[train].mean()
            cell = cell[train] / cell[train].mean()
            builder, compiled = self._heads(target, targets, train, sample)

            with keras_seed(seed):
                mean, variance = _channel_statistics(
                    inputs, rows[train], cell if cell.ndim == 1 else sample
                )
                with self._distribution_scope():
                    model = self._build_network(
                        inputs.shape[1:],
                        target.n_outputs,
                        input_mean=mean,
                        input_variance=variance,
                        seed=seed,
                        **builder,
                        **network_kwargs,
                    )
                    model.compile(optimizer=self._make_optimizer(), **compiled)
                weights = {"target": cell, "auxiliary": sample}
                history, best_epoch = self._train(
                    model,
                    inputs,
                    targets,
                    {k: weights[k] for k in targets},
                    train,
                    valid,
                    rows=rows if streamed else None,
                    seed=seed,
                )
            vars(self).update(target.fitted)
            self.n_auxiliary_outputs_ = builder.get("auxiliary_outputs", 0)
            self._auxiliary_1d = auxiliary_1d
            self.model_ = model
            self.history_ = history
            self.n_iter_ = len(history["loss"])
            self.best_epoch_ = best_epoch
        return self

    def _heads(self, target, targets, train, sample):
        """Builder arguments and ``compile`` arguments of the output heads.

        A single-output network gets its loss, metrics and one-element loss
        weights as they are; a multi-task one gets them keyed by output.
        Regression targets are standardised by a fixed layer after their
        linear head, and their mean squared error is divided by their
        variance: training does not depend on the targets' units, and a
        regression loss near 1 means no better than predicting the mean.
        """
        builder = dict(target.builder)
        losses = {"target": target.loss}
        loss_weights = {"target": 1.0}
        if target.loss == "mean_squared_error":
            mean, variance = _target_statistics(targets["target"][train], sample)
            builder.update(output_mean=mean, output_variance=variance)
            loss_weights["target"] = _inverse_scale(variance)
        if "auxiliary" in targets:
            auxiliary = targets["auxiliary"]
            mean, variance = _target_statistics(auxiliary[train], sample)
            builder.update(
                auxiliary_outputs=len(mean),
                auxiliary_mean=mean,
                auxiliary_variance=variance,
            )
            losses["auxiliary"] = "mean_squared_error"
            loss_weights["auxiliary"] = self.auxiliary_loss_weight * _inverse_scale(
                variance
            )
            return builder, {
                "loss": losses,
                "loss_weights": loss_weights,
                "metrics": {"target": target.metrics},
            }
        return builder, {
            "loss": target.loss,
            "loss_weights": [loss_weights["target"]],
            "metrics": target.metrics,
        }

    # -- steps of fit -------------------------------------------------------

    def _check_input(self, X, y="no_validation", *, reset):
        """Validate ``X`` (and ``y``); memory maps and tiles are not converted."""
        y_rules = {
            "multi_output": self._multi_output_y,
            "y_numeric": is_regressor(self),
        }
        if isinstance(X, TiledImages):
            return check_tiled_input(
                self, X, y, reset=reset, max_ndim=self._max_ndim, **y_rules
            )
        return check_input(
            self,
            X,
            y,
            reset=reset,
            dtype=None if _is_memory_map(X) else FLOAT_DTYPES,
            max_ndim=self._max_ndim,
            **y_rules,
        )

    def _check_streamed_fit_params(self):
        """Streamed data makes its own batches: Keras must not get these."""
        routed = route_params(
            self.get_params(deep=False), destination="fit", pass_filter=set()
        )
        clash = sorted({"batch_size", "shuffle", "sample_weight"} & set(routed))
        if clash:
            raise ValueError(
                f"fit__{clash[0]} cannot be used when X is a memory map or "
                "TiledImages: skcnnrnn reads those in batches itself. Use the "
                "batch_size and shuffle parameters, and fit's sample_weight."
            )

    def _training_weights(self, X, y, sample_weight):
        """Weights of the samples, and of the target values: new arrays.

        The second is the first times the class weights, with the shape of
        ``y``: per-step labels are weighted one by one.
        """
        sample = (
            np.ones(len(y))
            if sample_weight is None
            else _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True, copy=True
            )
        )
        cell = sample
        class_weight = getattr(self, "class_weight", None)
        if class_weight is not None:
            per_value = compute_sample_weight(class_weight, y.ravel())
            cell = sample.reshape(-1, *[1] * (y.ndim - 1)) * per_value.reshape(y.shape)
        if not np.any(cell > 0):
            raise ValueError(
                "sample_weight (times class_weight) is zero for every sample: "
                "there is nothing to train on."
            )
        return sample, cell

    def _validation_fraction(self):
        """The fraction held out for validation, checked against early_stopping."""
        if self.validation_split is None:
            return 0.1 if self.early_stopping else 0.0
        if self.early_stopping and self.validation_split == 0:
            raise ValueError(
                "early_stopping=True needs validation data, but validation_split "
                "is 0. Set validation_split above 0, or to None (holds out 0.1)."
            )
        return self.validation_split

    def _validation_split(self, n_samples, stratify, fraction, seed):
        """Indices of training and validation samples: shuffled, stratified
        by the class labels ``stratify`` when given."""
        everything = np.arange(n_samples)
        if fraction == 0:
            return everything, None
        rng = np.random.RandomState(seed)
        if stratify is not None:
            try:
                return train_test_split(
                    everything, test_size=fraction, stratify=stratify, random_state=rng
                )
            except ValueError:
                pass  # classes too small to stratify: a plain shuffled split
        return train_test_split(everything, test_size=fraction, random_state=rng)

    def _distribution_scope(self):
        """The ``tf.distribute`` scope the network is built and compiled in.

        Keras trains a model on the strategy it was created under, so the
        scope must cover building and compiling; ``fit`` follows on its own.
        """
        if self.distribution is None:
            return contextlib.nullcontext()
        if isinstance(self.distribution, str):  # "mirrored"
            import tensorflow as tf

            return tf.distribute.MirroredStrategy().scope()
        return self.distribution.scope()

    def _make_optimizer(self):
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            optimizer = get_optimizer_class(optimizer)
        if isinstance(optimizer, type):
            routed = route_params(
                self.get_params(deep=False), destination="optimizer", pass_filter=set()
            )
            return unflatten_params(
                items=optimizer, params={"learning_rate": self.learning_rate, **routed}
            )
        # An instance holds per-model state: each fit gets a fresh copy.
        return type(optimizer).from_config(optimizer.get_config())

    def _make_callbacks(self, params):
        if self.callbacks is None:
            return []
        routed = route_params(params, destination="callbacks", pass_filter=set())
        callbacks = unflatten_params(items=self.callbacks, params=routed)
        if isinstance(callbacks, dict):
            callbacks = list(callbacks.values())
        elif isinstance(callbacks, keras.callbacks.Callback):
            callbacks = [callbacks]
        callbacks = list(callbacks)
        for callback in callbacks:
            if not isinstance(callback, keras.callbacks.Callback):
                raise TypeError(
                    "callbacks must hold keras.callbacks.Callback instances or "
                    f"classes, got {callback!r}."
                )
        return callbacks

    def _train(
        self, model, inputs, targets, weights, train, valid, *, rows=None, seed=None
    ):
        """Fit ``model``; with ``rows``, stream batches of ``inputs[rows]``.

        ``targets`` and ``weights`` are dicts keyed by output ("target" and,
        for a multi-task network, "auxiliary"); a single-output network gets
        plain arrays.
        """
        params = self.get_params(deep=False)
        callbacks = self._make_callbacks(params)
        routed = route_params(params, destination="fit", pass_filter=set(), strict=True)
        uniform = all(np.all(w == 1) for w in weights.values())
        weights = None if uniform else _astype(weights, np.float32)
        if len(targets) == 1:  # a single-output network: plain arrays
            targets = targets["target"]
            weights = None if weights is None else weights["target"]
        stopper = None
        if self.early_stopping:
            stopper = keras.callbacks.EarlyStopping(
                monitor="val_loss",
                mode="min",
                min_delta=self.tol,
                patience=self.n_iter_no_change,
                restore_best_weights=True,
            )
            callbacks.append(stopper)
        dtype = self._input_dtype()
        if rows is None:
            whole = len(train) == len(inputs)
            data = {
                "x": inputs if whole else inputs[train],
                "y": targets if whole else _take(targets, train),
                "sample_weight": weights,
                "batch_size": self.batch_size,
                "shuffle": self.shuffle,
            }
            validation_data = (
                None if valid is None else (inputs[valid], _take(targets, valid))
            )
        else:
            data = {
                "x": _Batches(
                    inputs,
                    rows[train],
                    _take(targets, train),
                    weights,
                    self.batch_size,
                    dtype,
                    shuffle_seed=seed if self.shuffle else False,
                )
            }
            validation_data = None
            if valid is not None:
                validation_data = _Batches(
                    inputs,
                    rows[valid],
                    _take(targets, valid),
                    None,
                    self.batch_size,
                    dtype,
                )
        fit_kwargs = {
            "epochs": self.epochs,
            "verbose": self.verbose,
            "validation_data": validation_data,
            **data,
            **routed,  # fit__* parameters override the defaults above
        }
        with releasing_training_graphs():
            result = model.fit(
                callbacks=[*callbacks, _StopOnNonFiniteLoss()], **fit_kwargs
            )
        history = {
            _HISTORY_NAMES.get(key, key): [float(v) for v in values]
            for key, values in result.history.items()
        }
        if history["loss"] and not np.isfinite(history["loss"][-1]):
            raise ValueError(
                f"Training diverged: the loss became {history['loss'][-1]} at epoch "
                f"{len(history['loss'])}. Lower learning_rate, or check the inputs "
                "for extreme values."
            )
        best_epoch = len(history["loss"]) - 1
        if stopper is not None:
            best_epoch = int(stopper.best_epoch)  # the epoch it restored
        return history, best_epoch

    def _check_routed_params(self):
        for name in self._extra_params():
            if not _is_routed(name):
                raise ValueError(
                    f"Unknown parameter {name!r} for {type(self).__name__}: "
                    f"routed parameters start with one of {ROUTING_PREFIXES} "
                    "followed by '__'; see get_params() for the others."
                )

    def _network_kwargs(self):
        """Builder arguments shared by both networks, checked (before any data)."""
        return {
            "filters": as_positive_ints(self.filters, "filters"),
            "kernel_size": as_positive_pair(self.kernel_size, "kernel_size"),
            "pool_size": as_positive_pair(self.pool_size, "pool_size"),
            "dropout": self.dropout,
            "padding": self.padding,
            "dtype": self.dtype,
        }

    def _input_dtype(self):
        return np.float64 if self.dtype == "float64" else np.float32

    # -- prediction ---------------------------------------------------------

    def _forward(self, inputs):
        """Run the network on validated inputs, in memory-bounded chunks.

        ``predict_on_batch`` skips ``Model.predict``'s per-call dataset and
        callback set-up, which dominates the latency of small inputs.
        """
        dtype = self._input_dtype()
        if self.model_.distribute_strategy.num_replicas_in_sync > 1:
            # predict_on_batch on several replicas returns each replica's copy
            # of the batch (Keras 3.15); predict splits the batches properly.
            inputs = np.asarray(inputs, dtype=dtype)
            return self.model_.predict(inputs, batch_size=self.batch_size, verbose=0)
        chunk = max(1, _PREDICT_CHUNK_VALUES // int(np.prod(inputs.shape[1:])))
        # Converted chunk by chunk: a memory-mapped X is never copied whole.
        parts = [
            self.model_.predict_on_batch(
                inputs[start : start + chunk].astype(dtype, copy=False)
            )
            for start in range(0, len(inputs), chunk)
        ]
        if isinstance(parts[0], dict):  # a multi-task network
            return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        return np.concatenate(parts)

    def _outputs(self, X):
        """Validate ``X`` and run the network: an array, or a dict by head."""
        check_is_fitted(self)
        X = self._check_input(X, reset=False)
        return self._forward(self._network_input(X))

    def _forward_target(self, X):
        """Validate ``X`` and return the main head's output."""
        outputs = self._outputs(X)
        return outputs["target"] if isinstance(outputs, dict) else np.asarray(outputs)


class _Target(NamedTuple):
    """What a validated ``y`` becomes for training (see ``_encode_target``)."""

    values: np.ndarray  # what Keras trains on: class codes or float targets
    n_outputs: int
    loss: str
    metrics: list
    builder: dict  # further arguments of the network builder
    stratify: np.ndarray | None  # labels to stratify the validation split by
    fitted: dict  # fitted attributes set when training succeeds


class BaseNetworkClassifier(ClassifierMixin, BaseNetwork):
    """Base class of the Keras classifiers; not for direct use.

    A subclass whose network can label each step of a sequence sets
    ``_multi_output_y = True``: a 2-D ``y`` then holds one label per step.
    """

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "auxiliary_loss_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        auxiliary_target: ArrayLike | None = None,
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

        y : array-like of shape (n_samples,) or (n_samples, n_steps)
            Class labels, of any type (ints, strings...). A 2-D ``y`` (one
            label per step of each sequence) is for
            :class:`CNNGRUSequenceClassifier` only; see its documentation.

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

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._fit(X, y, sample_weight, auxiliary_target)

    def _encode_target(self, y, input_shape):
        y = self._per_step_labels(y, input_shape)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y.ravel())
        codes = encoder.transform(y.ravel()).reshape(y.shape).astype(np.int32)
        return _Target(
            values=codes,
            n_outputs=len(encoder.classes_),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            builder={"per_step": True} if y.ndim == 2 else {},
            stratify=codes if codes.ndim == 1 else None,
            fitted={
                "classes_": encoder.classes_,
                "n_outputs_": codes[0].size,
                "_per_step": codes.ndim == 2,
            },
        )

    def _per_step_labels(self, y, input_shape):
        """``y`` as 1-D labels or a ``(n, T)`` array of per-step labels."""
        if y.ndim == 1:
            return y
        steps = input_shape[1]
        if y.shape[1] == steps:
            return y
        if y.shape[1] == 1:  # scikit-learn's column vector
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected "
                f"(the sequences have {steps} steps). Please change the shape of "
                "y to (n_samples,), for example using ravel().",
                DataConversionWarning,
                stacklevel=4,
            )
            return y.ravel()
        raise ValueError(
            f"y has shape {y.shape}: a 2-D y holds one label per step, so it "
            f"needs one column per step of the sequences ({steps}), or give "
            "one label per sequence, of shape (n_samples,)."
        )

    def predict_proba(self, X: ArrayLike) -> np.ndarray | list[np.ndarray]:
        """Probability of each class for each sample (or each step).

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or list of \
                n_steps such arrays
            Class probabilities in the order of ``classes_``; rows sum to 1.
            Fitted on per-step labels, a list with one array per step, as
            scikit-learn's multi-output classifiers return
            (``np.stack(proba, axis=1)`` makes it one 3-D array).
        """
        proba = self._proba(X)
        if not self._per_step:
            return proba
        return list(np.ascontiguousarray(proba.transpose(1, 0, 2)))

    def _proba(self, X):
        """Probabilities as an (n, n_classes) or (n, n_steps, n_classes) array."""
        proba = self._forward_target(X).astype(np.float64)
        proba /= proba.sum(axis=-1, keepdims=True)
        return proba

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class of each sample (or each step).

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_steps)
            Labels from ``classes_``; one per step when fitted on per-step
            labels.
        """
        proba = self._proba(X)  # checks that the classifier is fitted
        return self.classes_[np.argmax(proba, axis=-1)]

    def score(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Mean accuracy of :meth:`predict` on ``(X, y)``.

        Parameters
        ----------
        X : array-like
            Images or sequences with the per-sample shape seen in :meth:`fit`.

        y : array-like of shape (n_samples,) or (n_samples, n_steps)
            True labels; one per step for a classifier fitted on per-step
            labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the mean.

        Returns
        -------
        score : float
            Fraction of samples classified correctly (weighted). With per-step
            labels, the mean per-step accuracy: the fraction of all steps of
            all sequences labelled correctly, each sequence weighted by its
            ``sample_weight``.
        """
        y_pred = self.predict(X)
        y = np.asarray(y)
        if y_pred.ndim == 1:
            return accuracy_score(y, y_pred, sample_weight=sample_weight)
        if y.shape != y_pred.shape:
            raise ValueError(
                f"y has shape {y.shape}, but the classifier labels each step: "
                f"it predicts shape {y_pred.shape}."
            )
        correct = (y == y_pred).mean(axis=1)
        return float(np.average(correct, weights=sample_weight))

    def predict_auxiliary(self, X: ArrayLike) -> np.ndarray:
        """Predictions of the auxiliary regression head.

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
        return outputs.ravel() if self._auxiliary_1d else outputs


class BaseNetworkRegressor(RegressorMixin, BaseNetwork):
    """Base class of the Keras regressors; not for direct use."""

    _multi_output_y = True

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
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

        Returns
        -------
        self : object
            The fitted regressor.
        """
        return self._fit(X, y, sample_weight)

    def _encode_target(self, y, input_shape):
        try:
            values = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        except (TypeError, ValueError) as error:
            raise ValueError(f"y must hold numbers for a regressor: {error}") from None
        return _Target(
            values=values,
            n_outputs=values.shape[1],
            loss="mean_squared_error",
            metrics=[],
            builder={"output_activation": "linear"},
            stratify=None,
            fitted={"n_outputs_": values.shape[1], "_y_1d": y.ndim == 1},
        )

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
        y_pred = self._forward_target(X).astype(np.float64)
        return y_pred.ravel() if self._y_1d else y_pred

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


def _is_memory_map(X):
    """Whether ``X`` is a NumPy memory map (of numbers), to be streamed."""
    return isinstance(X, np.memmap) and X.dtype.kind in "biuf"


class _Batches(keras.utils.PyDataset):
    """Batches of ``source[rows]`` read and converted one at a time.

    ``y`` and ``weights`` are arrays, or dicts of arrays (one per output).

    For memory-mapped training data: only the current batch is ever in
    memory as floats. Rows within a batch are read in file order.
    ``shuffle_seed`` (an int, None for unseeded, False for no shuffling)
    reshuffles the rows before every epoch.
    """

    def __init__(self, source, rows, y, weights, batch_size, dtype, shuffle_seed=False):
        super().__init__()
        self.source, self.rows, self.y, self.weights = source, rows, y, weights
        self.batch_size, self.dtype = batch_size, dtype
        self.shuffle = shuffle_seed is not False
        self.rng = np.random.default_rng(shuffle_seed if self.shuffle else None)
        self.order = np.arange(len(rows))
        if self.shuffle:
            self.rng.shuffle(self.order)

    def __len__(self):
        return -(-len(self.rows) // self.batch_size)

    def __getitem__(self, index):
        batch = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        batch = batch[np.argsort(self.rows[batch])]  # read the file in order
        x = np.asarray(self.source[self.rows[batch]], dtype=self.dtype)
        if self.weights is None:
            return x, _take(self.y, batch)
        return x, _take(self.y, batch), _take(self.weights, batch)

    def on_epoch_end(self):
        if self.shuffle:
            self.rng.shuffle(self.order)


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop at the end of the first epoch whose loss is NaN or infinite.

    Checked per epoch, not per batch, so training never waits on the device
    to report a batch loss.
    """

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            self.model.stop_training = True


def _channel_statistics(inputs, rows, weights, chunk_values=2**18):
    """Weighted per-channel mean and variance of ``inputs[rows]`` (float64).

    Works in chunks of about ``chunk_values`` values (2 MiB as float64), so
    no float copy of the data is made, however large (or memory-mapped).
    """
    chunk = max(1, chunk_values // int(np.prod(inputs.shape[1:])))
    channels = inputs.shape[-1]
    total = np.zeros(channels)
    total_sq = np.zeros(channels)
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        x = inputs[part].reshape(len(part), -1, channels).astype(np.float64)
        w = weights[start : start + chunk]
        total += np.einsum("n,npc->c", w, x)
        total_sq += np.einsum("n,npc,npc->c", w, x, x)
    count = weights.sum() * np.prod(inputs.shape[1:-1])
    mean = total / count
    variance = np.maximum(total_sq / count - mean**2, 0.0)
    return mean, variance


# Keras prefixes the metrics of a multi-task network with the output's name.
_HISTORY_NAMES = {"target_accuracy": "accuracy", "val_target_accuracy": "val_accuracy"}


def _take(values, index):
    """``values[index]``, for an array or a dict of arrays."""
    if isinstance(values, dict):
        return {key: value[index] for key, value in values.items()}
    return values[index]


def _astype(values, dtype):
    return {key: value.astype(dtype) for key, value in values.items()}


def _target_statistics(values, weights):
    """Weighted mean and variance of each column of 2-D ``values`` (float64)."""
    mean = np.average(values, axis=0, weights=weights)
    variance = np.average((values - mean) ** 2, axis=0, weights=weights)
    return mean, variance


def _inverse_scale(variance):
    """1 / the mean variance: the weight that makes a squared error unitless."""
    scale = float(np.mean(variance))
    return 1.0 / scale if scale > 0 else 1.0
