"""ImageReader on real files it writes itself: JPEG, PNG, 16-bit, grayscale,
corrupt, missing, empty; eager and lazy; in a Pipeline; pickled."""

import pickle
import warnings

import cv2
import numpy as np
import pytest
from _checks import API_CHECKS
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline

from skcnnrnn import CNNGRUSequenceClassifier, ImageReader, PatchTiler


def _picture(seed, shape=(12, 16, 3), dtype=np.uint8):
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    return rng.integers(0, top, size=shape, endpoint=True).astype(dtype)


@pytest.fixture
def files(tmp_path):
    """Four PNGs of 12 x 16 (BGR on disk, as OpenCV writes) and their arrays."""
    paths, images = [], []
    for i in range(4):
        image = _picture(i)
        path = tmp_path / f"img{i}.png"
        assert cv2.imwrite(str(path), image)
        paths.append(str(path))
        images.append(image)
    return paths, np.stack(images)


def test_reads_pngs_exactly_in_rgb_and_bgr(files):
    paths, bgr = files
    np.testing.assert_array_equal(ImageReader(color="bgr").fit_transform(paths), bgr)
    rgb = ImageReader().fit_transform(paths)  # rgb by default
    np.testing.assert_array_equal(rgb, bgr[..., ::-1])
    assert rgb.dtype == np.uint8 and rgb.flags.c_contiguous


def test_paths_as_pathlike_a_column_or_a_dataframe(files):
    pd = pytest.importorskip("pandas")  # in the test extra; here for clarity
    from pathlib import Path

    paths, bgr = files
    reader = ImageReader(color="bgr")
    expected = reader.fit_transform(paths)
    for X in (
        [Path(p) for p in paths],
        np.array(paths, dtype=object)[:, None],
        pd.DataFrame({"file": paths}),
    ):
        np.testing.assert_array_equal(reader.fit_transform(X), expected)


def test_grayscale_png_among_rgb_jpegs_and_size(tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"photo{i}.jpg"
        cv2.imwrite(str(path), _picture(i, shape=(30, 40, 3)))
        paths.append(str(path))
    gray = tmp_path / "gray.png"
    cv2.imwrite(str(gray), _picture(9, shape=(50, 20)))
    paths.append(str(gray))
    images = ImageReader(size=(10, 12)).fit_transform(paths)
    assert images.shape == (4, 10, 12, 3)
    # The grayscale file's three channels are its one channel, resized.
    expected = cv2.resize(
        cv2.imread(str(gray), cv2.IMREAD_GRAYSCALE),
        (12, 10),
        interpolation=cv2.INTER_AREA,
    )
    for channel in range(3):
        np.testing.assert_array_equal(images[3, :, :, channel], expected)
    one = ImageReader(size=8, color="grayscale").fit_transform(paths)
    assert one.shape == (4, 8, 8, 1)


def test_sixteen_bit_png_keeps_its_depth_or_scales_with_8_bit(tmp_path):
    deep = _picture(0, shape=(6, 6, 3), dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    cv2.imwrite(str(tmp_path / "flat.png"), _picture(1, shape=(6, 6, 3)))
    deep_path, flat_path = str(tmp_path / "deep.png"), str(tmp_path / "flat.png")
    read = ImageReader(color="bgr").fit_transform([deep_path])
    assert read.dtype == np.uint16
    np.testing.assert_array_equal(read[0], deep)
    with pytest.raises(ValueError, match="different depths.*dtype='float32'"):
        ImageReader().fit_transform([deep_path, flat_path])
    scaled = ImageReader(color="bgr", dtype="float32").fit_transform(
        [deep_path, flat_path]
    )
    assert scaled.dtype == np.float32 and 0 <= scaled.min() and scaled.max() <= 1
    np.testing.assert_allclose(scaled[0], deep / 65535, rtol=1e-6)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: p.write_bytes(b"\xff\xd8\xff not really a jpeg"), "not an image"),
        (lambda p: p.write_bytes(b""), "not an image"),
        (lambda p: None, "Cannot read X\\[2\\]"),  # missing
    ],
    ids=["corrupt", "empty", "missing"],
)
def test_bad_file_is_a_value_error_naming_file_and_row(files, tmp_path, make, match):
    paths, _ = files
    bad = tmp_path / "bad.jpg"
    make(bad)
    paths = [*paths[:2], str(bad), *paths[2:]]
    with pytest.raises(ValueError, match=match) as info:
        ImageReader().fit_transform(paths)
    assert "bad.jpg" in str(info.value)


def test_different_sizes_give_an_object_array_or_ask_for_size(files, tmp_path):
    paths, _ = files
    other = tmp_path / "big.png"
    cv2.imwrite(str(other), _picture(5, shape=(20, 16, 3)))
    paths = [*paths, str(other)]

    images = ImageReader().fit_transform(paths)
    assert images.dtype == object and images.shape == (5,)
    assert images[4].shape == (20, 16, 3) and images[0].shape != (20, 16, 3)
    lazy = ImageReader(lazy=True).fit_transform(paths)
    assert lazy.ragged_rows([0, 4])[1].shape == (20, 16, 3)
    # What an estimator reads must have one size: the error says what to set.
    with pytest.raises(ValueError, match=r"different sizes.*X\[4\].*size=\(height"):
        lazy[[0, 4]]


def test_different_channel_counts_are_an_error_naming_the_files(tmp_path):
    paths = [str(tmp_path / "gray.png"), str(tmp_path / "color.png")]
    cv2.imwrite(paths[0], _picture(1, shape=(8, 8)))
    cv2.imwrite(paths[1], _picture(2, shape=(9, 8, 3)))
    with pytest.raises(ValueError, match=r"color.png.*X\[1\].*color='rgb'"):
        ImageReader(color="unchanged").fit_transform(paths)


