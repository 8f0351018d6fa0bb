import pickle

import keras
import numpy as np
import pytest
from _processes import here_and_in_a_new_process
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import load_digits, load_sample_images
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_val_score,
)
from sklearn.pipeline import Pipeline

from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier, PatchTiler
from skcnnrnn._resize import stacking_gap
from skcnnrnn._training import _validation_split

CV = StratifiedKFold(3, shuffle=True, random_state=0)
FAST = {"epochs": 2, "random_state": 0}


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.images, data.target


@pytest.fixture(scope="module")
def photo_crops():
    """40x40 crops of the two sample photographs; the label is the photo."""
    rng = np.random.default_rng(0)
    crops, labels = [], []
    for label, photo in zip(
        ["china", "flower"], load_sample_images().images, strict=True
    ):
        tops = rng.integers(0, photo.shape[0] - 40, 60)
        lefts = rng.integers(0, photo.shape[1] - 40, 60)
        crops += [
            photo[t : t + 40, s : s + 40] for t, s in zip(tops, lefts, strict=True)
        ]
        labels += [label] * 60
    return np.stack(crops), np.array(labels)


def small_images(n=40, shape=(8, 8), classes=2, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    X = rng.normal(size=(n, *shape)).astype(np.float32) + y.reshape(-1, 1, 1)
    return X, y


# -- real data ---------------------------------------------------------------


def test_cnn_on_digits_cross_validated(digits):
    X, y = digits
    scores = cross_val_score(CNNClassifier(random_state=0), X, y, cv=CV)
    assert scores.mean() >= 0.95, scores


@pytest.mark.slow
def test_used_by_pipeline_grid_search_on_digits(digits):
    X, y = digits
    pipe = Pipeline(
        [("tile", PatchTiler(output_size=None)), ("clf", CNNGRUSequenceClassifier())]
    )
    grid = GridSearchCV(
        pipe,
        {"tile__patch_size": [(2, 8), (4, 4)], "clf__random_state": [0]},
        cv=StratifiedKFold(2, shuffle=True, random_state=0),  # 5 fits, not 7
    ).fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    # Each candidate is a cross-validation of its Pipeline: the seed's row
    # strips, (2, 8), reach the floor on their own (0.967 with two folds).
    strips = grid.cv_results_["params"].index(
        {"tile__patch_size": (2, 8), "clf__random_state": 0}
    )
    assert scores[strips] >= 0.93, scores
    assert grid.best_score_ >= 0.93, scores
    assert grid.best_estimator_.named_steps["tile"].n_patches_ == 4


def test_used_by_pipeline_on_photograph_crops(photo_crops):
    X, y = photo_crops  # uint8 0-255 pixels, string labels
    pipe = Pipeline(
        [("tile", PatchTiler()), ("clf", CNNGRUSequenceClassifier(random_state=0))]
    )
    scores = cross_val_score(pipe, X, y, cv=CV)
    assert scores.mean() >= 0.85, scores


def test_uint8_pixels_train_with_default_settings(photo_crops):
    X, y = photo_crops
    assert X.dtype == np.uint8 and X.max() > 200
    scores = cross_val_score(CNNClassifier(random_state=0), X, y, cv=CV)
    assert scores.mean() >= 0.85, scores


# -- contract ----------------------------------------------------------------


@pytest.mark.parametrize("Classifier", [CNNClassifier, CNNGRUSequenceClassifier])
def test_string_labels_and_probabilities(Classifier):
    X, y = small_images(classes=3)
    labels = np.array(["cat", "dog", "owl"])[y]
    clf = Classifier(**FAST).fit(X, labels)
    assert list(clf.classes_) == ["cat", "dog", "owl"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert set(clf.predict(X)) <= set(clf.classes_)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize("Classifier", [CNNClassifier, CNNGRUSequenceClassifier])
def test_same_random_state_same_predictions(Classifier):
    X, y = small_images()
    first = Classifier(**FAST).fit(X, y).predict_proba(X)
    second = Classifier(**FAST).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = Classifier(epochs=2, random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(first, other)


SEEDED_FIT_SCRIPT = """
import numpy as np
from skcnnrnn import CNNClassifier
rng = np.random.default_rng(0)
X = rng.normal(size=(40, 8, 8)).astype(np.float32)
y = np.arange(40) % 2
proba = CNNClassifier(epochs=2, random_state=3).fit(X, y).predict_proba(X)
"""


def test_same_random_state_across_processes(tmp_path):
    here, there = here_and_in_a_new_process(SEEDED_FIT_SCRIPT, "proba", tmp_path)
    np.testing.assert_array_equal(here, there)


def test_seeded_fit_leaves_no_global_random_state():
    import random

    from tensorflow.python.framework import config

    X, y = small_images()
    python_before = random.getstate()
    numpy_before = np.random.get_state()[1].copy()  # noqa: NPY002
    CNNClassifier(**FAST).fit(X, y)
    assert random.getstate() == python_before
    numpy_after = np.random.get_state()[1]  # noqa: NPY002
    np.testing.assert_array_equal(numpy_after, numpy_before)
    assert not config.is_op_determinism_enabled()
    # An unseeded fit after a seeded one works and is not seeded.
    a = CNNClassifier(epochs=1).fit(X, y).predict_proba(X)
    b = CNNClassifier(epochs=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, b)


def test_seeded_fits_leave_tensorflows_seed_and_caches_alone(monkeypatch):
    # tf.random.set_seed clears TensorFlow's kernel and function caches: a
    # continued fit then instantiated its training step again (0.2 s a call).
    import tensorflow as tf

    calls = []
    monkeypatch.setattr(tf.random, "set_seed", calls.append)
    X, y = small_images()
    clf = CNNClassifier(**FAST).fit(X, y)
    clf.partial_fit(X, y)
    assert calls == []
    again = CNNClassifier(**FAST).fit(X, y)  # still seeded by Keras' seed
    np.testing.assert_array_equal(
        again.predict_proba(X), CNNClassifier(**FAST).fit(X, y).predict_proba(X)
    )


def test_with_a_gpu_seeded_fits_set_tensorflows_seed_for_op_determinism(monkeypatch):
    # Op determinism (GPU only) makes TensorFlow's unseeded random ops raise:
    # there the global seed is set for the fit, and put back after it.
    import tensorflow as tf
    from tensorflow.python.framework import config

    list_devices = tf.config.list_logical_devices
    monkeypatch.setattr(
        tf.config,
        "list_logical_devices",
        lambda kind=None: ["GPU:0"] if kind == "GPU" else list_devices(kind),
    )
    calls = []
    set_seed = tf.random.set_seed

    def recorded(seed):
        calls.append(seed)
        set_seed(seed)

    monkeypatch.setattr(tf.random, "set_seed", recorded)
    from tensorflow.python.eager import context

    before = context.global_seed()
    X, y = small_images()
    CNNClassifier(epochs=1, random_state=3).fit(X, y)
    assert calls == [3, before]
    assert not config.is_op_determinism_enabled()


def test_caller_arrays_are_never_modified():
    X, y = small_images()
    weights = np.linspace(0.5, 2.0, len(y))
    X_before, y_before, w_before = X.copy(), y.copy(), weights.copy()
    clf = CNNClassifier(class_weight="balanced", **FAST)
    clf.fit(X, y, sample_weight=weights)
    clf.predict_proba(X)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(weights, w_before)


def test_sample_weight_scale_does_not_matter():
    X, y = small_images()
    weights = np.linspace(0.5, 2.0, len(y))
    a = CNNClassifier(**FAST).fit(X, y, sample_weight=weights).predict_proba(X)
    b = CNNClassifier(**FAST).fit(X, y, sample_weight=weights * 100).predict_proba(X)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_class_weight_shifts_predictions_towards_heavy_class():
    X, y = small_images(n=60)
    X = X * 0  # no signal: only the weights decide
    clf = CNNClassifier(class_weight={0: 10.0, 1: 0.1}, **FAST).fit(X, y)
    assert np.all(clf.predict(X) == 0)


def test_predict_rejects_other_image_shape():
    X, y = small_images(shape=(8, 8))
    clf = CNNClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"per-sample shape \(9, 8\).*\(8, 8\)"):
        clf.predict(np.zeros((3, 9, 8)))
    with pytest.raises(ValueError, match=r"per-sample shape \(8, 8, 3\)"):
        clf.predict(np.zeros((3, 8, 8, 3)))


def test_sequence_classifier_rejects_other_frame_shape():
    X = np.zeros((10, 4, 6, 6, 1), np.float32)
    y = np.arange(10) % 2
    clf = CNNGRUSequenceClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="per-sample shape"):
        clf.predict(np.zeros((2, 4, 6, 7, 1)))
    with pytest.raises(ValueError, match="per-sample shape"):
        clf.predict(np.zeros((2, 5, 6, 6, 1)))


def test_sparse_input_is_rejected_with_a_message():
    X, y = small_images()
    with pytest.raises(TypeError, match="[Ss]parse"):
        CNNClassifier(**FAST).fit(sparse.csr_matrix(X.reshape(len(X), -1)), y)


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        CNNGRUSequenceClassifier().predict(np.zeros((2, 5)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"filters": (16, 0)}, "filters"),
        ({"kernel_size": (3, 3, 3)}, "kernel_size"),
        ({"pool_size": 0}, "pool_size"),
        ({"dense_units": 0}, "dense_units"),
        ({"dropout": 1.0}, "dropout"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"optimizer": "adamm"}, "optimizer"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"padding": "full"}, "padding"),
        ({"image_shape": (8,)}, "image_shape"),
        ({"image_shape": (4, 4)}, "image_shape"),
        ({"dtype": "int8"}, "dtype"),
        ({"epoch": 3}, "epoch"),
    ],
)
def test_bad_parameters_name_the_parameter(params, match):
    X, y = small_images()
    with pytest.raises((ValueError, TypeError), match=match):
        CNNClassifier(**params).fit(X, y)


