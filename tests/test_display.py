"""TrainingHistoryDisplay: the curves drawn are the history recorded."""

import matplotlib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from skcnnrnn import (
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNRegressor,
    PatchTiler,
    TrainingHistoryDisplay,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def data(n=40):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    return rng.normal(size=(n, 8, 8)).astype(np.float32) + y[:, None, None], y


@pytest.fixture(scope="module")
def fitted():
    X, y = data()
    return CNNClassifier(epochs=3, validation_split=0.25, random_state=0).fit(X, y)


def test_from_estimator_draws_train_and_validation_curves(fitted):
    display = TrainingHistoryDisplay.from_estimator(fitted)
    assert set(display.lines_) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    for key, line in display.lines_.items():
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(line.get_ydata(), fitted.history_[key])
    assert [a.get_ylabel() for a in display.axes_] == ["loss", "accuracy"]
    assert display.figure_ is display.axes_[0].figure
    labels = [t.get_text() for t in display.axes_[0].get_legend().get_texts()]
    assert labels == ["train", "validation"]
    assert display.best_epoch_lines_ == []  # no early stopping, nothing kept


def test_plot_on_given_axes_and_chosen_metrics(fitted):
    _, ax = plt.subplots()
    display = TrainingHistoryDisplay.from_estimator(fitted, ax=ax, metrics=["loss"])
    assert set(display.lines_) == {"loss", "val_loss"}
    assert display.axes_[0] is ax
    with pytest.raises(ValueError, match="one Axes per metric"):
        TrainingHistoryDisplay.from_estimator(fitted, ax=ax)
    with pytest.raises(ValueError, match="'auc'.*choose from"):
        TrainingHistoryDisplay.from_estimator(fitted, metrics=["auc"])


def test_early_stopping_marks_the_kept_epoch():
    X, y = data()
    clf = CNNClassifier(
        epochs=6, early_stopping=True, n_iter_no_change=2, random_state=0
    ).fit(X, y)
    display = TrainingHistoryDisplay.from_estimator(clf)
    assert len(display.best_epoch_lines_) == len(display.axes_)
    assert display.best_epoch_lines_[0].get_xdata()[0] == clf.best_epoch_ + 1


def test_pipeline_and_unfitted_estimators():
    X, y = data()
    pipe = Pipeline(
        [
            ("tile", PatchTiler(patch_size=(2, 8), output_size=None)),
            ("clf", CNNGRUSequenceClassifier(epochs=2, random_state=0)),
        ]
    )
    with pytest.raises(NotFittedError):
        TrainingHistoryDisplay.from_estimator(pipe)
    display = TrainingHistoryDisplay.from_estimator(pipe.fit(X, y))
    assert set(display.lines_) == {"loss", "accuracy"}  # no validation data
    assert "CNNGRUSequenceClassifier" in display.axes_[0].get_title()


def test_history_without_loss_is_an_error():
    with pytest.raises(ValueError, match="loss"):
        TrainingHistoryDisplay(history={}).plot()


def test_regressor_and_multitask_histories():
    X, y = data()
    regressor = CNNRegressor(epochs=3, validation_split=0.25, random_state=0)
    display = TrainingHistoryDisplay.from_estimator(regressor.fit(X, y * 2.0))
    assert set(display.lines_) == {"loss", "val_loss"}
    np.testing.assert_allclose(
        display.lines_["val_loss"].get_ydata(), regressor.history_["val_loss"]
    )
    multitask = CNNClassifier(epochs=3, validation_split=0.25, random_state=0)
    multitask.fit(X, y, auxiliary_target=X.mean(axis=(1, 2)))
    display = TrainingHistoryDisplay.from_estimator(multitask)
    assert {"loss", "accuracy", "val_accuracy"} <= set(display.lines_)
    assert "val_auxiliary_loss" in multitask.history_
