"""Training that goes on: ``partial_fit`` and ``warm_start``."""

import pickle

import keras
import numpy as np
import pytest
from _processes import here_and_in_a_new_process
from sklearn.datasets import load_digits
from test_classifiers import small_images

from skcnnrnn import (
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNRegressor,
    PatchTiler,
)

FAST = {"random_state": 0, "batch_size": 8}


@pytest.fixture(scope="module")
def digits_runs():
    """Held-out digits accuracy of a 5-epoch fit, then of the same classifier
    continued by warm_start for 5 more, and of a 10-epoch fit."""
    digits = load_digits()
    X, y = digits.images, digits.target
    train, test = slice(0, 1400), slice(1400, None)
    warm = CNNClassifier(epochs=5, warm_start=True, random_state=0)
    warm.fit(X[train], y[train])
    five = {"score": warm.score(X[test], y[test]), "history": dict(warm.history_)}
    warm.fit(X[train], y[train])
    ten = CNNClassifier(epochs=10, random_state=0).fit(X[train], y[train])
    return {
        "X": X,
        "y": y,
        "train": train,
        "test": test,
        "five": five,
        "warm": warm,
        "ten_score": ten.score(X[test], y[test]),
    }


def test_partial_fit_over_chunks_learns_as_fit_does(digits_runs):
    X, y = digits_runs["X"], digits_runs["y"]
    rows = np.arange(1400)
    clf = CNNClassifier(random_state=0)
    for _ in range(5):  # 5 epochs of 5 chunks: the epochs of the 5-epoch fit
        for chunk in np.array_split(rows, 5):
            clf.partial_fit(X[chunk], y[chunk], classes=np.arange(10))
    assert clf.n_iter_ == 25
    assert len(clf.history_["loss"]) == 25
    score = clf.score(X[digits_runs["test"]], y[digits_runs["test"]])
    assert score >= digits_runs["five"]["score"] - 0.03, (
        score,
        digits_runs["five"]["score"],
    )


def test_warm_start_continues_the_network_and_its_optimizer(digits_runs):
    warm, first = digits_runs["warm"], digits_runs["five"]["history"]
    assert warm.n_iter_ == 10
    assert warm.best_epoch_ == 9
    assert all(len(values) == 10 for values in warm.history_.values())
    assert warm.history_["loss"][:5] == first["loss"]
    # Continued, not rebuilt: the sixth epoch starts where the fifth ended,
    # far below a new network's first epoch; Adam's step count goes on.
    assert warm.history_["loss"][5] < 1.2 * first["loss"][4] < first["loss"][0] / 2
    assert int(warm.model_.optimizer.iterations) == 10 * -(-1400 // 32)
    X, y, test = digits_runs["X"], digits_runs["y"], digits_runs["test"]
    assert abs(warm.score(X[test], y[test]) - digits_runs["ten_score"]) <= 0.03


def test_fit_without_warm_start_starts_over():
    X, y = small_images()
    clf = CNNClassifier(epochs=2, **FAST).fit(X, y)
    again = CNNClassifier(epochs=2, **FAST).fit(X, y)
    clf.fit(X, y)
    assert clf.n_iter_ == 2
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))
    # partial_fit goes on from a fit, one epoch per call.
    assert clf.partial_fit(X, y).n_iter_ == 3
    assert len(clf.history_["accuracy"]) == 3


