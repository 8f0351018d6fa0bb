"""ImageReader: image files to arrays with OpenCV, eagerly or a batch at a time."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral
from typing import TYPE_CHECKING

import cv2
import numpy as np
from joblib import effective_n_jobs
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._input import as_positive_pair
from ._persistence import VersionedPickleMixin
from ._resize import INTERPOLATIONS
from .sequences import LazyRows

if TYPE_CHECKING:  # typing.Self is Python 3.11+
    from typing import Self

# OpenCV's flags per color mode; IMREAD_ANYDEPTH keeps 16-bit files 16-bit.
_FLAGS = {
    "rgb": cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH,
    "bgr": cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH,
    "grayscale": cv2.IMREAD_GRAYSCALE | cv2.IMREAD_ANYDEPTH,
    "unchanged": cv2.IMREAD_UNCHANGED,
}


class FileReader(VersionedPickleMixin, TransformerMixin, BaseEstimator):
    """What the file readers share: paths in (checked at fit, read by
    ``transform``), files decoded on ``n_jobs`` threads, ``lazy`` row sources.

    A subclass provides ``_read(paths, row)`` (one file), ``_stacked(items,
    paths)`` (the result) and ``_lazy(paths)`` (the row source).
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Check the parameters and the paths; nothing is read.

        Parameters
        ----------
        X : array-like of str or os.PathLike
            Paths of files, one per row.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The reader.
        """
        if self.size is not None:
            as_positive_pair(self.size, "size")
        as_paths(X)
        self.n_features_in_ = 1
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Read the files.

        Parameters
        ----------
        X : array-like of str or os.PathLike
            Paths of files, one per row.

        Returns
        -------
        read : ndarray
            What the files hold, or with ``lazy=True`` a row source.
        """
        check_is_fitted(self)
        paths = as_paths(X)
        if self.lazy:
            return self._lazy(paths)
        return self._stacked(self._read_all(paths, np.arange(len(paths))), paths)

    def _read_all(self, paths, rows):
        """The files of ``paths[rows]``, decoded on the thread pool: one
        array, each file copied into place by the thread that decoded it
        (2.1x a sequential loop on 2 cores, where a list then ``np.stack``
        was 1.4x), or a list where they differ in shape or dtype."""
        first = self._read(paths, rows[0])
        out = np.empty((len(rows), *first.shape), dtype=first.dtype)
        other = {}

        def read(position):
            item = first if position == 0 else self._read(paths, rows[position])
            if item.shape == first.shape and item.dtype == first.dtype:
                out[position] = item
            else:
                other[position] = item

        in_threads(read, range(len(rows)), self.n_jobs)
        return [other.get(i, out[i]) for i in range(len(rows))] if other else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # paths, not numbers
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        return tags


