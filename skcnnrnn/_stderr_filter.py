"""Workaround ``stderr_filter`` (see ``_workarounds.py``): TensorFlow's import
without its INFO lines on standard error.

This file is also the filter process itself (``python -S -u`` this file), so
it imports nothing but the standard library.
"""

import os
import re
import subprocess
import sys
from contextlib import contextmanager

# absl's log line prefix: severity letter, MMDD (0000 before absl is set up).
_LOG_PREFIX = re.compile(r"^([IWEF])\d{4} ")
_ABSL_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called"


@contextmanager
def quiet_tensorflow_import(enabled=True):
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
    if "tensorflow" in sys.modules or every_line or not enabled:
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


if __name__ == "__main__":  # the filter process of quiet_tensorflow_import
    _filter_lines(sys.stdin.buffer, sys.stdout.buffer)
