"""Containers of patch sequences that are tiled when their rows are read."""

from __future__ import annotations

import numpy as np

from ._resize import output_dtype


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
    so refitting it later changes nothing here.

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
        self.shape = (len(images), *tiler.output_shape_)
        first = images[0] if images.dtype == object else images
        self.dtype = output_dtype(first.dtype, tiler.dtype)
        self.ndim = len(self.shape)

    def _read(self, rows):
        return self._tiler._tile(read_rows(self._images, rows))


def read_rows(images, rows):
    """``images[rows]``; from a reader of files of any size (``ReadImages``),
    an object array of images where their sizes differ."""
    read = getattr(images, "ragged_rows", None)
    return images[rows] if read is None else read(rows)
