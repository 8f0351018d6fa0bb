"""Every bad input gets a scikit-learn error that names the problem.

Each case runs on an estimator that is already fitted and checks three things:
the error class is ValueError, TypeError or NotFittedError (never a
TensorFlow, Keras or OpenCV one), its message names what is wrong, and the
estimator is left exactly as it was.
"""

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from skcnnrnn import (
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNGRUSequenceRegressor,
    CNNRegressor,
    PatchTiler,
)

N = 12
SHAPES = {
    "tiler": (N, 8, 8, 3),
    "cnn": (N, 8, 8, 3),
    "gru": (N, 3, 8, 8, 3),
    "cnn_reg": (N, 8, 8, 3),
    "gru_reg": (N, 3, 8, 8, 3),
}
SMALL_CNN = {"filters": (2,), "dense_units": 4, "epochs": 1, "random_state": 0}
SMALL_GRU = {"filters": (2,), "gru_units": 4, "epochs": 1, "random_state": 0}
ESTIMATORS = {
    "tiler": PatchTiler(patch_size=4, output_size=(5, 5)),
    "cnn": CNNClassifier(**SMALL_CNN),
    "gru": CNNGRUSequenceClassifier(**SMALL_GRU),
    "cnn_reg": CNNRegressor(**SMALL_CNN),
    "gru_reg": CNNGRUSequenceRegressor(**SMALL_GRU),
}
CLASSIFIERS = ["cnn", "gru"]
REGRESSORS = ["cnn_reg", "gru_reg"]
ERRORS = (ValueError, TypeError, NotFittedError)


def good_data(kind):
    rng = np.random.default_rng(0)
    y = np.arange(N) % 2
    return rng.random(SHAPES[kind], dtype=np.float32), y * 1.5 if "reg" in kind else y


@pytest.fixture(scope="module")
def fitted():
    out = {}
    for kind, estimator in ESTIMATORS.items():
        X, y = good_data(kind)
        out[kind] = clone(estimator).fit(X, y)
    return out


def with_value(value):
    def make(X):
        X = X.copy()
        X.flat[5] = value
        return X

    return make


def ragged(X):
    return [X[0], X[1][:-1]]


def object_array(X):
    out = np.empty(X.shape, dtype=object)
    out[...] = [{}] * X.shape[-1]
    return out


# (name, make bad X from good X, words the message must contain)
BAD_X = [
    ("1-D", lambda X: X.reshape(-1)[: len(X)], "1-D|1D|2D|dimension"),
    (
        "too many dimensions",
        lambda X: X[..., None, None],
        r"\d-D|dimension|per-sample shape",
    ),
    ("NaN", with_value(np.nan), "NaN"),
    ("inf", with_value(np.inf), "infinity"),
    ("complex", lambda X: X.astype(np.complex64), "[Cc]omplex"),
    ("strings", lambda X: np.full(X.shape, "pixel"), "string|dtype|convert"),
    ("objects", object_array, "float|dtype|number"),
    ("empty", lambda X: X[:0], "0 sample"),
    ("sparse", lambda X: sparse.csr_matrix(X.reshape(len(X), -1)), "[Ss]parse"),
]
# Samples of different shapes (a list): where they cannot work, per estimator
# (PatchTiler and the sequence estimators fit on them: test_sequences.py).
RAGGED = {
    "tiler": r"different shapes: \S+ \(row 0\) and \S+ \(row 1\).*grid=",
    "cnn": r"different sizes.*image_shape=\(height, width, 3\)",
    "cnn_reg": r"different sizes.*image_shape=\(height, width, 3\)",
    "gru": "padded sequences of different lengths",
    "gru_reg": "padded sequences of different lengths",
}
# Shapes that differ from the fitted one only at predict/transform time.
OTHER_SHAPE = [
    ("other height", lambda X: X[..., :7, :, :], r"per-sample shape"),
    ("other width", lambda X: X[..., :7, :], r"per-sample shape"),
    ("other channels", lambda X: X[..., :2], r"per-sample shape"),
]


def methods(kind):
    if kind == "tiler":
        return ["transform"]
    return (
        ["predict", "score"]
        if kind in REGRESSORS
        else ["predict", "predict_proba", "score"]
    )


