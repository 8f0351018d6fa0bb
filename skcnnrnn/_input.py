"""How user arrays become images and sequences, and what errors bad ones get.

This is the one place that knows the input-shape rules shared by
:class:`~skcnnrnn.PatchTiler`, :class:`~skcnnrnn.CNNClassifier` and
:class:`~skcnnrnn.CNNGRUSequenceClassifier`. Nothing here imports TensorFlow.
"""

from contextlib import contextmanager
from numbers import Integral
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array
from sklearn.utils.validation import _check_y, check_consistent_length, validate_data

FLOAT_DTYPES = (np.float32, np.float64)
# Pixel types kept as they are in memory and converted a batch at a time.
_SMALL_INTS = (np.uint8, np.int8, np.uint16, np.int16)


class RowSource(Protocol):
    """What the estimators train and predict on: samples read by rows.

    Training reads ``source[rows]`` one batch (or chunk of small batches) at
    a time, ``rows`` a sorted int array, and converts only that batch to
    floats, so a source is never held whole in memory. NumPy arrays and
    memory maps are row sources, and so are the ``TiledImages`` of
    ``PatchTiler(lazy=True)``. A new kind of input (a reader of image files,
    say) becomes trainable by providing these, and ``values_checked = True``
    when it validates its own values (finite numbers), which
    :func:`check_rows` would otherwise read whole to check.
    """

    shape: tuple  # (n_samples, *sample_shape)
    dtype: np.dtype
    ndim: int

    def __len__(self) -> int: ...

    def __getitem__(self, rows) -> np.ndarray: ...


def check_rows(estimator, X, y="no_validation", *, reset, max_ndim, y_numeric):
    """Validate ``X`` (and ``y``) for an estimator: the one adapter of inputs.

    - a row source with ``values_checked`` (``TiledImages``): its shape only,
      nothing read (:func:`check_tiled_input`);
    - memory maps and small-integer images: validated, kept as they are
      (converted to floats a batch at a time in training);
    - anything else: validated and converted to float32 or float64.

    ``y`` may have label or target columns (``multi_output``); ``y_numeric``
    is scikit-learn's rule for regressors.
    """
    rules = {"reset": reset, "max_ndim": max_ndim, "multi_output": True}
    if getattr(X, "values_checked", False):
        return check_tiled_input(estimator, X, y, y_numeric=y_numeric, **rules)
    dtype = None if _read_as_is(X) else FLOAT_DTYPES
    return check_input(estimator, X, y, dtype=dtype, y_numeric=y_numeric, **rules)


def _read_as_is(X):
    """Memory maps of numbers (streamed) and small-integer images (pixels)."""
    if isinstance(X, np.memmap) and X.dtype.kind in "biuf":
        return True
    return isinstance(X, np.ndarray) and X.dtype in _SMALL_INTS


def as_positive_pair(value, name):
    """Return ``value`` as a pair of positive ints; an int means a square.

    Raises a ``ValueError`` or ``TypeError`` naming the parameter ``name``.
    """
    items = (value, value) if _is_int(value) else value
    if isinstance(items, (str, bytes)) or not hasattr(items, "__len__"):
        raise TypeError(
            f"{name} must be a positive int or a pair of positive ints, "
            f"got {value!r} of type {type(value).__name__}."
        )
    if len(items) != 2 or not all(_is_int(v) and v > 0 for v in items):
        raise ValueError(
            f"{name} must be a positive int or a pair of positive ints, got {value!r}."
        )
    return int(items[0]), int(items[1])


def as_shape(value, name):
    """Return ``value`` as an (h, w) or (h, w, c) tuple of positive ints, or None."""
    if value is None:
        return None
    if (
        not isinstance(value, (tuple, list))
        or len(value) not in (2, 3)
        or not all(_is_int(v) and v > 0 for v in value)
    ):
        raise ValueError(
            f"{name} must be None or a tuple (height, width) or "
            f"(height, width, channels) of positive ints, got {value!r}."
        )
    return tuple(int(v) for v in value)


