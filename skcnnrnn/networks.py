"""The seed article's networks as plain Keras functions (no scikit-learn here).

A network is a body, ``body(inputs, **params) -> features`` (``cnn_body``,
``cnn_gru_body`` or any such function), and heads: :func:`build_model` adds
input normalisation and one output layer per head; :func:`build_cnn` and
:func:`build_cnn_gru` are the seed's whole networks."""

import inspect
from functools import partial

import numpy as np

from ._heads import HEAD_PREFIX, Head, features_of, normalize, output_layer
from ._keras import keras
from ._seeds import Seeds

layers = keras.layers

# Unrolled, a short GRU trains ~10% faster (4 steps); long ones trace slowly.
UNROLL_STEPS = 8


def cnn_body(
    inputs,
    *,
    filters=(16, 32),
    kernel_size=(3, 3),
    pool_size=(2, 2),
    dense_units=128,
    dropout=0.5,
    padding="same",
    dtype="float32",
    seed=None,
):
    """The image CNN of the seed article (section 3.2), without its output layer.

    ``Conv2D(f, kernel_size, relu) -> MaxPooling2D(pool_size)`` for each ``f``
    in ``filters``, then ``Flatten -> Dense(dense_units, relu) ->
    Dropout(dropout)``.

    Parameters
    ----------
    inputs : keras.KerasTensor of shape (batch, height, width, channels)
        The (normalised) images.
    filters : tuple of int, default=(16, 32)
        Filters of each convolution block; empty for none.
    kernel_size : tuple of (int, int), default=(3, 3)
        Convolution kernel size.
    pool_size : tuple of (int, int), default=(2, 2)
        Max-pooling window and stride.
    dense_units : int, default=128
        Units of the hidden dense layer.
    dropout : float, default=0.5
        Dropout rate after the dense layer.
    padding : {"same", "valid"}, default="same"
        Padding of convolutions and pooling. "same" keeps tiny images (down to
        1 x 1) valid; "valid" is the seed's (Keras' default) and shrinks images.
    dtype : str, default="float32"
        Keras dtype policy of the layers ("float32", "float64",
        "mixed_float16", "mixed_bfloat16").
    seed : int, default=None
        Seeds every random initializer and dropout layer, each with its own
        seed drawn from a local generator. None leaves them to Keras, which
        draws from Python's global ``random`` (so another thread using it
        changes the network).

    Returns
    -------
    features : keras.KerasTensor of shape (batch, dense_units)
        One feature vector per image.
    """
    seeds = Seeds(seed)
    x = _conv_blocks(inputs, filters, kernel_size, pool_size, padding, dtype, seeds)
    x = layers.Flatten(dtype=dtype)(x)
    x = layers.Dense(
        dense_units, activation="relu", kernel_initializer=seeds.glorot(), dtype=dtype
    )(x)
    return layers.Dropout(dropout, seed=seeds.next(), dtype=dtype)(x)


def cnn_gru_body(
    inputs,
    *,
    filters=(32,),
    kernel_size=(3, 3),
    pool_size=(2, 2),
    gru_units=128,
    dropout=0.5,
    padding="same",
    dtype="float32",
    seed=None,
    mask=None,
):
    """The CNN-GRU of the seed article (section 3.5), without its output layer.

    The same convolution blocks encode every frame, then ``Flatten`` (per
    frame) ``-> GRU(gru_units, return_sequences=True) -> Dropout(dropout)``:
    one feature vector per step, each from the frames up to that step. A head
    with one output per sequence reads the last step (the GRU's last state).

    The seed wraps each per-frame layer in ``TimeDistributed``; here the
    frames are folded into the batch axis (``keras.ops.reshape``): the same
    function, the CNN run once on ``(batch * steps, h, w, c)`` (1.5x faster
    for 4 steps). Up to ``UNROLL_STEPS`` steps the GRU is unrolled. Only
    Keras' own layers and ops: a saved network loads in plain Keras.

    Parameters
    ----------
    inputs : keras.KerasTensor of shape (batch, steps, height, width, channels)
        The (normalised) frame sequences.
    filters : tuple of int, default=(32,)
        Filters of each per-frame convolution block; empty for none.
    kernel_size, pool_size : tuple of (int, int), default=(3, 3) and (2, 2)
        Convolution kernel and max-pooling window, as for :func:`cnn_body`.
    gru_units : int, default=128
        Units of the GRU.
    dropout : float, default=0.5
        Dropout rate after the GRU.
    padding : {"same", "valid"}, default="same"
        As for :func:`cnn_body`.
    dtype : str, default="float32"
        As for :func:`cnn_body`.
    seed : int, default=None
        As for :func:`cnn_body`.
    mask : keras.KerasTensor of shape (batch, steps), default=None
        Which steps hold frames (True) and which are padding, for sequences
        of different lengths padded at the end: the GRU skips the padding,
        and keeps the last real step's output over it.

    Returns
    -------
    features : keras.KerasTensor of shape (batch, steps, gru_units)
        One feature vector per step.
    """
    seeds = Seeds(seed)
    steps = inputs.shape[1]
    # keras.ops on symbolic tensors are nodes of the functional graph, saved
    # and loaded by plain Keras (no custom layer to register).
    frames = keras.ops.reshape(inputs, (-1, *inputs.shape[2:]))
    x = _conv_blocks(frames, filters, kernel_size, pool_size, padding, dtype, seeds)
    x = keras.ops.reshape(x, (-1, steps, int(np.prod(x.shape[1:]))))
    x = layers.GRU(
        gru_units,
        kernel_initializer=seeds.glorot(),
        recurrent_initializer=seeds.orthogonal(),
        seed=seeds.next(),
        return_sequences=True,
        unroll=steps is not None and steps <= UNROLL_STEPS,
        dtype=dtype,
    )(x, mask=mask)
    return layers.Dropout(dropout, seed=seeds.next(), dtype=dtype)(x)


