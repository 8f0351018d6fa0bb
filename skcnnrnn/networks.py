"""The seed article's networks as plain Keras functions (no scikit-learn here).

Each builder takes an input shape, the number of outputs and hyper-parameters,
and returns an uncompiled :class:`keras.Model`. They can be used on their own::

    model = build_cnn((28, 28, 3), n_outputs=10, padding="valid")
    model.compile("adam", "sparse_categorical_crossentropy")
"""

import numpy as np

from ._runtime import quiet_tensorflow_start

with quiet_tensorflow_start():  # this may be the first import of TensorFlow
    import keras
    from keras import layers


def build_cnn(
    input_shape,
    n_outputs,
    *,
    filters=(16, 32),
    kernel_size=(3, 3),
    pool_size=(2, 2),
    dense_units=128,
    dropout=0.5,
    padding="same",
    input_mean=None,
    input_variance=None,
    output_activation="softmax",
    output_mean=None,
    output_variance=None,
    auxiliary_outputs=0,
    auxiliary_mean=None,
    auxiliary_variance=None,
    dtype="float32",
    seed=None,
):
    """Build the image CNN of the seed article (section 3.2).

    ``Conv2D(f, kernel_size, relu) -> MaxPooling2D(pool_size)`` for each ``f`` in
    ``filters``, then ``Flatten -> Dense(dense_units, relu) -> Dropout(dropout)
    -> Dense(n_outputs, output_activation)``. With the defaults and
    ``padding="valid"`` this is exactly the seed's network. With
    ``auxiliary_outputs``, a second, linear head on the same features makes it
    the seed's multi-task network (section 2.4).

    Parameters
    ----------
    input_shape : tuple of (int, int, int)
        ``(height, width, channels)`` of one image.
    n_outputs : int
        Units of the output layer (the number of classes).
    filters : tuple of int, default=(16, 32)
        Filters of each convolution block; empty for none.
    kernel_size : tuple of (int, int), default=(3, 3)
        Convolution kernel size.
    pool_size : tuple of (int, int), default=(2, 2)
        Max-pooling window and stride.
    dense_units : int, default=128
        Units of the hidden dense layer.
    dropout : float, default=0.5
        Dropout rate before the output layer.
    padding : {"same", "valid"}, default="same"
        Padding of convolutions and pooling. "same" keeps tiny images (down to
        1 x 1) valid; "valid" is the seed's (Keras' default) and shrinks images.
    input_mean, input_variance : array-like of shape (channels,), default=None
        Per-channel statistics for a leading ``Normalization`` layer; none when
        ``None``.
    output_activation : str, default="softmax"
        Activation of the output layer ("linear" for regression).
    output_mean, output_variance : array-like of shape (n_outputs,), default=None
        Statistics of the targets: a fixed ``Normalization(invert=True)`` after
        the output layer maps its standardised output to the targets' scale,
        so a regression head starts at the right mean and spread. None for no
        such layer.
    auxiliary_outputs : int, default=0
        Units of a second, linear output head on the shared features (the
        seed's multi-task learning). When above 0 the model has two outputs,
        a dict ``{"target": ..., "auxiliary": ...}``.
    auxiliary_mean, auxiliary_variance : array-like of shape \
            (auxiliary_outputs,), default=None
        Statistics of the auxiliary targets, as ``output_mean`` and
        ``output_variance`` are for the main output.
    dtype : str, default="float32"
        Keras dtype policy of the layers ("float32", "float64",
        "mixed_float16", "mixed_bfloat16"). The output layer always computes
        in float32 or wider.
    seed : int, default=None
        Seeds every random initializer and dropout layer, each with its own
        seed drawn from a local generator. None leaves them to Keras, which
        draws from Python's global ``random`` (so another thread using it
        changes the network).

    Returns
    -------
    model : keras.Model
        The uncompiled network.
    """
    seeds = _Seeds(seed)
    inputs = keras.Input(shape=tuple(input_shape))
    x = _normalize(inputs, input_mean, input_variance, dtype)
    x = _conv_blocks(x, filters, kernel_size, pool_size, padding, dtype, seeds)
    x = layers.Flatten(dtype=dtype)(x)
    x = layers.Dense(
        dense_units,
        activation="relu",
        kernel_initializer=seeds.glorot(),
        dtype=dtype,
    )(x)
    x = layers.Dropout(dropout, seed=seeds.next(), dtype=dtype)(x)
    outputs = _head(
        x, n_outputs, output_activation, output_mean, output_variance, dtype, seeds
    )
    if auxiliary_outputs:
        outputs = _with_auxiliary(
            outputs,
            x,
            auxiliary_outputs,
            auxiliary_mean,
            auxiliary_variance,
            dtype,
            seeds,
        )
    return keras.Model(inputs, outputs, name="cnn")


