"""Cut images into a row-major sequence of patches (seed article, section 3.1)."""

from __future__ import annotations

import copy
from functools import lru_cache
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

INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
    "lanczos4": cv2.INTER_LANCZOS4,
    "linear_exact": cv2.INTER_LINEAR_EXACT,
    "nearest_exact": cv2.INTER_NEAREST_EXACT,
}

# OpenCV resizes arrays of up to this many channels in one call (CV_CN_MAX is
# 128 in OpenCV 5, 512 in OpenCV 4); patches are stacked along channels.
_MAX_CHANNELS = 128
# Dtypes cv2.resize handles natively; others are resized as float32.
_OPENCV_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)
_PAIR = [tuple, list, Interval(Integral, 1, None, closed="left")]


class PatchTiler(VersionedPickleMixin, TransformerMixin, BaseEstimator):
    """Cut each image into a row-major sequence of equally sized patches.

    The transformer of the seed article's section 3.1: every image is cut into
    ``patch_size`` tiles, each tile is resized to ``output_size`` with OpenCV,
    and the tiles are returned in row-major order, patch ``t = i * n_cols + j``.
    The output ``(n_samples, n_patches, h, w, channels)`` is exactly the input
    of :class:`CNNGRUSequenceClassifier`.

    Patches are never resized one per Python iteration. With "area"
    enlarging and non-overlapping patches (the defaults) each whole image is
    resized by one OpenCV call and then cut; otherwise many patches are
    resized per call, stacked along OpenCV's channel axis.

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
    whole patch are dropped, as in the seed article. ``float32`` and
    ``float64`` images keep their dtype; any other numeric dtype is returned as
    ``float32``. ``uint8``, ``uint16`` and ``int16`` images are resized by
    OpenCV in their own dtype (with OpenCV's rounding), like a per-patch
    ``cv2.resize`` loop would.

    With "area" enlarging of non-overlapping patches (the defaults) of
    ``uint8`` or ``float32`` images, the values are identical to the seed's
    per-patch ``cv2.resize`` loop, and so is any setting with
    ``output_size=None`` or a "nearest" interpolation. Otherwise they agree
    to rounding: OpenCV's own result for a pixel depends on how many channels
    one call resizes (its vectorised paths round differently), within one
    grey level for integer images and float rounding for float images.

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
    dtype('float32')
    """

    _parameter_constraints: dict = {
        "patch_size": _PAIR,
        "output_size": [*_PAIR, None],
        "stride": [*_PAIR, None],
        "interpolation": [StrOptions(set(INTERPOLATIONS))],
        "image_shape": [tuple, list, None],
        "lazy": ["boolean"],
    }

    def __init__(
        self,
        patch_size=(20, 20),
        output_size=(28, 28),
        stride=None,
        interpolation="area",
        image_shape=None,
        lazy=False,
    ):
        self.patch_size = patch_size
        self.output_size = output_size
        self.stride = stride
        self.interpolation = interpolation
        self.image_shape = image_shape
        self.lazy = lazy

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

        Patch sequences are 5-D, ``(n_samples, n_patches, height, width,
        channels)``, and a DataFrame holds 2-D tables: "pandas" and "polars"
        cannot be given, so neither can ``Pipeline.set_output`` with them on
        a Pipeline that tiles images.

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
            f"PatchTiler cannot output {transform!r} containers: it returns "
            "patch sequences of shape (n_samples, n_patches, height, width, "
            "channels), which a DataFrame cannot hold. Only "
            "set_output(transform='default') (NumPy arrays) works, also for a "
            "Pipeline that contains a PatchTiler."
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
            Patches in row-major order; float32, or float64 for float64 input.
            With ``lazy=True``, a :class:`TiledImages` of that shape.
        """
        check_is_fitted(self)
        X = check_input(self, X, reset=False, dtype="numeric", max_ndim=4)
        images = as_images(X, as_shape(self.image_shape, "image_shape"))
        if self.lazy:
            return TiledImages(copy.copy(self), images)
        return self._tile(images)

    def _tile(self, images):
        """Patches of validated images ``(n, H, W, C)``."""
        windows = self._windows(images)
        out_dtype = _output_dtype(images.dtype)
        n_patches, out_h, out_w, channels = self.output_shape_
        if (out_h, out_w) == self.patch_size_:
            patches = windows.astype(out_dtype)
        elif (weights := self._whole_image_weights(images.dtype)) is not None:
            patches = _resize_whole(
                images,
                self.patch_size_,
                (self.n_rows_, self.n_cols_),
                (out_h, out_w),
                weights,
                out_dtype,
            )
        else:
            if windows.dtype not in _OPENCV_DTYPES:
                windows = windows.astype(np.float32)
            patches = _resize_stacked(
                windows, (out_h, out_w), INTERPOLATIONS[self.interpolation], out_dtype
            )
        return patches.reshape(len(images), n_patches, out_h, out_w, channels)

    def _whole_image_weights(self, dtype):
        """Per-patch (y, x) weights if whole images can be resized at once.

        None when they cannot; see `_resize_whole`.
        """
        (ph, pw), (oh, ow) = self.patch_size_, self.output_shape_[1:3]
        if not (
            self.interpolation == "area"
            and self.stride_ == self.patch_size_
            and oh >= ph
            and ow >= pw
            and self.output_shape_[-1] <= _MAX_CHANNELS
            # float64 is left out: OpenCV's float64 path gives a last row that
            # is not the last source row on long images (measured).
            and dtype in (np.uint8, np.float32)
        ):
            return None
        exact = dtype == np.float32
        y_weights = _whole_image_mismatches(ph, self.n_rows_, oh, exact)
        x_weights = _whole_image_mismatches(pw, self.n_cols_, ow, exact)
        if y_weights is None or x_weights is None:
            return None
        return y_weights, x_weights

    def _windows(self, images):
        """View of shape (n, n_rows, n_cols, ph, pw, C) on the patches."""
        return _strided_patches(
            images, self.patch_size_, (self.n_rows_, self.n_cols_), self.stride_
        )

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

    def __init__(self, tiler, images):
        self._tiler = tiler
        self._images = images
        self.shape = (len(images), *tiler.output_shape_)
        self.dtype = _output_dtype(images.dtype)
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


def _output_dtype(dtype):
    """Patches keep float32/float64 images' dtype; everything else is float32."""
    return np.dtype(dtype if dtype in (np.float32, np.float64) else np.float32)


