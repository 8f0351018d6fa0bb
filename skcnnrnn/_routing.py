"""Routed parameters (scikeras' style): ``optimizer__*``, ``fit__*``,
``callbacks__*`` and ``network__*``.

Each is checked against what it is routed to when ``fit`` starts, before any
data is touched, so that a misspelt or misplaced argument is a ``ValueError``
naming it and its target rather than a Keras error deep inside training.
"""

import difflib
import inspect

PREFIXES = ("optimizer", "fit", "callbacks", "network")
OPTIMIZERS = (
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
)
# keras.Model.fit arguments that the estimator sets itself, and the parameter
# of the estimator to use instead.
FIT_OWNED = {
    "x": "fit's X",
    "y": "fit's y",
    "batch_size": "the batch_size parameter",
    "shuffle": "the shuffle parameter",
    "sample_weight": "fit's sample_weight",
    "class_weight": "the class_weight parameter",
    "validation_split": "the validation_split parameter",
    "validation_data": "the validation_split parameter",
    "callbacks": "the callbacks parameter",
}
# Network arguments the estimator passes itself, from its own parameters.
NETWORK_OWNED = {"seed": "the random_state parameter", "dtype": "the dtype parameter"}


def accepted_parameters(function):
    """Names of the keyword arguments ``function`` takes; None for any (``**``)."""
    parameters = inspect.signature(function).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {
        p.name
        for p in parameters
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }


def is_routed(name):
    """Whether ``name`` has the form of a routed parameter, ``prefix__name``."""
    prefix, sep, rest = name.partition("__")
    return bool(prefix and sep and rest)


def routed(params, prefix):
    """``{name: value}`` of the parameters routed to ``prefix``, prefix removed."""
    start = prefix + "__"
    return {k[len(start) :]: v for k, v in params.items() if k.startswith(start)}


def has_routed_prefix(name):
    """Whether ``name`` is routed to one of the targets in ``PREFIXES``."""
    return is_routed(name) and name.partition("__")[0] in PREFIXES


def did_you_mean(name, known):
    """`` Did you mean 'x'?`` for the known name nearest ``name``, or ``""``."""
    nearest = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" Did you mean {nearest[0]!r}?" if nearest else ""


def unknown_parameter(name, estimator_name, known):
    """The error for a parameter name that is neither the estimator's own nor
    routed (the message scikit-learn's ``set_params`` gives, with a hint)."""
    prefixes = [p + "__" for p in PREFIXES]
    return ValueError(
        f"Invalid parameter {name!r} for estimator {estimator_name}."
        f"{_nearest_name(name, known)} Valid parameters are its own, "
        f"{sorted(known)!r}, and routed ones starting with {', '.join(prefixes)}."
    )


# scikeras routes the network's arguments as model__*; here they are network__*.
_SCIKERAS_PREFIXES = {"model": "network"}


def _nearest_name(name, known):
    if not is_routed(name):
        return did_you_mean(name, known)
    prefix, _, rest = name.partition("__")
    prefix = _SCIKERAS_PREFIXES.get(prefix, prefix)
    return did_you_mean(f"{prefix}__{rest}", _prefixed(PREFIXES, rest))


def check_routed(params, *, optimizer, callbacks, network, estimator_name, own):
    """Raise a ValueError for any routed parameter its target does not take.

    ``params`` are the routed parameters of an estimator (its ``**kwargs``),
    which must have the form ``prefix__name``; ``optimizer`` its optimizer
    (name, class or instance), ``callbacks`` its callbacks and ``network`` the
    network body function that ``network__*`` parameters go to. A name that
    is not routed (given to ``__init__``, which may not raise) is an error
    naming the nearest of the estimator's ``own`` parameter names.
    """
    for name in params:
        if not has_routed_prefix(name):
            raise unknown_parameter(name, estimator_name, own)
    _check_optimizer(routed(params, "optimizer"), optimizer)
    _check_fit(routed(params, "fit"))
    _check_callbacks(routed(params, "callbacks"), callbacks)
    _check_network(routed(params, "network"), network)


def optimizer_class(optimizer):
    """The Keras optimizer class of a name or class; None for an instance."""
    if isinstance(optimizer, str):
        from ._keras import keras

        return type(keras.optimizers.get(optimizer))
    return optimizer if isinstance(optimizer, type) else None


def _optimizer_arguments(cls):
    names = set()
    for klass in cls.__mro__[:-1]:  # not object
        if "__init__" in vars(klass):
            names |= accepted_parameters(_without_var_keyword(klass.__init__))
    return names - {"self"}


def _without_var_keyword(function):
    """``function`` as far as its named arguments go (``**kwargs`` left out)."""
    signature = inspect.signature(function)
    kept = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]

    def named(*args, **kwargs):
        pass  # pragma: no cover - only its signature is read

    named.__signature__ = signature.replace(parameters=kept)
    return named


def _check_optimizer(arguments, optimizer):
    if not arguments:
        return
    first = next(iter(arguments))
    cls = optimizer_class(optimizer)
    if cls is None:
        raise ValueError(
            f"optimizer__{first} is routed to the optimizer, but optimizer is an "
            f"instance ({type(optimizer).__name__}): set {first} on the instance."
        )
    known = _optimizer_arguments(cls)
    for name in arguments:
        argument = name.partition("__")[0]
        if argument not in known:
            raise ValueError(
                f"optimizer__{name} is not an argument of {cls.__name__}"
                f"{_who_takes(argument)}."
                + did_you_mean(f"optimizer__{argument}", _prefixed("optimizer", known))
            )