class ImageReader(FileReader):
    """Read image files into an array of images with OpenCV.

    ``X`` holds file paths, one image per row: a 1-D array-like of ``str`` or
    ``os.PathLike``, or a one-column DataFrame or 2-D array of them. Each file
    is decoded with OpenCV (``cv2.imdecode``: PNG, JPEG, BMP, TIFF, WebP...)
    on a pool of threads, as OpenCV releases the GIL while decoding. The
    result is ``(n_images, height, width, channels)``, ready for
    :class:`PatchTiler` or :class:`CNNClassifier`; files of different sizes
    (``size=None``) give a 1-D object array of images, which
    ``PatchTiler(grid=...)`` cuts into sequences of one length.

    Parameters
    ----------
    color : {"rgb", "bgr", "grayscale", "unchanged"}, default="rgb"
        Channels of the result. OpenCV decodes to BGR order; "rgb" (what
        PIL, matplotlib and pretrained networks expect) converts. A grayscale
        file read as "rgb" or "bgr" gets three equal channels, so grayscale
        and color files mix. "grayscale" gives one channel; "unchanged"
        keeps each file's own channels (alpha included), which must then
        agree between files.
    size : int or tuple of (int, int), default=None
        Resize every image to ``(height, width)`` (an int: a square). None
        keeps each file's size: files of different sizes give an object
        array of images (channels and depth must still agree).
    interpolation : str, default="area"
        OpenCV interpolation for ``size``, as in :class:`PatchTiler`.
    dtype : {"float32"}, default=None
        None keeps the files' depth (``uint8``, or ``uint16`` for 16-bit
        PNG and TIFF files), which must then be the same for all files.
        "float32" scales every image to [0, 1] by its depth's largest value,
        so 8-bit and 16-bit files mix.
    n_jobs : int, default=None
        Threads that decode files: None is 1 unless in a
        ``joblib.parallel_config`` context, -1 every core (joblib's rule).
    lazy : bool, default=False
        Return :class:`ReadImages`, which reads the rows asked for when they
        are asked for (the estimators read a batch at a time), instead of
        every image: the data set is never held whole in memory. The files
        are checked when ``transform`` runs (they exist and OpenCV knows
        their format); a file that fails to decode later is a ``ValueError``
        naming it when its batch is read.

    Attributes
    ----------
    n_features_in_ : int
        1: each sample is one path.

    See Also
    --------
    PatchTiler : Cuts the images into patch sequences.

    Examples
    --------
    >>> import tempfile, os
    >>> import cv2
    >>> import numpy as np
    >>> from skcnnrnn import ImageReader
    >>> folder = tempfile.mkdtemp()
    >>> paths = [os.path.join(folder, f"{i}.png") for i in range(3)]
    >>> for i, path in enumerate(paths):
    ...     _ = cv2.imwrite(path, np.full((20, 30, 3), 40 * i, dtype=np.uint8))
    >>> ImageReader().fit_transform(paths).shape
    (3, 20, 30, 3)
    >>> ImageReader(size=8, color="grayscale").fit_transform(paths).shape
    (3, 8, 8, 1)
    """

    _parameter_constraints: dict = {
        "color": [StrOptions(set(_FLAGS))],
        "size": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "interpolation": [StrOptions(set(INTERPOLATIONS))],
        "dtype": [StrOptions({"float32"}), None],
        "n_jobs": [Integral, None],
        "lazy": ["boolean"],
    }

    def __init__(
        self,
        *,
        color="rgb",
        size=None,
        interpolation="area",
        dtype=None,
        n_jobs=None,
        lazy=False,
    ):
        self.color = color
        self.size = size
        self.interpolation = interpolation
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.lazy = lazy

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Read the images.

        Parameters
        ----------
        X : array-like of str or os.PathLike
            Paths of image files, one per row.

        Returns
        -------
        images : ndarray of shape (n_images, height, width, channels)
            The images; a 1-D object array of ``(height, width, channels)``
            images where files differ in size; with ``lazy=True`` a
            :class:`ReadImages`.
        """
        return super().transform(X)

    def _stacked(self, images, paths):
        return _stack(images, paths, ragged=True)

    def _lazy(self, paths):
        return ReadImages(self, paths)

    def _read(self, paths, row):
        """One file as an (h, w, c) image, or a ValueError naming it."""
        path = paths[row]
        try:
            data = np.fromfile(path, dtype=np.uint8)  # non-ASCII paths too
            image = cv2.imdecode(data, _FLAGS[self.color]) if data.size else None
        except (OSError, cv2.error) as error:
            raise ValueError(f"Cannot read X[{row}], {path!r}: {error}") from None
        if image is None:
            raise ValueError(
                f"X[{row}], {path!r}, is not an image OpenCV can decode (empty, "
                "corrupt, or a format this OpenCV build does not read)."
            )
        return prepared(image, self, in_place=True)


class ReadImages(LazyRows):
    """Images read from files when their rows are read: ``ImageReader(lazy=True)``.

    A row source (``_input.RowSource``) for the estimators, which read it a
    batch at a time; ``np.asarray(images)`` reads every file. The shape is
    the first file's (or ``size``); another file of another size is a
    ``ValueError`` naming it when it is read, except by
    ``PatchTiler(grid=...)``, which reads images of any size
    (:meth:`ragged_rows`).

    Parameters
    ----------
    reader : ImageReader
        A fitted reader.
    paths : ndarray of str
        The files, one per row, checked to exist.

    Examples
    --------
    >>> import os, tempfile
    >>> import cv2
    >>> import numpy as np
    >>> from skcnnrnn import ImageReader
    >>> folder = tempfile.mkdtemp()
    >>> paths = [os.path.join(folder, f"{i}.png") for i in range(100)]
    >>> for path in paths:
    ...     _ = cv2.imwrite(path, np.zeros((20, 30, 3), dtype=np.uint8))
    >>> images = ImageReader(lazy=True).fit_transform(paths)
    >>> images
    ReadImages(shape=(100, 20, 30, 3), dtype=uint8)
    >>> images[:2].shape
    (2, 20, 30, 3)
    """

    def __init__(self, reader, paths):
        for row, path in enumerate(paths):
            if not cv2.haveImageReader(path):
                raise ValueError(
                    f"X[{row}], {path!r}: no such file, or not a format OpenCV reads."
                )
        self._reader, self._paths = reader, paths
        first = reader._read(paths, 0)
        self.shape = (len(paths), *first.shape)
        self.dtype = first.dtype
        self.ndim = len(self.shape)

    def _read(self, rows):
        rows = np.arange(len(self))[rows]
        return _stack(self._reader._read_all(self._paths, rows), self._paths, rows)

    def ragged_rows(self, rows):
        """The images of ``rows``, as an object array where sizes differ
        (what ``PatchTiler(grid=...)`` reads)."""
        rows = np.arange(len(self))[rows]
        images = self._reader._read_all(self._paths, rows)
        return _stack(images, self._paths, rows, ragged=True)


def prepared(image, reader, in_place=False):
    """A decoded (BGR) image or frame as ``reader`` (an ImageReader or
    VideoReader) gives it: ``(h, w, c)`` in its color, size and dtype.
    ``in_place``: ``image`` is the caller's own, and may be converted there."""
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    if reader.color == "rgb" and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB, dst=image if in_place else None)
    if reader.size is not None:
        height, width = as_positive_pair(reader.size, "size")
        interpolation = INTERPOLATIONS[reader.interpolation]
        image = cv2.resize(image, (width, height), interpolation=interpolation)
        image = image.reshape(height, width, -1)
    if reader.dtype == "float32":
        depth = image.dtype
        image = image.astype(np.float32)
        if depth.kind in "ui":  # to [0, 1] by the file's depth
            image /= np.float32(np.iinfo(depth).max)
    return image


