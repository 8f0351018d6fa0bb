"""Cutting images into patches and resizing them with OpenCV, many per call."""

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import cv2
import numpy as np

# OpenCV resizes arrays of up to this many channels in one call (CV_CN_MAX is
# 128 in OpenCV 5, 512 in OpenCV 4); patches are stacked along channels.
MAX_CHANNELS = 128
# Images resized per OpenCV call in the whole-image path: about this many
# bytes, so the resized images are still in cache when cut into patches.
_CHUNK_BYTES = 1 << 20


def resize_patches(windows, size, interpolation, out_dtype):
    """Resize every patch of ``windows``, a view from :func:`strided_patches`,
    to ``size``, by the fastest path that gives each patch its own resize.

    Measured on the seed's workload (``docs/performance.rst``): integer
    images with non-overlapping "area" patches are resized whole (1.5x
    faster than stacked patches); otherwise patches are stacked one under
    the other when OpenCV's coordinates allow it ("area" and "nearest"),
    about 8x faster than stacking them along the channel axis, which every
    interpolation allows.
    """
    n, rows, cols, ph, pw, channels = windows.shape
    oh, ow = size
    per_call = images_per_call(windows)
    # OpenCV's general "area" shrinking takes at most 4 channels per call.
    native = channels <= MAX_CHANNELS and (
        channels <= 4 or interpolation != cv2.INTER_AREA or (oh >= ph and ow >= pw)
    )
    touching = windows.strides[1:3] == (
        windows.strides[3] * ph,
        windows.strides[4] * pw,
    )
    if (
        native
        and touching
        and windows.dtype.kind != "f"
        and interpolation == cv2.INTER_AREA
        and aligned(pw, ow, cols, interpolation)
        and aligned(ph, oh, rows * per_call, interpolation)
    ):
        # A view: the patches touch, so the rows and columns merge.
        crop = windows.transpose(0, 1, 3, 2, 4, 5).reshape(
            n, rows * ph, cols * pw, channels
        )
        return resize_whole(crop, (rows, cols), size, out_dtype)
    if native and aligned(ph, oh, rows * cols * per_call, interpolation):
        return resize_rows(windows, size, interpolation, out_dtype)
    return resize_stacked(windows, size, interpolation, out_dtype)


def strided_patches(images, patch, grid, stride):
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


