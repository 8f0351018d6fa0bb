"""Chosen loss and metrics (loss=, metrics=): Keras' by name or object, and
scikit-learn's scorers by name in history_ and the training-history display."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score, mean_absolute_error

from skcnnrnn import (
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNRegressor,
    TrainingHistoryDisplay,
)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (
        data.images[:200],
        data.target[:200],
        data.images[200:300],
        data.target[200:300],
    )


@pytest.fixture(scope="module")
def scored(digits):
    X, y, X_val, y_val = digits
    clf = CNNClassifier(
        epochs=2,
        metrics=["balanced_accuracy", "sparse_top_k_categorical_accuracy"],
        random_state=0,
    )
    return clf.fit(X, y, X_val=X_val, y_val=y_val)


def test_a_scorer_in_history_is_that_of_the_validation_predictions(digits, scored):
    _, _, X_val, y_val = digits
    history = scored.history_
    # Scored at each epoch's end on the validation data, with the weights
    # the estimator keeps after the last one.
    assert len(history["val_balanced_accuracy"]) == 2
    expected = balanced_accuracy_score(y_val, scored.predict(X_val))
    assert history["val_balanced_accuracy"][-1] == pytest.approx(expected, abs=1e-9)
    assert "balanced_accuracy" not in history  # no training-data pass for it
    # A Keras metric's name is computed by Keras, on both.
    assert len(history["sparse_top_k_categorical_accuracy"]) == 2
    assert len(history["val_sparse_top_k_categorical_accuracy"]) == 2


def test_without_validation_data_a_scorer_scores_the_training_data(digits):
    X, y, _, _ = digits
    reg = CNNRegressor(epochs=2, metrics=["neg_mean_absolute_error"], random_state=0)
    reg.fit(X, y.astype(np.float32))
    expected = -mean_absolute_error(y, reg.predict(X))
    assert reg.history_["neg_mean_absolute_error"][-1] == pytest.approx(
        expected, rel=1e-5
    )
    assert not any(key.startswith("val_") for key in reg.history_)


def test_the_display_draws_a_metric_with_validation_values_only(scored):
    pytest.importorskip("matplotlib", reason="the display draws with matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    display = TrainingHistoryDisplay.from_estimator(scored)
    assert "balanced_accuracy" in [axis.get_ylabel() for axis in display.axes_]
    line = display.lines_["val_balanced_accuracy"]
    np.testing.assert_allclose(
        line.get_ydata(), scored.history_["val_balanced_accuracy"]
    )


def test_a_one_hot_loss_trains_as_the_sparse_default(digits):
    # Categorical cross-entropy on one-hot rows is the sparse default's value:
    # same seed, same losses, also under class weights.
    X, y, _, _ = digits
    weights = {c: 1.0 + c for c in range(10)}
    runs = [
        CNNClassifier(epochs=2, loss=loss, class_weight=weights, random_state=0)
        .fit(X, y)
        .history_["loss"]
        for loss in (None, "categorical_crossentropy")
    ]
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-4)


def _shape_seen(y_true, y_pred):
    _shape_seen.shapes.append(tuple(y_true.shape))
    return keras.ops.mean(keras.ops.square(y_pred), axis=-1)


def _sparse_shape_seen(y_true, y_pred):
    _shape_seen.shapes.append(tuple(y_true.shape))
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)


@pytest.mark.parametrize(
    "loss, one_hot", [(_shape_seen, True), (_sparse_shape_seen, False)]
)
def test_a_loss_sees_one_hot_rows_unless_its_name_says_sparse(digits, loss, one_hot):
    X, y, _, _ = digits
    _shape_seen.shapes = []
    CNNClassifier(epochs=1, loss=loss, random_state=0).fit(X[:40], y[:40])
    shape = _shape_seen.shapes[-1]
    assert (len(shape) == 2 and shape[-1] == 10) is one_hot


def test_one_loss_for_the_main_outputs_and_a_dict_per_output(digits):
    X, y, _, _ = digits
    auxiliary = X.reshape(len(X), -1).mean(axis=1)
    clf = CNNClassifier(epochs=1, loss="categorical_crossentropy", random_state=0)
    clf.fit(X, y, auxiliary_target=auxiliary)
    assert clf.model_.loss == {
        "target": "categorical_crossentropy",
        "auxiliary": "mean_squared_error",
    }
    clf = CNNClassifier(epochs=1, loss={"auxiliary": "huber"}, random_state=0)
    clf.fit(X, y, auxiliary_target=auxiliary)
    assert clf.model_.loss["auxiliary"] == "huber"
    assert clf.model_.loss["target"] == "sparse_categorical_crossentropy"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"loss": "hubber"}, "loss='hubber' is not a Keras loss"),
        ({"loss": 3}, "'loss' parameter of CNNClassifier must be"),
        ({"loss": {"target": 3}}, r"loss\['target'\] must be"),
        ({"loss": {"targets": "huber"}}, r"outputs \['targets'\].*\['target'\]"),
        ({"metrics": ["balanced_acuracy"]}, "Did you mean 'balanced_accuracy'"),
    ],
)
def test_bad_loss_or_metrics_name_the_parameter_and_change_nothing(
    digits, scored, params, message
):
    X, y, _, _ = digits
    fitted = pickle.loads(pickle.dumps(scored))
    before = fitted.predict_proba(X[:5])
    with pytest.raises((ValueError, TypeError), match=message):
        fitted.set_params(**params).fit(X, y)
    np.testing.assert_array_equal(fitted.predict_proba(X[:5]), before)


def test_scorers_need_one_label_per_sample():
    X = np.random.default_rng(0).random((8, 3, 4, 4), dtype=np.float32)
    y = np.tile([0, 1, 0], (8, 1))  # per-step labels
    clf = CNNGRUSequenceClassifier(epochs=1, metrics=["balanced_accuracy"])
    with pytest.raises(ValueError, match="per-step labels.*Keras metrics"):
        clf.fit(X, y)


def test_warm_start_refuses_a_changed_loss(digits):
    X, y, _, _ = digits
    clf = CNNClassifier(epochs=1, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="loss is 'categorical_crossentropy'"):
        clf.set_params(loss="categorical_crossentropy").fit(X, y)


def test_a_keras_loss_object_pickles_and_clones(digits):
    X, y, _, _ = digits
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    clf = CNNClassifier(epochs=1, loss=loss, random_state=0).fit(X, y)
    assert clone(clf).get_params()["loss"].get_config() == loss.get_config()
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X))
