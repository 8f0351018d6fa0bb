"""The public API's docstrings, as rendered, pass numpydoc's validation.

Enforced: every numpydoc check except those listed in IGNORED, each with the
reason it is left out. Class docstrings must have an Examples section too.
"""

import pytest
from numpydoc.validate import validate

import skcnnrnn

IGNORED = {
    "ES01": "an extended summary is not needed on every method",
    "SA01": "See Also sections are given on classes, not on every method",
    "RT02": "scikit-learn names returned values ('self : object')",
    "EX01": "Examples are given on classes (checked below), not on every method",
}
CLASSES = [
    "PatchTiler",
    "TiledImages",
    "TrainingHistoryDisplay",
    "CNNClassifier",
    "CNNGRUSequenceClassifier",
    "CNNRegressor",
    "CNNGRUSequenceRegressor",
]
METHODS = [
    "fit",
    "predict",
    "predict_proba",
    "predict_auxiliary",
    "score",
    "transform",
    "fit_transform",
    "get_params",
    "set_params",
    "from_estimator",
    "plot",
]
NETWORKS = ["build_cnn", "build_cnn_gru", "cnn_body", "cnn_gru_body", "build_model"]


def _public_names():
    for name in CLASSES:
        yield f"skcnnrnn.{name}"
        cls = getattr(skcnnrnn, name)
        for method in METHODS:
            if method in dir(cls):
                yield f"skcnnrnn.{name}.{method}"
    for name in [*NETWORKS, "Head"]:
        yield f"skcnnrnn.networks.{name}"


@pytest.mark.parametrize("name", list(_public_names()))
def test_docstring_passes_numpydoc_validation(name):
    errors = [
        f"{code}: {message}"
        for code, message in validate(name)["errors"]
        if code not in IGNORED
    ]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("name", CLASSES)
def test_class_docstring_has_examples_and_no_placeholder(name):
    doc = getattr(skcnnrnn, name).__doc__
    assert "Examples\n    --------" in doc
    assert "%(" not in doc  # every shared block was filled in
