"""Measure skcnnrnn against its baselines, side by side, and print the ratios.

Run from a clean clone after ``pip install -e ".[test]"``::

    python benchmarks/run.py               # full workloads (a few minutes)
    python benchmarks/run.py --repeats 3 --json out.json

Every ratio compares two things run in the same process, interleaved (A, B,
A, B, ...), and takes the median of the repeats: absolute times on shared
machines are noise, ratios are not. Peak memory is measured in fresh
subprocesses (``ru_maxrss``). Nothing here asserts; the table says whether
each goal of issue 3 is met.
"""

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from functools import partial
from unittest import mock

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow's C++ start-up lines

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_sample_images  # noqa: E402

from skcnnrnn import PatchTiler  # noqa: E402

MIB = 1 << 20


def interleaved(functions, repeats):
    """Median seconds of each function, run in turn ``repeats`` times.

    Each function runs once first, untimed: first calls pay one-off costs
    (Keras tracing, page faults of new buffers) that belong to neither side.
    """
    for function in functions.values():
        function()
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


def photos(n, height, width):
    """``n`` crops of the two photographs that ship with scikit-learn."""
    images = load_sample_images().images
    rng = np.random.default_rng(0)
    crops = []
    for k in range(n):
        image = images[k % len(images)]
        top = rng.integers(0, image.shape[0] - height + 1)
        left = rng.integers(0, image.shape[1] - width + 1)
        crops.append(image[top : top + height, left : left + width])
    return np.stack(crops)


def seed_loop(images, patch=20, size=28, stride=None):
    """The seed article's tiling: one ``cv2.resize`` per patch (float32 output)."""
    n, height, width, channels = images.shape
    stride = stride or patch
    rows, cols = (height - patch) // stride + 1, (width - patch) // stride + 1
    out = np.zeros((n, rows * cols, size, size, channels), dtype=np.float32)
    for k in range(n):
        for i in range(rows):
            for j in range(cols):
                top, left = i * stride, j * stride
                crop = images[k, top : top + patch, left : left + patch]
                out[k, i * cols + j] = cv2.resize(
                    crop, (size, size), interpolation=cv2.INTER_AREA
                )
    return out


def resize_alone(images, patch=20, size=28):
    """One ``cv2.resize`` of all ``images`` stacked, to the size the tiles
    cover, in the images' dtype (what any OpenCV tiler must at least do)."""
    n, height, width, channels = images.shape
    rows, cols = height // patch, width // patch
    stacked = images[:, : rows * patch, : cols * patch].reshape(
        n * rows * patch, cols * patch, channels
    )
    return cv2.resize(
        stacked, (cols * size, n * rows * size), interpolation=cv2.INTER_AREA
    )


def bench_tiling(repeats):
    rows = []
    base = photos(32, 420, 640)
    # float32 patches, as the seed loop gives, and uint8 patches of uint8
    # images, the tiler's default (a quarter of the memory).
    for dtype, tiles_dtype in (
        (np.uint8, "float32"),
        (np.float32, "float32"),
        (np.uint8, None),
    ):
        images = base.astype(dtype)
        tiler = PatchTiler(dtype=tiles_dtype).fit(images)
        tiles = tiler.transform(images)
        difference = np.abs(tiles.astype(np.float64) - seed_loop(images)).max()
        t = interleaved(
            {
                "seed": lambda images=images: seed_loop(images),
                "tiler": lambda images=images, tiler=tiler: tiler.transform(images),
                "copy": lambda tiles=tiles: tiles.copy(),
                "resize": lambda images=images: resize_alone(images),
                "write": lambda tiles=tiles: np.empty_like(tiles).fill(1),
            },
            repeats,
        )
        name = f"{np.dtype(dtype).name} -> {tiles.dtype.name}"
        # Floors: of any tiler built on cv2.resize, the resize alone, with no
        # patch order and no conversion, into a new array; of any tiler, the
        # writing of its new output array (the kernel zeroes each new page).
        floor = f"cv2.resize alone {t['resize'] * 1e3:.0f} ms"
        write = f"writing a new output alone {t['write'] * 1e3:.0f} ms"
        rows.append(
            row(
                f"tiling {name}: seed loop / PatchTiler",
                t["seed"] / t["tiler"],
                ">= 5",
                t["seed"] / t["tiler"] >= 5,
                f"{t['seed'] * 1e3:.0f} ms / {t['tiler'] * 1e3:.0f} ms, "
                f"max |tiler - seed loop| {difference:.3g}; {floor}: "
                f"at most {t['seed'] / t['resize']:.1f}x; {write}: at most "
                f"{t['seed'] / t['write']:.1f}x",
            )
        )
        rows.append(
            row(
                f"tiling {name}: PatchTiler / copy of output",
                t["tiler"] / t["copy"],
                "<= 2",
                t["tiler"] / t["copy"] <= 2,
                f"{t['tiler'] * 1e3:.0f} ms / {t['copy'] * 1e3:.0f} ms "
                f"({tiles.nbytes / MIB:.0f} MiB); {floor}: at least "
                f"{t['resize'] / t['copy']:.1f}x",
            )
        )
    return rows


