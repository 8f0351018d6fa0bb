"""Pickles record the skcnnrnn version and warn when another version loads them."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning

import skcnnrnn
from skcnnrnn import (
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNGRUSequenceRegressor,
    CNNRegressor,
    PatchTiler,
)
from skcnnrnn.exceptions import InconsistentVersionWarning


def fitted(Estimator):
    X = np.random.default_rng(0).normal(size=(12, 6, 6)).astype(np.float32)
    if Estimator is PatchTiler:
        return PatchTiler(patch_size=3, output_size=None).fit(X), X
    return Estimator(epochs=1, random_state=0).fit(X, np.arange(12) % 2), X


ESTIMATORS = [
    PatchTiler,
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNRegressor,
    CNNGRUSequenceRegressor,
]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_same_version_loads_silently(Estimator):
    estimator, _ = fitted(Estimator)
    data = pickle.dumps(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = pickle.loads(data)
    assert "_skcnnrnn_version" not in vars(restored)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_other_version_warns_and_still_loads(Estimator, monkeypatch):
    estimator, X = fitted(Estimator)
    monkeypatch.setattr(skcnnrnn, "__version__", "0.0.1")
    data = pickle.dumps(estimator)
    monkeypatch.undo()
    with pytest.warns(InconsistentVersionWarning) as record:
        restored = pickle.loads(data)
    warning = record[0].message
    assert warning.estimator_name == Estimator.__name__
    assert warning.original_version == "0.0.1"
    assert warning.current_version == skcnnrnn.__version__
    assert "0.0.1" in str(warning) and Estimator.__name__ in str(warning)
    method = next(
        m for m in ("transform", "predict_proba", "predict") if hasattr(estimator, m)
    )
    np.testing.assert_array_equal(
        getattr(restored, method)(X), getattr(estimator, method)(X)
    )


def test_pickle_without_a_version_warns_as_unknown():
    tiler, _ = fitted(PatchTiler)
    state = tiler.__getstate__()
    del state["_skcnnrnn_version"]
    blank = PatchTiler.__new__(PatchTiler)
    with pytest.warns(InconsistentVersionWarning, match="version unknown"):
        blank.__setstate__(state)


def test_scikit_learn_filters_catch_the_warning(monkeypatch):
    tiler, _ = fitted(PatchTiler)
    monkeypatch.setattr(skcnnrnn, "__version__", "0.0.1")
    data = pickle.dumps(tiler)
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SklearnVersionWarning)
        with pytest.raises(SklearnVersionWarning, match="skcnnrnn"):
            pickle.loads(data)
