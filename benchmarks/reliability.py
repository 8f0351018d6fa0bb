"""Memory over repeated fits, and a grid search in one or two processes.

Run from a clean clone after ``pip install -e ".[test]"``::

    python benchmarks/reliability.py            # about four minutes on 2 cores
    python benchmarks/reliability.py --fits 30 --json out.json

1. Resident memory after fit 5 and after fit 30 of the same estimator in one
   process (what a grid search does), with skcnnrnn's release of the graphs
   Keras leaves behind and without it (the baseline: plain Keras behaviour).
2. Wall time of one ``GridSearchCV`` over the used-by Pipeline with
   ``n_jobs=1``, with ``n_jobs=2`` (each worker's TensorFlow capped to its
   share of the cores, the default) and with ``n_jobs=2`` uncapped (each worker
   told to use every core, as TensorFlow would without skcnnrnn).

3. Peak anonymous memory (RssAnon: the process's own allocations, not the
   file pages a memory map brings in) while ``CNNClassifier`` trains on
   ``uint8`` images held in a NumPy memory map, for a dataset and one 4x as
   large, against the same data as an in-memory array; and the same for the
   used-by Pipeline with ``PatchTiler(lazy=True)`` (tiled per batch) against
   the default tiler (the whole tiled dataset in memory).

Every measurement runs in a fresh subprocess so that no run inherits another's
memory or thread pools. Nothing here asserts.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

FITS_SCRIPT = textwrap.dedent(
    """
    import gc, json, os, sys
    import numpy as np
    from sklearn.base import clone
    from sklearn.datasets import load_digits
    from sklearn.pipeline import Pipeline
    from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier, PatchTiler
    import skcnnrnn._workarounds as runtime

    which, release, fits = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
    if not release:
        runtime._gradient_registry = lambda: None

    def rss_mib():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024

    digits = load_digits()
    X, y = digits.images[:400].astype(np.float32), digits.target[:400]
    if which == "cnn":
        estimator = CNNClassifier(epochs=2, random_state=0)
    else:
        estimator = Pipeline([
            ("tile", PatchTiler(patch_size=(2, 8), output_size=None)),
            ("clf", CNNGRUSequenceClassifier(epochs=2, random_state=0)),
        ])
    rss = {}
    for fit in range(1, fits + 1):
        model = clone(estimator).fit(X, y)
        model.predict_proba(X)
        del model
        gc.collect()
        rss[fit] = rss_mib()
    print(json.dumps(rss))
    """
)

GRID_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline
    from skcnnrnn import CNNGRUSequenceClassifier, PatchTiler

    n_jobs = sys.argv[1]
    digits = load_digits()
    X, y = digits.images[:600], digits.target[:600]
    pipe = Pipeline([
        ("tile", PatchTiler(patch_size=(2, 8), output_size=None)),
        ("clf", CNNGRUSequenceClassifier(epochs=3, random_state=0)),
    ])
    grid = {"clf__gru_units": [16, 32], "clf__filters": [(16,), (32,)]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    if n_jobs == "dask":
        import joblib
        from dask.distributed import Client, LocalCluster

        # Started (and the workers' TensorFlow warmed up) before the clock.
        cluster = LocalCluster(n_workers=2, threads_per_worker=1,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
        client.run(lambda: __import__("skcnnrnn.classifiers"))
        start = time.perf_counter()
        with joblib.parallel_config(backend="dask"):
            search = GridSearchCV(pipe, grid, cv=cv, n_jobs=-1).fit(X, y)
        seconds = time.perf_counter() - start
        client.close()
        cluster.close()
    else:
        start = time.perf_counter()
        search = GridSearchCV(pipe, grid, cv=cv, n_jobs=int(n_jobs)).fit(X, y)
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds,
                      "scores": search.cv_results_["mean_test_score"].tolist()}))
    """
)

