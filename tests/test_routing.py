"""Routed parameters are checked against their target when fit starts."""

import keras
import numpy as np
import pytest
from _bodies import small_conv_body
from sklearn.base import clone

from skcnnrnn import CNNClassifier, CNNGRUSequenceRegressor

X = np.zeros((6, 4, 4), dtype=np.float32)
y = np.arange(6) % 2


@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"optimizer__momentum": 0.9},
            "optimizer__momentum is not an argument of Adam; "
            "optimizer='sgd' and optimizer='rmsprop' take it",
        ),
        (
            {"optimizer": "sgd", "optimizer__beta_1": 0.9},
            "optimizer__beta_1 is not an argument of SGD; optimizer='adam'",
        ),
        (
            {"optimizer": keras.optimizers.SGD(), "optimizer__momentum": 0.5},
            "optimizer is an instance",
        ),
        ({"fit__batch_size": 4}, "fit__batch_size .* batch_size parameter"),
        ({"fit__shufle": True}, "fit__shufle is not an argument of keras.Model.fit"),
        ({"callbacks__patience": 2}, "callbacks is None"),
        (
            {"callbacks": [keras.callbacks.EarlyStopping], "callbacks__patiense": 2},
            "callbacks__patiense is not an argument of EarlyStopping",
        ),
        (
            {"callbacks": [keras.callbacks.EarlyStopping()], "callbacks__patience": 2},
            "an instance",
        ),
        ({"network__dense_units": 8}, "repeats the dense_units parameter"),
        (
            {"network__width": 8},
            "network__width is not an argument of the network cnn_body",
        ),
        (
            {"network": small_conv_body, "network__depth": 2},
            "network__depth is not an argument of the network small_conv_body",
        ),
        ({"network": small_conv_body, "network__seed": 2}, "random_state"),
        (
            {"optimizer__lerning_rate": 0.1},
            "Did you mean 'optimizer__learning_rate'",
        ),
    ],
)
def test_misrouted_parameter_is_an_error_before_anything_is_built(params, match):
    clf = CNNClassifier(epochs=1).set_params(**params)
    before = dict(vars(clf))
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    assert vars(clf) == before  # nothing fitted, nothing changed


def test_routed_parameters_reach_their_targets():
    clf = CNNClassifier(
        network=small_conv_body,
        network__width=3,
        optimizer="sgd",
        optimizer__momentum=0.5,
        callbacks={"stop": keras.callbacks.EarlyStopping},
        callbacks__stop__monitor="loss",
        fit__validation_freq=1,
        epochs=1,
        random_state=0,
    ).fit(X, y)
    convolution = next(
        layer for layer in clf.model_.layers if isinstance(layer, keras.layers.Conv2D)
    )
    assert convolution.filters == 3
    assert clf.model_.optimizer.momentum == 0.5
    copy = clone(clf)
    assert copy.get_params()["network__width"] == 3
    assert copy.get_params()["callbacks__stop__monitor"] == "loss"


def test_unknown_keyword_is_kept_as_given_and_an_error_at_fit():
    regressor = CNNGRUSequenceRegressor(epoch=3)  # construction never raises
    assert regressor.get_params()["epoch"] == 3
    with pytest.raises(ValueError, match="'epoch'.* Did you mean 'epochs'"):
        regressor.fit(X, y)


@pytest.mark.parametrize(
    "name, hint",
    [
        ("epoch", "Did you mean 'epochs'"),
        ("model__width", "Did you mean 'network__width'"),
        ("optimiser__momentum", "Did you mean 'optimizer__momentum'"),
        ("n_iter_nochange", "Did you mean 'n_iter_no_change'"),
    ],
)
def test_set_params_rejects_a_name_that_is_neither_own_nor_routed(name, hint):
    clf = CNNClassifier(epochs=2)
    with pytest.raises(ValueError, match=f"Invalid parameter '{name}'.*{hint}"):
        clf.set_params(**{name: 1, "epochs": 5})
    assert clf.get_params()["epochs"] == 2  # nothing set, as scikit-learn does
    assert name not in clf.get_params()


def test_set_params_routes_names_with_a_target_prefix():
    clf = CNNClassifier().set_params(optimizer__momentum=0.9, epochs=3)
    assert clf.get_params()["optimizer__momentum"] == 0.9
    assert clf.epochs == 3
