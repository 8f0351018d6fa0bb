"""Seeds for the random layers of one network (plain Keras, like networks.py)."""

import numpy as np

from ._keras import keras


class Seeds:
    """Distinct seeds for the random layers of one network, or None each
    (Keras' default draws from Python's global ``random``, shared by threads)."""

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