def as_positive_ints(value, name, *, allow_empty=True):
    """Return ``value`` (an int or a sequence of ints) as a tuple of positive ints."""
    items = (value,) if _is_int(value) else value
    if isinstance(items, (str, bytes)) or not hasattr(items, "__len__"):
        raise TypeError(
            f"{name} must be a positive int or a tuple of positive ints, got "
            f"{value!r} of type {type(value).__name__}."
        )
    if not all(_is_int(v) and v > 0 for v in items) or (not allow_empty and not items):
        raise ValueError(
            f"{name} must be a positive int or a tuple of positive ints, got {value!r}."
        )
    return tuple(int(v) for v in items)


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


@contextmanager
def unchanged_on_error(estimator):
    """Restore every attribute of ``estimator`` if the block raises.

    A failed ``fit`` must leave an estimator fitted before exactly as it was.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise


def check_input(
    estimator,
    X,
    y="no_validation",
    *,
    reset,
    dtype,
    max_ndim,
    multi_output=False,
    y_numeric=False,
):
    """Validate ``X`` (and ``y``) with scikit-learn and check the per-sample shape.

    At fit (``reset=True``) the per-sample shape ``X.shape[1:]`` is stored as
    ``estimator.input_shape_``; afterwards every ``X`` must have that shape.
    Rejects sparse matrices, NaN/inf, complex and string data, empty arrays,
    1-D arrays, arrays with more than ``max_ndim`` dimensions, and ``y`` of
    another length than ``X``; ``y=None`` is an error for estimators that
    require ``y``. ``multi_output`` and ``y_numeric`` are scikit-learn's rules
    for ``y``. Returns ``X``, or ``(X, y)`` when ``y`` is validated too.
    """
    _check_one_size(X)
    shape = getattr(X, "shape", None)
    fitted = getattr(estimator, "input_shape_", None)
    # Flat rows after images (or images after rows) name the fitted shape;
    # 1-D and sparse X get scikit-learn's own messages from validate_data.
    other_ndim = (
        fitted is not None
        and shape is not None
        and len(shape) >= 2
        and len(shape) != len(fitted) + 1
        and not sp.issparse(X)
    )
    if not reset and shape is not None and (len(shape) > 2 or other_ndim):
        # Checked before validate_data so that images of another size get this
        # message rather than "X has H features" from the n_features check.
        _check_sample_shape(estimator, tuple(shape))
    checked = validate_data(
        estimator,
        X,
        y,
        reset=reset,
        accept_sparse=False,
        allow_nd=True,
        dtype=dtype,
        ensure_all_finite=True,
        **(
            {"multi_output": multi_output, "y_numeric": y_numeric} if _with_y(y) else {}
        ),
    )
    X = checked[0] if _with_y(y) else checked
    _check_shape(estimator, X, reset=reset, max_ndim=max_ndim)
    return checked


def _check_one_size(X):
    """Raise a ValueError naming two samples of different shapes in a list
    (or object array) of arrays, where NumPy would say "inhomogeneous shape"."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return
    if not isinstance(X, (list, tuple, np.ndarray)) or len(X) < 2:
        return
    shapes = [np.shape(sample) for sample in X]
    first = shapes[0]
    other = next((i for i, shape in enumerate(shapes) if shape != first), None)
    if other is None:
        return
    sizes = [
        "x".join(map(str, shape)) or "a scalar" for shape in (first, shapes[other])
    ]
    raise ValueError(
        f"X holds samples of different shapes: {sizes[0]} (row 0) and "
        f"{sizes[1]} (row {other}). Images must all have one size, and "
        "sequences one length and frame size: pass size=(height, width) to "
        "ImageReader, or grid=(rows, cols) to PatchTiler (patch sequences of "
        "one length from images of any size), or pad the sequences."
    )


