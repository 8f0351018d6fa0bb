"""VideoReader: video files to frame sequences with OpenCV's VideoCapture."""

from __future__ import annotations

from numbers import Integral

import cv2
import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils._param_validation import Interval, StrOptions

from ._resize import INTERPOLATIONS
from .readers import FileReader, prepared
from .sequences import LazyRows


class VideoReader(FileReader):
    """Read video files into sequences of ``n_frames`` frames with OpenCV.

    ``X`` holds file paths, one clip per row (as for :class:`ImageReader`).
    Each clip is opened with ``cv2.VideoCapture`` (AVI, MP4... whatever the
    OpenCV build opens) and ``n_frames`` frames are sampled evenly over it:
    frame ``floor((i + 0.5) * total / n_frames)`` for ``i`` in
    ``range(n_frames)``, the middle of ``n_frames`` equal segments. Only
    those frames are decoded (the others are skipped with ``grab``), clips
    on a pool of threads. The result ``(n_videos, n_frames, height, width,
    channels)`` is what :class:`CNNGRUSequenceClassifier` takes.

    Parameters
    ----------
    n_frames : int, default=16
        Frames per clip.
    color : {"rgb", "bgr", "grayscale"}, default="rgb"
        Channels of the frames, as for :class:`ImageReader`.
    size : int or tuple of (int, int), default=None
        Resize every frame to ``(height, width)`` (an int: a square). None
        keeps the clips' frame size, which must then be the same for all.
    interpolation : str, default="area"
        OpenCV interpolation for ``size``, as in :class:`PatchTiler`.
    dtype : {"float32"}, default=None
        None keeps the frames' ``uint8``; "float32" scales them to [0, 1].
    short_clips : {"repeat", "error"}, default="repeat"
        A clip of fewer than ``n_frames`` frames: "repeat" samples it by the
        same rule, so its frames repeat evenly (3 frames as 6: 0, 0, 1, 1,
        2, 2); "error" is a ``ValueError`` naming the file.
    n_jobs : int, default=None
        Threads that decode clips: None is 1 unless in a
        ``joblib.parallel_config`` context, -1 every core.
    lazy : bool, default=False
        Return a row source that decodes the clips of the rows asked for
        when they are asked for (the estimators read a batch at a time),
        instead of every clip. The first clip is read at ``transform``; every
        file is checked to open.

    Attributes
    ----------
    n_features_in_ : int
        1: each sample is one path.

    See Also
    --------
    ImageReader : Image files to images.

    Notes
    -----
    A missing file, a file OpenCV cannot open and a clip without a frame are
    ``ValueError`` naming the file and its row. The frame count a container
    declares is used to place the samples; where it is missing or wrong
    (the clip ends sooner), the frames are counted and the clip read again.

    Examples
    --------
    >>> import os, tempfile
    >>> import cv2
    >>> import numpy as np
    >>> from skcnnrnn import VideoReader
    >>> path = os.path.join(tempfile.mkdtemp(), "clip.avi")
    >>> writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    >>> for i in range(30):
    ...     _ = writer.write(np.full((24, 32, 3), 8 * i, dtype=np.uint8))
    >>> writer.release()
    >>> VideoReader(n_frames=5).fit_transform([path]).shape
    (1, 5, 24, 32, 3)
    """

    _parameter_constraints: dict = {
        "n_frames": [Interval(Integral, 1, None, closed="left")],
        "color": [StrOptions({"rgb", "bgr", "grayscale"})],
        "size": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "interpolation": [StrOptions(set(INTERPOLATIONS))],
        "dtype": [StrOptions({"float32"}), None],
        "short_clips": [StrOptions({"repeat", "error"})],
        "n_jobs": [Integral, None],
        "lazy": ["boolean"],
    }

    def __init__(
        self,
        n_frames=16,
        *,
        color="rgb",
        size=None,
        interpolation="area",
        dtype=None,
        short_clips="repeat",
        n_jobs=None,
        lazy=False,
    ):
        self.n_frames = n_frames
        self.color = color
        self.size = size
        self.interpolation = interpolation
        self.dtype = dtype
        self.short_clips = short_clips
        self.n_jobs = n_jobs
        self.lazy = lazy

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Read ``n_frames`` frames of every clip.

        Parameters
        ----------
        X : array-like of str or os.PathLike
            Paths of video files, one per row.

        Returns
        -------
        clips : ndarray of shape (n_videos, n_frames, height, width, channels)
            The frames, or with ``lazy=True`` a row source of that shape.
        """
        return super().transform(X)

    def _stacked(self, clips, paths):
        return _stack(clips, paths)

    def _lazy(self, paths):
        return ReadVideos(self, paths)

    def _read(self, paths, row):
        """One clip as ``(n_frames, h, w, c)``, or a ValueError naming it."""
        path = paths[row]
        capture = _open(path, row)
        try:
            declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            frames, seen = _sampled(capture, declared, self.n_frames)
        finally:
            capture.release()
        if frames is None and seen:  # declared count missing or wrong
            capture = _open(path, row)
            try:
                frames, seen = _sampled(capture, seen, self.n_frames)
            finally:
                capture.release()
        if seen == 0 or frames is None:
            raise ValueError(f"X[{row}], {path!r}, holds no frame OpenCV decodes.")
        if seen < self.n_frames and self.short_clips == "error":
            raise ValueError(
                f"X[{row}], {path!r}, has {seen} frames, fewer than n_frames="
                f"{self.n_frames}: set short_clips='repeat' to repeat its frames "
                "evenly, or a smaller n_frames."
            )
        if self.color == "grayscale":
            frames = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
        return np.stack([prepared(frame, self) for frame in frames])


class ReadVideos(LazyRows):
    """Clips decoded when their rows are read: ``VideoReader(lazy=True)``.

    A row source for the estimators, which read it a batch at a time;
    ``np.asarray(clips)`` reads every file. The shape is the first clip's.

    Parameters
    ----------
    reader : VideoReader
        A fitted reader.
    paths : ndarray of str
        The files, one per row.

    Examples
    --------
    >>> import os, tempfile
    >>> import cv2
    >>> import numpy as np
    >>> from skcnnrnn import VideoReader
    >>> path = os.path.join(tempfile.mkdtemp(), "clip.avi")
    >>> writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    >>> for i in range(30):
    ...     _ = writer.write(np.full((24, 32, 3), 8 * i, dtype=np.uint8))
    >>> writer.release()
    >>> clips = VideoReader(n_frames=4, lazy=True).fit_transform([path] * 100)
    >>> clips
    ReadVideos(shape=(100, 4, 24, 32, 3), dtype=uint8)
    >>> clips[:2].shape
    (2, 4, 24, 32, 3)
    """

    def __init__(self, reader, paths):
        for row, path in enumerate(paths):
            _open(path, row).release()
        self._reader, self._paths = reader, paths
        first = reader._read(paths, 0)
        self.shape = (len(paths), *first.shape)
        self.dtype = first.dtype
        self.ndim = len(self.shape)

    def _read(self, rows):
        rows = np.arange(len(self))[rows]
        return _stack(self._reader._read_all(self._paths, rows), self._paths, rows)


def _open(path, row):
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        capture.release()
        raise ValueError(
            f"X[{row}], {path!r}: no such file, or not a video OpenCV can open."
        )
    return capture


def _sampled(capture, total, n_frames):
    """The frames at the middles of ``n_frames`` segments of ``total`` frames,
    decoding only those; ``(None, seen)`` where the clip does not hold
    ``total`` frames (``seen`` counts them)."""
    if total <= 0:  # not declared: count them
        seen = 0
        while capture.grab():
            seen += 1
        return None, seen
    wanted = ((np.arange(n_frames) + 0.5) * (total / n_frames)).astype(np.int64)
    decoded, index, last = {}, 0, int(wanted[-1])
    while index <= last and capture.grab():
        if index in wanted:
            decoded[index] = capture.retrieve()[1]
        index += 1
    if index <= last:
        return None, index
    return [decoded[i] for i in wanted], total


def _stack(clips, paths, rows=None):
    """Clips of one frame size as one array, or an error naming two files."""
    if isinstance(clips, np.ndarray):
        return clips
    rows = np.arange(len(clips)) if rows is None else rows
    for row, clip in zip(rows, clips, strict=True):
        if clip.shape != clips[0].shape:
            raise ValueError(
                f"Clips of different frame sizes: {paths[rows[0]]!r} (X[{rows[0]}]) "
                f"has {'x'.join(map(str, clips[0].shape[1:]))} frames and "
                f"{paths[row]!r} (X[{row}]) {'x'.join(map(str, clip.shape[1:]))}: "
                "pass size=(height, width) to VideoReader to resize them all."
            )
    return np.stack(clips)
