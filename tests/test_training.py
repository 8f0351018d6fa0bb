"""The training loop's batches: what Keras reads, and in which order."""

import keras
import numpy as np
import pytest

from skcnnrnn import CNNClassifier, _training
from skcnnrnn._training import Batches, _as_input

on_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the tf.data pipeline is TensorFlow's; other backends read Batches",
)


def test_every_epoch_reads_every_row_once_in_a_new_order():
    X = np.arange(50, dtype=np.float32).reshape(50, 1)
    batches = Batches(
        X,
        np.arange(50),
        {"target": np.arange(50)},
        None,
        16,
        np.float32,
        shuffle_seed=3,
    )
    epochs = [np.concatenate([x for x, _ in batches.epoch()]).ravel() for _ in range(3)]
    for rows in epochs:
        np.testing.assert_array_equal(np.sort(rows), X.ravel())
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[1], epochs[2])
    # What a seeded fit sees does not depend on the Batches object's history.
    again = Batches(
        X,
        np.arange(50),
        {"target": np.arange(50)},
        None,
        16,
        np.float32,
        shuffle_seed=3,
    )
    first = np.concatenate([x for x, _ in again.epoch()]).ravel()
    np.testing.assert_array_equal(first, epochs[0])


@on_tensorflow
def test_pipeline_has_a_fixed_buffer_and_knows_its_length():
    X = np.zeros((50, 4, 4, 1), np.float32)
    batches = Batches(
        X, np.arange(50), {"target": np.zeros(50, int)}, None, 16, np.float32
    )
    dataset = _as_input(batches)
    assert dataset.options().autotune.enabled is False
    assert int(dataset.cardinality()) == len(batches) == 4
    shapes = [x.shape[0] for x, _ in dataset]
    assert sorted(shapes) == [2, 16, 16, 16]


@on_tensorflow
def test_fit_through_tf_data_equals_keras_reading_the_pydataset(monkeypatch):
    rng = np.random.default_rng(0)
    y = np.arange(48) % 2
    X = rng.normal(size=(48, 8, 8)).astype(np.float32) + y[:, None, None]
    params = dict(epochs=3, batch_size=10, validation_split=0.25, random_state=0)
    ours = CNNClassifier(**params).fit(X, y)
    monkeypatch.setattr(_training, "_as_input", lambda batches: batches)
    keras_own = CNNClassifier(**params).fit(X, y)
    assert ours.history_ == keras_own.history_
    np.testing.assert_array_equal(ours.predict_proba(X), keras_own.predict_proba(X))
