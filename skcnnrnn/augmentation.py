"""Train-only augmentation from Keras' preprocessing layers (plain Keras).

:func:`augmentation` turns settings such as ``{"flip": "horizontal",
"rotation": 0.05}`` into a function of a Keras tensor that applies Keras'
random preprocessing layers, which act only in training (``training=True``):
never at predict, nor on the validation data. The layers are saved with the
network and load in plain Keras, where they do nothing at inference.
"""

from numbers import Real

from ._keras import keras
from ._seeds import Seeds

layers = keras.layers
FLIPS = ("horizontal", "vertical", "horizontal_and_vertical")
# setting -> the Keras layer it builds (its first argument is the setting)
_LAYERS = {
    "flip": layers.RandomFlip,
    "rotation": layers.RandomRotation,
    "zoom": layers.RandomZoom,
    "translation": layers.RandomTranslation,
    "brightness": layers.RandomBrightness,
    "contrast": layers.RandomContrast,
}
SETTINGS = (*_LAYERS, "per_frame")


def check_settings(settings):
    """``augment``'s settings, checked: a ValueError or TypeError names the
    setting at fault. A Keras layer or a callable is taken as it is."""
    if settings is None or callable(settings):
        return settings
    for name, value in settings.items():
        if name not in SETTINGS:
            raise ValueError(
                f"augment has no setting {name!r}; its settings are "
                f"{', '.join(SETTINGS)}."
            )
        if name == "flip" and value not in FLIPS:
            raise ValueError(f"augment['flip'] must be one of {FLIPS}, got {value!r}.")
        if name == "per_frame" and not isinstance(value, bool):
            raise TypeError(f"augment['per_frame'] must be a bool, got {value!r}.")
        if name not in ("flip", "per_frame") and not (
            isinstance(value, Real) and not isinstance(value, bool) and 0 <= value <= 1
        ):
            raise ValueError(
                f"augment[{name!r}] must be a number in [0, 1] (a fraction: of a "
                f"full turn, of the size, or of the value range), got {value!r}."
            )
    return settings


def augmentation(settings, *, sequence=False, value_range=(0.0, 255.0), seed=None):
    """A function ``x -> x`` that augments images (or frame sequences) in
    training, or None for no augmentation.

    Parameters
    ----------
    settings : dict, keras.layers.Layer, callable or None
        ``flip`` ("horizontal", "vertical" or "horizontal_and_vertical"),
        ``rotation`` (a fraction of a full turn, either way), ``zoom``,
        ``translation`` (fractions of the size), ``brightness`` and
        ``contrast`` (fractions of ``value_range``), each a Keras
        ``Random*`` layer; ``per_frame`` (sequences, default False). A layer
        or callable of your own is applied as the built ones are, to images
        ``(batch, h, w, c)``.
    sequence : bool, default=False
        Whether ``x`` is ``(batch, steps, h, w, c)``. By default every frame
        of a sequence gets the same transform (a tiled image or a video keeps
        its geometry): the frames are stacked along the channels, augmented
        as one image and unstacked. ``per_frame=True`` transforms each frame
        on its own.
    value_range : tuple of (float, float), default=(0, 255)
        The range of the data, which brightness and contrast stay within.
    seed : int, default=None
        Seeds each random layer.

    Returns
    -------
    augment : callable or None
        ``augment(x)`` for a Keras tensor ``x``.
    """
    if settings is None:
        return None
    seeds = Seeds(seed)
    if callable(settings):
        steps = [settings]
    else:
        steps = [
            _layer(name, value, value_range, seeds.next())
            for name, value in settings.items()
            if name in _LAYERS and value
        ]
    per_frame = not callable(settings) and settings.get("per_frame", False)

    def images(x):
        for step in steps:
            x = step(x)
        return x

    if not sequence:
        return images
    return _per_frame(images) if per_frame else _per_sequence(images)


def _layer(name, value, value_range, seed):
    if name in ("brightness", "contrast"):
        return _LAYERS[name](value, value_range=value_range, seed=seed)
    if name == "translation":  # up and down, left and right alike
        return _LAYERS[name](value, value, seed=seed)
    return _LAYERS[name](value, seed=seed)


def _per_sequence(images):
    """``images`` applied to each sequence's frames stacked along channels."""
    ops = keras.ops

    def augment(x):
        steps, height, width, channels = x.shape[1:]
        stacked = ops.reshape(
            ops.transpose(x, (0, 2, 3, 1, 4)), (-1, height, width, steps * channels)
        )
        out = images(stacked)
        unstacked = ops.reshape(out, (-1, height, width, steps, channels))
        return ops.transpose(unstacked, (0, 3, 1, 2, 4))

    return augment


def _per_frame(images):
    """``images`` applied to every frame on its own."""
    ops = keras.ops

    def augment(x):
        frame = x.shape[2:]
        out = images(ops.reshape(x, (-1, *frame)))
        return ops.reshape(out, (-1, x.shape[1], *frame))

    return augment
