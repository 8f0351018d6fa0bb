"""Cut images into a row-major sequence of patches (seed article, section 3.1)."""

from numbers import Integral

import cv2
import numpy as np
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


class PatchTiler(TransformerMixin, BaseEstimator):
    """Cut each image into a row-major sequence of equally sized patches.

    The transformer of the seed article's section 3.1: every image is cut into
    ``patch_size`` tiles, each tile is resized to ``output_size`` with OpenCV,
    and the tiles are returned in row-major order, patch ``t = i * n_cols + j``.
    The output ``(n_samples, n_patches, h, w, channels)`` is exactly the input
    of :class:`CNNGRUSequenceClassifier`.

    Images are resized many patches per OpenCV call (patches stacked along the
    channel axis), never one patch per Python iteration.

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

    With the default settings on colour images (20 px patches to 28 px,
    "area") the values are identical to the seed's per-patch ``cv2.resize``
    loop, and so is any setting with ``output_size=None`` or a "nearest"
    interpolation. Otherwise they agree to rounding: OpenCV's own result for
    a pixel depends on how many channels one call resizes (its vectorised
    paths round differently), within one grey level for integer images and
    float rounding for float images.

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
    }

    def __init__(
        self,
        patch_size=(20, 20),
        output_size=(28, 28),
        stride=None,
        interpolation="area",
        image_shape=None,
    ):
        self.patch_size = patch_size
        self.output_size = output_size
        self.stride = stride
        self.interpolation = interpolation
        self.image_shape = image_shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
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

    def transform(self, X):
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
        """
        check_is_fitted(self)
        X = check_input(self, X, reset=False, dtype="numeric", max_ndim=4)
        images = as_images(X, as_shape(self.image_shape, "image_shape"))
        windows = self._windows(images)
        out_dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float32
        n_patches, out_h, out_w, channels = self.output_shape_
        if (out_h, out_w) == self.patch_size_:
            patches = windows.astype(out_dtype)
        else:
            if windows.dtype not in _OPENCV_DTYPES:
                windows = windows.astype(np.float32)
            patches = _resize_stacked(
                windows, (out_h, out_w), INTERPOLATIONS[self.interpolation], out_dtype
            )
        return patches.reshape(len(X), n_patches, out_h, out_w, channels)

    def _windows(self, images):
        """View of shape (n, n_rows, n_cols, ph, pw, C) on the patches."""
        n, _, _, channels = images.shape
        (ph, pw), (sh, sw) = self.patch_size_, self.stride_
        s_n, s_h, s_w, s_c = images.strides
        return np.lib.stride_tricks.as_strided(
            images,
            shape=(n, self.n_rows_, self.n_cols_, ph, pw, channels),
            strides=(s_n, s_h * sh, s_w * sw, s_h, s_w, s_c),
            writeable=False,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _resize_stacked(windows, size, interpolation, out_dtype):
    """Resize every patch of ``windows`` to ``size`` with few OpenCV calls.

    Each (ph, pw) plane of every patch and channel is independent, so the
    planes are stacked along OpenCV's channel axis, up to ``_MAX_CHANNELS``
    planes per ``cv2.resize`` call.
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
    for start in range(0, n_planes, _MAX_CHANNELS):
        stop = min(start + _MAX_CHANNELS, n_planes)
        chunk = np.ascontiguousarray(planes[:, :, start:stop])
        resized[:, :, start:stop] = cv2.resize(
            chunk, (out_w, out_h), interpolation=interpolation
        ).reshape(out_h, out_w, stop - start)
    return (
        resized.reshape(out_h, out_w, n, rows * cols, channels)
        .transpose(2, 3, 0, 1, 4)
        .astype(out_dtype, order="C")
    )
