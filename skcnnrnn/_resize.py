"""Cutting images into patches and resizing them with OpenCV, many per call."""

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from math import gcd

import cv2
import numpy as np

# OpenCV resizes arrays of up to this many channels in one call (CV_CN_MAX is
# 128 in OpenCV 5, 512 in OpenCV 4).
MAX_CHANNELS = 128
# Images resized per OpenCV call (whole, or their patches stacked): about this
# many bytes, so what one call writes is still in cache when copied into place.
_CHUNK_BYTES = 1 << 20
# PatchTiler's and the readers' interpolation names: "area" is cv2.INTER_AREA...
INTERPOLATIONS = {
    name: getattr(cv2, f"INTER_{name.upper()}")
    for name in "nearest linear cubic area lanczos4 linear_exact nearest_exact".split()
}
# Dtypes cv2.resize handles natively; others are resized as float32.
OPENCV_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


def resize_patches(windows, size, interpolation, out_dtype):
    """Resize every patch of ``windows``, a view from :func:`strided_patches`,
    to ``size``, by the fastest path that gives each patch its own resize.

    Measured on the seed's workload (``docs/performance.rst``): integer
    images with non-overlapping "area" patches are resized whole (1.5x
    faster than stacked patches); otherwise patches are stacked one under
    the other, with rows of padding between them where the interpolation
    reaches past a patch (:func:`stacking_gap`), 2-9x faster than stacking
    them along the channel axis, which is left for what OpenCV cannot stack
    exactly.
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
        and stacking_gap(pw, ow, cols, interpolation, (ph, oh), channels) == 0
        and stacking_gap(ph, oh, rows * per_call, interpolation, (pw, ow), channels)
        == 0
    ):
        # A view: the patches touch, so the rows and columns merge.
        crop = windows.transpose(0, 1, 3, 2, 4, 5).reshape(
            n, rows * ph, cols * pw, channels
        )
        return resize_whole(crop, (rows, cols), size, out_dtype, per_call)
    gap = None
    if native:
        count = rows * cols * per_call
        double = windows.dtype == np.float64
        gap = stacking_gap(ph, oh, count, interpolation, (pw, ow), channels, double)
    if gap is not None:
        return resize_rows(windows, size, interpolation, out_dtype, gap, per_call)
    return resize_stacked(windows, size, interpolation, out_dtype)


def output_dtype(images_dtype, dtype=None):
    """The patches' dtype: ``dtype`` if given, else the images' own when
    OpenCV resizes it natively, else float32."""
    native = images_dtype in OPENCV_DTYPES
    return np.dtype(dtype or (images_dtype if native else np.float32))


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


def resize_rows(windows, size, interpolation, out_dtype, gap, chunk):
    """Resize patches stacked one under the other, many per OpenCV call.

    A chunk of images' patches is gathered into a buffer, each patch between
    ``gap`` copies of its first and of its last row, as OpenCV extends a lone
    patch at its border; one call resizes the stack in the images' dtype
    (integers saturate as in a per-patch loop), and the padding is dropped
    as the result is converted to ``out_dtype``. Without padding or
    conversion the call writes straight into the output, which is in patch
    order. OpenCV is slower on such narrow rows than on whole images, but
    float images gain more from not copying the output (see
    :func:`resize_patches`). ``chunk`` images per call: the stack
    :func:`stacking_gap` checked.
    """
    n, rows, cols, ph, pw, channels = windows.shape
    oh, ow = size
    out_gap = gap * oh // ph
    out = np.empty((n, rows, cols, oh, ow, channels), dtype=out_dtype)
    direct = gap == 0 and out.dtype == windows.dtype

    def resize(start):
        part = windows[start : start + chunk]
        count = len(part)
        padded = np.empty((count, rows, cols, ph + 2 * gap, pw, channels), part.dtype)
        padded[:, :, :, gap : gap + ph] = part
        padded[:, :, :, :gap] = part[:, :, :, :1]
        padded[:, :, :, gap + ph :] = part[:, :, :, -1:]
        target = out[start : start + count]
        resized = cv2.resize(
            padded.reshape(-1, pw, channels),
            (ow, count * rows * cols * (oh + 2 * out_gap)),
            dst=target.reshape(-1, ow, channels) if direct else None,
            interpolation=interpolation,
        )
        if not direct:
            target[...] = resized.reshape(count, rows, cols, -1, ow, channels)[
                :, :, :, out_gap : out_gap + oh
            ]

    in_threads(resize, range(0, n, chunk))
    return out.reshape(n, rows * cols, oh, ow, channels)


def resize_whole(images, grid, size, out_dtype, chunk):
    """Resize non-overlapping patches with "area" by resizing whole images.

    With "area" an output pixel of a patch weighs only that patch's pixels,
    so resizing whole images, stacked one under the other, gives each patch
    its own resize up to rounding, once :func:`stacking_gap` has found that
    no padding is needed along either axis. OpenCV is fastest on wide
    rows: ``chunk`` images per call (as checked), cut into patches while in
    cache.
    """
    n, _, _, channels = images.shape
    (rows, cols), (oh, ow) = grid, size
    ph, pw = images.shape[1] // rows, images.shape[2] // cols
    out = np.empty((n, rows, cols, oh, ow, channels), dtype=out_dtype)

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
    """Images resized per OpenCV call: about ``_CHUNK_BYTES`` of them."""
    per_image = int(np.prod(images.shape[1:])) * images.itemsize
    return int(np.clip(_CHUNK_BYTES // per_image, 1, len(images)))


@lru_cache(maxsize=64)
def stacking_gap(patch, out, count, interpolation, across, channels, double=False):
    """Rows of padding above and below each of ``count`` patches stacked along
    an axis (``patch`` to ``out`` px each) with which one resize of the stack
    gives every patch its own resize, up to rounding; None if none does.
    ``across`` is the (input, output) size along the other axis, and
    ``channels`` and ``double`` (float64, else float32) those of the resized
    array: OpenCV's method depends on all of them ("area" shrinks one way and
    enlarges the other; float32 "linear" rounds its weights to 2e-5 with 2
    or 3 channels, not with 1 or 4; float64 "cubic" differs from float32).
    Integer arrays are checked as float32.

    0 for "area" and "nearest" in exact arithmetic; interpolations that
    reach past a patch's border need padding that repeats its edge, as
    OpenCV does for a lone patch, and a whole number of periods of the ratio
    so that every patch starts on an output pixel. OpenCV computes source
    coordinates from the absolute output coordinate in floating point, so for
    some ratios (3 -> 10 px) a patch's first pixel even lands on the previous
    patch's last one, and "lanczos4" drifts as stacks grow. Checked on the
    weights of each output pixel within 4 px of its patch, read off a resized
    comb of ``patch + 8`` interleaved impulse trains (``channels`` per call),
    to 1e-6.
    """
    period = -(-(patch + 8) // channels) * channels

    def weights(count, gap):
        """Each output pixel's weights on the ``period`` impulse trains,
        ``channels`` trains per call (one call's arrays alive at a time)."""
        unit, out_gap = patch + 2 * gap, gap * out // patch
        stack, within = np.divmod(np.arange(count * unit), unit)
        source = (stack * patch + np.clip(within - gap, 0, patch - 1)) % period
        size = (across[1], count * (out + 2 * out_gap))
        got = np.empty((size[1], period), np.float64 if double else np.float32)
        for first in range(0, period, channels):
            trains = source[:, None] == np.arange(first, first + channels)
            trains = np.repeat(trains.astype(got.dtype)[:, None], across[0], 1)
            got[:, first : first + channels] = cv2.resize(
                trains, size, interpolation=interpolation
            ).reshape(size[1], across[1], channels)[:, 0]
        return got.reshape(count, out + 2 * out_gap, period)[:, out_gap : out_gap + out]

    step = patch // gcd(patch, out)
    gaps = [
        gap
        for gap in range(0, max(step, 8) + 1, step)
        # Combs of up to 4 Mi values (16-32 MiB); larger: do not stack.
        if count * max((patch + 2 * gap) * across[0] * channels, out * period)
        <= 1 << 22
    ]
    if not gaps:
        return None
    # A lone patch's weights, moved to each patch's own impulse trains.
    shifts = (np.arange(count)[:, None] * patch + np.arange(period)) % period
    expected = np.zeros((count, out, period), dtype=np.float32)
    lone = weights(1, 0)[0]
    expected[
        np.arange(count)[:, None, None], np.arange(out)[:, None], shifts[:, None]
    ] = lone
    for gap in gaps:
        if np.abs(weights(count, gap) - expected).max() <= 1e-6:
            return gap
    return None
