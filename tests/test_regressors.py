"""CNNRegressor and CNNGRUSequenceRegressor on digits' ink (see conftest.py)."""

import pickle

import numpy as np
import pytest
from sklearn.base import is_regressor
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils._tags import get_tags

from skcnnrnn import CNNGRUSequenceRegressor, CNNRegressor, PatchTiler

CV = KFold(3, shuffle=True, random_state=0)
REGRESSORS = [CNNRegressor, CNNGRUSequenceRegressor]


def tiled(regressor):
    return Pipeline(
        [("tile", PatchTiler(patch_size=(2, 8), output_size=None)), ("reg", regressor)]
    )


def test_cnn_regressor_predicts_ink_mass_cross_validated(digit_tasks):
    images, ink = digit_tasks["images"], digit_tasks["ink"]
    scores = cross_val_score(CNNRegressor(epochs=5, random_state=0), images, ink, cv=CV)
    assert scores.mean() >= 0.85, scores  # the default scoring of a regressor: R²


def test_sequence_regressor_pipeline_cross_validated(digit_tasks):
    images, ink = digit_tasks["images"], digit_tasks["ink"]
    pipe = tiled(CNNGRUSequenceRegressor(epochs=5, random_state=0))
    scores = cross_val_score(pipe, images, ink, cv=CV)
    assert scores.mean() >= 0.85, scores


@pytest.mark.parametrize("Regressor", REGRESSORS)
def test_multi_output_targets(digit_tasks, Regressor):
    images, halves = digit_tasks["images"], digit_tasks["halves"]
    model = Regressor(epochs=5, random_state=0)
    estimator = tiled(model) if Regressor is CNNGRUSequenceRegressor else model
    estimator.fit(images[:1200], halves[:1200])
    predicted = estimator.predict(images[1200:])
    assert predicted.shape == (len(images) - 1200, 2)
    assert predicted.dtype == np.float64
    assert model.n_outputs_ == 2
    per_output = r2_score(halves[1200:], predicted, multioutput="raw_values")
    assert per_output.min() >= 0.7, per_output
    assert estimator.score(images[1200:], halves[1200:]) == pytest.approx(
        per_output.mean()
    )


def test_sequence_regressor_grid_search(digit_tasks):
    images, ink = digit_tasks["images"], digit_tasks["ink"]
    grid = GridSearchCV(
        tiled(CNNGRUSequenceRegressor(gru_units=64, epochs=3, random_state=0)),
        {"tile__patch_size": [(2, 8), (4, 8)]},
        cv=KFold(2, shuffle=True, random_state=0),
    ).fit(images, ink)
    assert len(grid.cv_results_["params"]) == 2
    assert grid.best_score_ >= 0.7, grid.cv_results_["mean_test_score"]
    assert grid.predict(images[:4]).shape == (4,)


@pytest.mark.parametrize("Regressor", REGRESSORS)
def test_units_of_the_target_do_not_matter(digit_tasks, Regressor):
    # Targets are standardised for training: y in other units gives the same
    # fit, predictions in those units.
    images, ink = digit_tasks["images"][:300], digit_tasks["ink"][:300]
    params = {"frame_shape": (1, 8)} if Regressor is CNNGRUSequenceRegressor else {}
    plain = Regressor(epochs=2, random_state=0, **params).fit(images, ink)
    scaled = Regressor(epochs=2, random_state=0, **params).fit(images, 1e4 * ink - 7)
    np.testing.assert_allclose(
        scaled.predict(images), 1e4 * plain.predict(images) - 7, rtol=1e-3, atol=1e-1
    )
    # The loss is the squared error over the variance: the same in both.
    np.testing.assert_allclose(
        scaled.history_["loss"], plain.history_["loss"], rtol=1e-3
    )


@pytest.mark.parametrize("Regressor", REGRESSORS)
def test_tags_and_contract(Regressor):
    regressor = Regressor()
    assert is_regressor(regressor)
    tags = get_tags(regressor)
    assert tags.target_tags.multi_output and tags.target_tags.single_output
    assert "class_weight" not in regressor.get_params()
    assert not hasattr(regressor, "predict_proba")


@pytest.mark.parametrize("Regressor", REGRESSORS)
def test_pickle_round_trip_and_seeding(Regressor):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6, 6)).astype(np.float32)
    y = X.mean(axis=(1, 2)) * 3
    first = Regressor(epochs=2, random_state=0).fit(X, y)
    second = Regressor(epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict(X), first.predict(X))


def test_sample_weight_zero_leaves_samples_out():
    # Samples of weight 0 must not pull the fit: their targets are absurd.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6, 6)).astype(np.float32)
    y = X.mean(axis=(1, 2))
    y_bad = y.copy()
    y_bad[::3] = 1e6
    weights = np.where(np.arange(60) % 3 == 0, 0.0, 1.0)
    fitted = CNNRegressor(epochs=2, random_state=0).fit(X, y_bad, sample_weight=weights)
    clean = CNNRegressor(epochs=2, random_state=0).fit(X[weights > 0], y[weights > 0])
    np.testing.assert_allclose(fitted.predict(X), clean.predict(X), rtol=1e-5)