def test_first_call_rules_for_classes():
    X, y = small_images(n=30, classes=3)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        CNNClassifier(**FAST).partial_fit(X, y)
    balanced = CNNClassifier(class_weight="balanced", **FAST)
    with pytest.raises(ValueError, match='class_weight="balanced"'):
        balanced.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(balanced, "model_")

    # A first chunk without class 2: the classes given still make the heads.
    clf = CNNClassifier(**FAST).partial_fit(X[y < 2], y[y < 2], classes=[2, 0, 1])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (30, 3)
    before, proba = dict(vars(clf)), clf.predict_proba(X)
    with pytest.raises(ValueError, match=r"labels \[7\] that are not among"):
        clf.partial_fit(X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    assert all(vars(clf)[k] is before[k] for k in before)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    clf.partial_fit(X, y).partial_fit(X, y, classes=np.array([0, 1, 2]))
    assert clf.n_iter_ == 3


def test_continued_fits_keep_the_input_and_the_network():
    X, y = small_images()
    clf = CNNClassifier(**FAST).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"fitted on per-sample shape \(8, 8\)"):
        clf.partial_fit(X[:, :6, :6], y)
    for name, value in [
        ("filters", (4,)),
        ("dense_units", 8),
        ("optimizer", "sgd"),
        ("optimizer__beta_1", 0.5),
        ("dtype", "float64"),
    ]:
        changed = pickle.loads(pickle.dumps(clf)).set_params(**{name: value})
        with pytest.raises(ValueError, match=f"{name} is .*, but the fitted network"):
            changed.partial_fit(X, y)
        with pytest.raises(ValueError, match=f"{name} is .*, but the fitted network"):
            changed.set_params(warm_start=True).fit(X, y)
        assert changed.n_iter_ == 1
    # The input normalisation is the first chunk's, whatever comes later.
    (normalisation,) = [
        layer
        for layer in clf.model_.layers
        if isinstance(layer, keras.layers.Normalization)
    ]
    mean = keras.ops.convert_to_numpy(normalisation.mean).copy()
    clf.partial_fit(X * 10 + 5, y)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(normalisation.mean), mean)
    # A new learning rate applies to the kept optimizer.
    clf.set_params(learning_rate=0.05).partial_fit(X, y)
    assert float(clf.model_.optimizer.learning_rate.numpy()) == pytest.approx(0.05)
    assert int(clf.model_.optimizer.iterations) == 3 * 5


def test_warm_start_needs_the_same_classes_and_targets():
    X, y = small_images(n=30, classes=3)
    clf = CNNClassifier(epochs=1, warm_start=True, **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"classes_=.*fitted with classes_="):
        clf.fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="n_auxiliary_outputs_=1"):
        clf.fit(X, y, auxiliary_target=X.sum(axis=(1, 2)))
    with pytest.raises(ValueError, match="n_outputs_=2"):
        clf.fit(X, np.stack([y, y], axis=1))
    assert clf.n_iter_ == 1
    reg = CNNRegressor(epochs=1, warm_start=True, **FAST).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="n_outputs_=2"):
        reg.partial_fit(X, np.stack([y, y], axis=1).astype(float))
    assert reg.fit(X, y.astype(float)).n_iter_ == 2


class FailOnThirdBatch(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            raise RuntimeError("stopped by the test")


def test_failed_partial_fit_puts_back_weights_and_optimizer():
    X, y = small_images()
    clf = CNNClassifier(**FAST).partial_fit(X, y, classes=[0, 1])
    before, proba = dict(vars(clf)), clf.predict_proba(X)
    moments = [v.numpy() for v in clf.model_.optimizer.variables]
    clf.set_params(callbacks=[FailOnThirdBatch()])
    with pytest.raises(RuntimeError, match="stopped by the test"):
        clf.partial_fit(X, y)
    assert all(vars(clf)[k] is before[k] for k in before if k != "callbacks")
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    for variable, value in zip(clf.model_.optimizer.variables, moments, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)


def test_per_step_labels_and_auxiliary_target_in_partial_fit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 3, 4, 4, 1)).astype(np.float32)
    steps = (X.mean(axis=(2, 3, 4)) > 0).astype(int)  # a label per step
    ink = X.sum(axis=(1, 2, 3, 4))
    clf = CNNGRUSequenceClassifier(gru_units=4, filters=(4,), **FAST)
    clf.partial_fit(X, steps, classes=[0, 1], auxiliary_target=ink)
    clf.partial_fit(X[::-1], steps[::-1], auxiliary_target=ink[::-1])
    assert clf.n_iter_ == 2
    assert clf.predict(X).shape == (24, 3)
    assert clf.predict_auxiliary(X).shape == (24,)
    assert len(clf.history_["auxiliary_loss"]) == 2
    with pytest.raises(ValueError, match="n_auxiliary_outputs_=0"):
        clf.partial_fit(X, steps)  # the auxiliary target is missing
    with pytest.raises(ValueError, match="n_outputs_=1"):
        clf.partial_fit(X, steps[:, 0])  # one label per sequence, not per step