def call(estimator, method, X, y):
    if method == "fit":
        return estimator.fit(X, y)
    if method == "score":
        return estimator.score(X, y)
    return getattr(estimator, method)(X)


def assert_clean_error(estimator, method, X, y, match):
    before = dict(vars(estimator))
    with pytest.raises(ERRORS, match=match) as info:
        call(estimator, method, X, y)
    module = type(info.value).__module__
    assert not module.startswith(("tensorflow", "keras", "cv2")), info.value
    assert vars(estimator).keys() == before.keys()
    assert all(vars(estimator)[k] is before[k] for k in before)


CASES = (
    [
        pytest.param(kind, method, make, match, id=f"{kind}-{method}-{name}")
        for kind in SHAPES
        for name, make, match in BAD_X
        for method in ["fit", *methods(kind)]
    ]
    + [
        pytest.param(kind, method, make, match, id=f"{kind}-{method}-{name}")
        for kind in SHAPES
        for name, make, match in OTHER_SHAPE
        for method in methods(kind)
    ]
    + [
        pytest.param(kind, method, make, RAGGED[kind], id=f"{kind}-{method}-{name}")
        for kind in SHAPES
        for name, make in [
            ("ragged list", ragged),
            ("ragged object array", lambda X: np.array(ragged(X), dtype=object)),
        ]
        for method in [*(["fit"] if kind.startswith("cnn") else []), *methods(kind)]
    ]
)


@pytest.mark.parametrize("kind, method, make, match", CASES)
def test_bad_X(fitted, kind, method, make, match):
    X, y = good_data(kind)
    estimator = fitted[kind]
    assert_clean_error(estimator, method, make(X), y, match)


BAD_Y = [
    ("too short", lambda y: y[:-1], "inconsistent numbers of samples"),
    ("NaN", lambda y: np.where(y == 0, np.nan, 1.0), "NaN"),
    ("continuous", lambda y: y + np.linspace(0, 0.5, len(y)), "continuous"),
    ("3-D", lambda y: y.reshape(-1, 1, 1), "dim 3"),
]
BAD_REGRESSION_Y = [
    ("too short", lambda y: y[:-1], "inconsistent numbers of samples"),
    ("NaN", lambda y: np.where(y == 0, np.nan, 1.0), "NaN"),
    ("inf", lambda y: np.where(y == 0, np.inf, 1.0), "infinity"),
    ("strings", lambda y: np.where(y > 0, "high", "low").astype(object), "float"),
    ("str dtype", lambda y: np.where(y > 0, "high", "low"), "y must hold numbers"),
    ("3-D", lambda y: y.reshape(-1, 1, 1), "dim 3|3-D|dimension"),
]


@pytest.mark.parametrize(
    "kind, make, match",
    [
        pytest.param(kind, make, match, id=f"{kind}-{name}")
        for kinds, cases in [(CLASSIFIERS, BAD_Y), (REGRESSORS, BAD_REGRESSION_Y)]
        for kind in kinds
        for name, make, match in cases
    ],
)
def test_bad_y(fitted, kind, make, match):
    X, y = good_data(kind)
    assert_clean_error(fitted[kind], "fit", X, make(y), match)


BAD_AUXILIARY = [
    ("too short", np.ones(N - 1), "auxiliary_target"),
    ("NaN", np.r_[np.nan, np.ones(N - 1)], "auxiliary_target"),
    ("inf", np.r_[np.inf, np.ones(N - 1)], "auxiliary_target"),
    ("strings", np.array(["ink"] * N, dtype=object), "auxiliary_target"),
    ("3-D", np.ones((N, 2, 2)), "auxiliary_target"),
    ("scalar", 1.0, "auxiliary_target"),
]


@pytest.mark.parametrize("kind", CLASSIFIERS)
@pytest.mark.parametrize(
    "auxiliary, match",
    [c[1:] for c in BAD_AUXILIARY],
    ids=[c[0] for c in BAD_AUXILIARY],
)
def test_bad_auxiliary_target(fitted, kind, auxiliary, match):
    X, y = good_data(kind)
    estimator = fitted[kind]
    before = dict(vars(estimator))
    with pytest.raises(ERRORS, match=match):
        estimator.fit(X, y, auxiliary_target=auxiliary)
    assert all(vars(estimator)[k] is before[k] for k in before)


