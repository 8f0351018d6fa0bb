"""The estimator shell of the Keras estimators: the scikit-learn contract.

Parameters and their validation, routed parameters, tags, input checking,
target encoding, pickling and prediction live here; the training loop lives
beside it in ``_training.py``, the targets of each output head in
``_targets.py`` and the networks in ``networks.py``.

Routed parameters follow scikeras' convention (``optimizer__*``, ``fit__*``),
without deriving from its ``BaseWrapper``: that class defines the pre-1.6
``_more_tags`` without ``__sklearn_tags__``, which scikit-learn's
``check_estimator_tags_renamed`` rejects for every class in the MRO, and its
public ``initialize``/``partial_fit`` would bypass this class's validation.
"""

from __future__ import annotations

import os
import pickle
from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _routing
from ._batches import outputs_in_chunks
from ._checkpoint import parameters_digest
from ._continuing import (
    check_same_network,
    check_same_targets,
    joined,
    network_settings,
    set_learning_rate,
)
from ._input import check_rows, unchanged_on_error
from ._metrics import check_loss, check_metrics
from ._persistence import (
    VersionedPickleMixin,
    keras_bytes,
    keras_model,
    random_states,
    restore_random_states,
)
from ._random import seed_from
from ._targets import TargetLayout, Targets, sample_weights
from ._training import Plan, train
from ._validation import (
    check_validation_set,
    validation_weights,
    with_validation_set,
)
from ._workarounds import new_models_tracing
from .augmentation import check_settings
from .sequences import fill_padded_steps, padded_labels

DTYPE_POLICIES = {"float32", "float64", "mixed_float16", "mixed_bfloat16"}

if TYPE_CHECKING:  # typing.Self is Python 3.11+; annotations are not evaluated
    from typing import Self


