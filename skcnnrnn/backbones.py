"""Pretrained networks as bodies (``network=``), and freezing a body.

Plain Keras functions, no scikit-learn here. :func:`application_body` makes
a body of a ``keras.applications`` model (random weights, or weights from a
local file: ``weights="imagenet"`` downloads them once), :func:`saved_body`
of a saved ``.keras`` network; both are used as they are or frozen in part
(the estimators' ``freeze_body``, :func:`set_frozen`). A fitted network
holds the backbone as a nested model: its ``.keras`` file loads in plain
Keras.
"""

from ._heads import HEAD_PREFIX, INPUT_NORMALIZATION
from ._keras import keras


def application_body(
    inputs,
    *,
    application="MobileNetV3Small",
    weights=None,
    pooling="avg",
    preprocess=True,
    gru_units=128,
    raw_inputs=None,
    **params,
):
    """A ``keras.applications`` model without its top, as a network body.

    Parameters
    ----------
    inputs : KerasTensor of shape (batch, height, width, channels)
        The normalised images, or sequences ``(batch, steps, height, width,
        channels)`` (each frame through the model, then a GRU). One channel
        is repeated to the three the models take.
    application : str, default="MobileNetV3Small"
        Name of the model in ``keras.applications`` ("MobileNetV3Small",
        "EfficientNetB0", "ResNet50", ...).
    weights : str or None, default=None
        None for random weights, a path to a weights file of the model
        without its top (``include_top=False``), or "imagenet" (downloaded
        once into ``~/.keras/models``; machines without internet need the
        file).
    pooling : {"avg", "max"}, default="avg"
        How the last feature map becomes a vector.
    preprocess : bool, default=True
        Feed the model the images before normalisation (``raw_inputs``,
        pixel values 0-255, as ``ImageReader`` reads them by default) through
        the model's own ``preprocess_input``, as its pretrained weights
        expect; False feeds it the estimator's standardised input.
    gru_units : int, default=128
        Units of the GRU after the frames' features (sequences only).
    raw_inputs : KerasTensor, default=None
        The input before normalisation; ``build_model`` passes it.
    **params : dict
        Further arguments of the model's function (e.g. ``alpha``,
        ``minimalistic`` of MobileNetV3).

    Returns
    -------
    features : KerasTensor of shape (batch, features) or (batch, steps, features)

    Examples
    --------
    >>> import keras
    >>> from skcnnrnn.backbones import application_body
    >>> images = keras.Input((32, 32, 3))
    >>> application_body(images, raw_inputs=images, minimalistic=True).shape
    (None, 576)
    """
    build = getattr(keras.applications, application, None)
    if not callable(build):
        raise ValueError(
            f"application={application!r} is not a model of keras.applications."
        )
    x = raw_inputs if preprocess and raw_inputs is not None else inputs
    if preprocess:
        x = _preprocess_input(build)(x)
    if x.shape[-1] == 1:
        x = keras.ops.repeat(x, 3, axis=-1)
    frames = x.shape[2:] if len(x.shape) == 5 else x.shape[1:]
    backbone = build(
        include_top=False,
        weights=weights,
        input_shape=tuple(frames),
        pooling=pooling,
        **params,
    )
    if len(x.shape) == 4:
        return backbone(x)
    steps = keras.layers.TimeDistributed(backbone)(x)
    return keras.layers.GRU(gru_units, return_sequences=True)(steps)


def saved_body(inputs, *, path, layer=None, normalized=True, raw_inputs=None):
    """A saved Keras network (a ``.keras`` file) as a network body.

    Parameters
    ----------
    inputs : KerasTensor
        The normalised input, which the saved network must take.
    path : str or os.PathLike
        The ``.keras`` file.
    layer : str, default=None
        Name of the layer whose output are the features (e.g. the one before
        the saved network's own output layer); None takes its output.
    normalized : bool, default=True
        Feed the network the estimator's standardised input; False feeds it
        the input before normalisation (a network with its own
        preprocessing).
    raw_inputs : KerasTensor, default=None
        The input before normalisation; ``build_model`` passes it.

    Returns
    -------
    features : KerasTensor

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import keras
    >>> from skcnnrnn.backbones import saved_body
    >>> net = keras.Sequential(
    ...     [keras.Input((8, 8, 1)), keras.layers.Flatten(name="flat"),
    ...      keras.layers.Dense(3)])
    >>> path = os.path.join(tempfile.mkdtemp(), "net.keras")
    >>> net.save(path)
    >>> saved_body(keras.Input((8, 8, 1)), path=path, layer="flat").shape
    (None, 64)
    """
    model = keras.saving.load_model(path, compile=False)
    if layer is not None:
        model = keras.Model(model.inputs, model.get_layer(layer).output)
    return model(inputs if normalized or raw_inputs is None else raw_inputs)


def body_layers(model):
    """The layers of ``model``'s body that hold weights: what ``freeze_body`` counts.

    Parameters
    ----------
    model : keras.Model
        A network of :func:`skcnnrnn.networks.build_model` (an estimator's
        ``model_``).

    Returns
    -------
    layers : list of keras.layers.Layer
        In order, those of nested models (a backbone) opened one by one; the
        input normalisation and the output heads left out.
    """
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += body_layers(layer)
        elif isinstance(layer, keras.layers.TimeDistributed) and isinstance(
            layer.layer, keras.Model
        ):
            found += body_layers(layer.layer)
        elif layer.weights and not _around_the_body(layer.name):
            found.append(layer)
    return found


def set_frozen(model, count, before=0):
    """Freeze the first layers of :func:`body_layers`; compile after a change.

    Parameters
    ----------
    model : keras.Model
        A network of :func:`skcnnrnn.networks.build_model`.
    count : bool or int
        Layers to freeze: True all, False none.
    before : bool or int, default=0
        An earlier ``count``: the layers it froze and ``count`` does not are
        trained again, except ``BatchNormalization`` layers, which stay
        frozen. Layers no count reaches keep their ``trainable`` as the body
        set it. A frozen ``BatchNormalization`` runs in inference mode
        (Keras' rule).

    Returns
    -------
    n_frozen : int
        The number of frozen layers.
    """
    layers = body_layers(model)
    count, before = (len(layers) if n is True else int(n) for n in (count, before))
    for i, layer in enumerate(layers[: max(count, before)]):
        # Keras' fine-tuning advice: unfrozen, batch normalisation would
        # replace the pretrained statistics by those of a few training
        # batches; a call with training=False no longer prevents it, as
        # fit's training=True overrides it (keras-team/keras#20285).
        unfrozen = i >= count and not (
            i < before and isinstance(layer, keras.layers.BatchNormalization)
        )
        layer.trainable = unfrozen
    return min(count, len(layers))


def _around_the_body(name):
    return name == INPUT_NORMALIZATION or name.startswith(HEAD_PREFIX)


def _preprocess_input(build):
    """The ``preprocess_input`` of the public ``keras.applications`` module
    of the model function ``build`` (e.g. ``keras.applications.mobilenet_v3``)."""
    module = getattr(keras.applications, build.__module__.rsplit(".", 1)[-1], None)
    if module is None or not hasattr(module, "preprocess_input"):
        raise ValueError(
            f"No preprocess_input for {build.__name__}: pass preprocess=False."
        )
    return module.preprocess_input
