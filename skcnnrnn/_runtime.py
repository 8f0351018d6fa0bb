"""Process-level TensorFlow settings: start-up lines, thread pools, leftover graphs.

Each works around TensorFlow behaviour that hurts scikit-learn's usage pattern
(quiet libraries; many short fits, often in joblib or Dask worker processes)
and each is a no-op when TensorFlow is not what it expects.
"""

import os
import re
import sys
import tempfile
from contextlib import contextmanager

# absl's log line prefix: severity letter, MMDD (0000 before absl is set up).
_LOG_PREFIX = re.compile(r"^([IWEF])\d{4} ")
_ABSL_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called"


def without_info_lines(text):
    """``text`` without absl INFO records (and their continuation lines).

    Warnings, errors and anything that is not an absl record are kept.
    """
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        record = _LOG_PREFIX.match(line)
        if record:
            dropping = record.group(1) == "I"
        elif line.startswith(_ABSL_NOTICE):
            dropping = True
        elif not line.startswith(("To enable the following instructions", " ")):
            dropping = False
        if not dropping:
            kept.append(line)
    return "".join(kept)


@contextmanager
def quiet_tensorflow_start():
    """Drop the INFO lines TensorFlow's C++ start-up writes to stderr.

    TensorFlow 2.21 logs through absl before absl is configured, so these
    lines ignore ``TF_CPP_MIN_LOG_LEVEL``: every process that imports the
    classifiers (each joblib worker too) would print them. Standard error is
    captured at the file-descriptor level while TensorFlow is imported and
    written back without the INFO records; warnings and errors stay. Python's
    ``logging`` is not touched. Nothing is filtered when TensorFlow is already
    imported or ``TF_CPP_MIN_LOG_LEVEL=0`` asks for every line.
    """
    every_line = os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0"
    if "tensorflow" in sys.modules or every_line or sys.stderr is None:
        yield
        return
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no standard error to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode(errors="replace")
            sys.stderr.write(without_info_lines(text))
            sys.stderr.flush()


# Environment variables through which TensorFlow sizes its own thread pools;
# when the user sets either, TensorFlow is left alone.
_TENSORFLOW_THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def threads_from_environment(environ=None):
    """The thread budget ``OMP_NUM_THREADS`` gives this process, or None.

    None when it is unset or not a positive integer, or when one of
    TensorFlow's own thread variables is set (those take precedence).
    """
    environ = os.environ if environ is None else environ
    if any(environ.get(name) for name in _TENSORFLOW_THREAD_VARIABLES):
        return None
    try:
        threads = int(environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        return None
    return threads if threads > 0 else None


def cap_tensorflow_threads():
    """Size TensorFlow's thread pools to ``OMP_NUM_THREADS``, if it is set.

    joblib's process backend (used by ``GridSearchCV(n_jobs=...)``) and Dask's
    worker nannies start workers with ``OMP_NUM_THREADS`` set to each worker's
    share of the cores, and NumPy's BLAS and OpenCV honour it. TensorFlow does
    not: each worker would start a pool as large as the whole machine, and
    two workers on two cores would run four busy threads. Called once, when the
    Keras estimators are first imported, which is before TensorFlow starts its
    runtime in a fresh worker. Thread counts the user already set through
    ``tf.config.threading`` are kept; once TensorFlow's runtime has started,
    nothing can change (and nothing is changed).
    """
    threads = threads_from_environment()
    if threads is None:
        return
    import tensorflow as tf

    setting = tf.config.threading
    try:
        if setting.get_intra_op_parallelism_threads() == 0:
            setting.set_intra_op_parallelism_threads(threads)
        if setting.get_inter_op_parallelism_threads() == 0:
            setting.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # the runtime has started: too late, keep its pools
        pass


def _gradient_registry():
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):  # pragma: no cover - other TF internals
        return None
    return registry if isinstance(registry, dict) else None


def _is_all_reduce_gradient(entry):
    """Whether a gradient-registry entry is the one Keras' optimizer step adds.

    ``tf.custom_gradient`` in graph mode registers its gradient function under
    a fresh global name each time it is traced; the function's closure holds
    the traced graph. The gradient of the all-reduce in the optimizer step is
    never asked for: nothing differentiates through applying gradients.
    """
    try:
        for cell in entry["type"].__closure__ or ():
            inner = cell.cell_contents
            if getattr(inner, "__name__", "") != "tape_grad_fn":
                continue
            for inner_cell in inner.__closure__ or ():
                grad_fn = inner_cell.cell_contents
                qualname = getattr(grad_fn, "__qualname__", "")
                if callable(grad_fn) and ".all_reduce." in qualname:
                    return True
    except (AttributeError, KeyError, TypeError, ValueError):
        return False
    return False


@contextmanager
def releasing_training_graphs():
    """Unregister the gradients a Keras fit in the block leaves behind.

    Every trace of a Keras training step on TensorFlow registers the gradient
    of the optimizer's all-reduce in TensorFlow's global gradient registry,
    and nothing ever unregisters it: each fit pins its whole training graph,
    about 9 MiB here, after the model itself is gone (tensorflow/tensorflow
    #80895, keras-team/tf-keras #286; ``keras.backend.clear_session`` does not
    help); 30 fits in a row grew by 220 MiB. Only entries added during the
    block and recognised as that all-reduce gradient are removed; other
    gradients, even ones registered concurrently, are untouched.
    """
    registry = _gradient_registry()
    before = set(registry) if registry is not None else None
    try:
        yield
    finally:
        if registry is not None:
            for name in [name for name in list(registry) if name not in before]:
                entry = registry.get(name)
                if entry is not None and _is_all_reduce_gradient(entry):
                    registry.pop(name, None)
