"""Seeding Keras/TensorFlow for one fit without leaving global state behind."""

import contextlib
import random
import threading
from contextlib import contextmanager

import numpy as np
from sklearn.utils import check_random_state

from ._workarounds import keras_seed_kept, set_keras_seed, tensorflow_determinism

# Seeding is process-global (Python, NumPy, TensorFlow, Keras): two seeded fits
# in two threads must not interleave or neither would be reproducible.
_LOCK = threading.RLock()


def seed_from(random_state):
    """An int seed from ``random_state`` (None stays None)."""
    if random_state is None:
        return None
    if isinstance(random_state, (int, np.integer)):
        return int(random_state) % (2**32)
    return int(check_random_state(random_state).randint(2**31 - 1))


@contextmanager
def keras_seed(seed):
    """Make the enclosed Keras work deterministic for ``seed``, then restore.

    Sets the Python, NumPy and Keras seeds (and torch's, on torch) and puts
    back every one of them afterwards, so an unseeded fit that follows is
    unseeded again. ``seed=None`` changes nothing. Keras' own seed is put
    back through private Keras state (workaround ``keras_seed_state``).

    Without a GPU, TensorFlow's global seed (``tf.random.set_seed``, which
    ``keras.utils.set_random_seed`` also sets) is left alone: Keras 3 layers
    draw their randomness from Keras' seed, not TensorFlow's, and setting it
    clears TensorFlow's kernel and function caches, so every model in the
    process instantiated its functions again on their next call (about
    0.2 s on the first step of each ``partial_fit`` of a small CNN-GRU, set
    once and restored once per fit).

    TensorFlow's op determinism is turned on only when a GPU is visible: GPU
    kernels need it for identical results, while on the CPU seeded training
    is already identical across processes without it, and with it every
    ``tf.data`` pipeline logs an error line (``NodeDef mentions attribute
    use_unbounded_threadpool``, TensorFlow 2.21). A user who turned it on
    keeps it on. On torch with CUDA, torch's own switches do the same (see
    :func:`_torch_determinism`); JAX's GPU fits were identical without any.
    """
    if seed is None:
        yield
        return
    from ._keras import backend

    with _LOCK:
        saved_python = random.getstate()
        saved_numpy = np.random.get_state()  # noqa: NPY002 (Keras seeds it)
        if backend() == "tensorflow":
            determinism = tensorflow_determinism(seed)
        elif backend() == "torch":
            determinism = _torch_determinism()
        else:
            determinism = contextlib.nullcontext()
        with keras_seed_kept(), determinism:
            try:
                set_keras_seed(seed)
                if backend() == "torch":
                    import torch

                    torch.manual_seed(seed)
                yield
            finally:
                np.random.set_state(saved_numpy)  # noqa: NPY002
                random.setstate(saved_python)


@contextmanager
def _torch_determinism():
    """torch's deterministic algorithms in the block when CUDA is visible.

    Two seeded fits on an H100 differed in the 8th digit without them
    (2026-11-28, CNN-GRU on Keras' torch backend); on the CPU they are equal
    without. ``warn_only``: an op with no deterministic kernel warns instead
    of failing the fit. A user who turned them on keeps them on.
    """
    import torch

    cudnn = torch.backends.cudnn
    turn_on = (
        not torch.are_deterministic_algorithms_enabled() and torch.cuda.is_available()
    )
    saved_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    saved_cudnn = cudnn.deterministic, cudnn.benchmark
    if turn_on:
        torch.use_deterministic_algorithms(True, warn_only=True)
        cudnn.deterministic, cudnn.benchmark = True, False
    try:
        yield
    finally:
        if turn_on:
            torch.use_deterministic_algorithms(False, warn_only=saved_warn_only)
            cudnn.deterministic, cudnn.benchmark = saved_cudnn
