"""TensorFlow thread pools per process, and what repeated fits leave behind."""

import gc
import io
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier, CNNGRUSequenceRegressor
from skcnnrnn._stderr_filter import _filter_lines
from skcnnrnn._workarounds import threads_from_environment


def clean_environment(**variables):
    """This process's environment without any thread setting, plus ``variables``."""
    unset = {"OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"}
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    return {**environ, **variables}


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, None),
        ({"OMP_NUM_THREADS": "3"}, 3),
        ({"OMP_NUM_THREADS": "0"}, None),
        ({"OMP_NUM_THREADS": "two"}, None),
        ({"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "4"}, None),
        ({"OMP_NUM_THREADS": "1", "TF_NUM_INTEROP_THREADS": "2"}, None),
    ],
)
def test_threads_from_environment(environ, expected):
    assert threads_from_environment(environ) == expected


GRID_SEARCH_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    from joblib import cpu_count
    from sklearn.model_selection import GridSearchCV
    from skcnnrnn import CNNClassifier

    def threads(estimator, X, y):
        import tensorflow as tf
        return tf.config.threading.get_intra_op_parallelism_threads()

    def pid(estimator, X, y):
        return os.getpid()

    def mean_proba(estimator, X, y):
        return float(estimator.predict_proba(X)[:, 0].mean())

    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 8, 8)).astype(np.float32)
    y = np.arange(48) % 2
    X[y == 1, :4] += 1.0
    scoring = {"accuracy": "accuracy", "proba": mean_proba,
               "threads": threads, "pid": pid}
    out = {"parent": os.getpid(), "cpus": cpu_count()}
    for n_jobs in (1, 2):
        search = GridSearchCV(
            CNNClassifier(epochs=2, batch_size=8, random_state=0),
            {"dense_units": [8, 16]}, cv=2, n_jobs=n_jobs, scoring=scoring,
            refit=False,
        ).fit(X, y)
        out[n_jobs] = {
            name: [search.cv_results_[f"split{k}_test_{name}"].tolist()
                   for k in range(2)]
            for name in scoring
        }
    print(json.dumps(out))
    """
)


@pytest.mark.slow
def test_grid_search_in_two_processes_caps_threads_and_matches_sequential():
    result = subprocess.run(
        [sys.executable, "-c", GRID_SEARCH_SCRIPT],
        env=clean_environment(),
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = json.loads(result.stdout.strip().splitlines()[-1])
    sequential, parallel = out["1"], out["2"]
    worker_pids = set(np.ravel(parallel["pid"]))
    assert out["parent"] not in worker_pids and len(worker_pids) == 2
    # joblib gives each of its n_jobs workers cpu_count // n_jobs threads.
    assert set(np.ravel(parallel["threads"])) == {max(1, out["cpus"] // 2)}
    assert set(np.ravel(sequential["threads"])) == {0}  # TensorFlow's default
    np.testing.assert_array_equal(parallel["accuracy"], sequential["accuracy"])
    # Other thread counts sum in another order: equal up to float32 rounding.
    np.testing.assert_allclose(parallel["proba"], sequential["proba"], rtol=1e-5)


def count_training_graphs():
    from tensorflow.python.framework.func_graph import FuncGraph

    gc.collect()
    return sum(isinstance(o, FuncGraph) for o in gc.get_objects())


@pytest.mark.parametrize("Classifier", [CNNClassifier, CNNGRUSequenceClassifier])
def test_repeated_fits_leave_no_graphs_behind(Classifier):
    X = np.random.default_rng(0).normal(size=(20, 6, 6)).astype(np.float32)
    y = np.arange(20) % 2
    Classifier(epochs=1, batch_size=8, random_state=0).fit(X, y)  # warm-up
    before = count_training_graphs()
    for seed in range(3):
        Classifier(epochs=1, batch_size=8, random_state=seed).fit(X, y)
    # Before the fix each fit pinned its training graphs (dozens of FuncGraphs).
    assert count_training_graphs() <= before


@pytest.mark.parametrize(
    "Estimator, y",
    [
        (CNNClassifier, np.arange(20) % 2),
        (CNNGRUSequenceClassifier, np.stack([np.arange(20) % 2] * 3, axis=1)),
        (CNNGRUSequenceRegressor, np.linspace(0, 1, 20)),
    ],
)
def test_each_fit_traces_its_training_step_once(Estimator, y, monkeypatch):
    # A tf.function whose first trace creates variables is traced again; Keras
    # would create the optimizer's and metrics' variables in that trace (0.6 s
    # of a small CNN-GRU fit) had the fit not created them before.
    import keras

    traces = []
    train_step = keras.Model.train_step

    def counted(model, data):
        traces.append(model)
        return train_step(model, data)

    monkeypatch.setattr(keras.Model, "train_step", counted)
    X = np.random.default_rng(0).normal(size=(20, 3, 4, 4)).astype(np.float32)
    if Estimator is CNNClassifier:
        X = X[:, 0]
    Estimator(epochs=2, batch_size=8, random_state=0).fit(X, y)
    assert len(traces) == 1


def test_kept_network_still_trains_after_fit():
    X = np.random.default_rng(0).normal(size=(20, 6, 6)).astype(np.float32)
    y = np.arange(20) % 2
    clf = CNNClassifier(epochs=1, batch_size=8, random_state=0).fit(X, y)
    history = clf.model_.fit(X[..., None], y, epochs=2, batch_size=7, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_info_records_are_dropped_and_everything_else_kept():
    text = (
        "WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR\n"
        "I0000 00:00:17.5 123 port.cc:153] oneDNN custom operations are on.\n"
        "I0000 00:00:17.6 123 cpu_feature_guard.cc:227] This binary is optimized\n"
        "To enable the following instructions: AVX2 FMA, rebuild TensorFlow.\n"
        "W0000 00:00:17.7 123 x.cc:1] a real warning\n"
        "E1126 20:00:00.0 123 y.cc:2] a real error\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1\n'
    )
    kept = io.BytesIO()
    _filter_lines(io.BytesIO(text.encode()), kept)
    assert kept.getvalue().decode() == (
        "W0000 00:00:17.7 123 x.cc:1] a real warning\n"
        "E1126 20:00:00.0 123 y.cc:2] a real error\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1\n'
    )


def _python(script, env=None, **kwargs):
    """Run ``script`` in a new Python with ``env`` (default: this process's
    environment), TF_CPP_MIN_LOG_LEVEL unset (as users run it; the test
    session sets it)."""
    environ = os.environ if env is None else env
    environ = {k: v for k, v in environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-c", script],
        env=environ,
        capture_output=True,
        text=True,
        **kwargs,
    )


# Every way in imports Keras through skcnnrnn._keras: the estimators (their
# import, ``from skcnnrnn import ...``, is checked in the process of
# test_readme_first_block_prints_nothing_on_stderr: one TensorFlow import
# fewer than a process of its own), and the network builders without
# scikit-learn, here.
def test_importing_the_network_builders_is_quiet_and_leaves_the_environment():
    result = _python(
        "import os, sys; import skcnnrnn.networks; print('after', file=sys.stderr); "
        "print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))",
        check=True,
    )
    assert result.stderr == "after\n"  # no TensorFlow INFO lines
    assert result.stdout.strip() == "None"  # the level was set for the import only


def test_keras_imported_first_prints_what_the_docs_say_and_fit_adds_nothing():
    # README and user guide: with keras imported before skcnnrnn, TensorFlow's
    # start-up lines are out before skcnnrnn runs (absl's notice, INFO
    # records and the cpu_feature_guard continuation); fitting adds none,
    # but the documented cuInit line of machines without a GPU driver.
    # The same process checks that TensorFlow's thread pools follow
    # OMP_NUM_THREADS (one TensorFlow import fewer than a process of its own);
    # when TensorFlow's own variables are set, or OMP_NUM_THREADS is not,
    # threads_from_environment is None (tested above) and nothing is set.
    script = (
        "import sys\n"
        "import keras\n"
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "print('imported', file=sys.stderr, flush=True)\n"
        "from skcnnrnn import CNNGRUSequenceClassifier\n"
        "X = np.random.default_rng(0).random((12, 3, 4, 4), dtype=np.float32)\n"
        "CNNGRUSequenceClassifier(epochs=1).fit(X, np.arange(12) % 2).predict(X)\n"
        "threading = tf.config.threading\n"
        "print(threading.get_intra_op_parallelism_threads(),\n"
        "      threading.get_inter_op_parallelism_threads())\n"
    )
    result = _python(script, check=True, env=clean_environment(OMP_NUM_THREADS="1"))
    before, _, after = result.stderr.partition("imported\n")
    startup = re.compile(r"^(I\d{4} |WARNING: All log messages before absl|To enable)")
    assert all(startup.match(line) for line in before.splitlines()), before
    assert NO_GPU_LINE.sub("", after) == ""
    assert result.stdout.split() == ["1", "1"]


def test_a_crash_inside_the_quiet_start_still_shows_its_last_words():
    script = (
        "import os\n"
        "from skcnnrnn._stderr_filter import quiet_tensorflow_import\n"
        "with quiet_tensorflow_import():\n"
        "    os.write(2, b'I0000 00:00:01.0 1 x.cc:1] an info record\\n')\n"
        "    os.write(2, b'F0000 00:00:01.1 1 y.cc:2] Check failed: last words\\n')\n"
        "    os.abort()\n"
    )
    result = _python(script)
    assert result.returncode != 0  # aborted
    assert "Check failed: last words" in result.stderr
    assert "an info record" not in result.stderr


def _readme_first_block(smaller):
    """The README's first Python block, with ``smaller`` replacements made."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    for old, new in smaller.items():
        assert old in block, old  # the README still reads as this test expects
        block = block.replace(old, new)
    return block