def test_gru_parameters_are_validated():
    X, y = small_images()
    for params, match in [
        ({"gru_units": 0}, "gru_units"),
        ({"frame_shape": (3, 3)}, "frame_shape"),
    ]:
        with pytest.raises(ValueError, match=match):
            CNNGRUSequenceClassifier(**params).fit(X, y)


def test_valid_padding_on_tiny_images_is_a_clear_error():
    X, y = small_images(shape=(8, 8))
    with pytest.raises(ValueError, match="padding='valid'"):
        CNNClassifier(padding="valid", **FAST).fit(X, y)


def test_failed_fit_leaves_fitted_estimator_unchanged():
    X, y = small_images()
    clf = CNNClassifier(**FAST).fit(X, y)
    before = dict(vars(clf))
    proba = clf.predict_proba(X)
    with pytest.raises(ValueError):
        clf.fit(np.full((6, 9, 9), np.nan), np.arange(6) % 2)
    with pytest.raises(ValueError):
        clf.fit(X, y[:-1])
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[k] is before[k] for k in before)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


class InterruptAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt


def test_keyboard_interrupt_leaves_estimator_as_it_was():
    import random

    from tensorflow.python.framework import config

    X, y = small_images()
    interrupted = [InterruptAfterFirstEpoch()]
    unfitted = CNNClassifier(epochs=3, callbacks=interrupted, random_state=0)
    params = dict(vars(unfitted))
    python_state = random.getstate()
    with pytest.raises(KeyboardInterrupt):
        unfitted.fit(X, y)
    assert vars(unfitted) == params  # still unfitted: no half-set attributes
    with pytest.raises(NotFittedError):
        unfitted.predict(X)
    assert random.getstate() == python_state
    assert not config.is_op_determinism_enabled()

    clf = CNNClassifier(**FAST).fit(X, y)
    before, proba = dict(vars(clf)), clf.predict_proba(X)
    with pytest.raises(KeyboardInterrupt):
        clf.set_params(callbacks=interrupted).fit(X[::-1], y[::-1])
    clf.set_params(callbacks=None)
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[k] is before[k] for k in before if k != "callbacks")
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.fit(X, y).n_iter_ == FAST["epochs"]  # and it trains again


