"""Per-step sequence labelling and multi-task training (seed sections 2.4, 3.5).

The data is scikit-learn's digits (see ``digit_tasks`` in conftest.py): each
8 x 8 digit tiled into four 2 x 8 row strips, each strip labelled by its ink
(low, medium, high); the auxiliary regression target is the digit's ink mass.
"""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_score,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.utils._tags import get_tags

from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier, PatchTiler
from skcnnrnn._targets import class_targets

CV = KFold(3, shuffle=True, random_state=0)


def strip_pipeline(**params):
    return Pipeline(
        [
            ("tile", PatchTiler(patch_size=(2, 8), output_size=None)),
            ("clf", CNNGRUSequenceClassifier(random_state=0, **params)),
        ]
    )


def best_constant_per_step(labels):
    """Accuracy of predicting each step's most frequent label."""
    return np.mean([np.bincount(step).max() / len(step) for step in labels.T])


# -- per-step labelling ------------------------------------------------------


def test_per_step_labels_on_digit_strips_cross_validated(digit_tasks):
    images, labels = digit_tasks["images"], digit_tasks["strip_labels"]
    scores = cross_val_score(strip_pipeline(epochs=5), images, labels, cv=CV)
    baseline = best_constant_per_step(labels)
    assert baseline < 0.5
    assert scores.mean() >= 0.85, (scores, baseline)


def test_per_step_predictions_follow_the_multi_output_convention(digit_tasks):
    images, labels = digit_tasks["images"], digit_tasks["strip_labels"]
    names = np.array(["low", "medium", "high"])[labels]  # string labels too
    pipe = strip_pipeline(epochs=3).fit(images[:600], names[:600])
    clf = pipe[-1]
    test = images[600:900]
    y_pred = pipe.predict(test)
    proba = pipe.predict_proba(test)

    assert clf.n_outputs_ == 4
    assert sorted(clf.classes_) == ["high", "low", "medium"]
    assert y_pred.shape == (300, 4)
    assert isinstance(proba, list) and len(proba) == 4
    for step, step_proba in enumerate(proba):
        assert step_proba.shape == (300, 3)
        np.testing.assert_allclose(step_proba.sum(axis=1), 1.0, rtol=1e-12)
        np.testing.assert_array_equal(
            y_pred[:, step], clf.classes_[step_proba.argmax(axis=1)]
        )
    truth = names[600:900]
    assert pipe.score(test, truth) == pytest.approx(np.mean(y_pred == truth))
    weights = np.r_[np.ones(150), np.zeros(150)]
    assert pipe.score(test, truth, sample_weight=weights) == pytest.approx(
        np.mean(y_pred[:150] == truth[:150])
    )


def test_per_step_grid_search(digit_tasks):
    images, labels = digit_tasks["images"], digit_tasks["strip_labels"]
    grid = GridSearchCV(
        strip_pipeline(epochs=3),
        {"clf__gru_units": [16, 64]},
        cv=KFold(2, shuffle=True, random_state=0),
    ).fit(images, labels)
    assert set(grid.cv_results_["param_clf__gru_units"]) == {16, 64}
    assert grid.best_score_ >= 0.8
    assert grid.predict(images[:5]).shape == (5, 4)


def test_per_step_tags_and_column_vector(digit_tasks):
    assert get_tags(CNNGRUSequenceClassifier()).target_tags.multi_output
    assert get_tags(CNNClassifier()).target_tags.multi_output  # label columns
    # A (n, 1) column for 4-step sequences is one label per sequence.
    images, digits = digit_tasks["images"][:200], digit_tasks["labels"][:200]
    sequences = PatchTiler(patch_size=(2, 8), output_size=None).fit_transform(images)
    clf = CNNGRUSequenceClassifier(epochs=1, random_state=0)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        clf.fit(sequences, digits[:, np.newaxis])
    assert clf.predict(sequences).shape == (200,)
    assert clf.n_outputs_ == 1


def test_per_step_class_weight_weighs_each_step():
    # Step 0 is mostly label 0, step 1 mostly label 1: "balanced" must weigh
    # the rare label of each step up, value by value.
    y = np.array([[0, 1]] * 9 + [[1, 0]])
    sample = np.full(10, 2.0)
    targets = class_targets(y, sample, {0: 1.0, 1: 3.0}, steps=2)
    np.testing.assert_array_equal(sample, np.full(10, 2.0))  # not modified
    np.testing.assert_array_equal(targets.weights["target"], np.where(y == 1, 6.0, 2.0))