class BaseNetwork(VersionedPickleMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the Keras estimators; not for direct use.

    Routed parameters (``**kwargs`` of ``__init__``, e.g. ``optimizer__beta_1``)
    are kept in one private dict, ``_routed``: they are parameters for
    ``get_params``, ``set_params`` and ``clone``, checked when ``fit`` starts.
    The hooks below are what a subclass provides: the architecture mixins of
    ``_architectures.py`` the network and its input, the classifier and
    regressor bases what ``y`` means. A train-only transform (augmentation)
    belongs in the ``Plan`` of ``_training.py`` and ``networks.build_model``,
    a new kind of ``X`` in ``_input.py`` (``RowSource``), not here.
    """

    # -- declared by an architecture (``_architectures.py``) -----------------
    _default_network: Callable  # the built-in body, body(inputs, **params)
    _sequence: bool  # whether samples are frame sequences (steps first)
    _max_ndim: int  # the most dimensions X may have
    _shape_param: str  # the parameter that reshapes flat rows
    # -- set by fit ------------------------------------------------------------
    _target_layout: TargetLayout  # what the network's outputs mean

    @abstractmethod
    def _architecture_params(self) -> dict:
        """The built-in body's parameters, checked (before any data)."""

    @abstractmethod
    def _rows(self, X, reset):
        """A list of samples of different shapes as rows the network reads."""

    @abstractmethod
    def _network_input(self, X):
        """Validated ``X`` as the network's input: a view, never a copy."""

    @abstractmethod
    def _steps(self, inputs) -> int | None:
        """The steps of each sample (None for images), for per-step labels."""

    @abstractmethod
    def _encode_target(
        self, y, weights, inputs, n_train=None, **target_args
    ) -> Targets:
        """``y`` (and ``fit``'s target arguments) as the targets of each head.

        ``n_train``: the rows of ``y`` before a given validation set's (None:
        all are training rows), from which class weights are computed.
        """

    def _store_layout(self, layout: TargetLayout) -> None:
        """Set the public fitted attributes that ``layout`` determines."""
        self.n_outputs_ = layout.n_outputs

    _parameter_constraints: dict = {
        "network": [callable, None],
        "augment": [dict, callable, None],
        "optimizer": [
            StrOptions(set(_routing.OPTIMIZERS)),
            HasMethods(["apply_gradients"]),
            type,
        ],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "loss": [str, callable, dict, None],
        "metrics": [list, tuple, None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left"), None],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "warm_start": ["boolean"],
        "callbacks": [list, tuple, dict, HasMethods(["set_model"]), type, None],
        "dtype": [StrOptions(DTYPE_POLICIES)],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "distribution": [StrOptions({"mirrored"}), HasMethods(["scope"]), None],
        "checkpoint": [str, os.PathLike, None],
        "freeze_body": ["boolean", Interval(Integral, 0, None, closed="left")],
    }
    # scikit-learn's y_numeric rule (regressors). Every estimator takes a 2-D
    # y: label columns, per-step labels or several regression targets.
    _y_numeric = False

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
        params.update(self._routed)
        return params

    def set_params(self, **params) -> Self:
        """Set the parameters of this estimator, routed ones included.

        Parameters
        ----------
        **params : dict
            Estimator parameters, and routed parameters such as
            ``optimizer__beta_1`` or ``network__width``. A name that is
            neither (``epoch``) is a ``ValueError`` naming the nearest
            parameter, and nothing is set; routed ones are checked against
            their target when ``fit`` starts.

        Returns
        -------
        self : estimator instance
            This estimator.
        """
        own = self._get_param_names()
        for name in [k for k in params if k not in own]:
            # As scikit-learn: a name get_params gives (routed at
            # construction, checked at fit) is valid; a new one must be routed.
            if name not in self._routed and not _routing.has_routed_prefix(name):
                raise _routing.unknown_parameter(name, type(self).__name__, own)
        routed = {k: params.pop(k) for k in list(params) if k not in own}
        super().set_params(**params)
        self._routed.update(routed)  # checked when fit starts
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        return tags

    def __setstate__(self, state):
        if "_target_layout" in state:  # a dict, see __getstate__
            state["_target_layout"] = TargetLayout(**state["_target_layout"])
        random = state.pop("_random_states", None)
        if "model_" in state:  # .keras bytes, see __getstate__
            state["model_"] = keras_model(state["model_"])
            restore_random_states(state["model_"], random)
        super().__setstate__(state)

    def __getstate__(self):
        qualname = getattr(self.network, "__qualname__", "")
        if "<lambda>" in qualname or "<locals>" in qualname:
            raise pickle.PicklingError(
                f"network={qualname} cannot be pickled (nor sent to parallel "
                "workers): define the network function at module level and "
                "pass it by name."
            )
        state = super().__getstate__()
        if "_target_layout" in state:  # plain values: skops trusts them
            state["_target_layout"] = vars(state["_target_layout"]).copy()
        if "model_" in state:
            state["_random_states"] = random_states(state["model_"])
            state["model_"] = keras_bytes(state["model_"])
        return state

    def _fit(self, X, y, sample_weight, *, partial=False, validation=(), **target):
        """Validate, encode the targets and train; see the subclasses' fit.

        ``partial`` (``partial_fit``) trains one epoch on all of ``X``. It
        continues a fitted network, as ``fit`` does with ``warm_start``.
        ``validation``: ``fit``'s ``(X_val, y_val, sample_weight_val)``, a
        validation set instead of ``validation_split`` where given.
        """
        validation = validation if check_validation_set(*validation) else None
        plan = self._plan(validation is not None)
        if partial:
            plan = replace(
                plan,
                epochs=1,
                validation_fraction=0,
                early_stopping=False,
                checkpoint=None,
            )
        continued = (partial or self.warm_start) and hasattr(self, "model_")
        if continued:
            check_same_network(self)
            plan = replace(plan, frozen_before=self._frozen_with)
        with unchanged_on_error(self):
            X, y = self._check_input(X, y, reset=not continued)
            inputs, targets, n_train = _inputs_and_targets(
                self, X, y, sample_weight, validation, target
            )
            if continued:
                check_same_targets(self, targets.layout, partial)
                set_learning_rate(self.model_, self.optimizer, self.learning_rate)
            trained = train(
                inputs,
                targets,
                plan,
                model=self.model_ if continued else None,
                initial_epoch=self.n_iter_ if continued else 0,
                n_train=n_train,
            )
            self._target_layout = targets.layout
            self._store_layout(targets.layout)
            if self._sequence and not continued:
                self.variable_length_ = hasattr(inputs, "lengths")
            self.model_ = trained.model
            self.history_ = (
                joined(self.history_, self.n_iter_, trained.history)
                if continued
                else trained.history
            )
            self.n_iter_ = len(self.history_["loss"])
            self.best_epoch_ = trained.best_epoch
            self._network_settings = network_settings(self)
            self._frozen_with = self.freeze_body
        return self

    def _plan(self, validation_set=False):
        """The training plan, from the parameters, checked before any data."""
        params = self._routed
        network = self._network_function()
        _routing.check_routed(
            params,
            optimizer=self.optimizer,
            callbacks=self.callbacks,
            network=network,
            estimator_name=type(self).__name__,
            own=self._get_param_names(),
        )
        seed = seed_from(self.random_state)
        metrics, scorers = check_metrics(self.metrics)
        return Plan(
            body=_bound_body(self, network, params, seed),
            sequence=self._sequence,
            augment=check_settings(self.augment),
            make_optimizer=partial(
                _routing.build_optimizer,
                self.optimizer,
                self.learning_rate,
                _routing.routed(params, "optimizer"),
            ),
            callbacks=_routing.build_callbacks(
                self.callbacks, _routing.routed(params, "callbacks")
            ),
            fit_kwargs=_routing.routed(params, "fit"),
            loss=check_loss(self.loss),
            metrics=metrics,
            scorers=scorers,
            checkpoint=None
            if self.checkpoint is None
            else (self.checkpoint, parameters_digest(self)),
            freeze_body=self.freeze_body,
            frozen_before=False,
            epochs=self.epochs,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            validation_fraction=_validation_fraction(
                self.validation_split, self.early_stopping, validation_set
            ),
            early_stopping=self.early_stopping,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            dtype=self.dtype,
            verbose=self.verbose,
            seed=seed,
            distribution=self.distribution,
        )

    def _network_function(self):
        return self._default_network if self.network is None else self.network

    def _check_input(self, X, y="no_validation", *, reset):
        """Validate ``X`` (and ``y``) as a row source (``_input.check_rows``),
        a list of samples of different shapes first made rows (``_rows``)."""
        X = self._rows(X, reset)
        return check_rows(
            self,
            X,
            padded_labels(X, y),
            reset=reset,
            max_ndim=self._max_ndim,
            y_numeric=self._y_numeric,
        )

    # -- prediction ---------------------------------------------------------

    def _outputs(self, X: ArrayLike) -> dict:
        """Validate ``X`` and run the network: a dict of arrays by output name.

        Inputs are converted and predicted chunk by chunk
        (``_batches.outputs_in_chunks``).
        """
        check_is_fitted(self)
        inputs = self._network_input(self._check_input(X, reset=False))
        dtype = np.float64 if self.dtype == "float64" else np.float32
        if _replicas(self.model_) > 1:
            # predict_on_batch on several replicas returns each replica's copy
            # of the batch (Keras 3.15); predict splits the batches properly.
            inputs = np.asarray(inputs, dtype=dtype)
            with new_models_tracing():
                return self.model_.predict(inputs, self.batch_size, verbose=0)
        with new_models_tracing():
            return outputs_in_chunks(self.model_, inputs, None, dtype)


def _bound_body(estimator, network, params, seed):
    """``network`` with its parameters bound: body(inputs) -> features."""
    kwargs = _routing.routed(params, "network")
    if estimator.network is None:
        own = estimator._architecture_params()
        for name in own.keys() & kwargs.keys():
            raise ValueError(
                f"network__{name} repeats the {name} parameter of the "
                f"built-in network: set {name} instead."
            )
        kwargs = {**own, **kwargs}
    accepted = _routing.accepted_parameters(network) or set()
    for name, value in (("seed", seed), ("dtype", estimator.dtype)):
        if name in accepted:
            kwargs[name] = value
    return partial(network, **kwargs)


def _replicas(model):
    """Replicas the network was built for: ``tf.distribute`` (TensorFlow only)."""
    strategy = getattr(model, "distribute_strategy", None)
    return 1 if strategy is None else strategy.num_replicas_in_sync


def _validation_fraction(validation_split, early_stopping, validation_set):
    """The fraction held out for validation, checked against early_stopping
    (none where a validation set is given)."""
    if validation_set:
        return 0.0
    if validation_split is None:
        return 0.1 if early_stopping else 0.0
    if early_stopping and validation_split == 0:
        raise ValueError(
            "early_stopping=True needs validation data, but validation_split "
            "is 0. Set validation_split above 0, or to None (holds out 0.1)."
        )
    return validation_split


def _check_takes_mask(network, function):
    """Sequences of different lengths need a body that takes ``mask=``."""
    accepted = _routing.accepted_parameters(function)
    if accepted is not None and "mask" not in accepted:
        raise ValueError(
            f"network={getattr(network, '__name__', network)!r} takes no mask= "
            "argument, which sequences of different lengths (padded, from "
            "images of different sizes) need: add mask=None to its parameters "
            "and pass it to its recurrent layer, layer(x, mask=mask), or give "
            "the images one size."
        )


def _inputs_and_targets(estimator, X, y, sample_weight, validation, target):
    """The network inputs of validated ``(X, y)`` and the targets of each head,
    and where a given validation set starts (None without one).

    Padded sequences get no weight (and any label) at the padded steps; a
    validation set ``(X_val, y_val, sample_weight_val)`` is appended, its rows
    weighted by ``sample_weight_val`` (1 for None).
    """
    inputs = estimator._network_input(X)
    lengths = getattr(inputs, "lengths", None)
    if lengths is not None:  # padded steps: any label, no weight
        _check_takes_mask(estimator.network, estimator._network_function())
        y = fill_padded_steps(y, lengths, inputs.shape[1])
    weights = sample_weights(sample_weight, len(y))
    n_train = None
    if validation is not None:
        n_train = len(y)
        *given, sample_weight_val = validation
        inputs, y = with_validation_set(estimator, inputs, y, *given)
        weights = np.r_[
            weights, validation_weights(sample_weight_val, len(y) - n_train)
        ]
    targets = estimator._encode_target(y, weights, inputs, n_train=n_train, **target)
    if lengths is not None:
        targets = targets.without_padding(lengths)
    return inputs, targets, n_train
