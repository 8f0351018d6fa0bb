"""Workarounds of TensorFlow and Keras behaviour, in one place, each switchable.

Each works around behaviour that hurts scikit-learn's usage pattern (quiet
libraries; many short fits, often in joblib or Dask worker processes) and
reaches into process-wide state or private framework code to do it. Every one
is listed in ``WORKAROUNDS`` with the upstream issue it works around and the
package versions it was verified on, and is applied only when:

- the installed package's version (major.minor) is one it was verified on,
  since a private detail may change in any release; and
- the environment variable ``SKCNNRNN_DISABLE_WORKAROUNDS`` does not name it
  (a comma-separated list of names, or ``all``).

Otherwise the library's own behaviour stands. Nothing here runs at import:
``_keras.py`` applies the import-time ones when it imports Keras.
"""

import logging
import os
import sys
import threading
import types
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

from . import _stderr_filter

DISABLE_VARIABLE = "SKCNNRNN_DISABLE_WORKAROUNDS"


@dataclass(frozen=True)
class Workaround:
    """What one workaround is for, and where it was checked."""

    upstream: str  # the issue (or missing API) it works around
    package: str  # the distribution whose behaviour it changes
    verified: tuple  # the major.minor versions of ``package`` it was verified on


_TF = ("tensorflow", ("2.21",))
_KERAS = ("keras", ("3.15",))
WORKAROUNDS = {
    # absl logs INFO records before absl::InitializeLog, whatever the level
    # asked for; TensorFlow's import does (abseil/abseil-cpp#1718, #1957).
    "stderr_filter": Workaround("abseil/abseil-cpp#1718", *_TF),
    # TensorFlow sizes its pools to the machine, not OMP_NUM_THREADS.
    "thread_caps": Workaround("tensorflow/tensorflow#34415", *_TF),
    # Each new model's first predict_on_batch counts as a "retracing".
    "retracing_warning": Workaround("tensorflow/tensorflow#42441", *_TF),
    # Every traced training step pins its graph in the gradient registry.
    "gradient_registry": Workaround("tensorflow/tensorflow#80895", *_TF),
    # Keras 3 dropped the fused raw-ops Adam update of Keras 2.
    "fused_adam": Workaround("keras-team/keras#19992", *_KERAS),
    # Keras' GRUCell projects each step's inputs inside the recurrence
    # (keras/src/layers/rnn/gru.py), one small product per step.
    "gru_projection": Workaround("keras/src/layers/rnn/gru.py GRUCell.call", *_KERAS),
    # Keras has keras.utils.set_random_seed but no getter, so a seeded fit
    # can only put the user's seed back through keras.src; TensorFlow's op
    # determinism has no public "disable" (GPU only).
    "keras_seed_state": Workaround(
        "no public getter: keras/src/utils/rng_utils.py get_random_seed", *_KERAS
    ),
}


def active(name):
    """Whether workaround ``name`` applies in this process now."""
    disabled = {n.strip() for n in os.environ.get(DISABLE_VARIABLE, "").split(",")}
    if "all" in disabled or name in disabled:
        return False
    workaround = WORKAROUNDS[name]
    return _minor_version(workaround.package) in workaround.verified


def quiet_tensorflow_import():
    """Workaround ``stderr_filter`` around the block that imports TensorFlow
    (see ``_stderr_filter.py``)."""
    return _stderr_filter.quiet_tensorflow_import(enabled=active("stderr_filter"))


@lru_cache
def _minor_version(package):
    try:
        return ".".join(metadata.version(package).split(".")[:2])
    except metadata.PackageNotFoundError:
        return None


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
    """Calls on a new model in the block may trace it without warnings
    (workaround ``retracing_warning``)."""
    if not active("retracing_warning"):
        yield
        return
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