@pytest.mark.parametrize(
    "X, error, match",
    [
        ([], ValueError, "no paths"),
        (["a.png", 3], TypeError, r"X\[1\] is 3"),
        (np.array([["a.png", "b.png"]]), ValueError, "one file path per row"),
    ],
)
def test_bad_path_lists(X, error, match):
    with pytest.raises(error, match=match):
        ImageReader().fit(X)


def test_parameters_are_checked_at_fit(files):
    paths, _ = files
    with pytest.raises(ValueError, match="color"):
        ImageReader(color="cmyk").fit(paths)
    with pytest.raises(ValueError, match="size"):
        ImageReader(size=(0, 3)).fit(paths)
    with pytest.raises(NotFittedError):
        ImageReader().transform(paths)


def test_lazy_reads_rows_on_demand_and_equals_eager(files, monkeypatch):
    paths, _ = files
    eager = ImageReader(n_jobs=2).fit_transform(paths)
    lazy = ImageReader(lazy=True).fit_transform(paths)
    assert lazy.shape == eager.shape and lazy.dtype == eager.dtype
    reads = []
    original = ImageReader._read
    monkeypatch.setattr(
        ImageReader,
        "_read",
        lambda self, p, row: reads.append(row) or original(self, p, row),
    )
    np.testing.assert_array_equal(lazy[np.array([1, 3])], eager[[1, 3]])
    assert reads == [1, 3]  # only the rows asked for
    np.testing.assert_array_equal(np.asarray(lazy), eager)


def test_lazy_checks_that_files_exist_at_transform(files, tmp_path):
    paths, _ = files
    with pytest.raises(ValueError, match=r"X\[4\].*no such file"):
        ImageReader(lazy=True).fit_transform([*paths, str(tmp_path / "gone.png")])


def test_pipeline_from_paths_lazy_and_eager_agree(files):
    paths, _ = files
    y = np.array([0, 1, 0, 1])

    def pipe(lazy):
        return Pipeline(
            [
                ("read", ImageReader(lazy=lazy)),
                ("tile", PatchTiler(patch_size=(6, 8), output_size=None, lazy=lazy)),
                (
                    "clf",
                    CNNGRUSequenceClassifier(epochs=1, gru_units=4, random_state=0),
                ),
            ]
        ).fit(paths, y)

    eager, lazy = pipe(False), pipe(True)
    np.testing.assert_allclose(
        lazy.predict_proba(paths), eager.predict_proba(paths), rtol=1e-5, atol=1e-6
    )


def test_grid_search_over_read_size_and_tile_grid_on_files_of_assorted_sizes(
    tmp_path,
):
    rng = np.random.default_rng(0)
    paths, y = [], np.arange(8) % 2
    for row, label in enumerate(y):
        height, width = rng.integers(8, 30, size=2)
        image = np.full((height, width, 3), 40 + 160 * label, dtype=np.uint8)
        image += rng.integers(0, 30, size=image.shape, dtype=np.uint8)
        paths.append(str(tmp_path / f"{row}.{'png' if row % 3 else 'jpg'}"))
        cv2.imwrite(paths[-1], image)
    pipe = Pipeline(
        [
            ("read", ImageReader()),
            ("tile", PatchTiler(grid=2, output_size=4)),
            ("clf", CNNGRUSequenceClassifier(epochs=1, gru_units=4, random_state=0)),
        ]
    )
    # Two candidates that change both (5 fits, not 9).
    grid = [
        {"read__size": [None], "tile__grid": [2]},
        {"read__size": [(8, 8)], "tile__grid": [(1, 4)]},
    ]
    search = GridSearchCV(pipe, grid, cv=2).fit(paths, y)

    assert len(search.cv_results_["params"]) == 2
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    expected_steps = 4  # both grids cut 4 patches
    assert best[-1].input_shape_ == (expected_steps, 4, 4, 3)
    assert best.predict(paths).shape == (8,)


def test_lazy_files_of_different_sizes_through_a_lazy_tiler(tmp_path):
    paths = []
    for row, shape in enumerate([(12, 16), (20, 10), (9, 9), (16, 24)]):
        paths.append(str(tmp_path / f"{row}.png"))
        cv2.imwrite(paths[-1], _picture(row, shape=(*shape, 3)))

    def tiles(lazy, **tiler):
        reader = ImageReader(lazy=lazy)
        return make_pipeline(reader, PatchTiler(lazy=lazy, **tiler)).fit_transform(
            paths
        )

    lazy, eager = (
        tiles(True, grid=2, output_size=4),
        tiles(False, grid=2, output_size=4),
    )
    assert lazy.shape == eager.shape == (4, 4, 4, 4, 3)
    np.testing.assert_array_equal(lazy[[3, 1]], eager[[3, 1]])
    # patch_size laid out on the first file: another size is an error when read
    fixed = tiles(True, patch_size=4)
    assert fixed[[0]].shape == (1, 12, 28, 28, 3)
    with pytest.raises(
        ValueError, match="is 20x10, but PatchTiler was fitted on 12x16"
    ):
        fixed[[1]]


def test_pickles_and_clones(files):
    paths, _ = files
    reader = ImageReader(size=5, color="grayscale").fit(paths)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = pickle.loads(pickle.dumps(reader))
    np.testing.assert_array_equal(again.transform(paths), reader.transform(paths))
    assert clone(reader).get_params() == reader.get_params()


@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
def test_scikit_learn_api_checks(check):
    check("ImageReader", ImageReader())