# What TensorFlow prints once, on machines without an NVIDIA driver, when its
# runtime starts; hiding it would mean hiding the devices (the README says so).
NO_GPU_LINE = re.compile(r"^E\d{4} .*failed call to cuInit.*\n", re.M)


@pytest.mark.slow
def test_readme_first_block_prints_nothing_on_stderr():
    block = _readme_first_block(
        {
            "digits.images, digits.target": "digits.images[:150], digits.target[:150]",
            "CNNGRUSequenceClassifier(random_state=0)": (
                "CNNGRUSequenceClassifier(epochs=1, random_state=0)"
            ),
            # Two folds and two candidates: stderr is the point, not the score.
            "cross_val_score(pipe, images, labels)": (
                "cross_val_score(pipe, images, labels, cv=2)"
            ),
            '"clf__gru_units": [64, 128]}': '"clf__gru_units": [8]}, cv=2',
        }
    )
    # Its first statement that imports TensorFlow is ``from skcnnrnn import``:
    # an empty stderr means the estimators' import is quiet too, and the
    # level it sets for that import is not left behind.
    print_level = "import os\nprint(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))\n"
    result = _python(block + print_level)
    assert result.returncode == 0, result.stderr
    assert NO_GPU_LINE.sub("", result.stderr) == ""
    score, level = result.stdout.split()  # the cross-validated score, and the level
    float(score)
    assert level == "None"