def test_diverging_loss_is_an_error():
    X, y = small_images()
    with pytest.raises(ValueError, match="diverged"):
        CNNClassifier(optimizer="sgd", learning_rate=1e12, epochs=5).fit(X * 1e6, y)


def test_routed_optimizer_parameters_and_clone():
    X, y = small_images()
    clf = CNNClassifier(optimizer="sgd", optimizer__momentum=0.5, **FAST)
    assert clf.get_params()["optimizer__momentum"] == 0.5
    copy = clone(clf)
    assert copy.get_params()["optimizer__momentum"] == 0.5
    copy.fit(X, y)
    assert copy.model_.optimizer.momentum == 0.5
    copy.set_params(optimizer__momentum=0.25).fit(X, y)
    assert copy.model_.optimizer.momentum == 0.25


def test_optimizer_instance_is_copied_for_each_fit():
    X, y = small_images()
    optimizer = keras.optimizers.SGD(learning_rate=0.05)
    clf = CNNClassifier(optimizer=optimizer, **FAST).fit(X, y)
    assert clf.model_.optimizer is not optimizer
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.05)


def test_callbacks_run_and_history_is_recorded():
    X, y = small_images()
    clf = CNNClassifier(
        epochs=5,
        validation_split=0.25,
        callbacks=[keras.callbacks.EarlyStopping],
        callbacks__monitor="val_loss",
        callbacks__patience=0,
        callbacks__min_delta=10.0,  # no epoch improves this much: stops at once
        random_state=0,
    ).fit(X, y)
    # The first epoch sets the baseline, the second fails to improve: stop.
    assert clf.n_iter_ == 2
    assert len(clf.history_["loss"]) == clf.n_iter_
    assert set(clf.history_) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_validation_split_is_stratified_and_shuffled():
    # Sorted labels: Keras' tail slice would validate on class 1 only.
    X, y = small_images(n=40)
    order = np.argsort(y, kind="stable")
    train, valid = _validation_split(len(y), y[order], 0.5, seed=0)
    assert np.bincount(y[order][valid]).tolist() == [10, 10]
    assert len(np.intersect1d(train, valid)) == 0


