"""The one module that imports Keras (and with it TensorFlow) for skcnnrnn.

Every other module takes ``keras`` from here, so the framework is imported
once, the first time an estimator is used (``import skcnnrnn`` and
``PatchTiler`` never import it), through the import-time workarounds of
``_workarounds.py``: TensorFlow's start-up INFO lines dropped, its thread
pools sized to ``OMP_NUM_THREADS``. Both are process-wide and can only act
before TensorFlow starts; when keras was imported before skcnnrnn, they
cannot (docs: "Quiet by default").
"""

from ._workarounds import cap_tensorflow_threads, quiet_tensorflow_import

with quiet_tensorflow_import():
    import keras

cap_tensorflow_threads()

__all__ = ["keras", "backend", "on_tensorflow"]


def backend():
    """The Keras backend of this process: "tensorflow", "jax" or "torch"."""
    return keras.backend.backend()


def on_tensorflow():
    """Whether Keras runs on TensorFlow (its default backend), not JAX or torch.

    The TensorFlow-only paths (``tf.distribute``, op determinism, thread
    pools, the gradient-registry workaround) run only then.
    """
    return backend() == "tensorflow"
