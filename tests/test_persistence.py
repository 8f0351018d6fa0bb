"""Pickles record the skcnnrnn version and warn when another version loads them."""

import pickle
import warnings
import zipfile

import keras
import numpy as np
import pytest
import skops.io
from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning
from sklearn.pipeline import Pipeline

import skcnnrnn
from skcnnrnn import (
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNGRUSequenceRegressor,
    CNNRegressor,
    PatchTiler,
)
from skcnnrnn._base import BaseNetwork
from skcnnrnn._persistence import VersionedPickleMixin
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


# -- skops, MLflow and pickles from before the network was stored as .keras --


def fitted_pipeline():
    images = np.random.default_rng(0).normal(size=(24, 8, 8)).astype(np.float32)
    pipe = Pipeline(
        [
            ("tile", PatchTiler(patch_size=(2, 8), output_size=None)),
            ("clf", CNNGRUSequenceClassifier(epochs=1, random_state=0)),
        ]
    )
    return pipe.fit(images, np.arange(24) % 2), images


@pytest.mark.parametrize("Estimator", ESTIMATORS[1:])
def test_skops_round_trip_trusts_only_skcnnrnn_types(Estimator, tmp_path):
    estimator, X = fitted(Estimator)
    path = tmp_path / "model.skops"
    skops.io.dump(estimator, path)
    untrusted = skops.io.get_untrusted_types(file=path)
    assert all(name.startswith("skcnnrnn.") for name in untrusted), untrusted
    restored = skops.io.load(path, trusted=untrusted)
    np.testing.assert_array_equal(restored.predict(X), estimator.predict(X))


def test_skops_stores_the_network_as_a_keras_file(tmp_path):
    pipe, images = fitted_pipeline()
    path = tmp_path / "pipe.skops"
    skops.io.dump(pipe, path)
    assert sorted(skops.io.get_untrusted_types(file=path)) == [
        "skcnnrnn.classifiers.CNNGRUSequenceClassifier",
        "skcnnrnn.tiling.PatchTiler",
    ]
    with zipfile.ZipFile(path) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".bin")]
        (tmp_path / "net.keras").write_bytes(archive.read(name))
    network = keras.saving.load_model(tmp_path / "net.keras")  # plain Keras
    tiles = pipe[0].transform(images)
    np.testing.assert_allclose(
        network.predict_on_batch(tiles)["target"], pipe.predict_proba(images), rtol=1e-6
    )
    restored = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    np.testing.assert_array_equal(
        restored.predict_proba(images), pipe.predict_proba(images)
    )


def test_pickles_holding_a_keras_model_still_load(monkeypatch):
    # Before, pickles held model_ as a Keras object (scikeras pickles those) and
    # routed parameters as attributes; both still load.
    clf, X = fitted(CNNClassifier)
    clf.set_params(optimizer__beta_1=0.8)

    def old_getstate(self):
        state = VersionedPickleMixin.__getstate__(self)
        return {**{k: v for k, v in state.items() if k != "_routed"}, **self._routed}

    monkeypatch.setattr(BaseNetwork, "__getstate__", old_getstate)
    data = pickle.dumps(clf)
    monkeypatch.undo()
    restored = pickle.loads(data)
    assert restored.get_params()["optimizer__beta_1"] == 0.8
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


@pytest.mark.mlflow
def test_mlflow_round_trip_with_its_default_format(tmp_path):
    import mlflow  # in the test extra: CI runs this
    import mlflow.sklearn

    pipe, images = fitted_pipeline()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    # Artifacts go under ./mlruns of the working directory unless told.
    artifacts = (tmp_path / "artifacts").as_uri()
    mlflow.set_experiment(experiment_id=mlflow.create_experiment("skcnnrnn", artifacts))
    trusted = [
        "skcnnrnn.classifiers.CNNGRUSequenceClassifier",
        "skcnnrnn.tiling.PatchTiler",
    ]
    with mlflow.start_run():
        # Given requirements, MLflow does not infer them: inferring loads the
        # model in a new Python process, TensorFlow's import included (9 of
        # this test's 13 s), and is MLflow's code, not the round trip tested.
        info = mlflow.sklearn.log_model(
            pipe,
            name="model",
            skops_trusted_types=trusted,
            pip_requirements=["skcnnrnn"],
        )
    assert info.flavors["sklearn"]["serialization_format"] == "skops"
    assert list((tmp_path / "artifacts").rglob("model.skops"))
    loaded = mlflow.sklearn.load_model(info.model_uri)
    np.testing.assert_array_equal(
        loaded.predict_proba(images), pipe.predict_proba(images)
    )
