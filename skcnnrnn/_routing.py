"""Routed parameters (scikeras' style): ``optimizer__*``, ``fit__*``,
``callbacks__*`` and ``network__*``.

Each is checked against what it is routed to when ``fit`` starts, before any
data is touched, so that a misspelt or misplaced argument is a ``ValueError``
naming it and its target rather than a Keras error deep inside training.
scikeras' ``unflatten_params`` still builds optimizers and callbacks from them.
"""

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


def check_routed(params, *, optimizer, callbacks, network):
    """Raise a ValueError for any routed parameter its target does not take.

    ``params`` are the routed parameters of an estimator (its ``**kwargs``),
    which must have the form ``prefix__name``; ``optimizer`` its optimizer
    (name, class or instance), ``callbacks`` its callbacks and ``network`` the
    network body function that ``network__*`` parameters go to.
    """
    for name in params:
        if not is_routed(name) or name.partition("__")[0] not in PREFIXES:
            raise ValueError(
                f"Unknown parameter {name!r}: routed parameters start with one of "
                f"{', '.join(p + '__' for p in PREFIXES)}."
            )
    _check_optimizer(routed(params, "optimizer"), optimizer)
    _check_fit(routed(params, "fit"))
    _check_callbacks(routed(params, "callbacks"), callbacks)
    _check_network(routed(params, "network"), network)


def optimizer_class(optimizer):
    """The Keras optimizer class of a name or class; None for an instance."""
    if isinstance(optimizer, str):
        import keras

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
        if name.partition("__")[0] not in known:
            raise ValueError(
                f"optimizer__{name} is not an argument of {cls.__name__}"
                f"{_who_takes(name.partition('__')[0])}."
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
        import keras

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
            raise ValueError(f"{prefix}__{name} is not an argument of {target}.")


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
    TensorFlow's fused update (``_optimizers.fuse_adam``)."""
    from scikeras._utils import unflatten_params

    from ._optimizers import fuse_adam

    cls = optimizer_class(optimizer)
    if cls is None:
        return fuse_adam(type(optimizer).from_config(optimizer.get_config()))
    params = {"learning_rate": learning_rate, **arguments}
    return fuse_adam(unflatten_params(items=cls, params=params))


def build_callbacks(callbacks, arguments):
    """The Keras callbacks of a fit, classes built with the routed ``arguments``."""
    import keras
    from scikeras._utils import unflatten_params

    if callbacks is None:
        return []
    built = unflatten_params(items=callbacks, params=arguments)
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
