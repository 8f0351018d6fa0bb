"""Cut images into a row-major sequence of patches (seed article, section 3.1)."""

from __future__ import annotations

import copy
from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._images import check_grid, check_images, differ_in_shape, image_sizes
from ._input import (
    as_images,
    as_positive_pair,
    as_shape,
    check_input,
    check_tiled_input,
    unchanged_on_error,
)
from ._persistence import VersionedPickleMixin
from ._resize import INTERPOLATIONS
from ._tiles import fit_any_size, fit_grid, lengths, tile
from .sequences import PaddedSequences, TiledImages, read_rows

_PAIR = [tuple, list, Interval(Integral, 1, None, closed="left")]


class PatchTiler(VersionedPickleMixin, TransformerMixin, BaseEstimator):
    """Cut each image into a row-major sequence of equally sized patches.

    The transformer of the seed article's section 3.1: every image is cut into
    ``patch_size`` tiles, each tile is resized to ``output_size`` with OpenCV,
    and the tiles are returned in row-major order, patch ``t = i * n_cols + j``.
    The output ``(n_samples, n_patches, h, w, channels)`` is exactly the input
    of :class:`CNNGRUSequenceClassifier`.

    Patches are never resized one per Python iteration but many per OpenCV
    call: whole images, or patches stacked one under the other (along
    OpenCV's channel axis for "lanczos4"), whichever :doc:`/performance`
    measured fastest. The calls run on as many threads as OpenCV uses
    (``cv2.setNumThreads``), with the same result.

    Parameters
    ----------
    patch_size : int or tuple of (int, int), default=None
        Height and width of a patch in input pixels; None is ``(20, 20)``
        unless ``grid`` is given (the two are exclusive). A patch larger than
        the images is clipped to the image: an image smaller than
        ``patch_size`` becomes a single patch (then resized to ``output_size``).
        On a list of images of different sizes each image gives its own
        number of patches (the seed article's rule): :meth:`transform`
        returns :class:`PaddedSequences`, whose padding the CNN-GRU masks.

    grid : int or tuple of (int, int), default=None
        Cut every image into ``rows x cols`` equal patches whatever its size,
        instead of patches of ``patch_size`` pixels: images of different
        sizes (a list of them) give sequences of one length. A patch is
        ``(height // rows, width // cols)`` pixels; the pixels left over at
        the right and bottom are dropped, as with ``patch_size``. An image
        with fewer pixel rows or columns than the grid is a ``ValueError``
        naming it. Images of different sizes need ``output_size``.

    output_size : int, tuple of (int, int) or None, default=(28, 28)
        Height and width each patch is resized to. ``None`` keeps the (clipped)
        patch size and copies pixels without resampling.

    stride : int, tuple of (int, int) or None, default=None
        Step between the top-left corners of neighbouring patches. ``None``
        uses ``patch_size``: non-overlapping patches. A stride smaller than
        the patch gives overlapping patches.

    interpolation : {"area", "nearest", "linear", "cubic", "lanczos4", \
            "linear_exact", "nearest_exact"}, default="area"
        OpenCV interpolation used to resize the patches (``cv2.INTER_AREA``
        and so on).

    image_shape : tuple of (int, int) or (int, int, int), default=None
        Shape ``(height, width)`` or ``(height, width, channels)`` that each row
        of a 2-D input ``(n_samples, n_features)`` is reshaped to. ``None``
        reads each row as a ``1 x n_features`` single-channel image. For 3-D
        and 4-D input it must match the images, if given.

    lazy : bool, default=False
        If True, :meth:`transform` returns a :class:`TiledImages` that tiles
        images only when rows of it are read, instead of an array of every
        patch. The classifiers read it one batch at a time, so in
        ``Pipeline([("tile", PatchTiler(lazy=True)), ("clf",
        CNNGRUSequenceClassifier())])`` the tiled data (often several times
        the size of the images) is never held whole; with a memory-mapped
        ``X`` nothing of the dataset is. ``np.asarray`` of it gives the usual
        array.

    dtype : {"float32", "float64"} or None, default=None
        Dtype of the patches. None keeps the images' own dtype when OpenCV
        resizes it natively (``uint8``, ``uint16``, ``int16``, ``float32``,
        ``float64``) and gives ``float32`` for any other. Integer patches are
        what a per-patch ``cv2.resize`` loop returns, and ``uint8`` patches
        take a quarter of the memory of ``float32`` ones; the estimators
        convert them to floats one batch at a time.

    Attributes
    ----------
    input_shape_ : tuple of int
        Per-sample shape of ``X`` seen in :meth:`fit`; :meth:`transform`
        requires the same. With ``grid``, ``(None, None, channels)``: any
        size, the channels seen in fit.

    n_features_in_ : int
        ``X.shape[1]`` seen in :meth:`fit` (not set for a list of images of
        different sizes).

    n_patches_ : int or None
        Number of patches per image, ``n_rows_ * n_cols_``; None when fitted
        with ``patch_size`` on images of different sizes (each its own, and
        ``n_rows_``, ``n_cols_`` None too).

    n_rows_ : int
        Number of patch rows per image.

    n_cols_ : int
        Number of patch columns per image.

    patch_size_ : tuple of (int, int) or None
        Patch size actually used, after clipping to the image; None with
        ``grid`` (each image's own).

    stride_ : tuple of (int, int)
        Step between neighbouring patches, ``patch_size`` where ``stride`` is
        None.

    output_shape_ : tuple of int
        Per-sample shape of the output, ``(n_patches_, h, w, channels)``
        (``n_patches_`` None: each image its own).

    See Also
    --------
    sklearn.feature_extraction.image.PatchExtractor : Random or all patches,
        as a flat bag without order.
    CNNGRUSequenceClassifier : Classifies the patch sequences.

    Notes
    -----
    Input may be images ``(n, H, W, C)``, grayscale images ``(n, H, W)`` or flat
    rows ``(n, F)``; with ``grid``, also a list (or object array) of images
    ``(H, W[, C])`` of different sizes, with one number of channels. Pixels
    at the right and bottom border that do not fill a whole patch are
    dropped, as in the seed article.

    The patches agree with the seed's per-patch ``cv2.resize`` loop within
    float rounding (1e-5 of the largest value) for float images and within
    one grey level for integer images; with ``output_size=None`` or a
    "nearest" interpolation they are identical. (OpenCV's own rounding
    depends on how many pixels and channels one call resizes.)

    Examples
    --------
    >>> import numpy as np
    >>> from skcnnrnn import PatchTiler
    >>> images = np.zeros((2, 40, 60, 3), dtype=np.uint8)
    >>> tiler = PatchTiler(patch_size=(20, 20), output_size=(28, 28))
    >>> tiles = tiler.fit_transform(images)
    >>> tiles.shape
    (2, 6, 28, 28, 3)
    >>> tiles.dtype
    dtype('uint8')
    >>> tiler.set_params(dtype="float32").fit_transform(images).dtype
    dtype('float32')

    Images of different sizes, each cut into a 2 x 3 grid:

    >>> photos = [np.zeros((40, 60, 3), np.uint8), np.zeros((90, 120, 3), np.uint8)]
    >>> PatchTiler(grid=(2, 3), output_size=16).fit_transform(photos).shape
    (2, 6, 16, 16, 3)
    """

    _parameter_constraints: dict = {
        "patch_size": [*_PAIR, None],
        "grid": [*_PAIR, None],
        "output_size": [*_PAIR, None],
        "stride": [*_PAIR, None],
        "interpolation": [StrOptions(set(INTERPOLATIONS))],
        "image_shape": [tuple, list, None],
        "lazy": ["boolean"],
        "dtype": [StrOptions({"float32", "float64"}), None],
    }

    def __init__(
        self,
        patch_size=None,
        grid=None,
        output_size=(28, 28),
        stride=None,
        interpolation="area",
        image_shape=None,
        lazy=False,
        dtype=None,
    ):
        self.patch_size = patch_size
        self.grid = grid
        self.output_size = output_size
        self.stride = stride
        self.interpolation = interpolation
        self.image_shape = image_shape
        self.lazy = lazy
        self.dtype = dtype

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: object = None) -> PatchTiler:
        """Check the parameters and record the image shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W, C), (n_samples, H, W) or \
                (n_samples, n_features)
            Training images.

        y : None
            Ignored.

        Returns
        -------
        self : PatchTiler
            The fitted transformer.
        """
        output_size = (
            None
            if self.output_size is None
            else as_positive_pair(self.output_size, "output_size")
        )
        image_shape = as_shape(self.image_shape, "image_shape")
        if self.grid is not None:
            return fit_grid(self, X, as_positive_pair(self.grid, "grid"), output_size)
        patch_size = as_positive_pair(
            (20, 20) if self.patch_size is None else self.patch_size, "patch_size"
        )
        stride = as_positive_pair(
            patch_size if self.stride is None else self.stride, "stride"
        )
        if differ_in_shape(X):
            return fit_any_size(self, X, patch_size, stride, output_size)
        with unchanged_on_error(self):
            X = _check(self, X, reset=True)
            _, height, width, channels = as_images(X, image_shape).shape
        # A patch larger than the image is clipped to it (documented rule).
        self.patch_size_ = (min(patch_size[0], height), min(patch_size[1], width))
        self.stride_ = stride
        self.n_rows_ = (height - self.patch_size_[0]) // stride[0] + 1
        self.n_cols_ = (width - self.patch_size_[1]) // stride[1] + 1
        self.n_patches_ = self.n_rows_ * self.n_cols_
        out_size = self.patch_size_ if output_size is None else output_size
        self.output_shape_ = (self.n_patches_, *out_size, channels)
        return self

    def set_output(self, *, transform: str | None = None) -> PatchTiler:
        """Set the container of :meth:`transform`'s output: NumPy arrays only.

        Patch sequences are 5-D and a DataFrame holds 2-D tables, so "pandas"
        and "polars" cannot be given, here or through ``Pipeline.set_output``.

        Parameters
        ----------
        transform : {"default"} or None, default=None
            "default" (NumPy arrays) or None (unchanged) are accepted.

        Returns
        -------
        self : PatchTiler
            This tiler, unchanged.
        """
        if transform in (None, "default"):
            return self
        raise ValueError(
            f"PatchTiler cannot output {transform!r} containers: a DataFrame "
            "cannot hold its patch sequences (n_samples, n_patches, height, "
            "width, channels). Only set_output(transform='default') works, "
            "also on a Pipeline that contains a PatchTiler."
        )

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Cut images into patches and resize them.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W, C), (n_samples, H, W) or \
                (n_samples, n_features)
            Images with the per-sample shape seen in :meth:`fit`.

        Returns
        -------
        patches : ndarray of shape (n_samples, n_patches, h, w, C)
            Patches in row-major order, of the dtype set by ``dtype``. With
            ``lazy=True``, a :class:`TiledImages` of that shape. When fitted
            with ``patch_size`` on images of different sizes, a
            :class:`PaddedSequences` (or a lazy ``TiledImages`` with
            ``lengths``), padded to the longest sequence.
        """
        check_is_fitted(self)
        if self.n_patches_ is None or self.patch_size_ is None:  # any size
            images = check_images(self, X, self.image_shape, reset=False)
            if self.grid is not None:
                for row, size in image_sizes(images).items():
                    check_grid(size, (self.n_rows_, self.n_cols_), row)
        else:
            X = _check(self, X, reset=False)
            images = as_images(X, as_shape(self.image_shape, "image_shape"))
        if self.lazy:
            return TiledImages(copy.copy(self), images)
        patches = self._tile(read_rows(images, slice(None)))
        if self.n_patches_ is None:
            return PaddedSequences(patches, lengths(self, images))
        return patches

    def _tile(self, images, steps=None):
        """Patches of validated images (``(n, H, W, C)`` or an object array)."""
        return tile(self, images, steps)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _check(tiler, X, *, reset):
    """Validated images; a row source that checks its own values (the
    files of ``ImageReader(lazy=True)``) is kept unread, its shape checked."""
    if getattr(X, "values_checked", False):
        return check_tiled_input(tiler, X, reset=reset, max_ndim=4)
    return check_input(tiler, X, reset=reset, dtype="numeric", max_ndim=4)