def cap_tensorflow_threads():
    """Size TensorFlow's thread pools to ``OMP_NUM_THREADS``, if it is set
    (workaround ``thread_caps``).

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
    if threads is None or "tensorflow" not in sys.modules:
        return  # not on TensorFlow: Keras imports it only for that backend
    if not active("thread_caps"):
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
    if "tensorflow" not in sys.modules or not active("gradient_registry"):
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
    """Unregister the gradients a Keras fit in the block leaves behind
    (workaround ``gradient_registry``).

    Every trace of a Keras training step on TensorFlow registers the gradient
    of the optimizer's all-reduce in TensorFlow's global gradient registry,
    and nothing ever unregisters it: each fit pins its whole training graph,
    about 9 MiB here, after the model itself is gone (tensorflow/tensorflow
    #80895, keras-team/tf-keras#286; ``keras.backend.clear_session`` does not
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


def fuse_adam(optimizer):
    """``optimizer``, given TensorFlow's fused Adam update (workaround
    ``fused_adam``) if it is exactly a Keras Adam or AdamW without
    ``amsgrad`` on the TensorFlow backend; else unchanged.

    Keras 3 writes Adam's update in backend-neutral ops: about twenty
    TensorFlow operations per variable in the traced training step.
    ``tf.raw_ops.ResourceApplyAdam`` (public TensorFlow API, the kernel
    tf.keras 2 used) is one operation per variable with the same arithmetic;
    a fit on small data takes about 0.1 s less (docs/performance.rst). The
    update is given to the instance, not a subclass, so the optimizer stays a
    ``keras.optimizers.Adam`` and a saved network loads in plain Keras.
    """
    import keras

    if (
        type(optimizer) in (keras.optimizers.Adam, keras.optimizers.AdamW)
        and not optimizer.amsgrad
        and keras.backend.backend() == "tensorflow"
        and active("fused_adam")
    ):
        optimizer.update_step = types.MethodType(_fused_update_step, optimizer)
    return optimizer


def _fused_update_step(self, gradient, variable, learning_rate):
    """``keras.optimizers.Adam.update_step`` as one ``ResourceApplyAdam``."""
    import tensorflow as tf

    keras_update = type(self).update_step  # the class's, not this instance's
    if isinstance(gradient, tf.IndexedSlices):  # the kernel takes dense ones
        return keras_update(self, gradient, variable, learning_rate)
    try:
        # Adam's own state, as Keras' update_step reads it (private names).
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
    except (AttributeError, LookupError):  # another Keras: its own update
        return keras_update(self, gradient, variable, learning_rate)
    dtype = variable.dtype
    step = tf.cast(self.iterations + 1, dtype)
    beta_1 = tf.cast(self.beta_1, dtype)
    beta_2 = tf.cast(self.beta_2, dtype)
    # Keras' update, alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) with
    # epsilon added to sqrt(v), is the kernel's documented formula.
    tf.raw_ops.ResourceApplyAdam(
        var=_handle(variable),
        m=_handle(m),
        v=_handle(v),
        beta1_power=tf.pow(beta_1, step),
        beta2_power=tf.pow(beta_2, step),
        lr=tf.cast(learning_rate, dtype),
        beta1=beta_1,
        beta2=beta_2,
        epsilon=tf.cast(self.epsilon, dtype),
        grad=tf.cast(gradient, dtype),
    )


def _handle(variable):
    """The TensorFlow resource of a Keras or TensorFlow variable."""
    import keras

    if isinstance(variable, keras.Variable):
        variable = variable.value
    return variable.handle


_KERAS_SEED_KEYS = ("global_random_seed", "global_seed_generator")


@contextmanager
def keras_seed_kept():
    """Put Keras' global seed and seed generator back after the block
    (workaround ``keras_seed_state``); off, the block's seed stays."""
    if not active("keras_seed_state"):
        yield
        return
    from keras.src.backend.common import global_state

    saved = {k: global_state.get_global_attribute(k) for k in _KERAS_SEED_KEYS}
    try:
        yield
    finally:
        for key, value in saved.items():
            global_state.set_global_attribute(key, value)


def set_keras_seed(seed):
    """Seed Keras, Python and NumPy for a fit.

    With workaround ``keras_seed_state``: Keras 3.15's own steps of
    ``keras.utils.set_random_seed`` but its ``tf.random.set_seed`` (see
    ``_random.keras_seed``: it clears TensorFlow's caches) and its import of
    TensorFlow under JAX or torch. Off: ``keras.utils.set_random_seed``.
    """
    import random

    import keras
    import numpy as np

    if not active("keras_seed_state"):
        keras.utils.set_random_seed(seed)
        return
    from keras.src.backend.common import global_state

    global_state.set_global_attribute("global_random_seed", seed)
    global_state.set_global_attribute("global_seed_generator", None)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002


@contextmanager
def tensorflow_determinism(seed):
    """Op determinism and TensorFlow's global seed in the block when a GPU is
    visible (see ``_random.keras_seed``), put back after it through
    TensorFlow's private config (workaround ``keras_seed_state``; off, GPU
    fits are seeded but not bit-identical). With op determinism on,
    TensorFlow's unseeded random ops raise instead of running, so a network
    of the user's own that calls ``tf.random`` needs the global seed there."""
    import tensorflow as tf

    if not active("keras_seed_state") or not tf.config.list_logical_devices("GPU"):
        yield
        return
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config

    turn_on = not config.is_op_determinism_enabled()
    saved = context.global_seed()
    if turn_on:
        config.enable_op_determinism()
        tf.random.set_seed(seed)
    try:
        yield
    finally:
        if turn_on:
            config.disable_op_determinism()
            tf.random.set_seed(saved)


def project_gru_inputs(model):
    """``model``, each unrolled Keras ``GRU`` in it computing its steps with
    the inputs of all steps projected in one product (workaround
    ``gru_projection``).

    The same function as Keras' unrolled GRU (``reset_after=True``, its
    default), with one matrix product of all the steps' inputs by the input
    kernel instead of one per step, and no recurrent product at the first
    step, whose state is zeros: workload B of ``benchmarks/peers.py`` (4
    steps) trains 10-20 % faster. The layer stays a ``keras.layers.GRU``
    (the call is given to the instance), so a saved network loads in plain
    Keras, which computes the same values its own way.
    """
    import keras

    if not active("gru_projection"):
        return model
    for layer in _layers(model):
        if type(layer) is keras.layers.GRU and layer.unroll:
            layer.call = types.MethodType(_projected_gru_call, layer)
    return model


def _layers(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _layers(layer)


def _projected_gru_call(self, sequences, initial_state=None, mask=None, training=False):
    """``keras.layers.GRU.call`` for the plain case, inputs projected at once;
    masks, initial states, dropout in training and the other variants take
    Keras' own path."""
    import keras

    ops, cell = keras.ops, self.cell
    if (
        initial_state is not None
        or mask is not None
        or self.go_backwards
        or self.stateful
        or self.return_state
        or ((cell.dropout or cell.recurrent_dropout) and training)
        or not (cell.reset_after and cell.use_bias)
        # One step never reads the recurrent kernel here, and Keras warns
        # of a variable without gradient; None steps can't be unrolled.
        or sequences.shape[1] in (None, 1)
    ):
        return type(self).call(self, sequences, initial_state, mask, training)
    recurrent_bias = cell.bias[1]
    steps = ops.unstack(ops.matmul(sequences, cell.kernel) + cell.bias[0], axis=1)
    outputs, state = [], None
    for x in steps:
        x_z, x_r, x_h = ops.split(x, 3, axis=-1)
        inner = recurrent_bias
        if state is not None:
            inner = ops.matmul(state, cell.recurrent_kernel) + inner
        inner_z, inner_r, inner_h = ops.split(inner, 3, axis=-1)
        z = cell.recurrent_activation(x_z + inner_z)
        r = cell.recurrent_activation(x_r + inner_r)
        candidate = cell.activation(x_h + r * inner_h)
        state = (
            candidate - z * candidate
            if state is None
            else candidate + z * (state - candidate)
        )
        outputs.append(state)
    return ops.stack(outputs, axis=1) if self.return_sequences else state