def build_model(
    input_shape,
    body,
    heads,
    *,
    sequence=False,
    input_mean=None,
    input_variance=None,
    dtype="float32",
    seed=None,
    name=None,
    masked=False,
    augment=None,
):
    """Normalise the input, run ``body`` and put ``heads`` on its features.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample: ``(height, width, channels)`` of an image, or
        ``(steps, height, width, channels)`` of a sequence.
    body : callable
        ``body(inputs)`` returns the features: ``(batch, features)`` (one
        vector per sample), or for a sequence ``(batch, steps, features)``
        (one per step; heads with one output per sequence read the last step).
        Larger feature maps are flattened (per step for a sequence).
        A body whose signature names ``raw_inputs`` also gets the input
        before normalisation (after augmentation), for a pretrained
        network's own preprocessing (:mod:`skcnnrnn.backbones`).
    heads : dict of str to Head
        The output layers, by output name.
    sequence : bool, default=False
        Whether the input is a sequence of frames, whose first axis is steps.
    input_mean, input_variance : array-like of shape (channels,), default=None
        Per-channel statistics for a leading ``Normalization`` layer, if given.
    dtype : str, default="float32"
        Keras dtype policy of the normalisation; heads compute in float32 (or
        float64) so a softmax stays accurate.
    seed : int, default=None
        Seeds the heads' initializers.
    name : str, default=None
        Name of the model.
    masked : bool, default=False
        Sequences of different lengths, padded at the end with NaN frames:
        the padding is set to zeros and ``body`` is called with ``mask=``,
        True for the real steps (:func:`cnn_gru_body` takes it).
    augment : callable, default=None
        Train-only augmentation of the input, before normalisation
        (:func:`skcnnrnn.augmentation.augmentation`).

    Returns
    -------
    model : keras.Model
        The uncompiled network, whose outputs are a dict keyed like ``heads``.
    """
    inputs = keras.Input(shape=tuple(input_shape))
    x, kwargs = inputs, {}
    if masked:  # ops on symbolic tensors: a saved network loads in plain Keras
        x = keras.ops.where(keras.ops.isnan(inputs), 0.0, inputs)
        kwargs["mask"] = keras.ops.logical_not(keras.ops.isnan(inputs[:, :, 0, 0, 0]))
    x = x if augment is None else augment(x)
    if "raw_inputs" in inspect.signature(body).parameters:  # e.g. a backbone's
        kwargs["raw_inputs"] = x  # own preprocessing (skcnnrnn.backbones)
    features = body(normalize(x, input_mean, input_variance, dtype), **kwargs)
    if not isinstance(features, keras.KerasTensor):
        raise TypeError(
            f"The network body must return a Keras tensor, got {type(features)!r}."
        )
    per_sample, per_step = features_of(features, input_shape, sequence)
    seeds = Seeds(None if seed is None else seed + 1)
    outputs = {}
    for key, head in heads.items():
        if head.per_step and per_step is None:
            raise ValueError(
                "Per-step labels need a network body that returns one feature "
                f"vector per step, of shape (batch, {input_shape[0]}, features); "
                f"this body returned shape {tuple(features.shape)}."
            )
        x = per_step if head.per_step else per_sample
        outputs[key] = output_layer(x, head, dtype, seeds, f"{HEAD_PREFIX}{key}")
    return keras.Model(inputs, outputs, name=name)


