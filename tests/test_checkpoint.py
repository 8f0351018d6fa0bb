"""Checkpoint and resume (checkpoint= a folder): a fit killed with SIGKILL
resumes after its last saved epoch with the result of an uninterrupted fit."""

import os
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from skcnnrnn import CNNClassifier

# Dropout, augmentation and early stopping all carry state across epochs.
PARAMS = dict(
    epochs=6,
    augment={"translation": 0.1},
    early_stopping=True,
    n_iter_no_change=10,
    random_state=0,
)

# Killed at the end of epoch ``kill_at``, before that epoch's checkpoint.
SCRIPT = """
import os, signal, sys
import keras
from sklearn.datasets import load_digits
from skcnnrnn import CNNClassifier

folder, kill_at = sys.argv[1], int(sys.argv[2])

class Kill(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

digits = load_digits()
clf = CNNClassifier(**PARAMS, checkpoint=folder, callbacks=[Kill()])
clf.fit(digits.images[:300], digits.target[:300])
"""


def test_a_killed_fit_resumes_with_the_result_of_an_uninterrupted_one(tmp_path):
    folder = tmp_path / "checkpoint"
    script = SCRIPT.replace("**PARAMS", f"**{PARAMS!r}")
    killed = subprocess.run(
        [sys.executable, "-c", script, str(folder), "2"],
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert os.listdir(folder) == ["skcnnrnn-checkpoint.pkl"]

    # Resumed in this process, not the one that wrote the checkpoint: one
    # process start (a TensorFlow import) fewer than a second new process.
    digits = load_digits()
    X, y = digits.images[:300], digits.target[:300]
    record = _FailAt()
    resumed = CNNClassifier(**PARAMS, checkpoint=folder, callbacks=[record])
    resumed.fit(X, y)
    # Epochs 0 and 1 were saved, so the fit trains epochs 2 to 5 only.
    assert record.epochs_run == [2, 3, 4, 5]
    assert os.listdir(folder) == []  # removed once the fit ended

    whole = CNNClassifier(**PARAMS).fit(X, y)
    assert resumed.best_epoch_ == whole.best_epoch_
    assert sorted(resumed.history_) == sorted(whole.history_)
    for key, values in whole.history_.items():
        np.testing.assert_allclose(resumed.history_[key], values, rtol=1e-5)
    np.testing.assert_allclose(
        resumed.predict_proba(digits.images[300:400]),
        whole.predict_proba(digits.images[300:400]),
        atol=1e-6,
    )


class _FailAt(keras.callbacks.Callback):
    """Raise at the end of epoch ``at`` (before its checkpoint); record the
    epochs begun."""

    def __init__(self, at=None):
        super().__init__()
        self.at, self.epochs_run = at, []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs_run.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise RuntimeError("stopped by the test")


def test_a_failed_fit_leaves_its_checkpoint_for_that_fit_only(tmp_path):
    digits = load_digits()
    X, y = digits.images[:60], digits.target[:60]
    fitted = CNNClassifier(epochs=1, random_state=0).fit(X, y)
    before = fitted.predict_proba(X)

    clf = CNNClassifier(epochs=3, checkpoint=tmp_path, random_state=0)
    with pytest.raises(RuntimeError, match="stopped by the test"):
        clf.set_params(callbacks=[_FailAt(1)]).fit(X, y)
    assert len(os.listdir(tmp_path)) == 1

    # Other data (or parameters) finds another fit's file: an error that
    # leaves a fitted estimator as it was.
    with pytest.raises(ValueError, match="holds the state of another fit"):
        fitted.set_params(epochs=3, checkpoint=tmp_path).fit(X[:30], y[:30])
    np.testing.assert_array_equal(fitted.predict_proba(X), before)

    # The same fit resumes after epoch 0, with callbacks of its own.
    record = _FailAt()
    clf.set_params(callbacks=[record]).fit(X, y)
    assert record.epochs_run == [1, 2]
    assert len(clf.history_["loss"]) == 3
    assert os.listdir(tmp_path) == []


def test_partial_fit_writes_no_checkpoint(tmp_path):
    digits = load_digits()
    clf = CNNClassifier(checkpoint=tmp_path, random_state=0)
    clf.partial_fit(digits.images[:40], digits.target[:40], classes=range(10))
    assert os.listdir(tmp_path) == []