def bench_overlapping_tiling(repeats):
    """Overlapping patches (stride half a patch), 4x the patches per image."""
    images = photos(8, 420, 640)
    tiler = PatchTiler(stride=10).fit(images)
    difference = np.abs(
        tiler.transform(images).astype(np.float64) - seed_loop(images, stride=10)
    ).max()
    t = interleaved(
        {
            "seed": lambda: seed_loop(images, stride=10),
            "tiler": lambda: tiler.transform(images),
        },
        repeats,
    )
    ratio = t["seed"] / t["tiler"]
    return [
        row(
            "tiling uint8 -> uint8, stride 10: seed loop / PatchTiler",
            ratio,
            ">= 5",
            ratio >= 5,
            f"{t['seed'] * 1e3:.0f} ms / {t['tiler'] * 1e3:.0f} ms, "
            f"max |tiler - seed loop| {difference:.3g}",
        )
    ]


def fit_estimator(estimator, X, y):
    return clone(estimator).fit(X, y)


def wrapper_share(estimator, X, y):
    """Fraction of ``estimator.fit`` spent in skcnnrnn's own code.

    That is everything but building the network, ``Model.compile`` and
    ``Model.fit``, which a plain Keras user pays as well, and the creation of
    the optimizer's and metrics' variables that Keras would do inside
    ``Model.fit`` (``_build_training_state`` does it before, see there).
    """
    import keras

    inner = []

    def timed(function):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                inner.append(time.perf_counter() - start)

        return run

    from skcnnrnn import _training

    targets = [
        (keras.Model, "fit"),
        (keras.Model, "compile"),
        (_training, "build_model"),
        (_training, "_build_training_state"),
    ]
    with contextlib.ExitStack() as patches:
        for owner, name in targets:
            patched = timed(getattr(owner, name))
            patches.enter_context(mock.patch.object(owner, name, patched))
        start = time.perf_counter()
        estimator.fit(X, y)
        total = time.perf_counter() - start
    return (total - sum(inner)) / total


def plain_keras_fit(build, X, y, epochs, batch_size):
    """What a user writes by hand: the same network, compiled and fitted.

    Integer ``y`` is classes (2-D: one class per step), float ``y`` is a
    regression target with a linear head on the mean squared error.
    """
    import keras

    channels = X.shape[-1]
    flat = X.reshape(-1, channels)
    statistics = {"input_mean": flat.mean(axis=0), "input_variance": flat.var(axis=0)}
    if y.dtype.kind == "f":
        targets = y.reshape(len(y), -1)
        model = build(
            X.shape[1:], targets.shape[1], output_activation="linear", **statistics
        )
        compiled = {"loss": "mean_squared_error"}
    else:
        per_step = {"per_step": True} if y.ndim == 2 else {}
        model = build(X.shape[1:], int(y.max()) + 1, **per_step, **statistics)
        compiled = {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), **compiled)
    model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True)
    return model


