"""A validation set given to fit (X_val, y_val), as HistGradientBoosting takes
one: what it validates on, early stopping on it, its errors, and Pipelines."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline

from skcnnrnn import (
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNRegressor,
    PatchTiler,
)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (
        data.images[:300],
        data.target[:300],
        data.images[300:400],
        data.target[300:400],
    )


def test_val_metrics_are_those_of_the_given_set(digits):
    X, y, X_val, y_val = digits
    clf = CNNClassifier(epochs=2, validation_split=0.5, random_state=0)
    clf.fit(X, y, X_val=X_val, y_val=y_val)

    # Validated on exactly (X_val, y_val), with the last epoch's weights;
    # validation_split gives way to it (no rows of X held out).
    assert len(clf.history_["val_accuracy"]) == 2
    expected = accuracy_score(y_val, clf.predict(X_val))
    assert clf.history_["val_accuracy"][-1] == pytest.approx(expected, abs=1e-6)


def test_a_given_validation_set_drives_early_stopping(digits):
    X, y, X_val, y_val = digits
    clf = CNNClassifier(
        epochs=30,
        early_stopping=True,
        n_iter_no_change=2,
        tol=0.0,
        validation_split=0,  # an error without X_val; here it gives way
        learning_rate=0.01,
        random_state=0,
    )
    # Labels the network cannot learn: the validation loss soon stops falling.
    noise = np.random.default_rng(0).permutation(y_val)
    clf.fit(X, y, X_val=X_val, y_val=noise)

    val_loss = clf.history_["val_loss"]
    assert clf.n_iter_ < 30
    assert clf.best_epoch_ == int(np.argmin(val_loss))
    assert clf.n_iter_ == clf.best_epoch_ + 1 + 2  # stopped after 2 epochs more


@pytest.mark.parametrize(
    "X_val, y_val, match",
    [
        ("X", None, "X_val and y_val must be given together"),
        (None, "y", "X_val and y_val must be given together"),
        (np.zeros((5, 7, 8)), np.zeros(5), r"X_val or y_val is not valid: .*shape"),
        ("X", np.zeros((100, 2)), r"y_val has shape \(100, 2\) and y \(300,\)"),
        ("X", np.full(100, 11), r"y_val holds labels \[11\] that y does not"),
        ("X", np.zeros(99), "X_val or y_val is not valid: .*inconsistent"),
    ],
)
def test_validation_set_errors_name_it_and_leave_the_fit_as_it_was(
    digits, X_val, y_val, match
):
    X, y, X_good, y_good = digits
    X_val = X_good if isinstance(X_val, str) else X_val
    y_val = y_good if isinstance(y_val, str) else y_val
    clf = CNNClassifier(epochs=1, random_state=0).fit(X[:50], y[:50])
    before = clf.model_
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.model_ is before and clf.n_iter_ == 1


@pytest.mark.parametrize(
    "with_set, weights, match",
    [
        (False, np.ones(100), "sample_weight_val is given without"),
        (True, np.ones(99), "sample_weight_val is not valid for the 100 rows of X_val"),
        (True, np.zeros(100), "sample_weight_val is not valid.*non-zero"),
    ],
)
def test_validation_weights_errors_name_them(digits, with_set, weights, match):
    X, y, X_val, y_val = digits
    given = dict(X_val=X_val, y_val=y_val) if with_set else {}
    with pytest.raises(ValueError, match=match):
        CNNClassifier(epochs=1).fit(X, y, sample_weight_val=weights, **given)


def test_sample_weight_val_weights_the_validation_rows(digits):
    X, y, X_val, y_val = digits
    fits = [
        CNNClassifier(epochs=2, random_state=0).fit(X, y, **validation)
        for validation in (
            dict(
                X_val=X_val,
                y_val=y_val,
                sample_weight_val=np.r_[np.ones(50), np.zeros(50)],
            ),
            dict(X_val=X_val[:50], y_val=y_val[:50]),
            dict(X_val=X_val, y_val=y_val),
        )
    ]
    weighted, first_half, unweighted = (fit.history_ for fit in fits)
    # Rows of weight 0 are left out of the validation, as of training: the
    # same training, validated on the first half only.
    for name in ("val_loss", "val_accuracy"):
        np.testing.assert_allclose(weighted[name], first_half[name], rtol=1e-6)
    np.testing.assert_array_equal(weighted["loss"], unweighted["loss"])
    assert weighted["val_loss"] != unweighted["val_loss"]


def test_regressor_takes_a_validation_set(digits):
    X, y, X_val, y_val = digits
    reg = CNNRegressor(epochs=2, random_state=0)
    reg.fit(X, y.astype(float), X_val=X_val, y_val=y_val.astype(float))
    assert len(reg.history_["val_loss"]) == 2


def test_pipeline_transforms_x_val_with_transform_input(digits):
    X, y, X_val, y_val = digits
    with config_context(enable_metadata_routing=True):
        clf = CNNGRUSequenceClassifier(epochs=1, random_state=0).set_fit_request(
            X_val=True, y_val=True
        )
        pipe = Pipeline(
            [("tile", PatchTiler(patch_size=(2, 8), output_size=None)), ("clf", clf)],
            transform_input=["X_val"],
        )
        pipe.fit(X, y, X_val=X_val, y_val=y_val)

    expected = accuracy_score(y_val, pipe.predict(X_val))
    assert pipe[-1].history_["val_accuracy"][-1] == pytest.approx(expected, abs=1e-6)
