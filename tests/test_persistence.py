"""Pickles record the skcnnrnn version and warn when another version loads them."""

import pickle
import subprocess
import sys
import warnings
import zipfile

import keras
import numpy as np
import pytest
import skops.io
from _bodies import small_gru_body
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
    monkeypatch.setattr(skcnnrnn._version, "__version__", "0.0.1")
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
    monkeypatch.setattr(skcnnrnn._version, "__version__", "0.0.1")
    data = pickle.dumps(tiler)
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SklearnVersionWarning)
        with pytest.raises(SklearnVersionWarning, match="skcnnrnn"):
            pickle.loads(data)


# -- skops and MLflow --


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


# Run in a new process that imports keras and numpy only: skcnnrnn registers
# nothing with Keras, so what loads there loads anywhere.
_LOAD_IN_PLAIN_KERAS = """
import sys
import keras
import numpy as np
for path in sys.argv[1:]:
    data = np.load(path + ".npz")
    network = keras.saving.load_model(path)
    out = network.predict_on_batch(data["x"])
    out = out["target"] if isinstance(out, dict) else out
    np.testing.assert_allclose(out, data["expected"], rtol=1e-5, atol=1e-6)
    print(path, type(network).__name__)
assert not any(name.startswith("skcnnrnn") for name in sys.modules)
"""


@pytest.mark.slow
def test_saved_networks_load_in_a_process_that_imports_only_keras(tmp_path):
    X = np.random.default_rng(0).normal(size=(12, 6, 6)).astype(np.float32)
    sequences = X.reshape(12, 3, 2, 6)
    y = np.arange(12) % 2
    cases = {
        "cnn": (CNNClassifier(epochs=1, random_state=0), X),
        "cnn_gru": (CNNGRUSequenceClassifier(epochs=1, random_state=0), sequences),
        "cnn_reg": (CNNRegressor(epochs=1, random_state=0), X),
        "cnn_gru_reg": (CNNGRUSequenceRegressor(epochs=1, random_state=0), sequences),
        "own_body": (
            CNNGRUSequenceClassifier(network=small_gru_body, epochs=1, random_state=0),
            sequences,
        ),
    }
    paths = []
    for name, (estimator, data) in cases.items():
        estimator.fit(data, y)
        network_input = estimator._network_input(data)
        expected = estimator.model_.predict_on_batch(network_input)["target"]
        path = str(tmp_path / f"{name}.keras")
        estimator.model_.save(path)
        np.savez(path + ".npz", x=network_input, expected=expected)
        paths.append(path)
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_PLAIN_KERAS, *paths],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("Functional") == len(cases), result.stdout


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
