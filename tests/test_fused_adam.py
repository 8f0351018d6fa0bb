"""Keras' Adam, given TensorFlow's fused ResourceApplyAdam update."""

import pickle

import keras
import numpy as np
import pytest
import tensorflow as tf

from skcnnrnn import CNNClassifier
from skcnnrnn._workarounds import fuse_adam

SHAPES = [(3, 4), (4,), (2, 2, 3)]


def _train(optimizer, n_steps=5):
    """Variables after ``n_steps`` updates with the same random gradients."""
    rng = np.random.default_rng(0)
    variables = [
        keras.Variable(rng.standard_normal(shape).astype(np.float32))
        for shape in SHAPES
    ]
    for _ in range(n_steps):
        grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
        optimizer.apply(grads, variables)
    return [v.numpy() for v in variables]


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
        {"weight_decay": 0.1, "clipnorm": 1.0},
        {"amsgrad": True},  # Keras' own update
    ],
)
@pytest.mark.parametrize("adam", [keras.optimizers.Adam, keras.optimizers.AdamW])
def test_updates_agree_with_keras_adam(adam, arguments):
    expected = _train(adam(**arguments))
    fused = _train(fuse_adam(adam(**arguments)))
    for got, want in zip(fused, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_one_fused_kernel_per_variable_in_the_traced_step():
    optimizer = fuse_adam(keras.optimizers.Adam())
    variables = [keras.Variable(np.zeros(shape, np.float32)) for shape in SHAPES]
    optimizer.build(variables)
    grads = [tf.ones(shape) for shape in SHAPES]
    graph = (
        tf.function(lambda: optimizer.apply(grads, variables))
        .get_concrete_function()
        .graph
    )
    types = [op.type for op in graph.get_operations()]
    assert types.count("ResourceApplyAdam") == len(SHAPES)


@pytest.mark.parametrize(
    "optimizer",
    ["adam", keras.optimizers.Adam, keras.optimizers.Adam(1e-3), "adamw"],
)
def test_estimators_fuse_keras_adam_and_save_it_as_keras_own(optimizer):
    X, y = np.zeros((8, 4, 4), np.float32), np.arange(8) % 2
    clf = CNNClassifier(epochs=1, filters=(2,), dense_units=4, optimizer=optimizer)
    adam = clf.fit(X, y).model_.optimizer
    name = "AdamW" if optimizer == "adamw" else "Adam"
    assert type(adam) is getattr(keras.optimizers, name)
    assert "update_step" in vars(adam)  # the fused update, on this instance
    # Saved as Keras' own class, so plain Keras loads the network.
    config = keras.saving.serialize_keras_object(adam)
    assert (config["module"], config["class_name"]) == ("keras.optimizers", name)
    assert "update_step" in vars(pickle.loads(pickle.dumps(clf)).model_.optimizer)


def test_other_optimizers_and_amsgrad_keep_keras_update():
    for optimizer in (keras.optimizers.SGD(), keras.optimizers.Adam(amsgrad=True)):
        assert "update_step" not in vars(fuse_adam(optimizer))