def bench_fit(repeats):
    from skcnnrnn import (
        CNNClassifier,
        CNNGRUSequenceClassifier,
        CNNGRUSequenceRegressor,
        CNNRegressor,
    )
    from skcnnrnn.networks import build_cnn, build_cnn_gru

    rng = np.random.default_rng(0)
    rows = []
    images, sequences = (2000, 28, 28, 3), (500, 6, 28, 28, 3)
    cases = [  # name, estimator, builder, X shape, y
        ("CNNClassifier", CNNClassifier, build_cnn, images, rng.integers(0, 5, 2000)),
        (
            "CNNGRUSequenceClassifier",
            CNNGRUSequenceClassifier,
            build_cnn_gru,
            sequences,
            rng.integers(0, 5, 500),
        ),
        (
            "CNNGRUSequenceClassifier, per step",
            CNNGRUSequenceClassifier,
            build_cnn_gru,
            sequences,
            rng.integers(0, 5, (500, 6)),
        ),
        ("CNNRegressor", CNNRegressor, build_cnn, images, rng.normal(size=2000)),
        (
            "CNNGRUSequenceRegressor, 2 outputs",
            CNNGRUSequenceRegressor,
            build_cnn_gru,
            sequences,
            rng.normal(size=(500, 2)),
        ),
    ]
    for name, estimator, build, shape, y in cases:
        X = rng.random(shape, dtype=np.float32)
        kwargs = {"epochs": 2, "batch_size": 32}
        t = interleaved(
            {
                "ours": partial(fit_estimator, estimator(**kwargs), X, y),
                "keras": partial(plain_keras_fit, build, X, y, **kwargs),
            },
            repeats,
        )
        ratio = t["ours"] / t["keras"]
        outside = wrapper_share(estimator(**kwargs), X, y)
        rows.append(
            row(
                f"fit: {name}, share of time in skcnnrnn's own code",
                outside,
                "<= 0.05",
                outside <= 0.05,
                "validation, labels, weights, input statistics: all but "
                "building, compiling and fitting the network",
            )
        )
        rows.append(
            row(
                f"fit: {name} / plain Keras",
                ratio,
                "<= 1.05",
                ratio <= 1.05,
                f"{t['ours']:.2f} s / {t['keras']:.2f} s, {shape}, 2 epochs",
            )
        )
    return rows


def bench_adam(repeats):
    """Small fits with the fused Adam update against Keras' own update."""
    import keras

    from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier

    class KerasAdam(keras.optimizers.Adam):
        """Keras' Adam as Keras updates it: skcnnrnn fuses only the exact class."""

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 40)
    cases = [
        ("CNNClassifier", CNNClassifier, (40, 8, 8)),
        ("CNNGRUSequenceClassifier", CNNGRUSequenceClassifier, (40, 4, 2, 8, 1)),
    ]
    rows = []
    for name, estimator, shape in cases:
        X = rng.random(shape, dtype=np.float32)
        kwargs = {"epochs": 2, "random_state": 0}
        t = interleaved(
            {
                "fused": partial(fit_estimator, estimator(**kwargs), X, y),
                "keras": partial(
                    fit_estimator, estimator(optimizer=KerasAdam, **kwargs), X, y
                ),
            },
            repeats,
        )
        ratio = t["fused"] / t["keras"]
        rows.append(
            row(
                f"small fit: {name}, fused Adam / Keras' Adam update",
                ratio,
                "< 1",
                ratio < 1,
                f"{t['fused']:.3f} s / {t['keras']:.3f} s, {shape}, 2 epochs",
            )
        )
    return rows


def bench_predict(repeats):
    from skcnnrnn import CNNClassifier

    rng = np.random.default_rng(0)
    X = rng.random((5000, 28, 28, 3), dtype=np.float32)
    y = rng.integers(0, 10, len(X))
    clf = CNNClassifier(epochs=1).fit(X[:500], y[:500])
    one = X[:1]
    single = interleaved(
        {
            "predict_proba": lambda: clf.predict_proba(one),
            "predict": lambda: clf.predict(one),
            "predict_on_batch": lambda: clf.model_.predict_on_batch(one),
        },
        repeats * 40,
    )
    batch = interleaved(
        {
            "predict_proba": lambda: clf.predict_proba(X),
            "model.predict": lambda: clf.model_.predict(X, verbose=0),
        },
        repeats,
    )
    rows = []
    for method in ("predict_proba", "predict"):
        ratio = single[method] / single["predict_on_batch"]
        rows.append(
            row(
                f"one image: {method} / model_.predict_on_batch",
                ratio,
                "<= 2",
                ratio <= 2,
                f"{single[method] * 1e3:.2f} ms / "
                f"{single['predict_on_batch'] * 1e3:.2f} ms",
            )
        )
    ratio = batch["predict_proba"] / batch["model.predict"]
    rows.append(
        row(
            "5000 images: predict_proba / model_.predict",
            ratio,
            "<= 1.05",
            ratio <= 1.05,
            f"{batch['predict_proba']:.2f} s / {batch['model.predict']:.2f} s",
        )
    )
    return rows


