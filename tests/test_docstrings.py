"""The public API's docstrings, as rendered, pass numpydoc's validation.

Enforced: every numpydoc check except those listed in IGNORED, each with the
reason it is left out. Class docstrings must have an Examples section too.
"""

import numpy as np
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
    "ImageReader",
    "ReadImages",
    "VideoReader",
    "ReadVideos",
    "PatchTiler",
    "TiledImages",
    "PaddedSequences",
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


@pytest.mark.parametrize("name", [c for c in CLASSES if c.startswith(("CNN", "Patch"))])
def test_every_fitted_attribute_is_documented(name, digit_tasks):
    """A public attribute that ``fit`` sets is in the Attributes section."""
    from numpydoc.docscrape import ClassDoc

    cls = getattr(skcnnrnn, name)
    images, labels = digit_tasks["images"][:30], digit_tasks["labels"][:30]
    if name.startswith("CNNGRU"):
        X = skcnnrnn.PatchTiler((2, 8), output_size=None).fit_transform(images)
    else:
        X = images[..., None]
    y = labels if name.endswith("Classifier") else labels.astype(np.float32)
    extra = {"epochs": 1, "batch_size": 16} if name.startswith("CNN") else {}
    fitted = cls(**extra).fit(X, y)
    documented = {
        label.strip()
        for attribute in ClassDoc(cls)["Attributes"]
        for label in attribute.name.split(",")
    }
    public = {a for a in vars(fitted) if a.endswith("_") and not a.startswith("_")}
    assert public <= documented, sorted(public - documented)
