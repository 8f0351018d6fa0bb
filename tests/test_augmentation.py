"""Train-only augmentation: its settings, that it trains and never predicts,
the same transform for every frame of a sequence, seeding and warm_start."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier
from skcnnrnn.augmentation import augmentation

SETTINGS = {"rotation": 0.05, "zoom": 0.1, "translation": 0.1, "contrast": 0.2}


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.images[:200], data.target[:200]


@pytest.fixture(scope="module")
def augmented(digits):
    X, y = digits
    return CNNClassifier(epochs=2, dropout=0.0, augment=SETTINGS, random_state=0).fit(
        X, y
    )


def test_augmentation_acts_in_training_only(augmented, digits):
    X, _ = digits
    inputs = X[:, :, :, None].astype(np.float32)
    at_inference = np.asarray(augmented.model_(inputs, training=False)["target"])
    in_training = np.asarray(augmented.model_(inputs, training=True)["target"])

    # No dropout here: what training=True changes is the augmentation alone.
    assert np.abs(in_training - at_inference).max() > 1e-3
    np.testing.assert_allclose(augmented.predict_proba(X), at_inference, atol=1e-6)
    np.testing.assert_array_equal(
        augmented.predict_proba(X), augmented.predict_proba(X)
    )


def test_augmentation_is_seeded_and_changes_the_fit(augmented, digits):
    X, y = digits
    again = CNNClassifier(epochs=2, dropout=0.0, augment=SETTINGS, random_state=0)
    plain = CNNClassifier(epochs=2, dropout=0.0, random_state=0)
    again.fit(X, y)
    plain.fit(X, y)

    np.testing.assert_array_equal(again.predict_proba(X), augmented.predict_proba(X))
    assert np.abs(plain.predict_proba(X) - augmented.predict_proba(X)).max() > 1e-3


def test_validation_data_is_not_augmented(digits):
    X, y = digits
    clf = CNNClassifier(epochs=2, augment=SETTINGS, random_state=0)
    clf.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    accuracy = np.mean(clf.predict(X[150:]) == y[150:])
    assert clf.history_["val_accuracy"][-1] == pytest.approx(accuracy, abs=1e-6)


def _frames_after(settings, sequences, seed=0):
    """``sequences`` through the augmentation, in training mode."""
    inputs = keras.Input(shape=sequences.shape[1:])
    augment = augmentation(settings, sequence=True, value_range=(0, 1), seed=seed)
    model = keras.Model(inputs, augment(inputs))
    return np.asarray(model(sequences, training=True))


def test_every_frame_of_a_sequence_gets_the_same_transform():
    rng = np.random.default_rng(0)
    frame = rng.random((6, 6, 2), dtype=np.float32)
    sequences = np.broadcast_to(frame, (16, 5, 6, 6, 2)).copy()  # 5 equal frames

    same = _frames_after({"flip": "horizontal"}, sequences)
    assert (same == same[:, :1]).all()  # frames still equal within a sequence
    flipped = (same[:, 0] == frame[:, ::-1]).all(axis=(1, 2, 3))
    assert flipped.any() and not flipped.all()  # some sequences flipped

    each = _frames_after({"flip": "horizontal", "per_frame": True}, sequences)
    assert not (each == each[:, :1]).all()
    flipped = (each == frame[:, ::-1]).all(axis=(2, 3, 4))
    assert ((each == frame) | (each == frame[:, ::-1])).all(axis=(2, 3, 4)).all()
    assert flipped.any() and not flipped.all()


def test_sequence_classifier_trains_with_augmentation(digits):
    X, y = digits
    clf = CNNGRUSequenceClassifier(
        epochs=1, augment={"flip": "horizontal"}, frame_shape=(2, 8), random_state=0
    ).fit(X.reshape(len(X), -1), y)
    assert any("random_flip" in layer.name for layer in clf.model_.layers)


@pytest.mark.parametrize(
    "augment, error, match",
    [
        ({"rotate": 0.1}, ValueError, "augment has no setting 'rotate'"),
        ({"flip": "sideways"}, ValueError, r"augment\['flip'\] must be one of"),
        ({"zoom": 2}, ValueError, r"augment\['zoom'\] must be a number in \[0, 1\]"),
        ({"per_frame": 1}, TypeError, r"augment\['per_frame'\] must be a bool"),
        ("flip", ValueError, "augment"),
    ],
)
def test_bad_settings_are_errors_naming_them(digits, augment, error, match):
    X, y = digits
    clf = CNNClassifier(epochs=1, augment=augment)
    with pytest.raises(error, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")


def test_warm_start_refuses_a_changed_augmentation(augmented, digits):
    X, y = digits
    clf = CNNClassifier(epochs=1, augment={"flip": "horizontal"}, random_state=0)
    clf.fit(X, y)
    clf.set_params(warm_start=True, augment={"flip": "vertical"})
    with pytest.raises(ValueError, match="augment is .*vertical.*built with"):
        clf.fit(X, y)
    assert clf.n_iter_ == 1
