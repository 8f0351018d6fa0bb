"""The training loop's own arithmetic (``skcnnrnn/_training.py``)."""

import numpy as np
import pytest

from skcnnrnn._training import channel_statistics


@pytest.mark.parametrize(
    "shape, dtype",
    [
        ((60, 5, 7, 3), np.float32),
        ((60, 4, 2, 8, 1), np.float32),
        ((60, 6, 2), np.uint8),
    ],
)
@pytest.mark.parametrize("chunk_values", [97, 2**18])  # many chunks, one chunk
def test_channel_statistics_are_the_weighted_mean_and_variance(
    shape, dtype, chunk_values
):
    rng = np.random.default_rng(0)
    X = (rng.random(shape) * 200).astype(dtype)
    X[..., 0] += 50  # channels differ
    rows = rng.permutation(60)[:45]
    weights = rng.random(45)
    X_before = X.copy()
    mean, variance = channel_statistics(X, rows, weights, chunk_values=chunk_values)
    pixels = X[rows].reshape(-1, shape[-1]).astype(np.float64)
    per_pixel = np.repeat(weights, pixels.shape[0] // len(rows))
    expected = np.average(pixels, axis=0, weights=per_pixel)
    np.testing.assert_allclose(mean, expected, rtol=1e-12)
    spread = np.average((pixels - expected) ** 2, axis=0, weights=per_pixel)
    np.testing.assert_allclose(variance, spread, rtol=1e-9)
    np.testing.assert_array_equal(X, X_before)
