"""Keras layers and seeding of the built-in networks (no scikit-learn here)."""

import numpy as np

from ._runtime import quiet_tensorflow_start

with quiet_tensorflow_start():  # this may be the first import of TensorFlow
    import keras
    from keras import layers

# Unrolling a short GRU saves the loop's per-step overhead (about 10% of a
# 4-step training); long sequences would pay for it in tracing time.
UNROLL_STEPS = 8


@keras.saving.register_keras_serializable(package="skcnnrnn")
class FoldSteps(layers.Layer):
    """``(batch, steps, *frame) -> (batch * steps, *frame)``: frames as images."""

    def call(self, inputs):
        return keras.ops.reshape(inputs, (-1, *inputs.shape[2:]))

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        batch = None if None in (input_shape[0], steps) else input_shape[0] * steps
        return (batch, *input_shape[2:])


@keras.saving.register_keras_serializable(package="skcnnrnn")
class UnfoldSteps(layers.Layer):
    """``(batch * steps, *features) -> (batch, steps, prod(features))``."""

    def __init__(self, steps, **kwargs):
        super().__init__(**kwargs)
        self.steps = steps

    def call(self, inputs):
        size = int(np.prod(inputs.shape[1:]))
        return keras.ops.reshape(inputs, (-1, self.steps, size))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.steps
        return (batch, self.steps, int(np.prod(input_shape[1:])))

    def get_config(self):
        return {**super().get_config(), "steps": self.steps}


class Seeds:
    """Distinct seeds for the random layers of one network, or None each.

    Keras' default draws each layer's seed from Python's global ``random``,
    which another thread (a Dask worker's event loop) may be using meanwhile.
    """

    def __init__(self, seed):
        self._rng = None if seed is None else np.random.default_rng(seed)

    def next(self):
        if self._rng is None:
            return None
        return int(self._rng.integers(1, 2**31 - 1))

    def glorot(self):
        return keras.initializers.GlorotUniform(seed=self.next())

    def orthogonal(self):
        return keras.initializers.Orthogonal(seed=self.next())