def _strided_patches(images, patch, grid, stride):
    """View of shape (n, rows, cols, ph, pw, C) on the patches of ``images``."""
    n, _, _, channels = images.shape
    (ph, pw), (sh, sw) = patch, stride
    s_n, s_h, s_w, s_c = images.strides
    return np.lib.stride_tricks.as_strided(
        images,
        shape=(n, *grid, ph, pw, channels),
        strides=(s_n, s_h * sh, s_w * sw, s_h, s_w, s_c),
        writeable=False,
    )


def _resize_stacked(windows, size, interpolation, out_dtype):
    """Resize every patch of ``windows`` to ``size`` with few OpenCV calls.

    Each (ph, pw) plane of every patch and channel is independent, so the
    planes are stacked along OpenCV's channel axis, up to ``_MAX_CHANNELS``
    planes per ``cv2.resize`` call. OpenCV's general "area" shrinking (a
    ratio that is not a whole number) takes at most 4 channels per call.
    """
    n, rows, cols, ph, pw, channels = windows.shape
    out_h, out_w = size
    n_planes = n * rows * cols * channels
    # (ph, pw, planes) with planes ordered (n, row, col, channel): the same
    # order the output needs after resizing.
    planes = np.ascontiguousarray(windows.transpose(3, 4, 0, 1, 2, 5)).reshape(
        ph, pw, n_planes
    )
    resized = np.empty((out_h, out_w, n_planes), dtype=planes.dtype)
    step = _MAX_CHANNELS
    if (
        interpolation == cv2.INTER_AREA
        and ph >= out_h
        and pw >= out_w
        and (ph % out_h or pw % out_w)
    ):
        step = 4
    for start in range(0, n_planes, step):
        stop = min(start + step, n_planes)
        chunk = np.ascontiguousarray(planes[:, :, start:stop])
        resized[:, :, start:stop] = cv2.resize(
            chunk, (out_w, out_h), interpolation=interpolation
        ).reshape(out_h, out_w, stop - start)
    return (
        resized.reshape(out_h, out_w, n, rows * cols, channels)
        .transpose(2, 3, 0, 1, 4)
        .astype(out_dtype, order="C")
    )


