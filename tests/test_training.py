"""The training loop's batches: what Keras reads, and in which order."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest

from skcnnrnn import CNNClassifier, _training
from skcnnrnn._training import Batches, _as_input

on_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the tf.data pipeline is TensorFlow's; other backends read Batches",
)
PLAN = SimpleNamespace(distribution=None)  # the Plan fields _as_input reads


def row_batches(X, shuffle_seed=False):
    """Batches of 16 of every row of ``X``, one zero target per row."""
    n = len(X)
    return Batches(
        X,
        np.arange(n),
        {"target": np.zeros(n, int)},
        None,
        16,
        np.float32,
        shuffle_seed=shuffle_seed,
    )


def test_every_epoch_reads_every_row_once_in_a_new_order():
    X = np.arange(50, dtype=np.float32).reshape(50, 1)
    batches = row_batches(X, shuffle_seed=3)
    epochs = [np.concatenate([x for x, _ in batches.epoch()]).ravel() for _ in range(3)]
    for rows in epochs:
        np.testing.assert_array_equal(np.sort(rows), X.ravel())
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[1], epochs[2])


@on_tensorflow
def test_pipeline_has_a_fixed_buffer_and_knows_its_length():
    batches = row_batches(np.zeros((50, 4, 4, 1), np.float32))
    dataset = _as_input(batches, PLAN)
    assert dataset.options().autotune.enabled is False
    assert int(dataset.cardinality()) == len(batches) == 4
    shapes = [x.shape[0] for x, _ in dataset]
    assert sorted(shapes) == [2, 16, 16, 16]
    # Under a strategy Keras reads Batches itself (test_scaling's two devices).
    mirrored = SimpleNamespace(distribution="mirrored")
    assert _as_input(batches, mirrored) is batches


@on_tensorflow
def test_fit_through_tf_data_equals_keras_reading_the_pydataset(monkeypatch):
    rng = np.random.default_rng(0)
    y = np.arange(48) % 2
    X = rng.normal(size=(48, 8, 8)).astype(np.float32) + y[:, None, None]
    params = dict(epochs=3, batch_size=10, validation_split=0.25, random_state=0)
    ours = CNNClassifier(**params).fit(X, y)
    monkeypatch.setattr(_training, "_as_input", lambda batches, plan: batches)
    keras_own = CNNClassifier(**params).fit(X, y)
    assert ours.history_ == keras_own.history_
    np.testing.assert_array_equal(ours.predict_proba(X), keras_own.predict_proba(X))
