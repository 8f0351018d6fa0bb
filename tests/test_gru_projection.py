"""Workaround ``gru_projection``: an unrolled Keras GRU, its inputs projected
at once, computes and trains as Keras' own and stays a plain ``GRU``."""

import warnings
import zipfile

import keras
import numpy as np
import pytest
from keras import layers

from skcnnrnn._workarounds import _projected_gru_call, project_gru_inputs


def _pair(**kwargs):
    """Keras' unrolled GRU and the projected one, same weights, on 5 steps."""
    inputs = keras.Input((5, 3))
    theirs = keras.Model(inputs, layers.GRU(4, unroll=True, **kwargs)(inputs))
    ours = keras.Model(inputs, layers.GRU(4, unroll=True, **kwargs)(inputs))
    ours.set_weights(theirs.get_weights())
    return project_gru_inputs(ours), theirs


def _is_projected(model):
    gru = next(layer for layer in model.layers if isinstance(layer, layers.GRU))
    return getattr(gru.call, "__func__", None) is _projected_gru_call


@pytest.mark.parametrize("return_sequences", [True, False])
def test_projected_gru_computes_keras_gru(return_sequences):
    ours, theirs = _pair(return_sequences=return_sequences, bias_initializer="uniform")
    assert _is_projected(ours) and not _is_projected(theirs)
    x = np.random.default_rng(0).normal(size=(7, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours.predict_on_batch(x), theirs.predict_on_batch(x), rtol=1e-5, atol=1e-6
    )


def test_projected_gru_trains_as_keras_gru():
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
def test_variants_take_keras_path(kwargs):
    ours, theirs = _pair(**kwargs)
    x = np.random.default_rng(2).normal(size=(3, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(ours.predict_on_batch(x), theirs.predict_on_batch(x))


def test_masked_steps_take_keras_path():
    inputs = keras.Input((5, 3))
    masked = layers.Masking(0.0)(inputs)
    theirs = keras.Model(inputs, layers.GRU(4, unroll=True)(masked))
    ours = keras.Model(inputs, layers.GRU(4, unroll=True)(masked))
    ours.set_weights(theirs.get_weights())
    project_gru_inputs(ours)
    x = np.random.default_rng(3).normal(size=(3, 5, 3)).astype(np.float32)
    x[:, 3:] = 0  # padded steps
    np.testing.assert_array_equal(ours.predict_on_batch(x), theirs.predict_on_batch(x))


def test_single_steps_train_without_warnings():
    # A first step starts from zeros: on one step the recurrent kernel would
    # get no gradient, and Keras would warn.
    inputs = keras.Input((1, 3))
    model = project_gru_inputs(keras.Model(inputs, layers.GRU(4, unroll=True)(inputs)))
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((2, 1, 3), np.float32), np.ones((2, 4), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.train_on_batch(x, y)


def test_projected_gru_saves_as_a_plain_gru(tmp_path):
    ours, _ = _pair(return_sequences=True)
    ours.save(tmp_path / "gru.keras")
    with zipfile.ZipFile(tmp_path / "gru.keras") as archive:
        config = archive.read("config.json").decode()
    assert '"class_name": "GRU"' in config and "skcnnrnn" not in config
    again = keras.saving.load_model(tmp_path / "gru.keras")
    assert not _is_projected(again)  # plain Keras: Keras' own call
    x = np.random.default_rng(4).normal(size=(2, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        again.predict_on_batch(x), ours.predict_on_batch(x), rtol=1e-5, atol=1e-6
    )


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("SKCNNRNN_DISABLE_WORKAROUNDS", "fused_adam, gru_projection")
    ours, _ = _pair()
    assert not _is_projected(ours)
