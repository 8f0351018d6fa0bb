import subprocess
import sys

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_sample_images

from skcnnrnn import PatchTiler
from skcnnrnn._resize import stacking_gap
from skcnnrnn.tiling import INTERPOLATIONS


def reference_tiles(images, patch, out, stride, interpolation):
    """The seed article's loop: one cv2.resize per patch, row-major."""
    n, height, width, channels = images.shape
    ph, pw = min(patch[0], height), min(patch[1], width)
    rows = (height - ph) // stride[0] + 1
    cols = (width - pw) // stride[1] + 1
    oh, ow = (ph, pw) if out is None else out
    tiles = np.zeros((n, rows * cols, oh, ow, channels))
    for k in range(n):
        for i in range(rows):
            for j in range(cols):
                top, left = i * stride[0], j * stride[1]
                patch_ = images[k, top : top + ph, left : left + pw]
                if out is not None:
                    patch_ = cv2.resize(
                        patch_, (ow, oh), interpolation=INTERPOLATIONS[interpolation]
                    )
                tiles[k, i * cols + j] = patch_.reshape(oh, ow, channels)
    return tiles


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    dtype=st.sampled_from([np.uint8, np.uint16, np.float32, np.float64]),
    channels=st.sampled_from([1, 2, 3, 4]),
    interpolation=st.sampled_from(sorted(INTERPOLATIONS)),
)
def test_equals_reference_loop(data, dtype, channels, interpolation):
    height = data.draw(st.integers(1, 30))
    width = data.draw(st.integers(1, 30))
    patch = (data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12)))
    stride = (data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12)))
    out = data.draw(
        st.one_of(st.none(), st.tuples(st.integers(1, 16), st.integers(1, 16)))
    )
    n = data.draw(st.integers(1, 3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    images = (rng.random((n, height, width, channels)) * 200).astype(dtype)

    tiler = PatchTiler(
        patch_size=patch, output_size=out, stride=stride, interpolation=interpolation
    )
    tiles = tiler.fit_transform(images)

    expected = reference_tiles(images, patch, out, stride, interpolation)
    assert tiles.shape == expected.shape
    assert_close_to_reference(
        tiles, expected, exact=out is None or "nearest" in interpolation
    )


def assert_close_to_reference(tiles, expected, exact=False):
    """The tiler's contract: the per-patch loop's values within one grey level
    (integers) or float rounding (floats); identical when nothing is resampled.

    OpenCV rounds differently depending on how many pixels and channels one
    call resizes (e.g. uint8 "area" 2:1 turns 152.5 into 153 with 1 channel and
    152 with 2; float32 "linear" 4 -> 3 px differs by 1.5e-5 on values up to
    200 between 1 and 2 channels), so float rounding is measured against the
    largest value: a near-zero pixel is as exact as its image's scale allows.
    """
    if exact:
        np.testing.assert_array_equal(tiles, expected.astype(tiles.dtype))
    elif np.issubdtype(tiles.dtype, np.integer):
        difference = np.abs(tiles.astype(np.float64) - expected)
        assert difference.max(initial=0) <= 1, difference.max()
    else:
        scale = np.abs(expected).max(initial=0)
        np.testing.assert_allclose(tiles, expected, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_defaults_on_colour_images_match_the_reference(dtype):
    # The seed's workload: 3 channels, 20 px patches to 28 px, INTER_AREA.
    rng = np.random.default_rng(0)
    images = (rng.random((2, 65, 87, 3)) * 255).astype(dtype)
    tiles = PatchTiler().fit_transform(images)
    assert tiles.dtype == dtype
    expected = reference_tiles(images, (20, 20), (28, 28), (20, 20), "area")
    assert_close_to_reference(tiles, expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize(
    "patch, out, stride, shape",
    [
        ((20, 20), (28, 28), None, (422, 641)),
        ((5, 20), (14, 20), None, (117, 81)),
        ((3, 7), (10, 9), None, (122, 246)),
        ((20, 20), (28, 28), (10, 10), (422, 641)),
        ((12, 12), (7, 9), (4, 6), (100, 130)),
        ((6, 6), (4, 4), (4, 5), (100, 90)),
    ],
)
def test_many_patches_per_call_match_reference_on_large_images(
    dtype, patch, out, stride, shape
):
    # Many patches per axis and several images per OpenCV call, resized
    # whole (uint8, touching patches) or stacked one under the other (float32
    # or overlapping, here also shrinking): OpenCV's weights then differ from
    # the per-patch ones by rounding.
    rng = np.random.default_rng(0)
    images = (rng.random((3, *shape, 3)) * 255).astype(dtype)
    images[rng.random(images.shape) < 0.3] = 0
    tiler = PatchTiler(patch_size=patch, output_size=out, stride=stride)
    tiles = tiler.fit_transform(images)
    expected = reference_tiles(images, patch, out, stride or patch, "area")
    assert_close_to_reference(tiles, expected)


@pytest.mark.parametrize("asked", ["float32", "float64"])
@pytest.mark.parametrize("interpolation", ["area", "nearest", "linear", "cubic"])
def test_converted_overlapping_patches_match_the_reference(asked, interpolation):
    # Overlapping uint8 patches asked as floats: resized as uint8, as in the
    # loop, then converted while the padding of "linear" is dropped.
    rng = np.random.default_rng(0)
    images = (rng.random((3, 65, 87, 3)) * 255).astype(np.uint8)
    tiler = PatchTiler(stride=(10, 7), interpolation=interpolation, dtype=asked)
    tiles = tiler.fit_transform(images)
    assert tiles.dtype == asked
    expected = reference_tiles(images, (20, 20), (28, 28), (10, 7), interpolation)
    difference = np.abs(tiles - expected)
    assert difference.max() <= (0 if interpolation == "nearest" else 1)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("interpolation", ["linear", "cubic", "lanczos4"])
def test_padded_stacks_match_the_reference(dtype, interpolation):
    # Interpolations that read past a patch's border: the patches are stacked
    # with rows repeating their edges between them ("lanczos4" drifts on
    # large stacks and is stacked along channels), overlapping here.
    rng = np.random.default_rng(0)
    images = (rng.random((2, 150, 170, 3)) * 255).astype(dtype)
    tiler = PatchTiler(stride=(15, 10), interpolation=interpolation)
    tiles = tiler.fit_transform(images)
    expected = reference_tiles(images, (20, 20), (28, 28), (15, 10), interpolation)
    assert_close_to_reference(tiles, expected)


def test_area_stacks_without_padding_and_linear_needs_whole_periods():
    # The seed's 20 -> 28 px: "area" keeps every output pixel inside its
    # patch; "linear" reads one row past it, so the padding is a whole
    # number of 5-row periods of the 5:7 ratio; "lanczos4" coordinates
    # drift by more than 1e-6 as a stack grows.
    assert stacking_gap(20, 28, 672, cv2.INTER_AREA, (20, 28), 3) == 0
    gap = stacking_gap(20, 28, 672, cv2.INTER_LINEAR, (20, 28), 3)
    assert gap is not None and gap > 0 and gap % 5 == 0
    assert stacking_gap(20, 28, 672, cv2.INTER_LANCZOS4, (20, 28), 3) is None


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_stacks_are_checked_with_the_images_channels(channels):
    # float32 "linear" rounds its weights differently with 2 or 3 channels:
    # a stack checked with 4 passed, then differed from the loop by 2e-5 of
    # the images' scale.
    rng = np.random.default_rng(0)
    images = (rng.random((3, 5, 8, channels)) * 200).astype(np.float32)
    tiler = PatchTiler(
        patch_size=(3, 2), stride=1, output_size=(5, 1), interpolation="linear"
    )
    tiles = tiler.fit_transform(images)
    expected = reference_tiles(images, (3, 2), (5, 1), (1, 1), "linear")
    assert_close_to_reference(tiles, expected)


def test_area_shrinking_of_many_planes():
    # OpenCV's general INTER_AREA shrinking accepts at most 4 channels per call.
    rng = np.random.default_rng(0)
    images = (rng.random((3, 12, 12, 3)) * 255).astype(np.uint8)
    tiles = PatchTiler(patch_size=3, output_size=2).fit_transform(images)
    expected = reference_tiles(images, (3, 3), (2, 2), (3, 3), "area")
    assert_close_to_reference(tiles, expected)


@pytest.mark.parametrize("interpolation", ["area", "nearest", "linear", "lanczos4"])
def test_threads_give_the_serial_result(interpolation):
    # Chunks are resized on OpenCV's threads, each into its own part of the
    # output (uint8 "area": whole images; "nearest": patches stacked one under
    # the other; "linear": the same with padding rows; "lanczos4": patches
    # stacked along channels): the result must not depend on them.
    threads = cv2.getNumThreads()
    if threads < 2:
        pytest.skip("OpenCV runs on one thread here: nothing to compare")
    rng = np.random.default_rng(0)
    images = (rng.random((5, 400, 300, 3)) * 255).astype(np.uint8)
    tiler = PatchTiler(interpolation=interpolation).fit(images)
    threaded = tiler.transform(images)
    cv2.setNumThreads(1)
    try:
        serial = tiler.transform(images)
    finally:
        cv2.setNumThreads(threads)
    np.testing.assert_array_equal(threaded, serial)


def test_photograph_in_seed_order():
    photo = load_sample_images().images[0][:100, :140]  # 427x640x3 uint8 crop
    tiles = PatchTiler().fit_transform(photo[np.newaxis])
    assert tiles.shape == (1, 5 * 7, 28, 28, 3)
    assert tiles.dtype == np.uint8
    # Patch t = i * n_cols + j comes from rows 20i.. and columns 20j..
    i, j = 3, 5
    expected = cv2.resize(
        photo[20 * i : 20 * i + 20, 20 * j : 20 * j + 20],
        (28, 28),
        interpolation=cv2.INTER_AREA,
    )
    difference = tiles[0, i * 7 + j].astype(int) - expected
    assert np.abs(difference).max() <= 1


def test_border_pixels_that_do_not_fill_a_patch_are_dropped():
    images = np.arange(2 * 9 * 7, dtype=np.float64).reshape(2, 9, 7)
    tiles = PatchTiler(patch_size=(4, 3), output_size=None).fit_transform(images)
    assert tiles.shape == (2, 2 * 2, 4, 3, 1)
    np.testing.assert_array_equal(tiles[1, 3, :, :, 0], images[1, 4:8, 3:6])


def test_overlapping_stride():
    images = np.arange(10 * 10, dtype=np.float32).reshape(1, 10, 10)
    tiler = PatchTiler(patch_size=4, stride=(2, 3), output_size=None)
    tiles = tiler.fit_transform(images)
    assert (tiler.n_rows_, tiler.n_cols_) == (4, 3)
    np.testing.assert_array_equal(tiles[0, 1 * 3 + 2, :, :, 0], images[0, 2:6, 6:10])


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.uint8, np.uint8),
        (np.int64, np.float32),
        (np.int16, np.int16),
        (bool, np.float32),
        (np.float32, np.float32),
        (np.float64, np.float64),
    ],
)
@pytest.mark.parametrize("output_size", [None, 6])
def test_output_dtype(dtype, expected, output_size):
    images = np.ones((2, 8, 8), dtype=dtype)
    tiler = PatchTiler(patch_size=4, output_size=output_size)
    assert tiler.fit_transform(images).dtype == expected
    lazy = tiler.set_params(lazy=True).fit_transform(images)
    assert lazy.dtype == expected and lazy[:1].dtype == expected
    for asked in ("float32", "float64"):
        tiles = tiler.set_params(dtype=asked, lazy=False).fit_transform(images)
        assert tiles.dtype == asked
        np.testing.assert_allclose(tiles, 1)


def test_patch_larger_than_image_is_clipped():
    images = np.random.default_rng(0).random((3, 8, 6)).astype(np.float32)
    tiler = PatchTiler(patch_size=(20, 20), output_size=None).fit(images)
    assert tiler.patch_size_ == (8, 6)
    np.testing.assert_array_equal(tiler.transform(images)[:, 0, :, :, 0], images)


def test_flat_rows_with_and_without_image_shape():
    rows = np.arange(2 * 48, dtype=np.float32).reshape(2, 48)
    tiles = PatchTiler(patch_size=(2, 2), output_size=None, image_shape=(4, 4, 3))
    out = tiles.fit_transform(rows)
    assert out.shape == (2, 4, 2, 2, 3)
    np.testing.assert_array_equal(out[1, 0], rows[1].reshape(4, 4, 3)[:2, :2])
    # Without image_shape every row is a 1 x F single-channel image.
    strips = PatchTiler(patch_size=(1, 12), output_size=None).fit_transform(rows)
    assert strips.shape == (2, 4, 1, 12, 1)
    np.testing.assert_array_equal(strips[0, 1, 0, :, 0], rows[0, 12:24])


def test_input_is_not_modified():
    images = (np.random.default_rng(0).random((2, 30, 30, 3)) * 255).astype(np.uint8)
    before = images.copy()
    PatchTiler().fit_transform(images)
    np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"patch_size": (0, 4)}, "patch_size"),
        ({"patch_size": (4, 4, 4)}, "patch_size"),
        ({"patch_size": 2.5}, "patch_size"),
        ({"stride": (-1, 2)}, "stride"),
        ({"output_size": (28,)}, "output_size"),
        ({"interpolation": "bicubic"}, "interpolation"),
        ({"image_shape": (8, 0)}, "image_shape"),
        ({"image_shape": (5, 5)}, "image_shape"),
    ],
)
def test_bad_parameters_name_the_parameter(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        PatchTiler(**params).fit(np.zeros((2, 64)))


def test_transform_rejects_other_image_sizes():
    tiler = PatchTiler().fit(np.zeros((2, 40, 40, 3)))
    with pytest.raises(ValueError, match=r"per-sample shape \(40, 41, 3\)"):
        tiler.transform(np.zeros((2, 40, 41, 3)))


def test_failed_refit_leaves_fitted_tiler_unchanged():
    tiler = PatchTiler().fit(np.zeros((2, 40, 40, 3)))
    before = dict(vars(tiler))
    with pytest.raises(ValueError):
        tiler.fit(np.full((2, 30, 30), np.nan))
    assert vars(tiler).keys() == before.keys()
    assert all(vars(tiler)[k] is before[k] for k in before)


def test_import_does_not_load_tensorflow():
    code = (
        "import sys; import skcnnrnn; from skcnnrnn import PatchTiler; "
        "import numpy as np; PatchTiler().fit_transform(np.zeros((1, 40, 40))); "
        "heavy = ('tensorflow', 'keras', 'scikeras'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_lazy_tiles_equal_eager_tiles_row_by_row():
    from skcnnrnn import TiledImages

    images = np.random.default_rng(0).integers(0, 255, (7, 40, 60, 3), np.uint8)
    tiler = PatchTiler(patch_size=(20, 20), output_size=(28, 28), lazy=True)
    tiles = tiler.fit_transform(images)
    eager = PatchTiler(patch_size=(20, 20), output_size=(28, 28)).fit_transform(images)
    assert isinstance(tiles, TiledImages)
    assert tiles.shape == eager.shape and tiles.dtype == eager.dtype
    assert tiles.ndim == 5 and len(tiles) == 7
    np.testing.assert_array_equal(np.asarray(tiles), eager)
    np.testing.assert_array_equal(tiles[[5, 0, 3]], eager[[5, 0, 3]])
    np.testing.assert_array_equal(tiles[2:4], eager[2:4])
    np.testing.assert_array_equal(tiles[6], eager[6])
    with pytest.raises(TypeError, match="rows only"):
        tiles[0, 1]
    tiler.set_params(patch_size=10).fit(images)  # refitting leaves tiles alone
    np.testing.assert_array_equal(tiles[:1], eager[:1])


def test_set_output_takes_default_and_says_why_not_pandas():
    from sklearn.pipeline import Pipeline

    tiler = PatchTiler()
    assert tiler.set_output(transform="default") is tiler
    pipe = Pipeline([("tile", PatchTiler())])
    with pytest.raises(ValueError, match="'pandas'.*DataFrame cannot hold.*'default'"):
        pipe.set_output(transform="pandas")


# -- grid: a fixed number of patches from images of any size -------------------


def _photo_crops(sizes):
    """Crops of a real photograph at the given (height, width) sizes."""
    photo = load_sample_images().images[0]
    return [np.ascontiguousarray(photo[:h, :w]) for h, w in sizes]


@pytest.mark.parametrize("interpolation", ["area", "linear"])
def test_grid_cuts_each_image_into_equal_patches_of_its_own_size(interpolation):
    images = _photo_crops([(40, 60), (91, 122), (33, 47)])
    grid, out = (3, 4), (12, 12)
    tiles = PatchTiler(grid=grid, output_size=out, interpolation=interpolation)
    patches = tiles.fit_transform(images)

    assert patches.shape == (3, 12, 12, 12, 3) and patches.dtype == np.uint8
    for image, got in zip(images, patches, strict=True):
        patch = (image.shape[0] // grid[0], image.shape[1] // grid[1])
        expected = reference_tiles(image[None], patch, out, patch, interpolation)
        np.testing.assert_allclose(got, expected[0], atol=1)


def test_grid_rows_do_not_depend_on_the_other_images():
    images = _photo_crops([(40, 60), (91, 122), (40, 60), (64, 64)])
    tiler = PatchTiler(grid=(2, 2), output_size=8, dtype="float32").fit(images)

    together = tiler.transform(images)
    for row, image in enumerate(images):
        np.testing.assert_array_equal(together[row], tiler.transform([image])[0])


def test_grid_on_one_size_equals_patch_size_and_keeps_any_size_at_transform():
    images = np.stack(_photo_crops([(40, 60)] * 2))
    by_grid = PatchTiler(grid=(2, 3), output_size=None).fit(images)
    by_size = PatchTiler(patch_size=20, output_size=None).fit(images)

    np.testing.assert_array_equal(by_grid.transform(images), by_size.transform(images))
    assert by_grid.input_shape_ == (None, None, 3)
    assert by_grid.transform(_photo_crops([(80, 90)])).shape == (1, 6, 20, 20, 3)


def test_grid_reads_grayscale_and_mixed_depths_as_one_array():
    gray = np.full((30, 20), 7, dtype=np.uint8)  # (h, w): one channel
    deep = np.full((50, 40, 1), 1000, dtype=np.uint16)
    patches = PatchTiler(grid=2, output_size=5).fit_transform([gray, deep])

    assert patches.shape == (2, 4, 5, 5, 1) and patches.dtype == np.uint16
    assert (patches[0] == 7).all() and (patches[1] == 1000).all()


def test_lazy_grid_tiles_equal_eager_tiles():
    images = _photo_crops([(40, 60), (91, 122), (33, 47)])
    eager = PatchTiler(grid=(2, 2), output_size=10).fit_transform(images)
    lazy = PatchTiler(grid=(2, 2), output_size=10, lazy=True).fit_transform(images)

    assert lazy.shape == eager.shape
    np.testing.assert_array_equal(lazy[[2, 0]], eager[[2, 0]])
    np.testing.assert_array_equal(np.asarray(lazy), eager)


@pytest.mark.parametrize(
    ("params", "images", "match"),
    [
        ({"grid": (8, 2), "output_size": 4}, [(40, 60), (6, 30)], r"X\[1\]"),
        ({"grid": 2, "patch_size": 10}, [(40, 60)], "grid and patch_size"),
        ({"grid": 2, "stride": 10}, [(40, 60)], "grid and stride"),
        ({"grid": 2, "output_size": None}, [(40, 60), (30, 30)], "output_size"),
        ({"output_size": None}, [(40, 60), (10, 30)], r"image X\[1\].*output_size"),
        ({"grid": (0, 2)}, [(40, 60)], "grid"),
    ],
)
def test_grid_errors_name_the_image_or_parameter(params, images, match):
    tiler = PatchTiler(**params)
    with pytest.raises(ValueError, match=match):
        tiler.fit(_photo_crops(images))
    assert not hasattr(tiler, "n_patches_")


def test_grid_transform_checks_the_images_channels_and_size():
    tiler = PatchTiler(grid=(4, 4), output_size=4).fit(_photo_crops([(40, 60)]))
    with pytest.raises(ValueError, match="1 channel.*fitted on images of 3"):
        tiler.transform([np.zeros((40, 60), dtype=np.uint8)])
    with pytest.raises(ValueError, match=r"larger than the 3x60 image X\[1\]"):
        tiler.transform(_photo_crops([(40, 60), (3, 60)]))