def resize_stacked(windows, size, interpolation, out_dtype):
    """Resize every patch of ``windows`` to ``size`` with few OpenCV calls.

    Each (ph, pw) plane of every patch and channel is independent, so the
    planes are stacked along OpenCV's channel axis, up to ``MAX_CHANNELS``
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
    step = MAX_CHANNELS
    if (
        interpolation == cv2.INTER_AREA
        and ph >= out_h
        and pw >= out_w
        and (ph % out_h or pw % out_w)
    ):
        step = 4

    def resize(start):
        stop = min(start + step, n_planes)
        chunk = np.ascontiguousarray(planes[:, :, start:stop])
        resized[:, :, start:stop] = cv2.resize(
            chunk, (out_w, out_h), interpolation=interpolation
        ).reshape(out_h, out_w, stop - start)

    in_threads(resize, range(0, n_planes, step))
    return (
        resized.reshape(out_h, out_w, n, rows * cols, channels)
        .transpose(2, 3, 0, 1, 4)
        .astype(out_dtype, order="C")
    )


def resize_rows(windows, size, interpolation, out_dtype):
    """Resize patches stacked one under the other, straight into the output.

    Once :func:`aligned` has checked that a stack of patches resizes as each
    patch on its own, a chunk of images' patches is gathered into a buffer
    (converted to ``out_dtype`` on the way) and resized by one call into its
    place in the output, which is in patch order: no copy of the output.
    OpenCV is slower on such narrow rows than on whole images, but float
    images gain more from not copying the output (see
    :func:`resize_patches`).
    """
    n, rows, cols, ph, pw, channels = windows.shape
    oh, ow = size
    out = np.empty((n, rows, cols, oh, ow, channels), dtype=out_dtype)
    chunk = images_per_call(windows)

    def resize(start):
        part = np.asarray(windows[start : start + chunk], dtype=out_dtype, order="C")
        count = len(part)
        cv2.resize(
            part.reshape(-1, pw, channels),
            (ow, count * rows * cols * oh),
            dst=out[start : start + count].reshape(-1, ow, channels),
            interpolation=interpolation,
        )

    in_threads(resize, range(0, n, chunk))
    return out.reshape(n, rows * cols, oh, ow, channels)


def resize_whole(images, grid, size, out_dtype):
    """Resize non-overlapping patches with "area" by resizing whole images.

    With "area" an output pixel of a patch weighs only that patch's pixels,
    so resizing whole images, stacked one under the other, gives each patch
    its own resize up to rounding, once :func:`aligned` has checked that
    OpenCV's floating-point coordinates agree. OpenCV is fastest on wide
    rows: a chunk of images per call, cut into patches while in cache.
    """
    n, _, _, channels = images.shape
    (rows, cols), (oh, ow) = grid, size
    ph, pw = images.shape[1] // rows, images.shape[2] // cols
    out = np.empty((n, rows, cols, oh, ow, channels), dtype=out_dtype)
    chunk = images_per_call(images)

    def resize(start):
        part = np.ascontiguousarray(images[start : start + chunk])
        count = len(part)
        resized = cv2.resize(
            part.reshape(count * rows * ph, cols * pw, channels),
            (cols * ow, count * rows * oh),
            interpolation=cv2.INTER_AREA,
        )
        out[start : start + count] = resized.reshape(
            count, rows, oh, cols, ow, channels
        ).transpose(0, 1, 3, 2, 4, 5)

    in_threads(resize, range(0, n, chunk))
    return out.reshape(n, rows * cols, oh, ow, channels)


def in_threads(function, starts):
    """``function(start)`` for every start, on as many threads as OpenCV's own.

    OpenCV and NumPy release the GIL: while one thread resizes a chunk,
    another copies the last one into patch order, which NumPy does on one
    core (half of the time of a float32 tiling). ``cv2.setNumThreads(1)``
    makes it serial. Every chunk is computed as it would be serially.
    """
    workers = min(cv2.getNumThreads(), len(starts))
    if workers <= 1:
        for start in starts:
            function(start)
        return
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(function, starts):
            pass  # re-raises the first error


def images_per_call(images):
    """Images :func:`resize_whole` resizes per call: about ``_CHUNK_BYTES``."""
    per_image = int(np.prod(images.shape[1:])) * images.itemsize
    return int(np.clip(_CHUNK_BYTES // per_image, 1, len(images)))


@lru_cache(maxsize=64)
def aligned(patch, out, count, interpolation):
    """Whether resizing ``count`` patches stacked along an axis (``patch`` to
    ``out`` px each) gives every patch its own resize, up to rounding.

    True of "area" and "nearest" in exact arithmetic, false of interpolations
    that reach past a patch's border. OpenCV computes source coordinates from
    the absolute output coordinate in floating point, so for some ratios
    (3 -> 10 px) a patch's first pixel even lands on the previous patch's last
    one. Checked on the weights of each output pixel within 4 px of its
    patch, read off a resized comb of ``patch + 8`` interleaved impulse trains.
    """
    period = patch + 8
    length = np.arange(patch * count)
    comb = (length[:, None] % period == np.arange(period)).astype(np.float32)
    got = cv2.resize(comb, (period, out * count), interpolation=interpolation)
    one = cv2.resize(
        np.eye(patch, dtype=np.float32), (patch, out), interpolation=interpolation
    )
    expected = np.zeros((count, out, period), dtype=np.float32)
    columns = (np.arange(count)[:, None] * patch + np.arange(patch)) % period
    expected[
        np.arange(count)[:, None, None], np.arange(out)[:, None], columns[:, None]
    ] = one
    return bool(np.abs(got.reshape(count, out, period) - expected).max() <= 1e-4)