MEMMAP_SCRIPT = textwrap.dedent(
    """
    import json, sys, tempfile, threading, time
    import numpy as np
    from skcnnrnn import CNNClassifier

    n, kind = int(sys.argv[1]), sys.argv[2]

    def rss_anon_mib():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon"):
                    return int(line.split()[1]) / 1024

    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    path = tempfile.mktemp(suffix=".npy")
    mapped = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.uint8, shape=(n, 32, 32, 3))
    for start in range(0, n, 1000):
        part = rng.integers(0, 200, size=(min(1000, n - start), 32, 32, 3))
        part[y[start:start + 1000] == 1, :8] += 50
        mapped[start:start + 1000] = part
    mapped.flush()
    del mapped
    X = np.load(path, mmap_mode="r")
    if kind in ("array", "tiled-array"):
        X = np.array(X)
    if kind.startswith("tiled"):
        from sklearn.pipeline import Pipeline
        from skcnnrnn import CNNGRUSequenceClassifier, PatchTiler

        def make():  # 4 patches of 28 x 28 x 3 float32 per image: 12x the uint8
            return Pipeline([
                ("tile", PatchTiler(patch_size=16, lazy=kind == "tiled-memmap")),
                ("clf", CNNGRUSequenceClassifier(epochs=1, random_state=0)),
            ])
    else:
        def make():
            return CNNClassifier(epochs=1, random_state=0)
    # Warm up TensorFlow on a few rows so its start-up is in the baseline.
    make().fit(np.array(X[:64]), y[:64])
    baseline = rss_anon_mib()
    peak, done = [baseline], threading.Event()

    def sample():
        while not done.wait(0.02):
            peak.append(rss_anon_mib())

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    make().fit(X, y)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    print(json.dumps({"baseline": baseline, "peak": max(peak), "seconds": seconds}))
    """
)

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def run(script, args, **variables):
    environ = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    environ.update(TF_CPP_MIN_LOG_LEVEL="3", **variables)
    # A file, not -c: Dask starts its workers by re-importing the main module.
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "measure.py")
        with open(path, "w") as handle:
            handle.write(
                f"if __name__ == '__main__':\n{textwrap.indent(script, '    ')}"
            )
        result = subprocess.run(
            [sys.executable, path, *map(str, args)],
            env=environ,
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def memory_over_fits(fits, results):
    print(f"Resident memory (MiB) after fit 5 and fit {fits}, one process:")
    for which, label in [("cnn", "CNNClassifier"), ("gru", "used-by Pipeline")]:
        for release in (1, 0):
            rss = run(FITS_SCRIPT, [which, release, fits])
            first, last = rss["5"], rss[str(fits)]
            name = f"{label}, {'graphs released' if release else 'plain Keras'}"
            results[name] = rss
            print(
                f"  {name:42s} {first:7.0f} {last:7.0f}  "
                f"growth {last - first:+5.0f} MiB "
                f"({(last - first) / (fits - 5):+.1f} MiB per fit)"
            )


def grid_search(results):
    cores = os.cpu_count()
    print(f"GridSearchCV, used-by Pipeline, 4 candidates x 3 folds ({cores} cores):")
    runs = [
        ("n_jobs=1", 1, {}),
        ("n_jobs=2, capped (default)", 2, {}),
        (
            "n_jobs=2, uncapped",
            2,
            {"TF_NUM_INTRAOP_THREADS": cores, "TF_NUM_INTEROP_THREADS": cores},
        ),
        ("Dask LocalCluster, 2 workers", "dask", {}),
    ]
    for name, n_jobs, variables in runs:
        variables = {k: str(v) for k, v in variables.items()}
        outcome = run(GRID_SCRIPT, [n_jobs], **variables)
        results[name] = outcome
        print(f"  {name:28s} {outcome['seconds']:6.1f} s  scores {outcome['scores']}")
    base = results["n_jobs=1"]["seconds"]
    for name, outcome in results.items():
        print(f"  speed-up over n_jobs=1, {name:28s} {base / outcome['seconds']:.2f}")


def large_data(images, results):
    print("Peak RssAnon above the TensorFlow baseline during fit, 1 epoch")
    print("(CNNClassifier; tiled-*: PatchTiler + CNNGRUSequenceClassifier):")
    for kind in ("memmap", "array", "tiled-memmap", "tiled-array"):
        for n in (images, 4 * images):
            outcome = run(MEMMAP_SCRIPT, [n, kind])
            results[f"{kind} {n}"] = outcome
            size = n * 32 * 32 * 3 / 2**20
            print(
                f"  {kind:12s} {n:6d} images ({size:4.0f} MiB uint8, "
                f"{4 * size:4.0f} MiB as float32): "
                f"+{outcome['peak'] - outcome['baseline']:5.0f} MiB, "
                f"{outcome['seconds']:.1f} s"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=30)
    parser.add_argument(
        "--images", type=int, default=5000, help="smaller dataset of section 3"
    )
    parser.add_argument(
        "--only", choices=("memory", "grid", "large"), help="run one section"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    results = {"memory": {}, "grid": {}, "large": {}}
    if args.only in (None, "memory"):
        memory_over_fits(args.fits, results["memory"])
    if args.only in (None, "grid"):
        grid_search(results["grid"])
    if args.only in (None, "large"):
        large_data(args.images, results["large"])
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