def build_cnn_gru(
    input_shape,
    n_outputs,
    *,
    filters=(32,),
    kernel_size=(3, 3),
    pool_size=(2, 2),
    gru_units=128,
    dropout=0.5,
    padding="same",
    input_mean=None,
    input_variance=None,
    per_step=False,
    output_activation="softmax",
    output_mean=None,
    output_variance=None,
    auxiliary_outputs=0,
    auxiliary_mean=None,
    auxiliary_variance=None,
    dtype="float32",
    seed=None,
):
    """Build the CNN-GRU sequence network of the seed article (section 3.5).

    Every layer of the convolution blocks is wrapped in ``TimeDistributed`` so
    the same CNN encodes each frame, then ``TimeDistributed(Flatten) ->
    GRU(gru_units) -> Dropout(dropout) -> Dense(n_outputs, output_activation)``:
    one prediction per sequence. With ``per_step=True`` it is the seed's
    labelling network instead: ``GRU(gru_units, return_sequences=True) ->
    Dropout(dropout) -> TimeDistributed(Dense(n_outputs, output_activation))``,
    one prediction per step, each from the frames up to that step.

    Parameters
    ----------
    input_shape : tuple of (int, int, int, int)
        ``(steps, height, width, channels)`` of one sequence.
    n_outputs : int
        Units of the output layer (the number of classes).
    filters : tuple of int, default=(32,)
        Filters of each per-frame convolution block; empty for none.
    kernel_size : tuple of (int, int), default=(3, 3)
        Convolution kernel size.
    pool_size : tuple of (int, int), default=(2, 2)
        Max-pooling window and stride.
    gru_units : int, default=128
        Units of the GRU.
    dropout : float, default=0.5
        Dropout rate after the GRU.
    padding : {"same", "valid"}, default="same"
        Padding of convolutions and pooling, see :func:`build_cnn`.
    input_mean, input_variance : array-like of shape (channels,), default=None
        Per-channel statistics for a leading ``Normalization`` layer.
    per_step : bool, default=False
        One output per step (``(steps, n_outputs)`` per sequence) rather than
        one per sequence.
    output_activation, output_mean, output_variance : see :func:`build_cnn`
        The output layer's activation and target statistics.
    auxiliary_outputs, auxiliary_mean, auxiliary_variance : see :func:`build_cnn`
        A second, linear head, one output per sequence: it reads the GRU's
        last state, also when ``per_step`` is True.
    dtype : str, default="float32"
        Keras dtype policy of the layers, see :func:`build_cnn`.
    seed : int, default=None
        Seeds the initializers and dropout, see :func:`build_cnn`.

    Returns
    -------
    model : keras.Model
        The uncompiled network.
    """
    seeds = _Seeds(seed)
    inputs = keras.Input(shape=tuple(input_shape))
    x = _normalize(inputs, input_mean, input_variance, dtype)
    x = _conv_blocks(
        x, filters, kernel_size, pool_size, padding, dtype, seeds, per_step=True
    )
    x = layers.TimeDistributed(layers.Flatten(dtype=dtype), dtype=dtype)(x)
    x = layers.GRU(
        gru_units,
        kernel_initializer=seeds.glorot(),
        recurrent_initializer=seeds.orthogonal(),
        seed=seeds.next(),
        return_sequences=per_step,
        return_state=per_step,  # the last state feeds an auxiliary head
        dtype=dtype,
    )(x)
    if per_step:
        x, last = x
    x = layers.Dropout(dropout, seed=seeds.next(), dtype=dtype)(x)
    outputs = _head(
        x,
        n_outputs,
        output_activation,
        output_mean,
        output_variance,
        dtype,
        seeds,
        per_step=per_step,
    )
    if auxiliary_outputs:
        if per_step:  # the auxiliary target is per sequence: the last state
            last = layers.Dropout(dropout, seed=seeds.next(), dtype=dtype)(last)
        outputs = _with_auxiliary(
            outputs,
            last if per_step else x,
            auxiliary_outputs,
            auxiliary_mean,
            auxiliary_variance,
            dtype,
            seeds,
        )
    return keras.Model(inputs, outputs, name="cnn_gru")


