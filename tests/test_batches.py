"""What Keras reads: the batches, their order, and the tf.data pipeline."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from skcnnrnn import CNNClassifier, _batches
from skcnnrnn._batches import Batches, fit_input

on_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the tf.data pipeline is TensorFlow's; other backends read Batches",
)


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


def keras_epoch(batches):
    """The batches of one epoch as Keras reads a ``PyDataset``: reshuffled
    first (``EpochIterator.reset``), then by index."""
    batches.on_epoch_end()
    return [batches[index] for index in range(len(batches))]


def test_every_epoch_reads_every_row_once_in_a_new_order():
    X = np.arange(50, dtype=np.float32).reshape(50, 1)
    batches = row_batches(X, shuffle_seed=3)
    epochs = [
        np.concatenate([x for x, _ in keras_epoch(batches)]).ravel() for _ in range(3)
    ]
    for rows in epochs:
        np.testing.assert_array_equal(np.sort(rows), X.ravel())
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[1], epochs[2])


@on_tensorflow
def test_pipeline_has_a_fixed_buffer_and_knows_its_length():
    batches = row_batches(np.zeros((50, 4, 4, 1), np.float32))
    dataset, steps = fit_input(batches, None, epochs=2)
    assert dataset.options().autotune.enabled is False
    assert steps == len(batches) == 4
    assert int(dataset.cardinality()) == 2 * 4  # every epoch, one pipeline
    shapes = [x.shape[0] for x, _ in dataset]
    assert sorted(shapes) == [2, 2, 16, 16, 16, 16, 16, 16]
    # Under a strategy Keras reads Batches itself (test_scaling's two devices).
    assert fit_input(batches, "mirrored") == (batches, None)


def test_chunks_stack_the_batches_of_every_epoch_in_order(monkeypatch):
    # 50 rows in batches of 16: the short batch first, then chunks of 2 (the
    # size allows two batches of 16 float32 rows of 4 values).
    monkeypatch.setattr(_batches, "_CHUNK_BYTES", 2 * 16 * 4 * 4)
    X = np.arange(200, dtype=np.float32).reshape(50, 4)
    chunks = list(row_batches(X, shuffle_seed=3).chunks(2))
    assert [x.shape for x, _ in chunks] == [(1, 2, 4), (2, 16, 4), (1, 16, 4)] * 2
    y_shapes = [y["target"].shape for _, y in chunks[:3]]
    assert y_shapes == [(1, 2), (2, 16), (1, 16)]
    unstacked = [batch for x, _ in chunks for batch in x]
    same_seed = row_batches(X, shuffle_seed=3)
    expected = [x for _ in range(2) for x, _ in keras_epoch(same_seed)]
    assert len(unstacked) == len(expected) == 8
    for got, want in zip(unstacked, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_released_batches_end_the_epochs_quietly():
    # Training stopped early: the pipeline reads ahead as train() releases.
    batches = row_batches(np.zeros((50, 1), np.float32))
    chunks = batches.chunks(3)
    assert next(chunks)[0].shape == (1, 2, 1)
    batches.release()
    assert list(chunks) == []
    assert list(batches.chunks(1)) == []  # released before the first read


def test_errors_reading_the_source_still_surface():
    class FailingDisk:
        shape = (50, 4)

        def __getitem__(self, rows):
            raise OSError("read error")

    batches = Batches(
        FailingDisk(), np.arange(50), {"t": np.zeros(50)}, None, 16, np.float32
    )
    with pytest.raises(OSError, match="read error"):
        next(batches.chunks(2))


@on_tensorflow
def test_one_pipeline_reads_every_epoch(monkeypatch):
    started = []
    chunks = Batches.chunks
    monkeypatch.setattr(
        Batches,
        "chunks",
        lambda self, count: started.append(count) or chunks(self, count),
    )
    X = np.random.default_rng(0).normal(size=(40, 8, 8)).astype(np.float32)
    y = np.arange(40) % 2
    CNNClassifier(epochs=3, batch_size=16, validation_split=0.25).fit(X, y)
    # One training pipeline; Keras starts validation again for each epoch.
    assert sorted(started) == [1, 1, 1, 3]


@on_tensorflow
def test_fit_through_tf_data_equals_keras_reading_the_pydataset(monkeypatch):
    rng = np.random.default_rng(0)
    y = np.arange(48) % 2
    X = rng.normal(size=(48, 8, 8)).astype(np.float32) + y[:, None, None]
    params = dict(epochs=3, batch_size=10, validation_split=0.25, random_state=0)
    ours = CNNClassifier(**params).fit(X, y)
    monkeypatch.setattr(_batches, "one_pipeline", lambda distribution: False)
    keras_own = CNNClassifier(**params).fit(X, y)
    assert ours.history_ == keras_own.history_
    np.testing.assert_array_equal(ours.predict_proba(X), keras_own.predict_proba(X))


MALLOC_SCRIPT = """
import os
import numpy as np
import tensorflow as tf
from skcnnrnn import CNNClassifier

X = np.random.default_rng(0).normal(size=(40, 8, 8)).astype(np.float32)
CNNClassifier(epochs=2, validation_split=0.25).fit(X, np.arange(40) % 2)
os.write(2, b"MARKER fit done\\n")
spec = tf.TensorSpec((), tf.int64)
two = tf.data.Dataset.from_generator(lambda: iter([0, 1]), output_signature=spec)
for _ in two:
    pass
"""


@on_tensorflow
def test_fits_leave_the_process_malloc_settings_alone(tmp_path):
    # TensorFlow 2.21 sets glibc's M_TRIM_THRESHOLD for the whole process
    # the first time a from_generator pipeline runs, after which every NumPy
    # array of 128 KiB or more is a fresh mmap (7x slower to fill); it logs
    # that at INFO level. One process: the fit first, then the control (a
    # from_generator pipeline), which shows this TensorFlow still does it
    # and that the fit had not done it already.
    script = tmp_path / "malloc.py"
    script.write_text(MALLOC_SCRIPT)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}
    stderr = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stderr
    fit, marker, generator = stderr.partition("MARKER fit done\n")
    assert marker, stderr[-2000:]
    if "M_TRIM_THRESHOLD" not in generator:
        pytest.skip("this TensorFlow does not set M_TRIM_THRESHOLD any more")
    assert "M_TRIM_THRESHOLD" not in fit, fit[-2000:]
