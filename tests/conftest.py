"""Test configuration: quiet, single-threaded TensorFlow per xdist worker."""

import os

# Two xdist workers share two cores: one TensorFlow thread each avoids
# oversubscription. Set before any test imports TensorFlow.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Lets scikit-learn run its array API check (numpy namespace) instead of
# skipping it; must be set before SciPy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402  (after the environment above)
import pytest  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402


@pytest.fixture(scope="session")
def digit_tasks():
    """scikit-learn's digits with the targets of the per-step and multi-task tests.

    - ``images`` (n, 8, 8) and ``labels`` (the digit);
    - ``strip_labels`` (n, 4): each 2 x 8 row strip's ink is low, medium or
      high (0, 1, 2: tertiles over all strips), one label per step of the
      ``PatchTiler(patch_size=(2, 8))`` sequence;
    - ``ink`` (n,): the ink mass of each digit (sum of its pixels), and
      ``halves`` (n, 2): the ink of its top and bottom halves.
    """
    digits = load_digits()
    images = digits.images
    strips = images.reshape(len(images), 4, 16).sum(axis=2)
    strip_labels = np.digitize(strips, np.quantile(strips, [1 / 3, 2 / 3]))
    halves = images.reshape(len(images), 2, 32).sum(axis=2)
    return {
        "images": images,
        "labels": digits.target,
        "strip_labels": strip_labels,
        "ink": images.sum(axis=(1, 2)),
        "halves": halves,
    }


def pytest_collection_modifyitems(items):
    # The slow tests first: pytest-xdist's worksteal hands each worker a block
    # of the collection and lets an idle worker take queued tests, not a
    # running one. A slow test near the end left the other worker idle for
    # up to 20 s (a Dask test of 38 s was the last to finish); first, the
    # short tests after it even the workers out. sort is stable.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_addoption(parser, pluginmanager):
    # pyproject's addopts asks pytest-xdist for two workers ("-n 2 --dist
    # worksteal"). With xdist disabled (pytest -p no:xdist, to debug one
    # test), accept -n and --dist and run serially instead of failing on an
    # unknown argument. pytest keeps lowercase short options to itself and its
    # plugins: this registers them the way pytest-xdist does (the group's
    # _addoption), only when xdist is off.
    if pluginmanager.has_plugin("xdist"):
        return
    group = parser.getgroup("xdist-disabled")
    try:
        group._addoption(
            "-n",
            dest="numprocesses",
            default=None,
            help="ignored: pytest-xdist is disabled, the tests run serially",
        )
        group._addoption(
            "--dist",
            dest="dist",
            default=None,
            help="ignored: pytest-xdist is disabled, the tests run serially",
        )
    except (AttributeError, ValueError):  # pragma: no cover - pytest changed
        pass
