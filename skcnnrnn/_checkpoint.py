"""Checkpoint and resume of a fit (``checkpoint=`` a folder).

At the end of every epoch the fit's whole state is written to one file in
the folder, atomically (a new file renamed over the old): the network and
its optimizer (Keras' ``.keras`` format), the states of its random
generators (dropout, augmentation), the history so far and early stopping's
state. A fit of the same estimator on the same data that finds the file
starts after its last epoch: the batches are shuffled as the killed fit
would have shuffled them, so the result is that of an uninterrupted fit.
The file is removed when the fit ends.

Keras' ``BackupAndRestore`` keeps the weights, the optimizer and the epoch,
but not the history, the generators' states or early stopping's, and sets
the model's private ``_initial_epoch``; this keeps all of them, through
``fit``'s public ``initial_epoch``.
"""

import copy
import os
import pickle
import tempfile
from dataclasses import dataclass

import joblib

from ._keras import keras
from ._persistence import (
    keras_bytes,
    keras_model,
    random_states,
    restore_random_states,
)

_FILE = "skcnnrnn-checkpoint.pkl"
# Early stopping's state, which its on_train_begin resets.
_STOPPER_STATE = ("wait", "best", "best_weights", "best_epoch", "stopped_epoch")


def parameters_digest(estimator):
    """A digest of the parameters a resumed fit must share: not ``verbose``,
    the folder or the ``callbacks`` (a logger added to the restarted fit is
    no other fit); one that cannot be hashed counts by its type."""
    params = estimator.get_params(deep=False)
    for name in ("verbose", "checkpoint", "callbacks"):
        params.pop(name, None)
    digest = {}
    for name, value in sorted(params.items()):
        try:
            digest[name] = joblib.hash(value)
        except Exception:  # e.g. an object that does not pickle
            digest[name] = type(value).__qualname__
    return joblib.hash(digest)


@dataclass
class Resumed:
    """What a checkpoint gives back."""

    model: object
    epochs_done: int  # epochs of this call already trained
    history: dict
    stopper: dict | None


class Checkpoint:
    """The checkpoint file of one fit: its folder and what identifies the fit
    (the parameters' digest, the data's, and the epoch the call starts at)."""

    def __init__(self, folder, parameters, inputs, targets, initial_epoch):
        self.path = os.path.join(os.fspath(folder), _FILE)
        self.folder = os.fspath(folder)
        self.identity = joblib.hash(
            [parameters, tuple(inputs.shape), targets.values, targets.weights]
            + [initial_epoch]
        )

    def resume(self):
        """The saved state of this fit, or None; a ``ValueError`` when the
        file is another fit's."""
        if not os.path.exists(self.path):
            return None
        with open(self.path, "rb") as file:
            state = pickle.load(file)
        if state["identity"] != self.identity:
            raise ValueError(
                f"checkpoint={self.folder!r} holds the state of another fit "
                "(other parameters, data or starting epoch): delete "
                f"{self.path!r}, or give this fit a folder of its own."
            )
        model = keras_model(state["model"])
        restore_random_states(model, state["random_states"])
        return Resumed(model, state["epochs_done"], state["history"], state["stopper"])

    def callback(self, resumed, stopper):
        """The Keras callback that saves the state after every epoch (to be
        the last callback: early stopping has then seen the epoch)."""
        return _SaveEachEpoch(self, resumed, stopper)

    def save(self, model, epochs_done, history, stopper):
        state = {
            "identity": self.identity,
            "model": keras_bytes(model),
            "random_states": random_states(model),
            "epochs_done": epochs_done,
            "history": history,
            "stopper": None
            if stopper is None
            else {name: getattr(stopper, name) for name in _STOPPER_STATE},
        }
        os.makedirs(self.folder, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.folder, delete=False) as file:
            pickle.dump(state, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(file.name, self.path)  # atomic: a kill leaves old or new

    def remove(self):
        if os.path.exists(self.path):
            os.remove(self.path)


class _SaveEachEpoch(keras.callbacks.Callback):
    def __init__(self, checkpoint, resumed, stopper):
        super().__init__()
        self.checkpoint, self.stopper = checkpoint, stopper
        self.epochs_done = 0 if resumed is None else resumed.epochs_done
        # A copy: the resumed fit joins resumed.history to its own at the end.
        self.history = {} if resumed is None else copy.deepcopy(resumed.history)
        self.saved_stopper = None if resumed is None else resumed.stopper

    def on_train_begin(self, logs=None):
        if self.stopper is not None and self.saved_stopper is not None:
            for name, value in self.saved_stopper.items():
                setattr(self.stopper, name, value)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.epochs_done += 1
        self.checkpoint.save(self.model, self.epochs_done, self.history, self.stopper)