@pytest.mark.parametrize("kind", CLASSIFIERS)
def test_predict_auxiliary_without_auxiliary_head(fitted, kind):
    X, y = good_data(kind)
    with pytest.raises(NotFittedError, match="auxiliary_target"):
        fitted[kind].predict_auxiliary(X)
    with pytest.raises(NotFittedError):
        clone(fitted[kind]).predict_auxiliary(X)


@pytest.mark.parametrize("kind", [*CLASSIFIERS, *REGRESSORS])
@pytest.mark.parametrize(
    "weights, match",
    [
        (-np.ones(N), "[Nn]egative"),
        (np.ones(N - 1), "sample_weight"),
        (np.zeros(N), "non-zero|zero for every sample"),
        (np.full(N, np.nan), "NaN"),
    ],
    ids=["negative", "wrong length", "all zero", "NaN"],
)
def test_bad_sample_weight(fitted, kind, weights, match):
    X, y = good_data(kind)
    estimator = fitted[kind]
    before = dict(vars(estimator))
    with pytest.raises(ValueError, match=match):
        estimator.fit(X, y, sample_weight=weights)
    assert all(vars(estimator)[k] is before[k] for k in before)


BAD_PARAMS = {
    "tiler": [
        ({"interpolation": "bicubic"}, "interpolation"),
        ({"patch_size": 0}, "patch_size"),
        ({"patch_size": (2.5, 2)}, "patch_size"),
        ({"stride": (0, 1)}, "stride"),
        ({"output_size": (-3, 3)}, "output_size"),
        ({"image_shape": (8, 9, 3)}, "image_shape"),
        ({"lazy": "yes"}, "lazy"),
    ],
    "cnn": [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1.5}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"dense_units": 0}, "dense_units"),
        ({"filters": (2, 0)}, "filters"),
        ({"kernel_size": -1}, "kernel_size"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"optimizer": "adamm"}, "adamm"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"early_stopping": True, "validation_split": 0.0}, "validation_split"),
        ({"n_iter_no_change": 0}, "n_iter_no_change"),
        ({"tol": -1e-3}, "tol"),
        ({"early_stopping": "yes"}, "early_stopping"),
        ({"image_shape": (8, 9)}, "image_shape"),
        ({"padding": "full"}, "padding"),
    ],
    "gru": [
        ({"gru_units": 0}, "gru_units"),
        ({"gru_units": "many"}, "gru_units"),
        ({"frame_shape": (8, 9, 3)}, "frame_shape"),
        ({"batch_size": -5}, "batch_size"),
        ({"pool_size": (0, 2)}, "pool_size"),
        ({"class_weight": "sometimes"}, "class_weight"),
        ({"auxiliary_loss_weight": -0.5}, "auxiliary_loss_weight"),
    ],
    "cnn_reg": [
        ({"epochs": 0}, "epochs"),
        ({"dense_units": 0}, "dense_units"),
        ({"dropout": 1.0}, "dropout"),
        ({"image_shape": (8, 9)}, "image_shape"),
        ({"early_stopping": True, "validation_split": 0.0}, "validation_split"),
    ],
    "gru_reg": [
        ({"gru_units": 0}, "gru_units"),
        ({"frame_shape": (8, 9, 3)}, "frame_shape"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"optimizer": "adamm"}, "adamm"),
    ],
}


@pytest.mark.parametrize(
    "kind, params, match",
    [(kind, p, m) for kind, cases in BAD_PARAMS.items() for p, m in cases],
    ids=[
        f"{kind}-{next(iter(p))}"
        for kind, cases in BAD_PARAMS.items()
        for p, _ in cases
    ],
)
def test_bad_parameters(fitted, kind, params, match):
    X, y = good_data(kind)
    estimator = fitted[kind]
    saved = estimator.get_params()
    estimator.set_params(**params)
    try:
        assert_clean_error(estimator, "fit", X, y, match)
    finally:
        estimator.set_params(**saved)


@pytest.mark.parametrize("kind", list(SHAPES))
def test_before_fit(kind):
    X, y = good_data(kind)
    for method in methods(kind):
        with pytest.raises(NotFittedError):
            call(clone(ESTIMATORS[kind]), method, X, y)
