"""Process-level TensorFlow settings: start-up lines, thread pools, leftover graphs.

Each works around TensorFlow behaviour that hurts scikit-learn's usage pattern
(quiet libraries; many short fits, often in joblib or Dask worker processes)
and each is a no-op when TensorFlow is not what it expects.
"""

import logging
import os
import re
import subprocess
import sys
import threading
from contextlib import contextmanager

# absl's log line prefix: severity letter, MMDD (0000 before absl is set up).
_LOG_PREFIX = re.compile(r"^([IWEF])\d{4} ")
_ABSL_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called"


@contextmanager
def quiet_tensorflow_start():
    """Drop the INFO lines TensorFlow's C++ start-up writes to stderr.

    TensorFlow 2.21 logs through absl before absl is configured, so these
    lines ignore ``TF_CPP_MIN_LOG_LEVEL``: every process that imports the
    estimators (each joblib worker too) would print them. While TensorFlow is
    imported, standard error (the file descriptor) goes through a small filter
    process that passes every line on as it comes but the INFO records, so
    warnings, errors and the last words of a crash still reach the terminal.
    TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL`` once, at import: unless the user
    set it, it is 1 (INFO records off, warnings and errors on) for the import
    only, so later INFO records (``tf.data``'s "Memory patch applied") are
    dropped too, and the environment is left as it was. Python's ``logging``
    is not touched. Nothing is filtered when TensorFlow is already imported,
    or ``TF_CPP_MIN_LOG_LEVEL=0`` asks for every line.
    """
    every_line = os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0"
    if "tensorflow" in sys.modules or every_line:
        yield
        return
    with _info_records_off(), _stderr_through_filter():
        yield


@contextmanager
def _info_records_off():
    """``TF_CPP_MIN_LOG_LEVEL=1`` for the block, unless the user set it."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        yield
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "1"
    try:
        yield
    finally:
        os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)


@contextmanager
def _stderr_through_filter():
    """File descriptor 2 through ``_filter_lines`` in a child process.

    A child, not a thread, so that what a crash writes just before the
    process dies is still passed on: the child reads to the end of the pipe.
    Anything that goes wrong setting it up leaves standard error as it is.
    """
    executable = sys.executable or ""
    if sys.stderr is None or "python" not in os.path.basename(executable).lower():
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no standard error to filter
        yield
        return
    try:
        child = subprocess.Popen(
            [executable, "-S", "-u", __file__], stdin=subprocess.PIPE, stdout=saved
        )
    except OSError:
        os.close(saved)
        yield
        return
    os.dup2(child.stdin.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck filter
            child.kill()


def _filter_lines(source, sink):
    """Copy lines of bytes from ``source`` to ``sink``, but absl INFO records
    (and their continuation lines); warnings, errors and anything that is not
    an absl record are kept, each passed on as soon as it is read."""
    dropping = False
    for line in source:
        text = line.decode(errors="replace")
        record = _LOG_PREFIX.match(text)
        if record:
            dropping = record.group(1) == "I"
        elif text.startswith(_ABSL_NOTICE):
            dropping = True
        elif not text.startswith(("To enable the following instructions", " ")):
            dropping = False
        if not dropping:
            sink.write(line)
            sink.flush()


class _RetracingOfNewModels(logging.Filter):
    """Drop TensorFlow's retracing warning raised inside ``new_models_tracing``.

    Each fit builds a new Keras model, whose first ``predict_on_batch`` traces
    its own ``tf.function``; all of them share Keras' code, so after five
    fitted models TensorFlow warns of "retracing" although no function ever
    traced twice. Only that message, and only from calls in such a block on
    this thread, is dropped: the user's own retracing still warns.
    """

    inside = threading.local()

    def filter(self, record):
        if not getattr(self.inside, "depth", 0):
            return True
        return "triggered tf.function retracing" not in record.getMessage()


_RETRACING_FILTER = _RetracingOfNewModels()


@contextmanager
def new_models_tracing():
    """Calls on a new model in the block may trace it without warnings."""
    logger = logging.getLogger("tensorflow")
    if _RETRACING_FILTER not in logger.filters:
        logger.addFilter(_RETRACING_FILTER)
    inside = _RETRACING_FILTER.inside
    inside.depth = getattr(inside, "depth", 0) + 1
    try:
        yield
    finally:
        inside.depth -= 1


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


def on_tensorflow():
    """Whether Keras runs on TensorFlow (its default backend), not JAX or torch.

    The TensorFlow-only paths (``tf.distribute``, op determinism, thread
    pools, the gradient-registry workaround) run only then.
    """
    import keras

    return keras.backend.backend() == "tensorflow"


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
    if threads is None or not on_tensorflow():
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
    if not on_tensorflow():
        return None
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


if __name__ == "__main__":  # the filter process of quiet_tensorflow_start
    _filter_lines(sys.stdin.buffer, sys.stdout.buffer)
