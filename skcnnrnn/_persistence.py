"""Pickling that records the skcnnrnn version, as scikit-learn does for its own,
and stores Keras networks in their own format."""

import os
import tempfile
import warnings

from . import _version
from .exceptions import InconsistentVersionWarning

_VERSION_KEY = "_skcnnrnn_version"


class VersionedPickleMixin:
    """Store the skcnnrnn version in the pickle; warn when loading another's.

    scikit-learn records its version only for classes defined in ``sklearn.*``
    modules, so third-party estimators must do this themselves.
    """

    def __getstate__(self):
        return {**super().__getstate__(), _VERSION_KEY: _version.__version__}

    def __setstate__(self, state):
        state = dict(state)
        original = state.pop(_VERSION_KEY, "unknown")
        if original != _version.__version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=_version.__version__,
                    original_version=original,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)


def keras_bytes(model):
    """``model`` in Keras' native ``.keras`` format, as bytes.

    Estimators store their network this way when pickled, and skops stores
    it as a file of its own: no Keras object is ever pickled.
    """
    from ._keras import keras
    from ._workarounds import quiet_tensorflow_import

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        # Keras' serialisation imports TensorFlow whenever it is installed,
        # also under JAX or torch (keras/saving/serialization_lib.py).
        with quiet_tensorflow_import():
            keras.saving.save_model(model, path)
        with open(path, "rb") as file:
            return file.read()


def keras_model(data):
    """The model that ``keras_bytes`` stored (Keras' safe mode: no lambdas)."""
    from ._keras import keras
    from ._workarounds import fuse_adam, project_gru_inputs

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as file:
            file.write(data)
        model = keras.saving.load_model(path)
    # A continued fit updates as the fit before pickling did.
    fuse_adam(model.optimizer)  # None if it was saved uncompiled
    return project_gru_inputs(model)


def random_states(model):
    """The states of ``model``'s random generators (its dropout layers' seeds).

    Keras' ``.keras`` format does not save them, and a fit that continues the
    network (``partial_fit``, ``warm_start``) draws its dropout masks from
    them: without them, an unpickled estimator would continue differently.
    """
    return [v.numpy() for v in _random_state_variables(model)]


def restore_random_states(model, states):
    """Put back the states that :func:`random_states` took (if they fit)."""
    variables = _random_state_variables(model)
    if len(variables) != len(states):
        return  # another network layout: keep the freshly loaded states
    for variable, state in zip(variables, states, strict=True):
        variable.assign(state)


def _random_state_variables(model):
    return [v for v in model.variables if v.name == "seed_generator_state"]
