"""The training loop (``skcnnrnn/_training.py``), tested without an estimator."""

from dataclasses import replace
from functools import partial

import keras
import numpy as np
import pytest

from skcnnrnn._statistics import channel_statistics
from skcnnrnn._targets import class_targets
from skcnnrnn._training import Plan, _validation_split, train
from skcnnrnn.networks import cnn_body


@pytest.mark.parametrize(
    "shape, dtype",
    [
        ((60, 5, 7, 3), np.float32),
        ((60, 4, 2, 8, 1), np.float32),
        ((60, 6, 2), np.uint8),
    ],
)
@pytest.mark.parametrize("chunk_values", [97, 2**18])  # many chunks, one chunk
def test_channel_statistics_are_the_weighted_mean_and_variance(
    shape, dtype, chunk_values
):
    rng = np.random.default_rng(0)
    X = (rng.random(shape) * 200).astype(dtype)
    X[..., 0] += 50  # channels differ
    rows = rng.permutation(60)[:45]
    weights = rng.random(45)
    X_before = X.copy()
    mean, variance, _ = channel_statistics(X, rows, weights, chunk_values=chunk_values)
    pixels = X[rows].reshape(-1, shape[-1]).astype(np.float64)
    per_pixel = np.repeat(weights, pixels.shape[0] // len(rows))
    expected = np.average(pixels, axis=0, weights=per_pixel)
    np.testing.assert_allclose(mean, expected, rtol=1e-12)
    spread = np.average((pixels - expected) ** 2, axis=0, weights=per_pixel)
    np.testing.assert_allclose(variance, spread, rtol=1e-9)
    np.testing.assert_array_equal(X, X_before)


# -- train() and its plan, without an estimator ------------------------------

X = np.random.default_rng(0).random((40, 6, 6, 1), dtype=np.float32)
LABELS = np.arange(40) % 2


def _plan(**changes):
    plan = Plan(
        body=partial(cnn_body, filters=(2,), dense_units=4, seed=0),
        sequence=False,
        augment=None,
        make_optimizer=lambda: keras.optimizers.Adam(1e-2),
        callbacks=[],
        fit_kwargs={},
        loss=None,
        metrics=[],
        scorers={},
        checkpoint=None,
        freeze_body=False,
        frozen_before=False,
        epochs=2,
        batch_size=8,
        shuffle=True,
        validation_fraction=0.0,
        early_stopping=False,
        n_iter_no_change=1,
        tol=0.0,
        dtype="float32",
        verbose=0,
        seed=0,
        distribution=None,
    )
    return replace(plan, **changes)


def _targets(labels=LABELS, weights=None):
    weights = np.ones(len(labels)) if weights is None else weights
    return class_targets(labels, weights, None)


def _weights(trained):
    return [w.copy() for w in trained.model.get_weights()]


def test_train_holds_out_a_stratified_validation_split():
    trained = train(X, _targets(), _plan(validation_fraction=0.25))
    assert len(trained.history["val_loss"]) == 2
    assert len(trained.history["val_accuracy"]) == 2
    train_at, valid_at = _validation_split(40, LABELS, 0.25, seed=0)
    assert len(valid_at) == 10 and not set(train_at) & set(valid_at)
    assert np.bincount(LABELS[valid_at]).tolist() == [5, 5]  # stratified
    again = _validation_split(40, LABELS, 0.25, seed=0)
    np.testing.assert_array_equal(again[1], valid_at)


def test_train_leaves_out_rows_of_weight_zero():
    weights = np.ones(40)
    weights[-1] = 0.0
    with_zero = train(X, _targets(weights=weights), _plan())
    without = train(X[:-1], _targets(LABELS[:-1]), _plan())
    for a, b in zip(_weights(with_zero), _weights(without), strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_scales_weights_to_mean_one():
    ones = train(X, _targets(weights=np.ones(40)), _plan())
    threes = train(X, _targets(weights=np.full(40, 3.0)), _plan())
    for a, b in zip(_weights(ones), _weights(threes), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_train_stops_early_and_keeps_the_best_epoch():
    # A tolerance no epoch can beat: the first is the best, one more waits.
    plan = _plan(epochs=10, validation_fraction=0.25, early_stopping=True, tol=1e9)
    trained = train(X, _targets(), plan)
    assert len(trained.history["loss"]) == 2
    assert trained.best_epoch == 0


def test_failed_continued_training_puts_back_weights_and_optimizer():
    first = train(X, _targets(), _plan())
    model = first.model
    before = [v.numpy().copy() for v in [*model.variables, *model.optimizer.variables]]

    class FailsAfterOneBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError("stopped by the test")

    plan = _plan(callbacks=[FailsAfterOneBatch()])
    with pytest.raises(RuntimeError, match="stopped by the test"):
        train(X, _targets(), plan, model=model, initial_epoch=2)
    after = [v.numpy() for v in [*model.variables, *model.optimizer.variables]]
    assert any(b.size for b in before)
    for a, b in zip(after, before, strict=True):
        np.testing.assert_array_equal(a, b)
