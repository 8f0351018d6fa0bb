"""The public ``network`` parameter: a user's own body in every task."""

import pickle

import numpy as np
import pytest
from _bodies import (
    last_state_gru_body,
    residual_conv_body,
    small_conv_body,
    small_gru_body,
)
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from skcnnrnn import (
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNGRUSequenceRegressor,
    CNNRegressor,
    PatchTiler,
)


@pytest.fixture(scope="module")
def strips(digit_tasks):
    """Digits as four 2 x 8 row strips, with their targets."""
    tiler = PatchTiler(patch_size=(2, 8), output_size=None)
    return {**digit_tasks, "X": tiler.fit_transform(digit_tasks["images"])}


def test_one_body_serves_per_step_labels_and_an_auxiliary_head(strips):
    X, labels, ink = strips["X"][:600], strips["strip_labels"][:600], strips["ink"]
    clf = CNNGRUSequenceClassifier(network=small_gru_body, epochs=5, random_state=0)
    clf.fit(X, labels, auxiliary_target=ink[:600])
    assert clf.predict(X[:5]).shape == (5, 4)  # one label per step
    assert clf.score(X, labels) > 0.7
    assert clf.predict_auxiliary(X[:5]).shape == (5,)
    regressor = CNNGRUSequenceRegressor(network=small_gru_body, epochs=5)
    assert regressor.fit(X, ink[:600]).score(X, ink[:600]) > 0.5


def test_per_step_labels_need_a_per_step_body(strips):
    X, labels = strips["X"][:50], strips["strip_labels"][:50]
    clf = CNNGRUSequenceClassifier(network=last_state_gru_body, epochs=1)
    clf.fit(X, labels[:, 0])  # one label per sequence: the last state is enough
    before = dict(vars(clf))
    with pytest.raises(ValueError, match=r"one feature vector per step.*\(batch, 4,"):
        clf.fit(X, labels)
    assert vars(clf) == before


def test_grid_search_over_two_user_networks_and_the_seeds(digit_tasks):
    X, y = digit_tasks["images"][:400], digit_tasks["labels"][:400]
    grid = [
        {"network": [small_conv_body, residual_conv_body], "network__width": [8]},
        {"network": [None]},
    ]
    search = GridSearchCV(
        CNNClassifier(epochs=10, random_state=0),
        grid,
        cv=KFold(2, shuffle=True, random_state=0),
    ).fit(X, y)
    tried = [params["network"] for params in search.cv_results_["params"]]
    assert tried == [small_conv_body, residual_conv_body, None]
    assert np.all(search.cv_results_["mean_test_score"] > 0.5)  # chance is 0.1


def test_user_network_clones_and_pickles(digit_tasks):
    X, y = digit_tasks["images"][:100], digit_tasks["ink"][:100]
    reg = CNNRegressor(network=residual_conv_body, network__width=4, epochs=1)
    assert clone(reg).get_params()["network__width"] == 4
    reg.set_params(network__width=5, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(reg))
    assert restored.network is residual_conv_body
    np.testing.assert_array_equal(restored.predict(X), reg.predict(X))


def test_lambda_network_fits_but_pickling_says_what_to_do(digit_tasks):
    X, y = digit_tasks["images"][:60], digit_tasks["labels"][:60]
    pipe = Pipeline(
        [("clf", CNNClassifier(network=lambda x: small_conv_body(x), epochs=1))]
    )
    assert pipe.fit(X, y).predict(X).shape == (60,)
    with pytest.raises(pickle.PicklingError, match="module level"):
        pickle.dumps(pipe)


def test_seeded_user_network_is_reproducible(strips):
    X, y = strips["X"][:80], strips["labels"][:80]
    first, again = (
        CNNGRUSequenceClassifier(network=small_gru_body, epochs=1, random_state=3)
        .fit(X, y)
        .predict_proba(X)
        for _ in range(2)
    )
    np.testing.assert_array_equal(first, again)
