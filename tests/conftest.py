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
