"""Training that goes on: the rules of ``warm_start`` and ``partial_fit``.

A continued fit trains the fitted network further, so what built it (the
architecture, dtype and optimizer) and what its outputs mean (the classes,
the number of outputs, the auxiliary head) must not change in between; the
history goes on counting epochs.
"""

import numpy as np

from ._routing import optimizer_class


def network_settings(estimator):
    """What a continued fit may not change: the network and its optimizer.

    The built-in body's parameters count only when it is used; a changed
    ``learning_rate`` is applied to the kept optimizer.
    """
    params = estimator.get_params(deep=False)
    names = ["network", estimator._shape_param, "dtype", "optimizer", "distribution"]
    names += ["augment", "loss", "metrics"]
    if estimator.network is None:
        names += list(estimator._architecture_params())
    names += [k for k in params if k.startswith(("network__", "optimizer__"))]
    return {name: params[name] for name in names}


def check_same_network(estimator):
    """Raise unless the network settings are those of the fitted network."""
    fitted = getattr(estimator, "_network_settings", {})
    current = network_settings(estimator)
    for name in sorted(fitted.keys() | current.keys()):
        before, now = fitted.get(name), current.get(name)
        if not same(before, now):
            raise ValueError(
                f"{name} is {now!r}, but the fitted network was built with "
                f"{name}={before!r}: warm_start and partial_fit continue "
                "training the fitted network, whose architecture and "
                "optimizer cannot change. Set it back, or fit with "
                "warm_start=False to build a new network."
            )


def check_same_targets(estimator, layout, partial):
    """Raise unless ``y`` has the layout (and classes) of the fitted ``y``."""
    for field, now, before in layout.differences(estimator._target_layout)[:1]:
        # The public fitted attribute's name where there is one.
        name = f"{field}_" if hasattr(estimator, f"{field}_") else field
        method = "partial_fit" if partial else "fit with warm_start=True"
        raise ValueError(
            f"y (or auxiliary_target) gives {name}={now!r}, but the "
            f"{type(estimator).__name__} was fitted with {name}={before!r}: "
            f"{method} continues the fitted network, whose outputs cannot "
            "change. Pass targets of the same kind, or fit with "
            "warm_start=False to start over."
        )


def joined(history, n_epochs, more):
    """``history`` (of ``n_epochs`` epochs) followed by ``more``; a value that
    only one of them reports is NaN for the epochs of the other."""
    n_more = len(more["loss"])
    return {
        key: history.get(key, [np.nan] * n_epochs) + more.get(key, [np.nan] * n_more)
        for key in {**history, **more}
    }


def same(before, now):
    """Whether two parameter values (or fitted attributes) are the same."""
    if before is now:
        return True
    if isinstance(before, (list, tuple)) and isinstance(now, (list, tuple)):
        return len(before) == len(now) and all(map(same, before, now))
    if isinstance(before, np.ndarray) or isinstance(now, np.ndarray):
        return np.shape(before) == np.shape(now) and bool(np.all(before == now))
    if hasattr(before, "get_config") and type(before) is type(now):
        return before.get_config() == now.get_config()  # optimizer instances
    try:
        return bool(before == now)
    except (TypeError, ValueError):
        return False


def set_learning_rate(model, optimizer, learning_rate):
    """Give the kept optimizer of a continued fit the current ``learning_rate``
    (when built from a name or class; an instance brings its own rate)."""
    if optimizer_class(optimizer) is None:
        return
    current = model.optimizer.learning_rate
    if hasattr(current, "assign") and float(current.numpy()) != learning_rate:
        current.assign(learning_rate)
