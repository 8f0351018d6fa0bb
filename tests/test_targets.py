"""Targets as named output heads: label columns, per-step labels, weights."""

import numpy as np
import pytest
from sklearn.exceptions import DataConversionWarning

from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier, PatchTiler
from skcnnrnn._targets import class_targets


def test_label_columns_train_one_head_each(digit_tasks):
    X, digits = digit_tasks["images"][:600], digit_tasks["labels"][:600]
    y = np.stack([digits, np.array(["even", "odd"])[digits % 2]], axis=1)
    clf = CNNClassifier(epochs=5, random_state=0).fit(X, y)
    assert clf.n_outputs_ == 2
    assert [c.tolist() for c in clf.classes_] == [list("0123456789"), ["even", "odd"]]
    y_pred = clf.predict(X)
    assert y_pred.shape == (600, 2)
    proba = clf.predict_proba(X)
    assert [p.shape for p in proba] == [(600, 10), (600, 2)]
    for column, (classes, p) in enumerate(zip(clf.classes_, proba, strict=True)):
        np.testing.assert_array_equal(y_pred[:, column], classes[p.argmax(axis=1)])
        assert np.mean(y_pred[:, column] == y[:, column]) > 0.8
    subset = np.mean((y_pred == y).all(axis=1))
    assert clf.score(X, y) == pytest.approx(subset)


def test_one_column_per_step_is_per_step_labels_any_other_count_is_columns(
    digit_tasks,
):
    tiler = PatchTiler(patch_size=(2, 8), output_size=None)
    X = tiler.fit_transform(digit_tasks["images"][:200])  # 4 steps
    strips = digit_tasks["strip_labels"][:200]
    per_step = CNNGRUSequenceClassifier(epochs=1, random_state=0).fit(X, strips)
    assert per_step.n_outputs_ == 4 and per_step.classes_.tolist() == [0, 1, 2]
    columns = CNNGRUSequenceClassifier(epochs=1, random_state=0)
    columns.fit(X, strips[:, :3])  # 3 labels for 4 steps: 3 sequence labels
    assert columns.n_outputs_ == 3 and len(columns.classes_) == 3
    assert set(columns.model_.output) == {"target_0", "target_1", "target_2"}
    assert columns.predict(X).shape == (200, 3)


def test_column_vector_is_one_label_per_image(digit_tasks):
    X, y = digit_tasks["images"][:100], digit_tasks["labels"][:100]
    clf = CNNClassifier(epochs=1, random_state=0)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        clf.fit(X, y[:, np.newaxis])
    assert clf.predict(X).shape == (100,)


def test_class_weight_per_column():
    y = np.array([[0, 1], [0, 0], [1, 0], [0, 0]])
    weights = np.ones(4)
    targets = class_targets(y, weights, [{0: 1.0, 1: 3.0}, "balanced"])
    np.testing.assert_array_equal(targets.weights["target_0"], [1, 1, 3, 1])
    np.testing.assert_allclose(targets.weights["target_1"], [2, 2 / 3, 2 / 3, 2 / 3])
    with pytest.raises(ValueError, match="class_weight holds 1 dicts.*2 label"):
        class_targets(y, weights, [{0: 1.0}])


def test_class_weight_keys_are_the_users_labels_not_codes():
    # Labels 1 and 2 are encoded as 0 and 1; {2: 3.0} must weigh label 2.
    y = np.array([1, 2, 2, 1])
    targets = class_targets(y, np.ones(4), {1: 1.0, 2: 3.0})
    np.testing.assert_array_equal(targets.weights["target"], [1, 3, 3, 1])
    strings = class_targets(
        np.array(["cat", "owl"]), np.ones(2), {"owl": 2.0, "cat": 1.0}
    )
    np.testing.assert_array_equal(strings.weights["target"], [1, 2])


def test_balanced_class_weights_come_from_the_training_rows():
    # 3 training rows of class 0 and 1 of class 1, then a balanced validation
    # set: its rows get the weights of the training rows of their class.
    y = np.array([0, 0, 0, 1, 0, 1, 0, 1])
    targets = class_targets(y, np.ones(8), "balanced", n_train=4)
    expected = [2 / 3, 2 / 3, 2 / 3, 2, 2 / 3, 2, 2 / 3, 2]
    np.testing.assert_allclose(targets.weights["target"], expected)
    everything = class_targets(y, np.ones(8), "balanced")
    assert not np.allclose(everything.weights["target"], expected)
