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

Every measurement runs in a fresh subprocess so that no run inherits another's
memory or thread pools. Nothing here asserts.
"""

import argparse
import json
import os
import subprocess
import sys
import textwrap

FITS_SCRIPT = textwrap.dedent(
    """
    import gc, json, os, sys
    import numpy as np
    from sklearn.base import clone
    from sklearn.datasets import load_digits
    from sklearn.pipeline import Pipeline
    from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier, PatchTiler
    import skcnnrnn._runtime as runtime

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

    n_jobs = int(sys.argv[1])
    digits = load_digits()
    X, y = digits.images[:600], digits.target[:600]
    pipe = Pipeline([
        ("tile", PatchTiler(patch_size=(2, 8), output_size=None)),
        ("clf", CNNGRUSequenceClassifier(epochs=3, random_state=0)),
    ])
    grid = {"clf__gru_units": [16, 32], "clf__filters": [(16,), (32,)]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    start = time.perf_counter()
    search = GridSearchCV(pipe, grid, cv=cv, n_jobs=n_jobs).fit(X, y)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds,
                      "scores": search.cv_results_["mean_test_score"].tolist()}))
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
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        env=environ,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=30)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    results = {"memory": {}, "grid_search": {}}

    print(f"Resident memory (MiB) after fit 5 and fit {args.fits}, one process:")
    for which, label in [("cnn", "CNNClassifier"), ("gru", "used-by Pipeline")]:
        for release in (1, 0):
            rss = run(FITS_SCRIPT, [which, release, args.fits])
            first, last = rss["5"], rss[str(args.fits)]
            name = f"{label}, {'graphs released' if release else 'plain Keras'}"
            results["memory"][name] = rss
            print(
                f"  {name:42s} {first:7.0f} {last:7.0f}  "
                f"growth {last - first:+5.0f} MiB "
                f"({(last - first) / (args.fits - 5):+.1f} MiB per fit)"
            )

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
    ]
    for name, n_jobs, variables in runs:
        variables = {k: str(v) for k, v in variables.items()}
        outcome = run(GRID_SCRIPT, [n_jobs], **variables)
        results["grid_search"][name] = outcome
        print(f"  {name:28s} {outcome['seconds']:6.1f} s  scores {outcome['scores']}")
    base = results["grid_search"]["n_jobs=1"]["seconds"]
    for name, outcome in results["grid_search"].items():
        print(f"  speed-up over n_jobs=1, {name:28s} {base / outcome['seconds']:.2f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
