"""Test configuration: quiet, single-threaded TensorFlow per xdist worker."""

import os

# Two xdist workers share two cores: one TensorFlow thread each avoids
# oversubscription. Set before any test imports TensorFlow.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