def build_cnn(
    input_shape,
    n_outputs,
    *,
    output_activation="softmax",
    auxiliary_outputs=0,
    dtype="float32",
    seed=None,
    **kwargs,
):
    """Build the image CNN of the seed article (section 3.2).

    :func:`cnn_body` followed by ``Dense(n_outputs, output_activation)``. With
    the defaults and ``padding="valid"`` this is exactly the seed's network.
    With ``auxiliary_outputs``, a second, linear head on the same features
    makes it the seed's multi-task network (section 2.4).

    Parameters
    ----------
    input_shape : tuple of (int, int, int)
        ``(height, width, channels)`` of one image.
    n_outputs : int
        Units of the output layer (the number of classes).
    output_activation : str, default="softmax"
        Activation of the output layer ("linear" for regression).
    auxiliary_outputs : int, default=0
        Units of a second, linear output head. When above 0 the model has two
        outputs, a dict ``{"target": ..., "auxiliary": ...}``.
    dtype : str, default="float32"
        Keras dtype policy of the layers, see :func:`cnn_body`.
    seed : int, default=None
        Seeds the initializers and dropout, see :func:`cnn_body`.
    **kwargs : dict
        ``input_mean`` and ``input_variance`` (per-channel statistics for a
        leading ``Normalization`` layer, see :func:`build_model`), and
        parameters of :func:`cnn_body` (``filters``, ``padding``...).

    Returns
    -------
    model : keras.Model
        The uncompiled network.
    """
    head = Head(n_outputs, output_activation)
    return _whole_network(
        input_shape, cnn_body, head, auxiliary_outputs, dtype, seed, **kwargs
    )


def build_cnn_gru(
    input_shape,
    n_outputs,
    *,
    per_step=False,
    output_activation="softmax",
    auxiliary_outputs=0,
    dtype="float32",
    seed=None,
    **kwargs,
):
    """Build the CNN-GRU sequence network of the seed article (section 3.5).

    :func:`cnn_gru_body` followed by ``Dense(n_outputs, output_activation)`` on
    the last step: one prediction per sequence. With ``per_step=True`` it is
    the seed's labelling network instead, ``TimeDistributed(Dense(n_outputs,
    output_activation))``: one prediction per step, each from the frames up to
    that step.

    Parameters
    ----------
    input_shape : tuple of (int, int, int, int)
        ``(steps, height, width, channels)`` of one sequence.
    n_outputs : int
        Units of the output layer (the number of classes).
    per_step : bool, default=False
        One output per step (``(steps, n_outputs)`` per sequence) rather than
        one per sequence.
    output_activation : str, default="softmax"
        As for :func:`build_cnn`.
    auxiliary_outputs : int, default=0
        Units of a second, linear head with one output per sequence (it reads
        the last step, also when ``per_step`` is True); see :func:`build_cnn`.
    dtype : str, default="float32"
        As for :func:`cnn_body`.
    seed : int, default=None
        As for :func:`cnn_body`.
    **kwargs : dict
        ``input_mean`` and ``input_variance`` (see :func:`build_cnn`), and
        parameters of :func:`cnn_gru_body` (``filters``, ``gru_units``...).

    Returns
    -------
    model : keras.Model
        The uncompiled network.
    """
    head = Head(n_outputs, output_activation, per_step=per_step)
    return _whole_network(
        input_shape, cnn_gru_body, head, auxiliary_outputs, dtype, seed, **kwargs
    )


def _conv_blocks(x, filters, kernel_size, pool_size, padding, dtype, seeds):
    size = out = np.array(x.shape[-3:-1])
    for _ in filters:  # the image size after each block
        if padding == "same":
            out = -(-out // pool_size)
        else:
            out = (out - np.array(kernel_size) + 1 - pool_size) // pool_size + 1
    if min(out) < 1:
        raise ValueError(
            f"padding={padding!r} shrinks {size[0]}x{size[1]} images below one "
            f"pixel in {len(filters)} convolution blocks (kernel_size="
            f"{kernel_size}, pool_size={pool_size}); use "
            "padding='same', fewer filters or larger images."
        )

    for n_filters in filters:
        conv = layers.Conv2D(
            n_filters,
            kernel_size,
            activation="relu",
            padding=padding,
            kernel_initializer=seeds.glorot(),
            dtype=dtype,
        )
        x = conv(x)
        x = layers.MaxPooling2D(pool_size, padding=padding, dtype=dtype)(x)
    return x


def _whole_network(input_shape, body, head, auxiliary_outputs, dtype, seed, **kwargs):
    """``body`` with a ``"target"`` head (and an auxiliary); ``kwargs`` are
    ``input_mean``, ``input_variance`` and the body's own parameters."""
    statistics = {k: kwargs.pop(k, None) for k in ("input_mean", "input_variance")}
    heads = {"target": head}
    if auxiliary_outputs:
        heads["auxiliary"] = Head(auxiliary_outputs, "linear")
    model = build_model(
        input_shape,
        partial(body, dtype=dtype, seed=seed, **kwargs),
        heads,
        sequence=body is cnn_gru_body,
        dtype=dtype,
        seed=seed,
        name=body.__name__.removesuffix("_body"),
        **statistics,
    )
    if auxiliary_outputs:
        return model
    return keras.Model(model.input, model.output["target"], name=model.name)
