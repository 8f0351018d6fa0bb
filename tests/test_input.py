import numpy as np
import pytest

from skcnnrnn._input import (
    as_images,
    as_positive_ints,
    as_positive_pair,
    as_sequences,
    as_shape,
)


@pytest.mark.parametrize(
    "shape, image_shape, expected",
    [
        ((4, 6, 5, 3), None, (4, 6, 5, 3)),
        ((4, 6, 5), None, (4, 6, 5, 1)),
        ((4, 30), None, (4, 1, 30, 1)),
        ((4, 30), (6, 5), (4, 6, 5, 1)),
        ((4, 30), (2, 5, 3), (4, 2, 5, 3)),
        ((4, 6, 5), (6, 5), (4, 6, 5, 1)),
        ((4, 6, 5, 3), (6, 5, 3), (4, 6, 5, 3)),
    ],
)
def test_as_images(shape, image_shape, expected):
    X = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    images = as_images(X, image_shape)
    assert images.shape == expected
    assert np.shares_memory(images, X)  # a view, never a copy
    np.testing.assert_array_equal(images.reshape(shape[0], -1), X.reshape(shape[0], -1))


@pytest.mark.parametrize(
    "shape, image_shape, match",
    [
        ((4, 30), (4, 4), "holds 16 values"),
        ((4, 6, 5), (5, 6), "does not match"),
        ((4, 6, 5, 3), (6, 5), "does not match"),
        ((4, 2, 3, 4, 5), None, "5-D"),
    ],
)
def test_as_images_errors(shape, image_shape, match):
    with pytest.raises(ValueError, match=match):
        as_images(np.zeros(shape), image_shape)


@pytest.mark.parametrize(
    "shape, frame_shape, expected",
    [
        ((4, 7, 6, 5, 3), None, (4, 7, 6, 5, 3)),
        ((4, 7, 6, 5), None, (4, 7, 6, 5, 1)),
        ((4, 7, 30), None, (4, 7, 1, 30, 1)),
        ((4, 7, 30), (6, 5), (4, 7, 6, 5, 1)),
        ((4, 30), None, (4, 30, 1, 1, 1)),
        ((4, 60), (2, 5, 3), (4, 2, 2, 5, 3)),
    ],
)
def test_as_sequences(shape, frame_shape, expected):
    X = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    sequences = as_sequences(X, frame_shape)
    assert sequences.shape == expected
    assert np.shares_memory(sequences, X)
    np.testing.assert_array_equal(
        sequences.reshape(shape[0], -1), X.reshape(shape[0], -1)
    )


@pytest.mark.parametrize(
    "shape, frame_shape, match",
    [
        ((4, 31), (2, 5, 3), "does not divide"),
        ((4, 7, 30), (4, 4), "holds 16 values"),
        ((4, 7, 6, 5), (6, 6), "does not match"),
        ((4, 7, 6, 5, 3, 2), None, "6-D"),
    ],
)
def test_as_sequences_errors(shape, frame_shape, match):
    with pytest.raises(ValueError, match=match):
        as_sequences(np.zeros(shape), frame_shape)


def test_parameter_helpers():
    assert as_positive_pair(3, "k") == (3, 3)
    assert as_positive_pair([2, 5], "k") == (2, 5)
    assert as_positive_ints((16, 32), "filters") == (16, 32)
    assert as_positive_ints((), "filters") == ()
    assert as_shape(None, "image_shape") is None
    for bad in [0, (1, 0), (1, 2, 3), True, 1.5]:
        with pytest.raises((ValueError, TypeError), match="kernel_size"):
            as_positive_pair(bad, "kernel_size")
    with pytest.raises(ValueError, match="filters"):
        as_positive_ints((16, -1), "filters")
    with pytest.raises(ValueError, match="frame_shape"):
        as_shape((3,), "frame_shape")
