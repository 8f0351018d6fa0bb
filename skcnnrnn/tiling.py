"""Cut images into a row-major sequence of patches (seed article, section 3.1)."""

from __future__ import annotations

import copy
from numbers import Integral

import cv2
import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._input import (
    as_images,
    as_positive_pair,
    as_shape,
    check_input,
    unchanged_on_error,
)
from ._persistence import VersionedPickleMixin
from ._resize import OPENCV_DTYPES, output_dtype, resize_patches, strided_patches

INTERPOLATIONS = {  # "area": cv2.INTER_AREA, and so on
    name: getattr(cv2, f"INTER_{name.upper()}")
    for name in "nearest linear cubic area lanczos4 linear_exact nearest_exact".split()
}
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
    patch_size : int or tuple of (int, int), default=(20, 20)
        Height and width of a patch in input pixels. A patch larger than the
        images is clipped to the image: an image smaller than ``patch_size``
        becomes a single patch (then resized to ``output_size``).

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
        requires the same.

    n_features_in_ : int
        ``X.shape[1]`` seen in :meth:`fit`.

    n_patches_ : int
        Number of patches per image, ``n_rows_ * n_cols_``.

    n_rows_ : int
        Number of patch rows per image.

    n_cols_ : int
        Number of patch columns per image.

    patch_size_ : tuple of (int, int)
        Patch size actually used, after clipping to the image.

    stride_ : tuple of (int, int)
        Step between neighbouring patches, ``patch_size`` where ``stride`` is
        None.

    output_shape_ : tuple of int
        Per-sample shape of the output, ``(n_patches_, h, w, channels)``.

    See Also
    --------
    sklearn.feature_extraction.image.PatchExtractor : Random or all patches,
        as a flat bag without order.
    CNNGRUSequenceClassifier : Classifies the patch sequences.

    Notes
    -----
    Input may be images ``(n, H, W, C)``, grayscale images ``(n, H, W)`` or flat
    rows ``(n, F)``. Pixels at the right and bottom border that do not fill a
    whole patch are dropped, as in the seed article.

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
    """

    _parameter_constraints: dict = {
        "patch_size": _PAIR,
        "output_size": [*_PAIR, None],
        "stride": [*_PAIR, None],
        "interpolation": [StrOptions(set(INTERPOLATIONS))],
        "image_shape": [tuple, list, None],
        "lazy": ["boolean"],
        "dtype": [StrOptions({"float32", "float64"}), None],
    }

    def __init__(
        self,
        patch_size=(20, 20),
        output_size=(28, 28),
        stride=None,
        interpolation="area",
        image_shape=None,
        lazy=False,
        dtype=None,
    ):
        self.patch_size = patch_size
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
        patch_size = as_positive_pair(self.patch_size, "patch_size")
        stride = as_positive_pair(
            patch_size if self.stride is None else self.stride, "stride"
        )
        output_size = (
            None
            if self.output_size is None
            else as_positive_pair(self.output_size, "output_size")
        )
        image_shape = as_shape(self.image_shape, "image_shape")
        with unchanged_on_error(self):
            X = check_input(self, X, reset=True, dtype="numeric", max_ndim=4)
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
            ``lazy=True``, a :class:`TiledImages` of that shape.
        """
        check_is_fitted(self)
        X = check_input(self, X, reset=False, dtype="numeric", max_ndim=4)
        images = as_images(X, as_shape(self.image_shape, "image_shape"))
        if self.lazy:
            return TiledImages(copy.copy(self), images)
        return self._tile(images)

    def _tile(self, images):
        """Patches of validated images ``(n, H, W, C)``."""
        out_dtype = output_dtype(images.dtype, self.dtype)
        if images.dtype not in OPENCV_DTYPES:
            images = images.astype(np.float32)
        windows = strided_patches(
            images, self.patch_size_, (self.n_rows_, self.n_cols_), self.stride_
        )
        size = self.output_shape_[1:3]
        if size == self.patch_size_:
            patches = windows.astype(out_dtype)
        else:
            interpolation = INTERPOLATIONS[self.interpolation]
            patches = resize_patches(windows, size, interpolation, out_dtype)
        return patches.reshape(len(images), *self.output_shape_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class TiledImages:
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

    # A row source (``_input.RowSource``) whose values the tiler validated:
    # the estimators check its shape only, and read it a batch at a time.
    values_checked = True

    def __init__(self, tiler, images):
        self._tiler = tiler
        self._images = images
        self.shape = (len(images), *tiler.output_shape_)
        self.dtype = output_dtype(images.dtype, tiler.dtype)
        self.ndim = len(self.shape)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        if isinstance(rows, (int, np.integer)):
            return self._tiler._tile(self._images[[rows]])[0]
        if isinstance(rows, tuple):
            raise TypeError(
                "TiledImages are indexed by rows only (an int, slice or index "
                "array); use np.asarray(tiles) for other indexing."
            )
        return self._tiler._tile(self._images[rows])

    def __array__(self, dtype=None, copy=None):
        tiles = self[:]
        return tiles if dtype is None else tiles.astype(dtype, copy=False)

    def __repr__(self):
        return f"TiledImages(shape={self.shape}, dtype={self.dtype})"