def _area_enlarge_weights(src, dst, repeat=1):
    """OpenCV's two-tap weights of ``INTER_AREA`` enlarging ``src`` to ``dst`` px.

    Returns ``(i0, i1, w0, w1)``: output pixel ``d`` is ``s[i0] * w0 + s[i1] *
    w1``, with float32 weights computed as ``cv::resize`` computes them
    (``fx = (d + 1) - (sx + 1) * dst / src`` in double precision, then float).
    With ``repeat=k`` the weights are those of ``k`` such segments resized
    one by one, laid end to end.
    """
    inv_scale = dst / src
    d = np.arange(dst)
    i0 = np.floor(d * (1.0 / inv_scale)).astype(np.intp)
    fx = ((d + 1) - (i0 + 1) * inv_scale).astype(np.float32)
    fx = np.where(fx <= 0, np.float32(0), fx - np.floor(fx))
    last = i0 >= src - 1
    i0 = np.minimum(i0, src - 1)
    fx[last] = 0
    i1 = np.minimum(i0 + 1, src - 1)
    offsets = np.repeat(np.arange(repeat) * src, dst)
    return (
        np.tile(i0, repeat) + offsets,
        np.tile(i1, repeat) + offsets,
        np.tile(np.float32(1) - fx, repeat),
        np.tile(fx, repeat),
    )


def _fixed_point(weight):
    """The 11-bit fixed-point weights OpenCV uses for uint8 images."""
    return np.rint(weight.astype(np.float64) * 2048).astype(np.int32)


@lru_cache(maxsize=32)
def _whole_image_mismatches(patch, count, out, exact_dtype):
    """Where resizing ``count`` patches in one call differs from one by one.

    ``cv::resize`` computes its weights from the absolute output coordinate,
    so on a long axis a weight that is exactly 0 for a lone patch comes out
    as about 1e-14. Returns the per-patch weights laid end to end and the
    output indices whose weights differ, or None when the difference would
    change a ``uint8`` result (its 11-bit weights cannot be patched up).
    """
    patched = _area_enlarge_weights(patch, out, count)
    whole = _area_enlarge_weights(patch * count, out * count)
    if exact_dtype:
        differ = (
            (patched[0] != whole[0])
            | (patched[2] != whole[2])
            | (patched[3] != whole[3])
            | ((patched[1] != whole[1]) & (patched[3] != 0))
        )
        return patched, np.flatnonzero(differ)
    w1 = _fixed_point(patched[3])
    if (
        (patched[0] != whole[0]).any()
        | (_fixed_point(patched[2]) != _fixed_point(whole[2])).any()
        | (w1 != _fixed_point(whole[3])).any()
        | ((patched[1] != whole[1]) & (w1 != 0)).any()
    ):
        return None
    return patched, np.empty(0, np.intp)


