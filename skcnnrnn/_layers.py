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
class UnrolledGRU(layers.GRU):
    """Keras' ``GRU``, unrolled, with the inputs of every step projected at once.

    The same layer as ``GRU(..., unroll=True)`` (weights, configuration and
    function; ``reset_after=True``, Keras' default), computed with one
    matrix product of the inputs of all steps by the input kernel instead of
    one per step inside the recurrence (Keras' ``GRUCell`` is written for
    one step at a time), and no recurrent product at the first step, whose
    state is zeros. In the training step of the CNN-GRU of
    ``benchmarks/peers.py`` (workload B, 4 steps) that is 15 matrix products
    instead of 26 and 595 operations other than constants instead of 701;
    in plain Keras fits of that network its later epochs took 0.18 s
    instead of 0.22 s. Masks, initial states, returned states, the cell's
    dropouts, single steps and the other variants take Keras' own path.
    """

    def __init__(self, units, **kwargs):
        super().__init__(units, **{**kwargs, "unroll": True})

    def call(self, sequences, initial_state=None, mask=None, training=False):
        cell = self.cell
        if (
            initial_state is not None
            or mask is not None
            or self.go_backwards
            or self.stateful
            or self.return_state
            or ((cell.dropout or cell.recurrent_dropout) and training)
            or not (cell.reset_after and cell.use_bias)
            # One step never reads the recurrent kernel here, and Keras
            # warns of a variable without gradient; None can't be unrolled.
            or sequences.shape[1] in (None, 1)
        ):
            return super().call(sequences, initial_state, mask, training)
        bias, recurrent_bias = cell.bias[0], cell.bias[1]
        steps = keras.ops.unstack(
            keras.ops.matmul(sequences, cell.kernel) + bias, axis=1
        )
        outputs, state = [], None
        for x in steps:
            x_z, x_r, x_h = keras.ops.split(x, 3, axis=-1)
            inner = recurrent_bias
            if state is not None:
                inner = keras.ops.matmul(state, cell.recurrent_kernel) + inner
            inner_z, inner_r, inner_h = keras.ops.split(inner, 3, axis=-1)
            z = cell.recurrent_activation(x_z + inner_z)
            r = cell.recurrent_activation(x_r + inner_r)
            candidate = cell.activation(x_h + r * inner_h)
            state = (
                candidate - z * candidate
                if state is None
                else (candidate + z * (state - candidate))
            )
            outputs.append(state)
        return keras.ops.stack(outputs, axis=1) if self.return_sequences else state


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
