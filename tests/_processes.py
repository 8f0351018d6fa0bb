"""Run a test script in a new Python process and in the test's own process."""

import subprocess
import sys
import textwrap

import numpy as np

# The new process saves the value under test where the caller reads it; the
# names are private so that they cannot shadow the script's own.
_SAVE = "\nimport sys as _sys, numpy as _np\n_np.save(_sys.argv[1], _np.asarray({}))\n"


def here_and_in_a_new_process(script, expression, tmp_path):
    """Return ``expression`` evaluated after ``script`` here and in a new process.

    One new process, not two: a comparison with the test's own process, which
    has run other tests' fits before, is the stronger check, and each process
    start is a TensorFlow import of about 5 s.
    """
    script = textwrap.dedent(script)
    path = tmp_path / "from_a_new_process.npy"
    subprocess.run(
        [sys.executable, "-c", script + _SAVE.format(expression), str(path)],
        check=True,
    )
    namespace = {"__name__": "not_main"}
    exec(script, namespace)
    return np.asarray(eval(expression, namespace)), np.load(path)
