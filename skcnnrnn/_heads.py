"""What :func:`skcnnrnn.networks.build_model` puts around a body: the input
normalisation, the features the heads read, and the heads themselves.

Their layers have fixed names, so that freezing a body (``freeze_body``)
can tell the body's layers from these."""

from typing import NamedTuple

import numpy as np

from ._keras import keras

layers = keras.layers

INPUT_NORMALIZATION, HEAD_PREFIX = "input_normalization", "head_"


class Head(NamedTuple):
    """One output layer of :func:`build_model`.

    Parameters
    ----------
    units : int
        Number of outputs (classes, or regression targets).
    activation : str, default="softmax"
        Activation of the output layer ("linear" for regression).
    per_step : bool, default=False
        One output per step of a sequence rather than one per sample.
    mean, variance : array-like of shape (units,), default=None
        A fixed ``Normalization(invert=True)`` after the layer, mapping its
        standardised output to the targets' scale (regression).
    """

    units: int
    activation: str = "softmax"
    per_step: bool = False
    mean: object = None
    variance: object = None


def features_of(features, input_shape, sequence):
    """The body's output as (per-sample features, per-step features or None)."""
    if not sequence:
        if len(features.shape) > 2:
            features = layers.Flatten()(features)
        return features, None
    if len(features.shape) == 2:
        return features, None
    steps = input_shape[0]
    if features.shape[1] != steps:
        raise ValueError(
            f"The network body returned shape {tuple(features.shape)} for "
            f"sequences of {steps} steps: a per-step output must keep the steps "
            f"as its second axis, (batch, {steps}, features)."
        )
    if len(features.shape) > 3:
        features = layers.Reshape((steps, -1))(features)
    return features[:, -1], features


def normalize(inputs, mean, variance, dtype, invert=False, name=INPUT_NORMALIZATION):
    """Standardise ``inputs`` per channel (or, inverted, map back); None: as is."""
    if mean is None:
        return inputs
    return layers.Normalization(
        axis=-1,
        mean=np.asarray(mean, dtype=np.float64),
        variance=np.asarray(variance, dtype=np.float64),
        invert=invert,
        dtype=dtype,
        name=name,
    )(inputs)


def output_layer(x, head, dtype, seeds, name):
    # Mixed precision computes the head in float32 so softmax stays accurate.
    head_dtype = "float64" if dtype == "float64" else "float32"
    dense = layers.Dense(
        head.units,
        activation=head.activation,
        kernel_initializer=seeds.glorot(),
        dtype=head_dtype,
        name=name,
    )
    # Dense maps the last axis, so per-step features need no TimeDistributed
    # (which would loop over the steps).
    x = dense(x)
    return normalize(x, head.mean, head.variance, head_dtype, True, f"{name}_units")
