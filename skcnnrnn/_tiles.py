"""Where PatchTiler's patches lie in an image, and tiling many images.

Three layouts, set by ``fit``: one image size (``patch_size_`` clipped to
it, ``n_rows_ x n_cols_`` patches), a ``grid`` (``patch_size_`` None: each
size its own patches, ``n_rows_ x n_cols_`` of them) and ``patch_size`` on
images of different sizes (``n_patches_`` None: each image its own number
of patches, sequences padded at the end).
"""

import numpy as np

from ._images import check_grid, check_images, image_sizes
from ._input import unchanged_on_error
from ._resize import (
    INTERPOLATIONS,
    OPENCV_DTYPES,
    output_dtype,
    resize_patches,
    strided_patches,
)


def layout(tiler, size):
    """``(patch, grid, stride)`` of an image of ``size`` (H, W, ...)."""
    if tiler.patch_size_ is None:  # grid
        grid = (tiler.n_rows_, tiler.n_cols_)
        patch = (size[0] // grid[0], size[1] // grid[1])
        return patch, grid, patch
    if tiler.n_patches_ is not None:  # fitted on one size
        return tiler.patch_size_, (tiler.n_rows_, tiler.n_cols_), tiler.stride_
    # A patch larger than the image is clipped to it (documented rule).
    patch = (min(tiler.patch_size_[0], size[0]), min(tiler.patch_size_[1], size[1]))
    stride = tiler.stride_
    rows = (size[0] - patch[0]) // stride[0] + 1
    return patch, (rows, (size[1] - patch[1]) // stride[1] + 1), stride


def lengths(tiler, images):
    """The number of patches of each image (its sequence's length)."""
    if images.dtype != object:
        grid = layout(tiler, images.shape[1:])[1]
        return np.full(len(images), grid[0] * grid[1], dtype=np.intp)
    counts = {}
    for shape in {image.shape for image in images}:
        grid = layout(tiler, shape)[1]
        counts[shape] = grid[0] * grid[1]
    return np.array([counts[image.shape] for image in images], dtype=np.intp)


def tile(tiler, images, steps=None):
    """Patches of validated images: ``(n, H, W, C)``, or an object array of
    images of different sizes, one OpenCV pass per size. Sequences of
    different lengths are padded at the end with zeros to ``steps`` (by
    default the longest)."""
    first = images[0] if images.dtype == object else images
    out_dtype = output_dtype(first.dtype, tiler.dtype)
    if images.dtype != object:
        groups = [(np.arange(len(images)), images)]
    else:
        shapes = np.array([image.shape for image in images])
        _, group_of = np.unique(shapes, axis=0, return_inverse=True)
        groups = [
            (rows, np.stack(list(images[rows])))
            for rows in (np.flatnonzero(group_of == g) for g in np.unique(group_of))
        ]
    frame = tiler.output_shape_[1:]
    if tiler.n_patches_ is not None:
        steps = tiler.n_patches_
    elif steps is None:
        steps = int(lengths(tiler, images).max())
    patches = np.zeros((len(images), steps, *frame), dtype=out_dtype)
    for rows, stacked in groups:
        tiles = _tile_one_size(tiler, stacked, out_dtype, rows[0])
        if tiles.shape[1] > steps:
            raise ValueError(
                f"X[{rows[0]}] gives {tiles.shape[1]} patches, more than the "
                f"{steps} steps of the sequences being read: give every image "
                "one size (ImageReader(size=...)) or use grid=."
            )
        patches[rows, : tiles.shape[1]] = tiles
    return patches


def _tile_one_size(tiler, images, out_dtype, first_row):
    if images.dtype not in OPENCV_DTYPES:
        images = images.astype(np.float32)
    if tiler.patch_size_ is None:  # grid, on files read lazily too
        check_grid(images.shape[1:], (tiler.n_rows_, tiler.n_cols_), first_row)
    elif tiler.n_patches_ is not None:
        _check_fitted_size(tiler, images.shape[1:], first_row)
    patch, grid, stride = layout(tiler, images.shape[1:])
    windows = strided_patches(images, patch, grid, stride)
    size = tiler.output_shape_[1:3]
    if size == patch:
        patches = windows.astype(out_dtype)
    else:
        patches = resize_patches(
            windows, size, INTERPOLATIONS[tiler.interpolation], out_dtype
        )
    return patches.reshape(len(images), grid[0] * grid[1], *tiler.output_shape_[1:])


def _check_fitted_size(tiler, size, row):
    """Files read lazily may differ from the first one, which set the layout."""
    fitted = tiler.input_shape_
    if len(fitted) == 3 and tuple(size[:2]) != fitted[:2]:
        raise ValueError(
            f"X[{row}] is {size[0]}x{size[1]}, but PatchTiler was fitted on "
            f"{fitted[0]}x{fitted[1]} images: give the files one size "
            "(ImageReader(size=...)), or fit with grid= (one number of "
            "patches) or on the images themselves (patch_size on a list of "
            "images of different sizes)."
        )


def fit_grid(tiler, X, grid, output_size):
    """``fit`` with ``grid``: images of any size, one number of patches."""
    for name in ("patch_size", "stride"):
        if getattr(tiler, name) is not None:
            raise ValueError(
                f"grid and {name} are exclusive: grid={tiler.grid!r} sets the "
                f"patches, so {name} must be None (got {getattr(tiler, name)!r})."
            )
    with unchanged_on_error(tiler):
        images = check_images(tiler, X, tiler.image_shape, reset=True)
        sizes = image_sizes(images)
        for row, size in sizes.items():
            check_grid(size, grid, row)
        if output_size is None and len(sizes) > 1:
            raise ValueError(
                "grid with images of different sizes needs output_size: the "
                "patches of each size are resized to it."
            )
    size = next(iter(sizes.values()))
    tiler.patch_size_ = tiler.stride_ = None
    tiler.n_rows_, tiler.n_cols_ = grid
    tiler.n_patches_ = grid[0] * grid[1]
    if output_size is None:
        output_size = (size[0] // grid[0], size[1] // grid[1])
    tiler.output_shape_ = (tiler.n_patches_, *output_size, size[2])
    return tiler


def fit_any_size(tiler, X, patch, stride, output_size):
    """``fit`` with ``patch_size`` on images of different sizes: each image
    its own number of patches."""
    with unchanged_on_error(tiler):
        images = check_images(tiler, X, tiler.image_shape, reset=True)
        for row, size in image_sizes(images).items():
            if output_size is None and (size[0] < patch[0] or size[1] < patch[1]):
                raise ValueError(
                    f"patch_size={patch} is larger than the {size[0]}x{size[1]} "
                    f"image X[{row}]: among images of different sizes, patches "
                    "clipped to a small image need output_size to be resized to."
                )
    tiler.patch_size_, tiler.stride_ = patch, stride
    tiler.n_rows_ = tiler.n_cols_ = tiler.n_patches_ = None
    tiler.output_shape_ = (None, *(output_size or patch), images[0].shape[-1])
    return tiler
