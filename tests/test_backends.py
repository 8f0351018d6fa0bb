"""Other Keras 3 backends: the estimators on JAX.

Keras picks its backend once per process (``KERAS_BACKEND``), so the
representative subset below runs in a fresh pytest process on JAX. The
tests marked ``off_tensorflow`` check, in that process, what must hold only
there.
"""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier

TESTS = Path(__file__).parent

# Fit, predict, probabilities, seeding (in and across processes), pickling
# and skops, label columns, per-step and auxiliary targets, regression, the
# training-failure rule and a user network: one or two tests of each.
SUBSET = [
    "test_classifiers.py::test_cnn_on_digits_cross_validated",
    "test_classifiers.py::test_string_labels_and_probabilities[CNNClassifier]",
    "test_classifiers.py::test_same_random_state_across_processes",
    "test_classifiers.py::test_pickle_round_trip_predicts_identically[CNNGRUSequenceClassifier]",  # noqa: E501
    "test_classifiers.py::test_failed_fit_leaves_fitted_estimator_unchanged",
    "test_classifiers.py::test_memory_mapped_training_is_seeded_and_predicts_like_in_memory",  # noqa: E501
    "test_regressors.py::test_multi_output_targets",
    "test_per_step_and_multitask.py::test_per_step_predictions_follow_the_multi_output_convention",  # noqa: E501
    "test_per_step_and_multitask.py::test_vector_auxiliary_target_and_pickling",
    "test_persistence.py::test_skops_round_trip_trusts_only_skcnnrnn_types",
    "test_own_network.py::test_one_body_serves_per_step_labels_and_an_auxiliary_head",  # noqa: E501
    "test_incremental.py::test_unpickled_classifier_continues_as_the_original",
    "test_incremental.py::test_failed_partial_fit_puts_back_weights_and_optimizer",
    "test_backends.py",
]

off_tensorflow = pytest.mark.skipif(
    keras.backend.backend() == "tensorflow",
    reason="checks what holds on JAX/torch; run by test_subset_on_jax",
)


@pytest.mark.slow
def test_subset_on_jax(tmp_path):
    # torch passes the same subset (KERAS_BACKEND=torch pytest <SUBSET>); it is
    # not in the test extra, and each backend costs the suite a minute or two.
    if keras.backend.backend() != "tensorflow":
        pytest.skip("already inside the subprocess of another backend")
    # With JAX's persistent compilation cache (its documented switches, and
    # the set-up docs/performance.rst recommends for repeated fits), fits of a
    # network already compiled in this run load it: 86 -> 78 s here. Every
    # compilation is cached, not only those over JAX's default 1 s.
    # XLA compiles without its LLVM optimisations (XLA's documented
    # XLA_FLAGS): the subset's networks are tiny, so compiling dominates and
    # the subset took 104 s instead of 143 s (2026-11-28). Every process of
    # the subset, those it starts included, compiles the same way.
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax-cache"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "XLA_FLAGS": " ".join(
            [os.environ.get("XLA_FLAGS", ""), "--xla_backend_optimization_level=0"]
        ).strip(),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "-q",
            *[str(TESTS / test) for test in SUBSET],
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=TESTS.parent,
    )
    summary = result.stdout.strip().splitlines()[-1:]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "failed" not in summary[0] and "passed" in summary[0], summary
    assert any((tmp_path / "jax-cache").iterdir())  # the cache was written


@off_tensorflow
def test_fit_and_predict_leave_tensorflow_unimported():
    # On JAX/torch nothing of skcnnrnn imports TensorFlow to fit or predict
    # (Keras' own saving does, when it is installed: not tested here).
    script = (
        "import sys, numpy as np\n"
        "from skcnnrnn import CNNGRUSequenceClassifier\n"
        "X = np.random.default_rng(0).random((30, 3, 4, 4), dtype=np.float32)\n"
        "clf = CNNGRUSequenceClassifier(epochs=1, random_state=0)\n"
        "clf.fit(X, np.arange(30) % 2).predict_proba(X)\n"
        "print('tensorflow' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False", out.stderr[-2000:]


@off_tensorflow
def test_distribution_needs_tensorflow():
    X = np.zeros((10, 4, 4), np.float32)
    with pytest.raises(ValueError, match="distribution='mirrored' needs Keras' "):
        CNNClassifier(distribution="mirrored", epochs=1).fit(X, np.arange(10) % 2)


@off_tensorflow
def test_seeded_sequence_fits_agree():
    X = np.random.default_rng(0).random((40, 3, 4, 4), dtype=np.float32)
    y = np.arange(40) % 2
    first, second = (
        CNNGRUSequenceClassifier(epochs=2, random_state=5).fit(X, y).predict_proba(X)
        for _ in range(2)
    )
    np.testing.assert_array_equal(first, second)


def test_torch_determinism_switches_on_with_cuda_only_and_is_put_back(monkeypatch):
    # Seeded fits on Keras' torch backend with CUDA differed in the 8th digit
    # without torch's deterministic algorithms (H100, 2026-11-28); the test
    # subset passed there with them. Here CUDA is faked.
    torch = pytest.importorskip(
        "torch", reason="torch is in the bench extra, not the test extra"
    )
    from skcnnrnn._random import _torch_determinism

    cudnn = torch.backends.cudnn
    before = cudnn.deterministic, cudnn.benchmark
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with _torch_determinism():
        assert not torch.are_deterministic_algorithms_enabled()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    with _torch_determinism():
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
        assert cudnn.deterministic and not cudnn.benchmark
    assert not torch.are_deterministic_algorithms_enabled()
    assert (cudnn.deterministic, cudnn.benchmark) == before
    # A user who turned them on (raising, not warning) keeps them so.
    torch.use_deterministic_algorithms(True)
    try:
        with _torch_determinism():
            assert not torch.is_deterministic_algorithms_warn_only_enabled()
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
