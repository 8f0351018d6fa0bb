"""VideoReader on clips it writes itself with cv2.VideoWriter (MJPG AVI, MP4):
even sampling, short clips, bad files, lazy reading, in a Pipeline."""

import pickle

import cv2
import numpy as np
import pytest
from _checks import API_CHECKS
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from skcnnrnn import CNNGRUSequenceClassifier, VideoReader
from skcnnrnn.video import _sampled

# MJPG is lossy: a flat frame comes back within a few grey levels.
LOSSY = 4


def write_clip(path, n_frames, shape=(24, 32), fourcc="MJPG", step=8):
    """A clip whose frame ``k`` is flat: BGR (step * k, 100, 200)."""
    height, width = shape
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*fourcc), 10, (width, height)
    )
    assert writer.isOpened()
    for k in range(n_frames):
        frame = np.empty((height, width, 3), dtype=np.uint8)
        frame[:] = (step * k, 100, 200)
        writer.write(frame)
    writer.release()
    return str(path)


def frame_numbers(clips, step=8):
    """Which frame of the clip each read frame is (its blue value / step)."""
    blue = clips[..., 2].mean(axis=(-2, -1))  # RGB: blue is last
    return np.rint(blue / step).astype(int)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {
        "long": write_clip(folder / "long.avi", 30),
        "short": write_clip(folder / "short.avi", 3),
        "mp4": write_clip(folder / "long.mp4", 30, fourcc="mp4v"),
        "big": write_clip(folder / "big.avi", 12, shape=(48, 40)),
    }


def test_samples_the_middle_of_equal_segments_in_rgb(clips):
    read = VideoReader(n_frames=5).fit_transform([clips["long"], clips["mp4"]])

    assert read.shape == (2, 5, 24, 32, 3) and read.dtype == np.uint8
    # 30 frames in 5 segments of 6: frames 3, 9, 15, 21, 27.
    np.testing.assert_array_equal(frame_numbers(read)[0], [3, 9, 15, 21, 27])
    # MPEG-4 predicts frames from frames: within one frame's grey step.
    np.testing.assert_allclose(frame_numbers(read)[1], [3, 9, 15, 21, 27], atol=1)
    np.testing.assert_allclose(read[..., 0].mean(), 200, atol=LOSSY)  # red first


def test_short_clip_repeats_frames_evenly_or_is_an_error(clips):
    read = VideoReader(n_frames=6).fit_transform([clips["short"]])
    np.testing.assert_array_equal(frame_numbers(read), [[0, 0, 1, 1, 2, 2]])

    with pytest.raises(ValueError, match=r"X\[0\], '.*short.avi', has 3 frames"):
        VideoReader(n_frames=6, short_clips="error").fit_transform([clips["short"]])


def test_size_color_and_dtype(clips):
    reader = VideoReader(n_frames=2, size=(6, 8), color="grayscale", dtype="float32")
    read = reader.fit_transform([clips["long"], clips["big"]])

    assert read.shape == (2, 2, 6, 8, 1) and read.dtype == np.float32
    assert 0 < read.min() and read.max() <= 1
    bgr = VideoReader(n_frames=2, color="bgr").fit_transform([clips["long"]])
    np.testing.assert_allclose(bgr[..., 2].mean(), 200, atol=LOSSY)


def test_clips_of_different_frame_sizes_ask_for_size(clips):
    with pytest.raises(ValueError, match=r"big.avi' \(X\[1\]\).*size=\(height"):
        VideoReader(n_frames=2).fit_transform([clips["long"], clips["big"]])


@pytest.mark.parametrize("lazy", [False, True])
def test_missing_and_corrupt_files_name_file_and_row(clips, tmp_path, lazy):
    corrupt = tmp_path / "corrupt.avi"
    corrupt.write_bytes(b"not a video" * 100)
    reader = VideoReader(n_frames=2, lazy=lazy).fit([clips["long"]])
    for bad in (str(tmp_path / "missing.avi"), str(corrupt)):
        with pytest.raises(ValueError, match=rf"X\[1\], '{bad}'"):
            reader.transform([clips["long"], bad])


def test_lazy_reads_rows_on_demand_and_equals_eager(clips):
    paths = [clips["long"], clips["mp4"], clips["long"]]
    eager = VideoReader(n_frames=3).fit_transform(paths)
    lazy = VideoReader(n_frames=3, lazy=True).fit_transform(paths)

    assert lazy.shape == eager.shape and lazy.dtype == eager.dtype
    np.testing.assert_array_equal(lazy[[2, 1]], eager[[2, 1]])
    np.testing.assert_array_equal(np.asarray(lazy), eager)


class _Capture:
    """A clip that declares ``declared`` frames but holds ``held``."""

    def __init__(self, held):
        self.held, self.position = held, 0

    def grab(self):
        self.position += 1
        return self.position <= self.held

    def retrieve(self):
        return True, np.full((2, 2, 3), self.position - 1, dtype=np.uint8)


def test_a_wrong_or_missing_frame_count_is_counted_instead():
    frames, seen = _sampled(_Capture(held=4), total=10, n_frames=3)
    assert frames is None and seen == 4  # read again with the count seen
    frames, seen = _sampled(_Capture(held=4), total=0, n_frames=3)
    assert frames is None and seen == 4
    frames, seen = _sampled(_Capture(held=4), total=4, n_frames=2)
    assert [f[0, 0, 0] for f in frames] == [1, 3] and seen == 4


def test_pipeline_from_video_paths_trains_and_pickles(clips):
    paths = [clips["long"], clips["mp4"]] * 3
    y = np.array([0, 1] * 3)
    pipe = Pipeline(
        [
            ("read", VideoReader(n_frames=4, size=8)),
            ("clf", CNNGRUSequenceClassifier(epochs=1, random_state=0)),
        ]
    ).fit(paths, y)

    assert pipe[-1].input_shape_ == (4, 8, 8, 3)
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(
        again.predict_proba(paths), pipe.predict_proba(paths), atol=1e-6
    )
    assert clone(pipe[0]).get_params() == pipe[0].get_params()


@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
def test_scikit_learn_api_checks(check):
    # As for ImageReader: paths are not numbers, so scikit-learn's checks
    # on data do not apply; the tests above read real clips instead.
    check("VideoReader", VideoReader())