def _who_takes(name):
    takers = [o for o in OPTIMIZERS if name in _optimizer_arguments(optimizer_class(o))]
    if not takers:
        return ""
    return (
        "; "
        + " and ".join(f"optimizer={o!r}" for o in takers[:2])
        + (" takes it" if len(takers) == 1 else " take it")
    )


def _check_fit(arguments):
    if arguments:
        from ._keras import keras

        # None when keras.Model.fit is wrapped (takes **kwargs): not checked.
        known = accepted_parameters(keras.Model.fit)
        _check_arguments("fit", arguments, known, "keras.Model.fit", FIT_OWNED)


def _check_arguments(prefix, arguments, known, target, owned):
    """Each of ``arguments`` must be in ``known`` (unless None), not ``owned``."""
    for name in arguments:
        if name in owned:
            raise ValueError(
                f"{prefix}__{name} cannot be routed to {target}: skcnnrnn sets "
                f"it itself, from {owned[name]}."
            )
        if known is not None and name not in known:
            raise ValueError(
                f"{prefix}__{name} is not an argument of {target}."
                + did_you_mean(f"{prefix}__{name}", _prefixed(prefix, known))
            )


def _prefixed(prefixes, names):
    """``prefix__name`` for each prefix and name (a str is one of either)."""
    prefixes = [prefixes] if isinstance(prefixes, str) else prefixes
    names = [names] if isinstance(names, str) else names
    return [f"{prefix}__{name}" for prefix in prefixes for name in names]


def _check_callbacks(arguments, callbacks):
    if not arguments:
        return
    first = next(iter(arguments))
    if callbacks is None:
        raise ValueError(
            f"callbacks__{first} is routed to the callbacks, but callbacks is None."
        )
    items = _callback_items(callbacks)
    for name in arguments:
        key, _, rest = name.partition("__")
        if rest and key in items:
            targets, argument = {key: items[key]}, rest.partition("__")[0]
        else:
            targets, argument = items, key
        for label, item in targets.items():
            if not isinstance(item, type):
                raise ValueError(
                    f"callbacks__{name} is routed to callback {label}, an instance "
                    f"({type(item).__name__}): give its class, or set it on it."
                )
            known = accepted_parameters(item)
            if known is not None and argument not in known:
                raise ValueError(
                    f"callbacks__{name} is not an argument of {item.__name__}."
                    + did_you_mean(argument, known)
                )


def _callback_items(callbacks):
    if isinstance(callbacks, dict):
        return dict(callbacks)
    if isinstance(callbacks, (list, tuple)):
        return {str(i): item for i, item in enumerate(callbacks)}
    return {"0": callbacks}


def _check_network(arguments, network):
    name = getattr(network, "__name__", type(network).__name__)
    known = accepted_parameters(network)
    _check_arguments("network", arguments, known, f"the network {name}", NETWORK_OWNED)


def build_optimizer(optimizer, learning_rate, arguments):
    """A new Keras optimizer: from a name or class with ``learning_rate`` and
    the routed ``arguments``, or a fresh copy of an instance (which holds
    per-model state, so each fit needs its own). A Keras Adam or AdamW gets
    TensorFlow's fused update (``_workarounds.fuse_adam``)."""
    from ._workarounds import fuse_adam

    cls = optimizer_class(optimizer)
    if cls is None:
        return fuse_adam(type(optimizer).from_config(optimizer.get_config()))
    return fuse_adam(instantiate(cls, {"learning_rate": learning_rate, **arguments}))


def build_callbacks(callbacks, arguments):
    """The Keras callbacks of a fit, classes built with the routed ``arguments``."""
    from ._keras import keras

    if callbacks is None:
        return []
    built = instantiate(callbacks, arguments)
    if isinstance(built, dict):
        built = list(built.values())
    elif isinstance(built, keras.callbacks.Callback):
        built = [built]
    for callback in built:
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                "callbacks must hold keras.callbacks.Callback instances or "
                f"classes, got {callback!r}."
            )
    return list(built)


def instantiate(item, arguments, shared=None):
    """``item`` with its classes called, the routed ``arguments`` as scikeras
    routes them.

    A class is called with the arguments without ``__`` (and ``shared``), an
    argument whose value is itself a class built from the arguments routed to
    it (``learning_rate__initial_learning_rate``); each item of a list, tuple
    or dict gets the arguments routed to its index or key, and the plain ones.
    Anything else is returned as it is.
    """
    plain = {k: v for k, v in arguments.items() if "__" not in k}
    if isinstance(item, type):
        kwargs = {**(shared or {}), **plain}
        return item(
            **{k: instantiate(v, routed(arguments, k)) for k, v in kwargs.items()}
        )
    if isinstance(item, dict):
        return {
            k: instantiate(v, routed(arguments, str(k)), plain) for k, v in item.items()
        }
    if isinstance(item, (list, tuple)):
        return type(item)(
            instantiate(v, routed(arguments, str(i)), plain) for i, v in enumerate(item)
        )
    return item
