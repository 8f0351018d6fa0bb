"""scikit-learn's own estimator checks on every public estimator.

Slow (every check fits a network); pytest-xdist spreads the checks over workers.
"""

from collections import Counter

import pytest
from sklearn.base import is_classifier
from sklearn.utils._tags import get_tags
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    parametrize_with_checks,
)

from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier, PatchTiler

# Minibatch training cannot make weighting a sample by k identical to
# repeating it k times: the batches, the dropout masks and the order of float32
# sums differ. The contract holds where those differences vanish: full batch,
# no dropout, float64 (test_sample_weight_equivalence_full_batch below), as
# scikit-learn runs MLPClassifier's version of this check with lbfgs.
SAMPLE_WEIGHT_REASON = (
    "minibatch training with dropout in float32 cannot equal training on "
    "repeated samples; holds with batch_size >= n, dropout=0, dtype='float64'"
)
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON,
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED if is_classifier(estimator) else {}


ESTIMATORS = [PatchTiler(), CNNClassifier(), CNNGRUSequenceClassifier()]
CHECKS = parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=_expected_failed_checks
)


@CHECKS
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_full_check_suite_runs_on_every_estimator():
    # PatchExtractor opts out of most checks (two_d_array=False); ours must not.
    fresh = parametrize_with_checks(
        ESTIMATORS, expected_failed_checks=_expected_failed_checks
    )
    per_estimator = Counter(
        type(getattr(param, "values", param)[0]).__name__
        for param in fresh.mark.args[1]
    )
    assert set(per_estimator) == {type(e).__name__ for e in ESTIMATORS}
    assert min(per_estimator.values()) >= 40, per_estimator
    assert all(get_tags(e).input_tags.two_d_array for e in ESTIMATORS)


@pytest.mark.parametrize("Classifier", [CNNClassifier, CNNGRUSequenceClassifier])
def test_sample_weight_equivalence_full_batch(Classifier):
    classifier = Classifier(batch_size=1000, dropout=0.0, dtype="float64")
    check_sample_weight_equivalence_on_dense_data(Classifier.__name__, classifier)


@pytest.mark.parametrize(
    "estimator, kind",
    [
        (PatchTiler(), "transformer"),
        (CNNClassifier(), "classifier"),
        (CNNGRUSequenceClassifier(), "classifier"),
    ],
)
def test_estimator_kind(estimator, kind):
    tags = get_tags(estimator)
    assert is_classifier(estimator) == (kind == "classifier")
    assert (tags.transformer_tags is not None) == (kind == "transformer")
    assert (tags.classifier_tags is not None) == (kind == "classifier")