def check_tiled_input(
    estimator,
    X,
    y="no_validation",
    *,
    reset,
    max_ndim,
    multi_output=False,
    y_numeric=False,
):
    """``check_input`` for a row source whose values were validated already.

    For :class:`~skcnnrnn.tiling.TiledImages`: the tiler validated the images,
    and reading the values here would tile them all. Only the shape (and
    ``y``) are checked.
    """
    _check_shape(estimator, X, reset=reset, max_ndim=max_ndim)
    if reset:  # what validate_data records for check_input
        estimator.n_features_in_ = X.shape[1]
        vars(estimator).pop("feature_names_in_", None)
    if not _with_y(y):
        return X
    y = _check_y(y, multi_output=multi_output, y_numeric=y_numeric, estimator=estimator)
    check_consistent_length(X, y)
    return X, y


def check_auxiliary_target(auxiliary_target, n_samples):
    """Validate a per-sample regression target: finite floats, 1-D or 2-D."""
    try:
        values = check_array(
            auxiliary_target,
            ensure_2d=False,
            dtype=np.float64,
            ensure_all_finite=True,
            input_name="auxiliary_target",
        )
    except (ValueError, TypeError) as error:
        if "auxiliary_target" in str(error):
            raise
        raise type(error)(f"auxiliary_target is not valid: {error}") from error
    if values.ndim not in (1, 2) or len(values) != n_samples:
        raise ValueError(
            "auxiliary_target must hold one number or one vector per sample, of "
            f"shape ({n_samples},) or ({n_samples}, n_auxiliary); got shape "
            f"{values.shape}."
        )
    return values


def _with_y(y):
    return not (isinstance(y, str) and y == "no_validation")


def _check_shape(estimator, X, *, reset, max_ndim):
    """Dimensions of ``X``; record (fit) or check (later) its per-sample shape."""
    if X.ndim > max_ndim:
        kind = "array" if isinstance(X, np.ndarray) else type(X).__name__
        raise ValueError(
            f"X must have at most {max_ndim} dimensions, got a {X.ndim}-D "
            f"{kind} of shape {X.shape}."
        )
    if 0 in X.shape[1:]:
        raise ValueError(f"X has an empty dimension: shape {X.shape}.")
    if reset:
        estimator.input_shape_ = tuple(X.shape[1:])
    else:
        _check_sample_shape(estimator, X.shape, getattr(X, "lengths", None))


def _check_sample_shape(estimator, shape, lengths=None):
    expected = estimator.input_shape_
    if lengths is not None and tuple(shape[2:]) == expected[1:]:
        _check_lengths(estimator, shape[1], lengths)
        return
    if tuple(shape[1:]) != expected:
        raise ValueError(
            f"X has per-sample shape {tuple(shape[1:])}, but "
            f"{type(estimator).__name__} was fitted on per-sample shape {expected}. "
            "Images and sequences must keep the height, width, channels and "
            "length seen in fit"
            + (
                f": reshape X to (n_samples, {', '.join(map(str, expected))})."
                if np.prod(shape[1:]) == np.prod(expected)
                else "."
            )
        )


def _check_lengths(estimator, steps, lengths):
    """Padded sequences (with ``lengths``) for an estimator fitted on
    ``input_shape_[0]`` steps: padded ones (``variable_length_``) up to that
    many, others exactly that many."""
    fitted = estimator.input_shape_[0]
    name = type(estimator).__name__
    if getattr(estimator, "variable_length_", False):
        if steps > fitted:
            raise ValueError(
                f"X holds sequences of up to {steps} steps, but {name} was "
                f"fitted on sequences of at most {fitted}: a network reads the "
                "steps it was fitted on. Fit on the longest sequences too (the "
                "largest images), or give the images one size."
            )
    elif steps != fitted or np.any(lengths != fitted):
        raise ValueError(
            f"X holds padded sequences of different lengths, but {name} was "
            f"fitted on sequences of {fitted} steps, all of one length: fit it "
            "on sequences of different lengths (its network then masks the "
            "padding), or give the images one size."
        )


