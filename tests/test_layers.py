"""The custom Keras layers: the same functions as the Keras layers they stand for."""

import warnings

import keras
import numpy as np
import pytest
from keras import layers

from skcnnrnn._layers import UnrolledGRU


def _pair(**kwargs):
    """Keras' unrolled GRU and ours, with the same weights, on 5 steps."""
    inputs = keras.Input((5, 3))
    theirs = keras.Model(inputs, layers.GRU(4, unroll=True, **kwargs)(inputs))
    ours = keras.Model(inputs, UnrolledGRU(4, **kwargs)(inputs))
    ours.set_weights(theirs.get_weights())
    return ours, theirs


@pytest.mark.parametrize("return_sequences", [True, False])
def test_unrolled_gru_computes_keras_gru(return_sequences):
    ours, theirs = _pair(return_sequences=return_sequences, bias_initializer="uniform")
    x = np.random.default_rng(0).normal(size=(7, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours.predict_on_batch(x), theirs.predict_on_batch(x), rtol=1e-5, atol=1e-6
    )


def test_unrolled_gru_trains_as_keras_gru():
    ours, theirs = _pair(return_sequences=False, bias_initializer="uniform")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 5, 3)).astype(np.float32)
    y = rng.normal(size=(16, 4)).astype(np.float32)
    start = theirs.get_weights()
    for model in (ours, theirs):
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
        for _ in range(3):
            model.train_on_batch(x, y)
    trained = zip(ours.get_weights(), theirs.get_weights(), start, strict=True)
    for a, b, initial in trained:
        assert not np.allclose(b, initial)  # the weights did move
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs", [{"go_backwards": True}, {"reset_after": False}, {"use_bias": False}]
)
def test_unrolled_gru_variants_take_keras_path(kwargs):
    ours, theirs = _pair(**kwargs)
    x = np.random.default_rng(2).normal(size=(3, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(ours.predict_on_batch(x), theirs.predict_on_batch(x))


def test_unrolled_gru_masks_as_keras_gru():
    inputs = keras.Input((5, 3))
    masked = layers.Masking(0.0)(inputs)
    theirs = keras.Model(inputs, layers.GRU(4, unroll=True)(masked))
    ours = keras.Model(inputs, UnrolledGRU(4)(masked))
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(3).normal(size=(3, 5, 3)).astype(np.float32)
    x[:, 3:] = 0  # padded steps
    np.testing.assert_array_equal(ours.predict_on_batch(x), theirs.predict_on_batch(x))


def test_unrolled_gru_trains_single_steps_without_warnings():
    # A first step starts from zeros: on one step the recurrent kernel would
    # get no gradient, and Keras would warn.
    inputs = keras.Input((1, 3))
    model = keras.Model(inputs, UnrolledGRU(4)(inputs))
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((2, 1, 3), np.float32), np.ones((2, 4), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.train_on_batch(x, y)


def test_unrolled_gru_round_trips_through_keras_saving():
    layer = UnrolledGRU(4, return_sequences=True)
    config = keras.saving.serialize_keras_object(layer)
    again = keras.saving.deserialize_keras_object(config)
    assert type(again) is UnrolledGRU
    assert again.get_config() == layer.get_config()
    assert again.unroll
