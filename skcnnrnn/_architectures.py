"""Which built-in network each estimator trains, and how ``X`` reaches it.

``CNNNetworkMixin`` and ``CNNGRUNetworkMixin`` are shared by a classifier
and a regressor each: the parameters of the built-in body (used when
``network`` is None), the body itself, and how validated ``X`` becomes the
network's input.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._images import resized_images
from ._input import (
    as_images,
    as_positive_ints,
    as_positive_pair,
    as_sequences,
    as_shape,
)
from .networks import cnn_body, cnn_gru_body
from .sequences import MaskedSteps, padded_sequences

_CONV_CONSTRAINTS = {
    "filters": [tuple, list, Interval(Integral, 1, None, closed="left")],
    "kernel_size": [tuple, list, Interval(Integral, 1, None, closed="left")],
    "pool_size": [tuple, list, Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "padding": [StrOptions({"same", "valid"})],
}


def _conv_params(estimator):
    """The convolution blocks' parameters, checked (before any data)."""
    return {
        "filters": as_positive_ints(estimator.filters, "filters"),
        "kernel_size": as_positive_pair(estimator.kernel_size, "kernel_size"),
        "pool_size": as_positive_pair(estimator.pool_size, "pool_size"),
        "dropout": estimator.dropout,
        "padding": estimator.padding,
    }


class CNNNetworkMixin:
    """The image CNN (``cnn_body``): images in, features per image."""

    _parameter_constraints: dict = {
        **_CONV_CONSTRAINTS,
        "dense_units": [Interval(Integral, 1, None, closed="left")],
        "image_shape": [tuple, list, None],
    }
    _max_ndim = 4
    _shape_param = "image_shape"
    _sequence = False
    _default_network = staticmethod(cnn_body)

    def _architecture_params(self):
        as_shape(self.image_shape, "image_shape")
        return {**_conv_params(self), "dense_units": self.dense_units}

    def _rows(self, X, reset):
        shape = as_shape(self.image_shape, "image_shape")
        return resized_images(X, shape, type(self).__name__)

    def _network_input(self, X):
        return as_images(X, as_shape(self.image_shape, "image_shape"))

    def _steps(self, inputs):
        return None  # images have no steps: a 2-D y is k label columns


class CNNGRUNetworkMixin:
    """The CNN-GRU (``cnn_gru_body``): frame sequences in, features per step."""

    _parameter_constraints: dict = {
        **_CONV_CONSTRAINTS,
        "gru_units": [Interval(Integral, 1, None, closed="left")],
        "frame_shape": [tuple, list, None],
    }
    _max_ndim = 5
    _shape_param = "frame_shape"
    _sequence = True
    _default_network = staticmethod(cnn_gru_body)

    def _architecture_params(self):
        as_shape(self.frame_shape, "frame_shape")
        return {**_conv_params(self), "gru_units": self.gru_units}

    def _rows(self, X, reset):
        frame_shape = as_shape(self.frame_shape, "frame_shape")
        padded = not reset and getattr(self, "variable_length_", False)
        return padded_sequences(X, frame_shape, always=padded)

    def _network_input(self, X):
        sequences = as_sequences(X, as_shape(self.frame_shape, "frame_shape"))
        if getattr(X, "lengths", None) is None:
            return sequences
        # Padded sequences of different lengths: NaN frames mark the padding
        # for the network's mask (networks.build_model(masked=True)).
        dtype = np.float64 if self.dtype == "float64" else np.float32
        return MaskedSteps(X, self.input_shape_[0], dtype)

    def _steps(self, inputs):
        return inputs.shape[1]  # a 2-D y with one column per step labels steps