def _resize_whole(images, patch, grid, size, weights, out_dtype):
    """Tile by resizing each whole image with one ``cv2.resize`` call.

    Used for "area" enlarging of non-overlapping patches, where no output
    pixel weighs pixels of two patches. A whole image is resized as one, then
    cut into patches while it is still in cache. OpenCV computes its weights
    from absolute coordinates, so a few of them differ by rounding from the
    per-patch ones (see `_whole_image_mismatches`); for float32 those output
    rows and columns are recomputed with the per-patch weights, so the result
    equals a per-patch ``cv2.resize`` loop.
    """
    n, _, _, channels = images.shape
    y_weights, x_weights = weights
    (ph, pw), (rows, cols), (oh, ow) = patch, grid, size
    exact = images.dtype == np.float32
    crop = images[:, : rows * ph, : cols * pw]
    out = np.empty((n, rows, cols, oh, ow, channels), dtype=out_dtype)
    resized = np.empty((rows * oh, cols * ow, channels), dtype=images.dtype)
    # OpenCV returns single-channel images as 2-D arrays.
    target = resized[..., 0] if channels == 1 else resized
    as_tiles = resized.reshape(rows, oh, cols, ow, channels).transpose(0, 2, 1, 3, 4)
    bad_rows, bad_cols = y_weights[1], x_weights[1]
    if exact:
        row_fix, column_fix = _per_patch_values(crop, y_weights, x_weights)
    # One iteration per image: a whole-image OpenCV call and one copy, made
    # while the resized image is still in cache.
    for k, (image, tiles) in enumerate(zip(crop, out, strict=True)):
        cv2.resize(
            image, (cols * ow, rows * oh), dst=target, interpolation=cv2.INTER_AREA
        )
        if exact:
            resized[:, bad_cols] = column_fix[k]
            resized[bad_rows] = row_fix[k]
        tiles[...] = as_tiles
    return out.reshape(n, rows * cols, oh, ow, channels)


def _per_patch_values(images, y_weights, x_weights):
    """Per-patch values of the mismatched output rows and columns.

    OpenCV resizes along x, then along y, each value ``p * w0 + q * w1`` in
    float32; the same arithmetic in numpy with the per-patch weights gives the
    per-patch result. Returns arrays of shape (n, bad rows, out width, C) and
    (n, out height, bad columns, C); rows are applied last, so they also
    hold the right values where a bad row crosses a bad column.
    """
    (y0, y1, b0, b1), bad_rows = y_weights
    bad_cols = x_weights[1]
    b0, b1 = b0[:, None, None], b1[:, None, None]
    along_x = _along_x_columns(images, x_weights, bad_cols)
    columns = along_x[:, y0] * b0 + along_x[:, y1] * b1
    top = _along_x(images[:, y0[bad_rows]], x_weights)
    bottom = _along_x(images[:, y1[bad_rows]], x_weights)
    return top * b0[bad_rows] + bottom * b1[bad_rows], columns


def _along_x_columns(images, x_weights, columns):
    """Output ``columns`` of resizing ``images`` (n, h, w, C) along x only."""
    (x0, x1, a0, a1), _ = x_weights
    a0, a1 = a0[columns, None], a1[columns, None]
    return images[:, :, x0[columns]] * a0 + images[:, :, x1[columns]] * a1


def _along_x(images, x_weights):
    """Resize ``images`` (n, h, w, C) along x only, with per-patch weights."""
    (x0, _, _, _), bad_cols = x_weights
    n, height, width, channels = images.shape
    if n * height == 0:
        return np.empty((n, height, len(x0), channels), dtype=images.dtype)
    flat = np.ascontiguousarray(images).reshape(n * height, width, channels)
    # Along x only, OpenCV's weights are the per-patch ones but at bad_cols.
    resized = cv2.resize(flat, (len(x0), n * height), interpolation=cv2.INTER_AREA)
    resized = resized.reshape(n, height, len(x0), channels)
    resized[:, :, bad_cols] = _along_x_columns(images, x_weights, bad_cols)
    return resized