PARTIAL_FIT_SCRIPT = """
import numpy as np
from skcnnrnn import CNNClassifier
rng = np.random.default_rng(0)
X = rng.normal(size=(40, 8, 8)).astype(np.float32)
y = np.arange(40) % 2
clf = CNNClassifier(random_state=3, batch_size=8)
for chunk in np.array_split(np.arange(40), 3):
    clf.partial_fit(X[chunk], y[chunk], classes=[0, 1])
"""


def test_seeded_partial_fits_are_reproducible_across_processes(tmp_path):
    here, there = here_and_in_a_new_process(
        PARTIAL_FIT_SCRIPT, "clf.predict_proba(X)", tmp_path
    )
    np.testing.assert_array_equal(here, there)


def test_unpickled_classifier_continues_as_the_original():
    X, y = small_images()
    clf = CNNClassifier(epochs=2, **FAST).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    clf.partial_fit(X, y)
    copy.partial_fit(X, y)  # dropout's random state travels in the pickle
    np.testing.assert_array_equal(clf.predict_proba(X), copy.predict_proba(X))


def test_partial_fit_reads_memory_maps_and_lazy_tiles(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(24, 16, 16, 3), dtype=np.uint8)
    y = np.arange(24) % 2
    np.save(tmp_path / "X.npy", images)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    params = {"gru_units": 4, "filters": (4,), **FAST}
    tiler = PatchTiler(patch_size=8, output_size=8).fit(images)
    lazy = PatchTiler(patch_size=8, output_size=8, lazy=True).fit(mapped)
    streamed = CNNGRUSequenceClassifier(**params)
    in_memory = CNNGRUSequenceClassifier(**params)
    for chunk in (slice(0, 12), slice(12, 24)):
        streamed.partial_fit(lazy.transform(mapped[chunk]), y[chunk], classes=[0, 1])
        in_memory.partial_fit(tiler.transform(images[chunk]), y[chunk], classes=[0, 1])
    tiles = tiler.transform(images)
    np.testing.assert_array_equal(
        streamed.predict_proba(tiles), in_memory.predict_proba(tiles)
    )
    clf = CNNClassifier(**FAST).partial_fit(mapped, y, classes=[0, 1])
    same = CNNClassifier(**FAST).partial_fit(images, y, classes=[0, 1])
    np.testing.assert_array_equal(clf.predict_proba(images), same.predict_proba(images))


def test_regressor_keeps_the_first_chunks_target_scaling():
    X, y = small_images()
    target = X.mean(axis=(1, 2)).astype(np.float64)
    reg = CNNRegressor(**FAST).partial_fit(X, target)
    reg.partial_fit(X, target)
    # The loss is the squared error over the first chunk's target variance:
    # targets moved by 100 standard deviations cost about 100**2 (a fit that
    # rescaled to the new chunk would report about 1).
    shifted = target + 100 * target.std()
    reg.partial_fit(X, shifted)
    assert reg.history_["loss"][2] > 100 * max(reg.history_["loss"][:2])
    assert reg.n_iter_ == 3


def test_fits_do_not_keep_their_training_data():
    # TensorFlow keeps the generator state of each fit's input pipeline alive
    # (tensorflow/tensorflow#37653); the batches drop their data after fit,
    # or every partial_fit call would pin its chunk for good.
    import gc
    import weakref

    X, y = small_images()
    clf = CNNClassifier(epochs=1, **FAST).fit(X.copy(), y)
    chunks = [X.copy() for _ in range(2)]
    refs = [weakref.ref(chunk) for chunk in chunks]
    clf.partial_fit(chunks[0], y)
    clf.set_params(warm_start=True).fit(chunks[1], y)
    del chunks
    gc.collect()
    assert [ref() for ref in refs] == [None, None]
