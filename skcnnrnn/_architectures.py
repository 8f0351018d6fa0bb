"""Which network each estimator trains, and how its parameters reach it.

``CNNNetworkMixin`` and ``CNNGRUNetworkMixin`` are shared by a classifier
and a regressor each: the parameters of the architecture, how validated
``X`` becomes the network's input, and the Keras builder.
"""

from numbers import Integral

from sklearn.utils._param_validation import Interval

from ._input import as_images, as_sequences, as_shape
from .networks import build_cnn, build_cnn_gru


def store_parameters(estimator, parameters):
    """``__init__``'s whole job: keep each argument as an attribute.

    ``parameters`` is the ``locals()`` of ``__init__``; routed parameters
    (``**kwargs``) are stored under their own names, as scikeras does.
    """
    parameters = dict(parameters)
    for name in ("self", "__class__"):
        parameters.pop(name, None)
    routed = parameters.pop("kwargs")
    vars(estimator).update(parameters)
    vars(estimator).update(routed)


class CNNNetworkMixin:
    """The image CNN (``build_cnn``): images in, one output per image."""

    _parameter_constraints: dict = {
        "dense_units": [Interval(Integral, 1, None, closed="left")],
        "image_shape": [tuple, list, None],
    }
    _max_ndim = 4

    def _network_kwargs(self):
        as_shape(self.image_shape, "image_shape")
        return {**super()._network_kwargs(), "dense_units": self.dense_units}

    def _network_input(self, X):
        return as_images(X, as_shape(self.image_shape, "image_shape"))

    _build_network = staticmethod(build_cnn)


class CNNGRUNetworkMixin:
    """The CNN-GRU (``build_cnn_gru``): frame sequences in."""

    _parameter_constraints: dict = {
        "gru_units": [Interval(Integral, 1, None, closed="left")],
        "frame_shape": [tuple, list, None],
    }
    _max_ndim = 5

    def _network_kwargs(self):
        as_shape(self.frame_shape, "frame_shape")
        return {**super()._network_kwargs(), "gru_units": self.gru_units}

    def _network_input(self, X):
        return as_sequences(X, as_shape(self.frame_shape, "frame_shape"))

    _build_network = staticmethod(build_cnn_gru)