# -- multi-task training -----------------------------------------------------


@pytest.fixture(scope="module")
def ink_split(digit_tasks):
    images, labels, ink = (digit_tasks[k] for k in ("images", "labels", "ink"))
    return train_test_split(images, labels, ink, test_size=0.3, random_state=0)


@pytest.mark.parametrize("Classifier", [CNNClassifier, CNNGRUSequenceClassifier])
def test_auxiliary_head_learns_ink_mass(ink_split, Classifier):
    X_train, X_test, y_train, y_test, ink_train, ink_test = ink_split
    params = {"frame_shape": (1, 8)} if Classifier is CNNGRUSequenceClassifier else {}
    clf = Classifier(epochs=8, random_state=0, **params)
    clf.fit(X_train, y_train, auxiliary_target=ink_train)
    r2 = r2_score(ink_test, clf.predict_auxiliary(X_test))
    assert r2 >= 0.7, r2
    assert clf.score(X_test, y_test) >= 0.85
    assert clf.predict(X_test[:3]).shape == (3,)
    assert clf.n_auxiliary_outputs_ == 1
    assert set(clf.history_) == {"loss", "accuracy", "target_loss", "auxiliary_loss"}
    # Both parts are trained: the total includes the auxiliary loss, which falls.
    history = clf.history_
    assert np.all(np.greater(history["loss"], history["target_loss"]))
    assert history["auxiliary_loss"][-1] < history["auxiliary_loss"][0] / 2


def test_auxiliary_loss_weight_zero_leaves_the_head_untrained(ink_split):
    X_train, X_test, y_train, _, ink_train, ink_test = ink_split
    fits = {
        weight: CNNClassifier(epochs=4, auxiliary_loss_weight=weight, random_state=0)
        .fit(X_train, y_train, auxiliary_target=ink_train)
        .predict_auxiliary(X_test)
        for weight in (0.0, 0.5)
    }
    assert r2_score(ink_test, fits[0.0]) < 0.2
    assert r2_score(ink_test, fits[0.5]) > 0.6


def test_vector_auxiliary_target_and_pickling(digit_tasks):
    images, labels, halves = (digit_tasks[k] for k in ("images", "labels", "halves"))
    clf = CNNClassifier(epochs=3, random_state=0)
    clf.fit(images[:900], labels[:900], auxiliary_target=halves[:900])
    predicted = clf.predict_auxiliary(images[900:])
    assert predicted.shape == (len(images) - 900, 2)
    assert predicted.dtype == np.float64
    assert r2_score(halves[900:], predicted) > 0.5
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_auxiliary(images[900:]), predicted)
    # A refit without the target drops the head.
    clf.fit(images[:300], labels[:300])
    assert clf.n_auxiliary_outputs_ == 0


def aux_r2(pipe, X, y):
    """Scorer: R² of the auxiliary head against the ink of the test images."""
    sequences = pipe[:-1].transform(X)
    return r2_score(X.sum(axis=(1, 2)), pipe[-1].predict_auxiliary(sequences))


def test_auxiliary_target_is_routed_and_split_by_cross_validation(digit_tasks):
    images, labels, ink = (digit_tasks[k] for k in ("images", "labels", "ink"))
    pipe = strip_pipeline(epochs=6)
    # Fitting with misaligned targets would fail (length) or score R² ~ 0.
    result = cross_validate(
        pipe,
        images,
        labels,
        cv=CV,
        params={"clf__auxiliary_target": ink},
        scoring={"accuracy": "accuracy", "aux_r2": aux_r2},
    )
    assert result["test_aux_r2"].min() >= 0.6, result["test_aux_r2"]
    assert result["test_accuracy"].mean() >= 0.85, result["test_accuracy"]


def test_auxiliary_target_in_grid_search(digit_tasks):
    images, labels, ink = (digit_tasks[k] for k in ("images", "labels", "ink"))
    pipe = strip_pipeline(epochs=4)
    grid = GridSearchCV(
        pipe,
        {"clf__auxiliary_loss_weight": [0.25, 1.0]},
        cv=KFold(2, shuffle=True, random_state=0),
        scoring=aux_r2,
    ).fit(images, labels, clf__auxiliary_target=ink)
    assert grid.best_score_ >= 0.5, grid.cv_results_["mean_test_score"]
    assert grid.best_estimator_[-1].n_auxiliary_outputs_ == 1
    # The refit model keeps learning both tasks.
    assert aux_r2(grid.best_estimator_, images, labels) >= 0.5