class RecordWeights(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


@pytest.mark.parametrize("Classifier", [CNNClassifier, CNNGRUSequenceClassifier])
def test_early_stopping_stops_and_keeps_the_best_epoch(Classifier):
    # Labels unrelated to the images: the validation loss soon stops improving.
    X, _ = small_images(n=60)
    y = np.random.default_rng(1).permutation(np.arange(60) % 2)
    recorder = RecordWeights()
    clf = Classifier(
        epochs=60,
        early_stopping=True,
        n_iter_no_change=3,
        tol=0.0,
        learning_rate=0.01,
        callbacks=[recorder],
        random_state=0,
    ).fit(X, y)
    assert clf.n_iter_ < 60
    val_loss = clf.history_["val_loss"]
    assert len(val_loss) == clf.n_iter_
    assert clf.best_epoch_ == int(np.argmin(val_loss))
    assert clf.n_iter_ - 1 - clf.best_epoch_ >= 3  # waited n_iter_no_change epochs
    for kept, best in zip(
        clf.model_.get_weights(), recorder.weights[clf.best_epoch_], strict=True
    ):
        np.testing.assert_array_equal(kept, best)


def test_validation_split_default_follows_early_stopping():
    X, y = small_images()
    plain = CNNClassifier(**FAST).fit(X, y)
    assert "val_loss" not in plain.history_
    assert plain.best_epoch_ == plain.n_iter_ - 1
    stopping = CNNClassifier(early_stopping=True, **FAST).fit(X, y)
    assert "val_loss" in stopping.history_  # None held out 0.1
    with pytest.raises(ValueError, match="validation_split"):
        CNNClassifier(early_stopping=True, validation_split=0.0).fit(X, y)


@pytest.mark.parametrize("Classifier", [CNNClassifier, CNNGRUSequenceClassifier])
def test_pickle_round_trip_predicts_identically(Classifier):
    X, y = small_images()
    clf = Classifier(**FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_single_sample_prediction_matches_batch():
    X, y = small_images()
    clf = CNNClassifier(**FAST).fit(X, y)
    batch = clf.predict_proba(X)
    np.testing.assert_allclose(clf.predict_proba(X[3:4]), batch[3:4], rtol=1e-5)


def test_large_inputs_are_predicted_in_chunks(monkeypatch):
    import skcnnrnn._batches as batches

    X, y = small_images(n=40)
    clf = CNNClassifier(**FAST).fit(X, y)
    whole = clf.predict_proba(X)
    monkeypatch.setattr(batches, "_PREDICT_CHUNK_VALUES", 64 * 7)  # 7 images a chunk
    np.testing.assert_allclose(clf.predict_proba(X), whole, rtol=1e-5)


def test_joblib_round_trip_of_fitted_pipeline(tmp_path, photo_crops):
    import joblib

    X, y = photo_crops
    pipe = Pipeline(
        [
            ("tile", PatchTiler()),
            ("clf", CNNGRUSequenceClassifier(epochs=1, gru_units=8, random_state=0)),
        ]
    ).fit(X[::4], y[::4])
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    restored = joblib.load(tmp_path / "pipe.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))


def test_fitted_network_reloads_in_plain_keras(tmp_path):
    X, y = small_images()
    clf = CNNClassifier(**FAST).fit(X, y)
    path = tmp_path / "model.keras"
    clf.model_.save(path)
    reloaded = keras.models.load_model(path)
    images = X[..., np.newaxis]
    np.testing.assert_array_equal(
        reloaded.predict_on_batch(images)["target"],
        clf.model_.predict_on_batch(images)["target"],
    )


def test_concurrent_predictions_match_sequential():
    from concurrent.futures import ThreadPoolExecutor

    X, y = small_images(n=64)
    clf = CNNClassifier(**FAST).fit(X, y)
    chunks = [X[i::8] for i in range(8)]
    sequential = [clf.predict_proba(chunk) for chunk in chunks]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(5):
            concurrent = list(pool.map(clf.predict_proba, chunks))
            for got, expected in zip(concurrent, sequential, strict=True):
                np.testing.assert_array_equal(got, expected)


def test_silent_by_default_one_line_per_epoch_with_verbose_2(capfd):
    X, y = small_images()
    CNNClassifier(**FAST).fit(X, y).predict_proba(X)
    assert capfd.readouterr().out == ""
    CNNClassifier(verbose=2, **FAST).fit(X, y)
    lines = capfd.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("Epoch ")] == [
        "Epoch 1/2",
        "Epoch 2/2",
    ]


def test_verbose_1_writes_lines_not_a_progress_bar_where_output_is_a_file(capfd):
    # Keras' progress bar redraws itself with \r and \b on any POSIX system;
    # in a log file (here pytest's captured output) they are escape codes.
    X, y = small_images()
    CNNClassifier(verbose=1, **FAST).fit(X, y)
    out = capfd.readouterr().out
    assert "\r" not in out and "\b" not in out and "\x1b" not in out
    epochs = [line for line in out.splitlines() if line.startswith("Epoch ")]
    assert epochs == ["Epoch 1/2", "Epoch 2/2"]
    assert sum("loss:" in line for line in out.splitlines()) == 2  # one per epoch


@pytest.mark.parametrize("Classifier", [CNNClassifier, CNNGRUSequenceClassifier])
def test_seeded_fit_is_immune_to_other_threads_using_random(Classifier):
    # Keras draws default layer seeds from Python's global random; a Dask
    # worker's event loop draws from it too, concurrently with the fit.
    import random
    import threading

    X, y = small_images()
    expected = Classifier(**FAST).fit(X, y).predict_proba(X)
    stop = threading.Event()

    def draw():
        while not stop.wait(0.0005):  # a draw every half millisecond
            random.random()

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        got = Classifier(**FAST).fit(X, y).predict_proba(X)
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(got, expected)


def memory_mapped(path, array):
    mapped = np.lib.format.open_memmap(
        path, mode="w+", dtype=array.dtype, shape=array.shape
    )
    mapped[:] = array
    mapped.flush()
    return np.load(path, mmap_mode="r")


def peak_traced_bytes(fit, X, y):
    """Peak of Python-visible allocations (NumPy arrays included) during fit."""
    import tracemalloc

    tracemalloc.start()
    try:
        fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_mapped_training_data_is_streamed_not_copied(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(2000) % 2
    images = rng.integers(0, 200, size=(2000, 32, 32, 3), dtype=np.uint8)
    images[y == 1, :8] += 50
    X = memory_mapped(tmp_path / "X.npy", images)
    float_copy = images.size * 4
    clf = CNNClassifier(epochs=1, validation_split=0.1, random_state=0)
    peak = peak_traced_bytes(clf.fit, X, y)
    # Batches are converted one at a time; a float32 copy would be 23 MiB.
    assert peak < float_copy / 2, (peak, float_copy)
    assert clf.score(X, y) > 0.9
    assert not np.may_share_memory(X, images)  # (the data came from the file)


def test_memory_mapped_training_is_seeded_and_predicts_like_in_memory(tmp_path):
    X, y = small_images(n=48)
    mapped = memory_mapped(tmp_path / "X.npy", X)
    params = {"epochs": 2, "batch_size": 8, "random_state": 0}
    first = CNNClassifier(**params).fit(mapped, y)
    again = CNNClassifier(**params).fit(mapped, y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    # Prediction is the same network whether X is mapped or in memory.
    np.testing.assert_array_equal(first.predict_proba(mapped), first.predict_proba(X))
    # Batches are made by skcnnrnn: Keras' own batch arguments are refused.
    routed = CNNClassifier(fit__batch_size=4, **params)
    with pytest.raises(ValueError, match="fit__batch_size"):
        routed.fit(mapped, y)
    assert not hasattr(routed, "model_")
    # Zero weights drop rows; the rest are streamed with their weights.
    weights = np.where(np.arange(48) < 8, 0.0, 2.0)
    weighted = CNNClassifier(validation_split=0.25, class_weight="balanced", **params)
    weighted.fit(mapped, y, sample_weight=weights)
    assert len(weighted.history_["val_loss"]) == 2
    assert np.isfinite(weighted.history_["loss"]).all()


def test_lazy_tiling_pipeline_never_holds_the_tiled_data(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(600) % 2
    images = rng.integers(0, 200, size=(600, 40, 40, 3), dtype=np.uint8)
    images[:, :20, :20] = np.where(y == 1, 250, 0)[:, None, None, None]
    X = memory_mapped(tmp_path / "X.npy", images)  # class = top-left patch
    pipe = Pipeline(
        [
            ("tile", PatchTiler(lazy=True)),  # 4 patches of 28x28x3 per image
            ("clf", CNNGRUSequenceClassifier(epochs=2, gru_units=16, random_state=0)),
        ]
    )
    tiled_float32 = 600 * 4 * 28 * 28 * 3 * 4  # 22 MiB
    # The tiler's cached stacking checks run inside the measured fit, as in a
    # fresh process, whatever tests ran before in this one.
    stacking_gap.cache_clear()
    peak = peak_traced_bytes(pipe.fit, X, y)
    assert peak < tiled_float32 / 2, (peak, tiled_float32)
    assert pipe.score(X, y) > 0.9
    assert pipe[-1].input_shape_ == (4, 28, 28, 3)
    eager = Pipeline([("tile", PatchTiler()), ("clf", clone(pipe[-1]))])
    # The fitted classifier predicts the same from lazy or eager tiles.
    np.testing.assert_array_equal(
        pipe.predict_proba(X[:50]),
        pipe[-1].predict_proba(eager[0].fit_transform(images[:50])),
    )


def test_flat_rows_after_fitting_on_images_name_the_fitted_shape():
    X, y = small_images()  # (40, 8, 8)
    clf = CNNClassifier(**FAST).fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"per-sample shape \(64,\).*\(8, 8\).*"
        r"reshape X to \(n_samples, 8, 8\)",
    ):
        clf.predict(X.reshape(40, 64))


def test_decision_function_is_the_log_odds_and_thresholds_can_be_tuned():
    digits = load_digits()
    X, y = digits.images[:400], np.where(digits.target[:400] == 3, "three", "other")
    X_test = digits.images[400:700]
    clf = CNNClassifier(epochs=2, random_state=0).fit(X, y)

    scores = clf.decision_function(X_test)
    proba = clf.predict_proba(X_test)[:, 1]  # of classes_[1], "three"
    assert scores.shape == (300,)
    np.testing.assert_allclose(1 / (1 + np.exp(-scores)), proba, rtol=1e-6)
    np.testing.assert_array_equal(
        clf.predict(X_test), clf.classes_[(scores > 0).astype(int)]
    )

    tuned = TunedThresholdClassifierCV(
        CNNClassifier(epochs=2, random_state=0),
        scoring="balanced_accuracy",
        cv=2,
        thresholds=20,
    ).fit(X, y)
    assert 0 < tuned.best_threshold_ < 1
    proba = tuned.estimator_.predict_proba(X_test)[:, 1]
    expected = np.where(proba >= tuned.best_threshold_, "three", "other")
    np.testing.assert_array_equal(tuned.predict(X_test), expected)


def test_decision_function_of_more_classes_and_where_it_is_not_defined():
    digits = load_digits()
    X, y = digits.images[:300], digits.target[:300]
    clf = CNNClassifier(epochs=1, random_state=0).fit(X, y)
    scores = clf.decision_function(X[:50])
    np.testing.assert_allclose(np.exp(scores), clf.predict_proba(X[:50]), rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_[scores.argmax(1)], clf.predict(X[:50]))

    columns = CNNClassifier(epochs=1, random_state=0).fit(X, np.c_[y, y % 2])
    assert not hasattr(columns, "decision_function")  # one score per column?