def test_users_own_retracing_still_warns():
    import logging

    import tensorflow as tf

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        X, y = np.zeros((8, 4, 4), np.float32), np.arange(8) % 2
        for _ in range(6):  # our own new models: no warning
            CNNClassifier(epochs=1).fit(X, y).predict(X)
        ours = [r for r in records if "retracing" in r.getMessage()]

        @tf.function
        def square(x):
            return x * x

        for n in range(1, 8):  # a new shape each call: retracing
            square(tf.zeros((n,)))
    finally:
        logger.removeHandler(handler)
    assert ours == []
    assert any("retracing" in r.getMessage() for r in records)


# -- the registry: each workaround names its issue, versions and off switch --


def test_every_workaround_names_its_issue_and_verified_versions():
    from skcnnrnn._workarounds import WORKAROUNDS

    for name, workaround in WORKAROUNDS.items():
        assert workaround.upstream, name
        assert workaround.package in ("tensorflow", "keras"), name
        assert all(v.count(".") == 1 for v in workaround.verified), name


@pytest.mark.parametrize("setting", ["thread_caps,fused_adam", "all", " fused_adam "])
def test_the_environment_switches_workarounds_off(setting, monkeypatch):
    from skcnnrnn import _workarounds

    assert _workarounds.active("fused_adam")  # on the verified versions
    monkeypatch.setenv(_workarounds.DISABLE_VARIABLE, setting)
    assert not _workarounds.active("fused_adam")
    assert _workarounds.active("gradient_registry") == (setting != "all")


def test_an_unverified_version_gets_no_workaround(monkeypatch):
    from skcnnrnn import _workarounds

    monkeypatch.setattr(_workarounds, "_minor_version", lambda package: "99.0")
    assert not any(_workarounds.active(name) for name in _workarounds.WORKAROUNDS)