def in_threads(read, rows, n_jobs):
    """``[read(row) for row in rows]`` on ``n_jobs`` threads (joblib's rule):
    OpenCV releases the GIL while it decodes."""
    threads = min(effective_n_jobs(n_jobs), len(rows))
    if threads <= 1:
        return [read(row) for row in rows]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(read, rows))


def as_paths(X):
    """``X`` as a 1-D object array of path strings, or an error naming a row."""
    paths = np.asarray(X, dtype=object)
    if paths.ndim == 2 and paths.shape[1] == 1:
        paths = paths[:, 0]
    if paths.ndim != 1:
        raise ValueError(
            "X must hold one file path per row: a 1-D array-like, or one column; "
            f"got shape {paths.shape}."
        )
    if len(paths) == 0:
        raise ValueError("X holds no paths: 0 sample(s) given.")
    for row, path in enumerate(paths):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"X[{row}] is {path!r} of type {type(path).__name__}: X must hold "
                "file paths (str or os.PathLike)."
            )
    return np.array([os.fspath(p) for p in paths], dtype=object)


def _stack(images, paths, rows=None, ragged=False):
    """Images of one shape and dtype as one array, or an error naming two
    files that differ and what to set. ``ragged``: images of different sizes
    (one channel count and depth) as a 1-D object array."""
    if isinstance(images, np.ndarray):  # one shape and dtype
        return images
    rows = np.arange(len(images)) if rows is None else rows
    first = images[0]
    for row, image in zip(rows, images, strict=True):
        if image.shape[2] != first.shape[2] or (
            not ragged and image.shape != first.shape
        ):
            raise ValueError(
                f"Images of different sizes: {paths[rows[0]]!r} (X[{rows[0]}]) is "
                f"{'x'.join(map(str, first.shape))} and {paths[row]!r} (X[{row}]) "
                f"is {'x'.join(map(str, image.shape))}: pass size=(height, width) "
                "to ImageReader to resize them all"
                + (
                    "."
                    if image.shape[2] == first.shape[2]
                    else ", and color='rgb' or 'grayscale' for one channel count."
                )
            )
        if image.dtype != first.dtype:
            raise ValueError(
                f"Images of different depths: {paths[rows[0]]!r} is {first.dtype} "
                f"and {paths[row]!r} (X[{row}]) is {image.dtype}: pass "
                "dtype='float32' to ImageReader to scale them all to [0, 1]."
            )
    if any(image.shape != first.shape for image in images):
        result = np.empty(len(images), dtype=object)
        result[:] = images
        return result
    return np.stack(images)