def test_per_step_labels_with_auxiliary_target(digit_tasks):
    images, labels, ink = (digit_tasks[k] for k in ("images", "strip_labels", "ink"))
    train, test = train_test_split(np.arange(len(images)), random_state=0)
    pipe = strip_pipeline(epochs=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning in the normal case
        pipe.fit(images[train], labels[train], clf__auxiliary_target=ink[train])
    assert pipe.predict(images[test]).shape == (len(test), 4)
    assert pipe.score(images[test], labels[test]) >= 0.85
    assert aux_r2(pipe, images[test], None) >= 0.6


def test_clone_keeps_auxiliary_loss_weight():
    clf = CNNClassifier(auxiliary_loss_weight=2.0)
    assert clone(clf).get_params()["auxiliary_loss_weight"] == 2.0


def test_memory_mapped_sequences_with_per_step_and_auxiliary_targets(
    tmp_path, digit_tasks
):
    # Streamed batch by batch: dict targets and weights per batch, and
    # validation on held-out rows, seeded like in-memory training. (Keras'
    # PyDataset path rounds differently from its array path, so the two
    # models are close, not equal.)
    images, labels, ink = (digit_tasks[k] for k in ("images", "strip_labels", "ink"))
    sequences = PatchTiler(patch_size=(2, 8), output_size=None).fit_transform(
        images[:600]
    )
    path = tmp_path / "sequences.npy"
    np.save(path, sequences)
    mapped = np.load(path, mmap_mode="r")
    params = {"epochs": 6, "validation_split": 0.2, "random_state": 0}
    first, again = (
        CNNGRUSequenceClassifier(**params).fit(
            mapped, labels[:600], auxiliary_target=ink[:600]
        )
        for _ in range(2)
    )
    assert {"val_loss", "val_accuracy", "val_auxiliary_loss"} <= set(first.history_)
    np.testing.assert_array_equal(
        first.predict_auxiliary(mapped), again.predict_auxiliary(sequences)
    )
    assert first.predict(mapped).shape == (600, 4)
    assert first.score(sequences, labels[:600]) >= 0.8
    assert r2_score(ink[:600], first.predict_auxiliary(mapped)) >= 0.5


def test_streamed_zero_weights_drop_sequences_with_their_targets(tmp_path, digit_tasks):
    # Zero-weight rows leave X, the per-step labels and the auxiliary target
    # together: the fit equals one on the kept rows alone.
    images, labels, ink = (digit_tasks[k] for k in ("images", "strip_labels", "ink"))
    sequences = PatchTiler(patch_size=(2, 8), output_size=None).fit_transform(
        images[:120]
    )
    keep = np.arange(120) % 4 != 0
    whole, kept = tmp_path / "whole.npy", tmp_path / "kept.npy"
    np.save(whole, sequences)
    np.save(kept, sequences[keep])
    params = {"epochs": 2, "batch_size": 16, "random_state": 0}
    weighted = CNNGRUSequenceClassifier(**params).fit(
        np.load(whole, mmap_mode="r"),
        labels[:120],
        sample_weight=np.where(keep, 2.0, 0.0),
        auxiliary_target=ink[:120],
    )
    subset = CNNGRUSequenceClassifier(**params).fit(
        np.load(kept, mmap_mode="r"),
        labels[:120][keep],
        auxiliary_target=ink[:120][keep],
    )
    np.testing.assert_allclose(
        weighted.predict_auxiliary(sequences), subset.predict_auxiliary(sequences)
    )
    np.testing.assert_allclose(
        np.stack(weighted.predict_proba(sequences)),
        np.stack(subset.predict_proba(sequences)),
    )
    # Class weights per step, with validation, streamed: trains to finite loss.
    balanced = CNNGRUSequenceClassifier(
        class_weight="balanced", validation_split=0.25, **params
    ).fit(np.load(whole, mmap_mode="r"), labels[:120], auxiliary_target=ink[:120])
    assert np.isfinite(balanced.history_["loss"]).all()
    assert np.isfinite(balanced.history_["val_auxiliary_loss"]).all()