def as_images(X, image_shape):
    """View validated ``X`` as images of shape (n, H, W, C), without copying.

    - (n, H, W, C) and (n, H, W) (grayscale, C = 1) are taken as they are;
    - flat rows (n, F) are reshaped to ``image_shape`` when given, otherwise
      each row is a 1 x F single-channel image.

    When ``image_shape`` is given for 3-D or 4-D input it must match the data.
    """
    if X.ndim == 2:
        if image_shape is None:
            return X.reshape(X.shape[0], 1, X.shape[1], 1)
        _check_size(X.shape[1], image_shape, "image_shape", "each row")
        return X.reshape(X.shape[0], *_with_channel(image_shape))
    if X.ndim not in (3, 4):
        raise ValueError(
            "Images must be given as (n_samples, height, width, channels), "
            "(n_samples, height, width) or flat rows (n_samples, n_features); "
            f"got a {X.ndim}-D array of shape {X.shape}."
        )
    images = X if X.ndim == 4 else X[..., np.newaxis]
    _check_matches(images.shape[1:], image_shape, "image_shape", "images")
    return images


def as_sequences(X, frame_shape):
    """View validated ``X`` as frame sequences (n, T, h, w, c), without copying.

    - (n, T, h, w, c) (what :class:`~skcnnrnn.PatchTiler` returns) and
      (n, T, h, w) (single-channel frames) are taken as they are;
    - (n, T, F): each step's F values are reshaped to ``frame_shape`` when given,
      otherwise each step is a 1 x F single-channel frame;
    - flat rows (n, F) are reshaped to (T, *frame_shape) with
      T = F / prod(frame_shape) when ``frame_shape`` is given, otherwise each
      row is a sequence of F steps of 1 x 1 frames.

    When ``frame_shape`` is given for 4-D or 5-D input it must match the data.
    """
    n = X.shape[0]
    if X.ndim == 2:
        if frame_shape is None:
            return X.reshape(n, X.shape[1], 1, 1, 1)
        size = int(np.prod(frame_shape))
        if X.shape[1] % size:
            raise ValueError(
                f"frame_shape={frame_shape} holds {size} values, which does not "
                f"divide the {X.shape[1]} features of each row into whole frames."
            )
        return X.reshape(n, X.shape[1] // size, *_with_channel(frame_shape))
    if X.ndim == 3:
        if frame_shape is None:
            return X.reshape(n, X.shape[1], 1, X.shape[2], 1)
        _check_size(X.shape[2], frame_shape, "frame_shape", "each step")
        return X.reshape(n, X.shape[1], *_with_channel(frame_shape))
    if X.ndim not in (4, 5):
        raise ValueError(
            "Sequences must be given as (n_samples, steps, height, width, channels), "
            "(n_samples, steps, height, width), (n_samples, steps, n_features) or "
            f"flat rows (n_samples, n_features); got a {X.ndim}-D array of shape "
            f"{X.shape}."
        )
    sequences = X if X.ndim == 5 else X[..., np.newaxis]
    _check_matches(sequences.shape[2:], frame_shape, "frame_shape", "frames")
    return sequences


def _with_channel(shape):
    return shape if len(shape) == 3 else (*shape, 1)


def _check_size(n_values, shape, name, what):
    if int(np.prod(shape)) != n_values:
        raise ValueError(
            f"{name}={shape} holds {int(np.prod(shape))} values, but {what} of X "
            f"has {n_values}."
        )


def _check_matches(actual, shape, name, what):
    if shape is not None and tuple(actual) != _with_channel(shape):
        raise ValueError(
            f"{name}={shape} does not match the {what} in X, which have shape "
            f"{tuple(actual)} (height, width, channels)."
        )
