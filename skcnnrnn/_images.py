"""Images of different sizes: how a list of them is validated and grouped.

What ``PatchTiler(grid=...)`` reads: a list (or object array) of images of
any size becomes a 1-D object array of validated ``(H, W, C)`` images of one
channel count and dtype; arrays of one size stay arrays.
"""

import cv2
import numpy as np
from sklearn.utils import check_array

from ._input import as_images, as_shape


def differ_in_shape(X):
    """Whether ``X`` is a list (or object array) of arrays of different shapes."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return False
    if not isinstance(X, (list, tuple, np.ndarray)) or len(X) < 2:
        return False
    first = np.shape(X[0])
    return any(np.shape(sample) != first for sample in X)


def check_images(estimator, X, image_shape, *, reset):
    """Images of any size, for ``PatchTiler(grid=...)``.

    Returns ``(n, H, W, C)`` images (validated arrays, or a row source whose
    values were checked, kept unread), or a 1-D object array of ``(H, W, C)``
    images when they differ in size, converted to one dtype. At fit
    (``reset``) records ``input_shape_ = (None, None, channels)``; later the
    channels must be the same.
    """
    if getattr(X, "values_checked", False):
        images = X
    elif differ_in_shape(X):
        images = _image_list(X)
    else:
        X = check_array(X, allow_nd=True, dtype="numeric", ensure_all_finite=True)
        images = as_images(X, as_shape(image_shape, "image_shape"))
    if images.ndim != (1 if images.dtype == object else 4):
        raise ValueError(
            f"X must hold images (n_samples, height, width, channels), got shape "
            f"{images.shape}."
        )
    channels = (images[0] if images.dtype == object else images).shape[-1]
    if reset:
        estimator.input_shape_ = (None, None, channels)
        vars(estimator).pop("n_features_in_", None)
        vars(estimator).pop("feature_names_in_", None)
    elif channels != estimator.input_shape_[2]:
        raise ValueError(
            f"X holds images of {channels} channel(s), but "
            f"{type(estimator).__name__} was fitted on images of "
            f"{estimator.input_shape_[2]}."
        )
    return images


def _image_list(X):
    """A list of images of different sizes as a 1-D object array of
    validated ``(H, W, C)`` images, all of one channel count and dtype."""
    images = []
    for row, image in enumerate(X):
        image = check_array(
            image,
            ensure_2d=False,
            allow_nd=True,
            dtype="numeric",
            ensure_all_finite=True,
            input_name=f"X[{row}]",
        )
        if image.ndim not in (2, 3):
            raise ValueError(
                f"X[{row}] has shape {image.shape}: each image of a list must be "
                "(height, width) or (height, width, channels)."
            )
        image = image if image.ndim == 3 else image[:, :, np.newaxis]
        if image.shape[2] != images[0].shape[2] if images else False:
            raise ValueError(
                f"X[0] has {images[0].shape[2]} channel(s) and X[{row}] has "
                f"{image.shape[2]}: images must have one number of channels "
                "(ImageReader's color= gives all files the same)."
            )
        images.append(image)
    dtype = np.result_type(*(image.dtype for image in images))
    result = np.empty(len(images), dtype=object)
    result[:] = [image.astype(dtype, copy=False) for image in images]
    return result


def image_sizes(images):
    """``{row: (H, W, C)}``, the first row of each distinct image size."""
    if images.dtype != object:
        return {0: tuple(images.shape[1:])}
    sizes = {}
    for row, image in enumerate(images):
        sizes.setdefault(image.shape, row)
    return {row: shape for shape, row in sizes.items()}


def check_grid(size, grid, row):
    """A ValueError when image ``X[row]`` of ``size`` is smaller than ``grid``."""
    if size[0] < grid[0] or size[1] < grid[1]:
        raise ValueError(
            f"grid={grid} is larger than the {size[0]}x{size[1]} image X[{row}]: "
            f"each of its {grid[0]}x{grid[1]} patches needs at least one pixel. "
            "Use a smaller grid, or enlarge the images (ImageReader(size=...))."
        )


def resized_images(X, image_shape, name):
    """``X`` as it is, or a list of images of different sizes resized each
    to ``image_shape`` with OpenCV ("area"): what :class:`CNNClassifier`
    and :class:`CNNRegressor` do with images of different sizes."""
    if not differ_in_shape(X):
        return X
    images = _image_list(X)
    channels = images[0].shape[2]
    if image_shape is None or (len(image_shape) == 2 and channels != 1):
        shapes = f"{'x'.join(map(str, images[0].shape))} and others"
        raise ValueError(
            f"X holds images of different sizes ({shapes}): {name} resizes them "
            f"to image_shape=(height, width, {channels}); set it, or resize the "
            "files as they are read (ImageReader(size=...))."
        )
    height, width = image_shape[:2]
    # One OpenCV call per image: each has its own size.
    return np.stack(
        [
            cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA).reshape(
                height, width, channels
            )
            for image in images
        ]
    )
