"""Containers of patch sequences that are tiled when their rows are read."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_array

from ._images import differ_in_shape
from ._input import as_sequences
from ._resize import output_dtype
from ._tiles import lengths


class LazyRows:
    """What the lazy row sources share: ``len``, indexing by rows (an int, a
    slice or an index array) through ``_read(rows)``, ``np.asarray`` of all
    rows. Subclasses set ``shape``, ``dtype`` and ``ndim``."""

    # Their values are validated as they are read: the estimators check
    # the shape only (``_input.check_rows``), and read a batch at a time.
    values_checked = True

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        if isinstance(rows, (int, np.integer)):
            return self[[rows]][0]
        if isinstance(rows, tuple):
            raise TypeError(
                f"{type(self).__name__} are indexed by rows only (an int, slice "
                "or index array); use np.asarray on it for other indexing."
            )
        return self._read(rows)

    def __array__(self, dtype=None, copy=None):
        rows = self[:]
        return rows if dtype is None else rows.astype(dtype, copy=False)

    def __repr__(self):
        return f"{type(self).__name__}(shape={self.shape}, dtype={self.dtype})"


class TiledImages(LazyRows):
    """Patch sequences of images, tiled only when rows are read.

    What :meth:`PatchTiler.transform` returns with ``lazy=True``. It behaves
    like the array ``PatchTiler().transform(images)`` would be for the
    classifiers and NumPy: it has ``shape``, ``dtype``, ``ndim`` and ``len``;
    ``tiles[rows]`` (an int, slice or index array) tiles those images and
    returns an ndarray; ``np.asarray(tiles)`` tiles all of them. The images
    are kept as given (a memory map stays on disk) and the tiler is copied,
    so refitting it later changes nothing here. A tiler fitted with
    ``patch_size`` on images of different sizes gives sequences of different
    lengths, padded at the end as :class:`PaddedSequences` are, with their
    ``lengths``.

    Parameters
    ----------
    tiler : PatchTiler
        A fitted tiler, which tiles the rows that are read.
    images : array-like of shape (n_samples, height, width[, channels])
        The validated images, kept as they are.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnnrnn import PatchTiler
    >>> images = np.zeros((100, 40, 60, 3), dtype=np.uint8)
    >>> tiles = PatchTiler(lazy=True).fit_transform(images)
    >>> tiles.shape
    (100, 6, 28, 28, 3)
    >>> tiles[:2].shape
    (2, 6, 28, 28, 3)
    """

    def __init__(self, tiler, images):
        self._tiler = tiler
        self._images = images
        steps = tiler.output_shape_[0]
        if steps is None:  # each image its own number of patches
            self.lengths = lengths(tiler, images)
            steps = int(self.lengths.max())
        self.shape = (len(images), steps, *tiler.output_shape_[1:])
        first = images[0] if images.dtype == object else images
        self.dtype = output_dtype(first.dtype, tiler.dtype)
        self.ndim = len(self.shape)

    def _read(self, rows):
        return self._tiler._tile(read_rows(self._images, rows), self.shape[1])


class PaddedSequences(LazyRows):
    """Sequences of different lengths, padded at the end with zeros.

    What :meth:`PatchTiler.transform` returns for images of different sizes
    cut into ``patch_size`` patches: each image gives its own number of
    patches (the seed article's rule). ``np.asarray(sequences)`` is the
    zero-padded array ``(n_samples, longest, h, w, channels)`` and
    ``lengths`` the real steps of each sequence. The CNN-GRU estimators
    mask the padded steps: the GRU skips them, per-step labels there are
    ignored, and a sequence gets the same prediction whatever it is padded
    to.

    Parameters
    ----------
    values : ndarray of shape (n_samples, steps, height, width, channels)
        The sequences, padded at the end with zeros.
    lengths : array-like of shape (n_samples,)
        The real steps of each sequence, at most ``steps``.

    Attributes
    ----------
    lengths : ndarray of shape (n_samples,)
        The real steps of each sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnnrnn import PatchTiler
    >>> photos = [np.zeros((40, 60, 3), np.uint8), np.zeros((20, 20, 3), np.uint8)]
    >>> tiles = PatchTiler(patch_size=20).fit_transform(photos)
    >>> tiles
    PaddedSequences(shape=(2, 6, 28, 28, 3), dtype=uint8)
    >>> tiles.lengths
    array([6, 1])
    """

    def __init__(self, values, lengths):
        self._values = values
        self.lengths = np.asarray(lengths, dtype=np.intp)
        steps = values.shape[1]
        if self.lengths.shape != values.shape[:1] or not np.all(
            (self.lengths > 0) & (self.lengths <= steps)
        ):
            raise ValueError(
                f"lengths must give each of the {len(values)} sequences between 1 "
                f"and {steps} steps; got {lengths!r}."
            )
        self.shape, self.dtype, self.ndim = values.shape, values.dtype, values.ndim

    def _read(self, rows):
        return self._values[rows]


class ConcatenatedRows(LazyRows):
    """The rows of ``first``, then those of ``second`` (row sources of one
    per-sample shape), read from each where they are: the training data and
    a validation set (``fit(X_val=...)``) as one source, never copied whole.
    """

    def __init__(self, first, second):
        self._parts, self._split = (first, second), len(first)
        self.shape = (len(first) + len(second), *first.shape[1:])
        self.dtype = np.result_type(first.dtype, second.dtype)
        self.ndim = len(self.shape)

    def _read(self, rows):
        rows = np.arange(len(self))[rows]
        in_first = rows < self._split
        out = np.empty((len(rows), *self.shape[1:]), dtype=self.dtype)
        if in_first.any():
            out[in_first] = self._parts[0][rows[in_first]]
        if not in_first.all():
            out[~in_first] = self._parts[1][rows[~in_first] - self._split]
        return out


class MaskedSteps(LazyRows):
    """What a CNN-GRU network reads of padded sequences: floats, padded to
    ``steps``, with NaN frames at the padded steps (``build_model(masked=True)``
    turns them into its mask).

    Parameters
    ----------
    source : row source with ``lengths``
        Sequences padded at the end (:class:`PaddedSequences`, or the
        :class:`TiledImages` of images of different sizes).
    steps : int
        Steps of the network's input, at least the source's.
    dtype : dtype
        Float dtype of the rows read.
    """

    def __init__(self, source, steps, dtype):
        self._source, self.lengths = source, source.lengths
        self.shape = (len(source), steps, *source.shape[2:])
        self.dtype, self.ndim = np.dtype(dtype), source.ndim

    def _read(self, rows):
        values = np.asarray(self._source[rows], dtype=self.dtype)
        padded = np.full((len(values), *self.shape[1:]), np.nan, dtype=self.dtype)
        padded[:, : values.shape[1]] = values
        padded[np.arange(self.shape[1]) >= self.lengths[rows][:, np.newaxis]] = np.nan
        return padded


def read_rows(images, rows):
    """``images[rows]``; from a reader of files of any size (``ReadImages``),
    an object array of images where their sizes differ."""
    read = getattr(images, "ragged_rows", None)
    return images[rows] if read is None else read(rows)


def padded_labels(X, y):
    """Per-step labels given as one 1-D array per sequence of different
    lengths (``X`` with ``lengths``), as ``(n, steps)`` padded with each
    sequence's last label; any other ``y`` as it is."""
    lengths = getattr(X, "lengths", None)
    if lengths is None or not isinstance(y, (list, tuple, np.ndarray)):
        return y  # "no_validation" too
    if isinstance(y, np.ndarray) and (y.dtype != object or y.ndim != 1):
        return y
    rows = [np.asarray(labels) for labels in y]
    if len(rows) != len(lengths) or any(r.ndim != 1 for r in rows):
        return y  # not per-step labels: scikit-learn's checks say what is wrong
    for row, (labels, length) in enumerate(zip(rows, lengths, strict=True)):
        if len(labels) != length:
            raise ValueError(
                f"y[{row}] holds {len(labels)} per-step labels, but sequence "
                f"X[{row}] has {length} steps: give one label per step."
            )
    steps = X.shape[1]
    return np.stack([np.pad(r, (0, steps - len(r)), mode="edge") for r in rows])


def fill_padded_steps(y, lengths, steps):
    """A per-step ``y`` (``(n, steps)``) with the label of each padded step
    set to its sequence's first: what the user put there is ignored, never a
    class. Other ``y`` as it is."""
    if y.ndim != 2 or y.shape[1] != steps:
        return y
    return np.where(np.arange(steps) < lengths[:, np.newaxis], y, y[:, :1])


def padded_sequences(X, frame_shape, always=False):
    """``X`` as it is, or a list of sequences of different lengths (each
    ``(steps, ...)`` with one frame shape) as :class:`PaddedSequences` of
    ``(n, steps, h, w, c)`` frames (``as_sequences``' rules). ``always``
    (an estimator fitted on sequences of different lengths): sequences of
    one length too, which may then be shorter than those of fit."""
    if not differ_in_shape(X):
        if not always or getattr(X, "lengths", None) is not None:
            return X
        values = check_array(X, allow_nd=True, dtype="numeric", ensure_all_finite=True)
        values = as_sequences(values, frame_shape)
        return PaddedSequences(values, np.full(len(values), values.shape[1]))
    rows = [
        check_array(
            sequence,
            ensure_2d=False,
            allow_nd=True,
            dtype="numeric",
            ensure_all_finite=True,
            input_name=f"X[{row}]",
        )
        for row, sequence in enumerate(X)
    ]
    for row, sequence in enumerate(rows):
        if sequence.ndim < 2 or sequence.shape[1:] != rows[0].shape[1:]:
            raise ValueError(
                f"X[0] has shape {rows[0].shape} and X[{row}] {sequence.shape}: "
                "sequences may differ in length (their first axis) only. Images "
                "of different sizes are cut into sequences by PatchTiler "
                "(patch_size=, or grid=(rows, cols) for one length)."
            )
    lengths = np.array([len(sequence) for sequence in rows])
    dtype = np.result_type(*(sequence.dtype for sequence in rows))
    values = np.zeros((len(rows), lengths.max(), *rows[0].shape[1:]), dtype=dtype)
    for row, sequence in enumerate(rows):  # a list: one copy per sequence
        values[row, : len(sequence)] = sequence
    return PaddedSequences(as_sequences(values, frame_shape), lengths)
