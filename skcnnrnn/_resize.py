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