MEMORY_CHILD = """
import os, resource, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
sys.path.insert(0, {here!r})
from run import photos
from sklearn.pipeline import Pipeline
from skcnnrnn import CNNGRUSequenceClassifier, PatchTiler
n = {n}
X = photos(n, 100, 100)
y = (X.mean(axis=(1, 2, 3)) > X.mean()).astype(int)
pipe = Pipeline([("tile", PatchTiler()), ("clf", CNNGRUSequenceClassifier(epochs=1))])
pipe.fit(X, y)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def peak_rss(n):
    here = os.path.dirname(os.path.abspath(__file__))
    code = MEMORY_CHILD.format(here=here, n=n)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return int(result.stdout.split()[-1])


def bench_memory():
    n = 2000
    input_bytes = n * 100 * 100 * 3
    tiled_bytes = n * 25 * 28 * 28 * 3 * 4
    baseline = peak_rss(32)  # TensorFlow, Keras and a fit on a handful of crops
    peak = peak_rss(n)
    budget = 1.5 * (input_bytes + tiled_bytes + baseline)
    return [
        row(
            "peak memory: used-by Pipeline.fit on 2000 crops / budget",
            peak / budget,
            "<= 1",
            peak <= budget,
            f"peak {peak / MIB:.0f} MiB; budget 1.5 x (input {input_bytes / MIB:.0f}"
            f" + tiled float32 {tiled_bytes / MIB:.0f} + TF baseline "
            f"{baseline / MIB:.0f}) = {budget / MIB:.0f} MiB",
        )
    ]


def bench_import():
    code = (
        "import sys, time; t = time.perf_counter(); import skcnnrnn; "
        "from skcnnrnn import PatchTiler; t = time.perf_counter() - t; "
        "heavy = [m for m in ('tensorflow', 'keras', 'scikeras') if m in sys.modules]; "
        "print(len(heavy), t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    loaded, seconds = int(out[0]), float(out[1])
    return [
        row(
            "import skcnnrnn, PatchTiler: TensorFlow/Keras modules loaded",
            loaded,
            "== 0",
            loaded == 0,
            f"import took {seconds:.2f} s",
        )
    ]


def row(name, value, goal, met, detail):
    return {
        "name": name,
        "value": value,
        "goal": goal,
        "met": bool(met),
        "detail": detail,
    }


def machine():
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "tensorflow": tf.__version__,
        "gpus": len(tf.config.list_physical_devices("GPU")),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="repeats per timing")
    parser.add_argument(
        "--json", default="benchmarks/results.json", help="where to write the results"
    )
    parser.add_argument(
        "--skip-memory", action="store_true", help="skip the peak-memory subprocesses"
    )
    args = parser.parse_args(argv)

    rows = bench_import() + bench_tiling(args.repeats)
    rows += bench_overlapping_tiling(args.repeats)
    rows += bench_fit(args.repeats) + bench_adam(args.repeats)
    rows += bench_predict(args.repeats)
    if not args.skip_memory:
        rows += bench_memory()
    width = max(len(r["name"]) for r in rows)
    print(f"{'measure':<{width}}  {'ratio':>7}  {'goal':<8} met  detail")
    for r in rows:
        print(
            f"{r['name']:<{width}}  {r['value']:>7.3g}  {r['goal']:<8} "
            f"{'yes' if r['met'] else 'NO ':<4} {r['detail']}"
        )
    info = machine()
    print("machine:", ", ".join(f"{k} {v}" for k, v in info.items()))
    with open(args.json, "w") as f:
        json.dump({"machine": info, "results": rows}, f, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