def conv_output_size(size, n_blocks, kernel_size, pool_size, padding):
    """Height and width of a ``(height, width)`` image after the conv blocks."""
    size = np.asarray(size)
    kernel_size, pool_size = np.asarray(kernel_size), np.asarray(pool_size)
    for _ in range(n_blocks):
        if padding == "same":
            size = -(-size // pool_size)
        else:
            size = (size - kernel_size + 1 - pool_size) // pool_size + 1
    return tuple(int(s) for s in size)


def _conv_blocks(
    x, filters, kernel_size, pool_size, padding, dtype, seeds, per_step=False
):
    size = tuple(x.shape[-3:-1])
    out = conv_output_size(size, len(filters), kernel_size, pool_size, padding)
    if min(out) < 1:
        raise ValueError(
            f"padding={padding!r} shrinks {size[0]}x{size[1]} images below one "
            f"pixel in {len(filters)} convolution blocks (kernel_size="
            f"{tuple(kernel_size)}, pool_size={tuple(pool_size)}); use "
            "padding='same', fewer filters or larger images."
        )
    wrap = (
        (lambda layer: layers.TimeDistributed(layer, dtype=dtype))
        if per_step
        else (lambda layer: layer)
    )
    for n_filters in filters:
        x = wrap(
            layers.Conv2D(
                n_filters,
                kernel_size,
                activation="relu",
                padding=padding,
                kernel_initializer=seeds.glorot(),
                dtype=dtype,
            )
        )(x)
        x = wrap(layers.MaxPooling2D(pool_size, padding=padding, dtype=dtype))(x)
    return x


def _normalize(inputs, mean, variance, dtype, invert=False):
    """Standardise ``inputs`` per channel (or, inverted, map back); None: as is."""
    if mean is None:
        return inputs
    return layers.Normalization(
        axis=-1,
        mean=np.asarray(mean, dtype=np.float64),
        variance=np.asarray(variance, dtype=np.float64),
        invert=invert,
        dtype=dtype,
    )(inputs)


def _head(x, n_outputs, activation, mean, variance, dtype, seeds, per_step=False):
    # Mixed precision computes the head in float32 so softmax stays accurate.
    head_dtype = "float64" if dtype == "float64" else "float32"
    dense = layers.Dense(
        n_outputs,
        activation=activation,
        kernel_initializer=seeds.glorot(),
        dtype=head_dtype,
    )
    x = (layers.TimeDistributed(dense, dtype=head_dtype) if per_step else dense)(x)
    return _normalize(x, mean, variance, head_dtype, invert=True)


def _with_auxiliary(outputs, features, n_outputs, mean, variance, dtype, seeds):
    auxiliary = _head(features, n_outputs, "linear", mean, variance, dtype, seeds)
    return {"target": outputs, "auxiliary": auxiliary}


class _Seeds:
    """Distinct seeds for the random layers of one network, or None each.

    Drawn from a generator of their own: Keras' default draws each layer's
    seed from Python's global ``random``, which any other thread of the
    process (a Dask worker's event loop, say) may be using at the same time.
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
