"""Reading image files: ImageReader against the loops users write, and the
memory of a lazy Pipeline over 200 and 2,000 files.

Run from a clean clone after ``pip install -e ".[test]"``::

    python benchmarks/files.py             # about 2 minutes on 2 cores
    python benchmarks/files.py --repeats 5

1. Images per second reading 500 JPEGs of 640 x 480 into RGB arrays:
   ``ImageReader(n_jobs=-1)`` (OpenCV decoding on a thread per core), a
   sequential ``cv2.imread`` loop, and PIL (``Image.open(p).convert("RGB")``).
   Interleaved runs in one process, median of the repeats; the first run of
   each is untimed, so every reader finds the files in the page cache.
2. Peak RSS (``VmHWM``, Linux) of ``Pipeline([ImageReader(lazy=True),
   PatchTiler(lazy=True), CNNGRUSequenceClassifier(epochs=1)]).fit`` on 200
   and on 2,000 JPEG files, each in a fresh process: the data set is read a
   batch at a time, so ten times the files should not cost ten times the
   memory. Goal: the ratio below 1.3.

Nothing here asserts; the table says whether each goal is met.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow's C++ start-up lines

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from sklearn.datasets import load_sample_images  # noqa: E402

from skcnnrnn import ImageReader  # noqa: E402

MIB = 1 << 20


def write_jpegs(folder, n, height, width):
    """``n`` JPEGs of ``height x width``: crops of scikit-learn's two photos,
    resized and flipped so that no two files are the same."""
    photos = load_sample_images().images
    rng = np.random.default_rng(0)
    paths = []
    for k in range(n):
        photo = photos[k % 2]
        top, left = rng.integers(0, 100, size=2)
        crop = photo[top : top + 320, left : left + 480]
        image = cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR)
        image = image[:, ::-1] if k % 4 >= 2 else image
        path = Path(folder, f"{k:05d}.jpg")
        cv2.imwrite(str(path), np.ascontiguousarray(image[:, :, ::-1]))
        paths.append(str(path))
    return paths


def cv2_loop(paths):
    """What users write: read each file, then one array of them."""
    return np.stack([cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in paths])


def pil_loop(paths):
    return np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths])


def bench_reading(folder, repeats):
    paths = write_jpegs(folder, 500, 480, 640)
    readers = {
        "ImageReader(n_jobs=-1)": lambda: ImageReader(n_jobs=-1).fit_transform(paths),
        "cv2.imread loop": lambda: cv2_loop(paths),
        "PIL loop": lambda: pil_loop(paths),
    }
    first = readers["ImageReader(n_jobs=-1)"]()
    np.testing.assert_array_equal(first, cv2_loop(paths))  # the same
    for read in readers.values():
        read()
    times = {name: [] for name in readers}
    for _ in range(repeats):
        for name, read in readers.items():
            start = time.perf_counter()
            read()
            times[name].append(time.perf_counter() - start)
    median = {name: float(np.median(t)) for name, t in times.items()}
    for name, seconds in median.items():
        print(f"  {name:<24} {len(paths) / seconds:7.0f} images/s ({seconds:.2f} s)")
    speedup = median["cv2.imread loop"] / median["ImageReader(n_jobs=-1)"]
    versus_pil = median["PIL loop"] / median["ImageReader(n_jobs=-1)"]
    return [
        (
            "reading 500 JPEGs: cv2 loop / ImageReader",
            speedup,
            ">= 1.8",
            speedup >= 1.8,
        ),
        ("reading 500 JPEGs: PIL loop / ImageReader", versus_pil, "", None),
    ]


MEMORY_CHILD = """
import os, resource, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
from sklearn.pipeline import Pipeline
from skcnnrnn import CNNGRUSequenceClassifier, ImageReader, PatchTiler
paths = sys.argv[1:]
y = np.arange(len(paths)) % 2
pipe = Pipeline([
    ("read", ImageReader(lazy=True)),
    ("tile", PatchTiler(lazy=True)),
    ("clf", CNNGRUSequenceClassifier(epochs=1, random_state=0)),
])
pipe.fit(paths, y)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked
# copy of the parent, which here has just held 500 large images.
print(next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
           if line.startswith("VmHWM")))
"""


def peak_rss(paths):
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, *paths],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1])


def bench_memory(folder):
    paths = write_jpegs(folder, 2000, 100, 100)
    small, large = peak_rss(paths[:200]), peak_rss(paths)
    held = 2000 * 25 * 28 * 28 * 3 * 4  # the tiled float32 data, if held whole
    print(
        f"  peak RSS: {small / MIB:.0f} MiB for 200 files, {large / MIB:.0f} MiB "
        f"for 2000 (their tiles as float32 would be {held / MIB:.0f} MiB)"
    )
    ratio = large / small
    return [("peak RSS: lazy fit on 2000 / 200 files", ratio, "< 1.3", ratio < 1.3)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs, OpenCV {cv2.__version__}")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        print("reading:")
        rows += bench_reading(folder, args.repeats)
    with tempfile.TemporaryDirectory() as folder:
        print("memory:")
        rows += bench_memory(folder)
    print(f"\n{'measure':<46} {'ratio':>6}  {'goal':<7} met")
    for name, ratio, goal, met in rows:
        verdict = "" if met is None else ("yes" if met else "no")
        print(f"{name:<46} {ratio:6.2f}  {goal:<7} {verdict}")


if __name__ == "__main__":
    main()
