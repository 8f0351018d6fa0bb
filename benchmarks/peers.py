"""skcnnrnn against the peers a user would pick instead, on the same data.

Run from a clean clone after ``pip install -e ".[bench]"`` (PyTorch, skorch,
JAX)::

    python benchmarks/peers.py                 # 3 repeats, every workload
    python benchmarks/peers.py --repeats 5 --workloads B L

Workloads (same network, same hyper-parameters for every contender: Adam
1e-3, batch 32, dropout 0.5, ``random_state=0`` / ``torch.manual_seed(0)``):

- A: ``CNNClassifier`` on the digits enlarged to 28 x 28, 10 epochs;
- B: ``CNNGRUSequenceClassifier`` on the digits as 4 row strips
  (1797 x 4 x 2 x 8 x 1), 10 epochs;
- L: a long sequence, the seed's photo tiling: 200 x 200 crops of the two
  scikit-learn photos in 20 px patches enlarged to 28 px (100 steps), which
  photo a crop is from, 3 epochs.

Every timing is one ``fit`` in a fresh Python process (imports and data
preparation excluded; network building, tracing and compiling included),
contenders interleaved, medians of the repeats. The skcnnrnn and Keras
contenders run under each Keras backend installed (``tensorflow``, ``jax``,
``torch``); "skcnnrnn[jax+cache]" is skcnnrnn on JAX with JAX's persistent
compilation cache (``JAX_COMPILATION_CACHE_DIR``, a new empty folder per
process, and ``JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0``), and
"skcnnrnn[jax+warm cache]" the same with the folder filled by an earlier,
untimed process (a script run a second time); "[tf, 1 thread]" and
"skorch[1 thread]" run with one-thread pools (``TF_NUM_INTRAOP_THREADS``,
``TF_NUM_INTEROP_THREADS`` and ``OMP_NUM_THREADS`` set to 1). ``--fits 3``
fits three times per process and times the later fits (their median), as in
cross-validation or a grid search, where every fit builds a new network.
Ratios are against skorch and against a hand-written PyTorch loop. Nothing
here asserts.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

EPOCHS = {"A": 10, "B": 10, "L": 3}
BACKENDS = ("tensorflow", "jax", "torch")


def data(workload):
    """``X`` (float32, channels last) and integer ``y`` of a workload."""
    from sklearn.datasets import load_digits

    if workload == "L":
        import cv2  # noqa: F401  (through PatchTiler)
        from sklearn.datasets import load_sample_images

        from skcnnrnn import PatchTiler

        rng = np.random.default_rng(0)
        photos = load_sample_images().images
        y = np.arange(192) % 2
        crops = []
        for label in y:
            image = photos[label]
            top, left = rng.integers(0, np.subtract(image.shape[:2], 200))
            crops.append(image[top : top + 200, left : left + 200])
        X = PatchTiler(patch_size=20, output_size=28).fit_transform(np.stack(crops))
        return X.astype(np.float32), y
    digits = load_digits()
    images = digits.images.astype(np.float32)
    if workload == "A":
        import cv2

        images = np.stack([cv2.resize(i, (28, 28)) for i in images])[..., None]
        return images, digits.target
    return images.reshape(-1, 4, 2, 8, 1), digits.target


def fit_skcnnrnn(workload, X, y):
    from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier

    Estimator = CNNClassifier if workload == "A" else CNNGRUSequenceClassifier
    estimator = Estimator(epochs=EPOCHS[workload], batch_size=32, random_state=0)
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start, estimator.score(X, y)


def fit_keras(workload, X, y):
    """The seed's network as a user writes it in Keras (``TimeDistributed``)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    start = time.perf_counter()
    x = inputs = keras.Input(X.shape[1:])
    x = layers.Normalization(axis=-1, mean=[X.mean()], variance=[X.var()])(x)
    if workload == "A":
        for filters in (16, 32):
            x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
            x = layers.MaxPooling2D(2, padding="same")(x)
        x = layers.Dense(128, activation="relu")(layers.Flatten()(x))
    else:
        td = layers.TimeDistributed
        x = td(layers.Conv2D(32, 3, activation="relu", padding="same"))(x)
        x = td(layers.MaxPooling2D(2, padding="same"))(x)
        x = layers.GRU(128)(td(layers.Flatten())(x))
    x = layers.Dropout(0.5)(x)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(X, y, epochs=EPOCHS[workload], batch_size=32, verbose=0)
    seconds = time.perf_counter() - start
    return seconds, float(np.mean(model.predict(X, verbose=0).argmax(1) == y))


def torch_module(workload, X):
    """The same network in PyTorch (channels first inside)."""
    import torch
    from torch import nn

    channels = X.shape[-1]

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            blocks = (16, 32) if workload == "A" else (32,)
            convs, previous = [], channels
            for filters in blocks:
                convs += [
                    nn.Conv2d(previous, filters, 3, padding=1),
                    nn.ReLU(),
                    nn.MaxPool2d(2, ceil_mode=True),
                ]
                previous = filters
            self.convs = nn.Sequential(*convs, nn.Flatten())
            size = int(
                np.prod(self.convs(torch.zeros(1, channels, *X.shape[-3:-1])).shape)
            )
            if workload == "A":
                self.middle = nn.Sequential(nn.Linear(size, 128), nn.ReLU())
            else:
                self.middle = nn.GRU(size, 128, batch_first=True)
            self.dropout, self.out = nn.Dropout(0.5), nn.Linear(128, 10)

        def forward(self, x):
            if workload == "A":
                features = self.middle(self.convs(x.permute(0, 3, 1, 2)))
            else:
                batch, steps = x.shape[:2]
                frames = x.reshape(batch * steps, *x.shape[2:]).permute(0, 3, 1, 2)
                sequence, _ = self.middle(self.convs(frames).reshape(batch, steps, -1))
                features = sequence[:, -1]
            return self.out(self.dropout(features))

    return CNN


def standardised(X):
    return (X - X.mean()) / X.std()


def fit_skorch(workload, X, y):
    import torch
    from skorch import NeuralNetClassifier

    torch.manual_seed(0)
    X = standardised(X)
    net = NeuralNetClassifier(
        torch_module(workload, X),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=EPOCHS[workload],
        batch_size=32,
        iterator_train__shuffle=True,
        train_split=None,
        verbose=0,
    )
    start = time.perf_counter()
    net.fit(X, y.astype(np.int64))
    return time.perf_counter() - start, float(np.mean(net.predict(X) == y))


def fit_torch(workload, X, y):
    """A hand-written PyTorch training loop, the fastest plain formulation."""
    import torch

    torch.manual_seed(0)
    X, y = torch.from_numpy(standardised(X)), torch.from_numpy(y.astype(np.int64))
    start = time.perf_counter()
    model = torch_module(workload, X.numpy())()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.nn.CrossEntropyLoss()
    model.train()
    for _ in range(EPOCHS[workload]):
        for batch in torch.randperm(len(X)).split(32):
            optimizer.zero_grad()
            loss(model(X[batch]), y[batch]).backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = float((model(X).argmax(1) == y).float().mean())
    return seconds, accuracy


CONTENDERS = {
    "skcnnrnn": fit_skcnnrnn,
    "keras": fit_keras,
    "skorch": fit_skorch,
    "torch": fit_torch,
}


def worker(contender, workload, fits):
    X, y = data(workload)
    runs = [CONTENDERS[contender](workload, X, y) for _ in range(int(fits))]
    seconds = [run[0] for run in runs]
    later = seconds[1:] or seconds  # with several fits, those after the first
    print(json.dumps({"seconds": float(np.median(later)), "accuracy": runs[-1][1]}))


def run_once(contender, workload, backend, fits=1, variant=None):
    """One worker process; ``variant`` is None, "cold" (JAX's compilation
    cache in a new empty folder), "warm" (that folder filled first by an
    untimed process) or "1 thread" (TensorFlow's and PyTorch's pools of one
    thread each)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if backend:
        env["KERAS_BACKEND"] = backend
    if variant == "1 thread":
        env.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
        env.update(OMP_NUM_THREADS="1")
    command = [sys.executable, __file__, "--worker", contender, workload]
    with tempfile.TemporaryDirectory() as folder:
        if variant in ("cold", "warm"):
            # Every compilation, not only those over JAX's default 1 s: most
            # of a small network's are shorter.
            env["JAX_COMPILATION_CACHE_DIR"] = folder
            env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
        runs = [[*command, "1"]] if variant == "warm" else []
        for args in [*runs, [*command, str(fits)]]:
            out = subprocess.run(args, env=env, capture_output=True, text=True)
            if out.returncode:
                break
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def installed(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


def contenders():
    """(name, contender, Keras backend or None, variant of ``run_once`` or
    None) for every installed one."""
    runs = []
    for backend in [b for b in BACKENDS if installed(b)]:
        runs += [(f"skcnnrnn[{backend}]", "skcnnrnn", backend, None)]
        if backend == "jax":
            runs += [("skcnnrnn[jax+cache]", "skcnnrnn", backend, "cold")]
            runs += [("skcnnrnn[jax+warm cache]", "skcnnrnn", backend, "warm")]
        if backend == "tensorflow":
            runs += [("skcnnrnn[tf, 1 thread]", "skcnnrnn", backend, "1 thread")]
        runs += [(f"keras[{backend}]", "keras", backend, None)]
    if installed("skorch"):
        runs.append(("skorch", "skorch", None, None))
        runs.append(("skorch[1 thread]", "skorch", None, "1 thread"))
    if installed("torch"):
        runs.append(("torch loop", "torch", None, None))
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workloads", nargs="+", default=list(EPOCHS))
    parser.add_argument("--only", nargs="*", help="contender names to run")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument(
        "--fits", type=int, default=1, help="fits per process; >1 times the later"
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    runs = [r for r in contenders() if not args.only or r[0] in args.only]
    results = {}
    for workload in args.workloads:
        times = {name: [] for name, *_ in runs}
        accuracy = {}
        for _ in range(args.repeats):
            for name, contender, backend, variant in runs:
                out = run_once(contender, workload, backend, args.fits, variant)
                if "error" in out:
                    accuracy[name] = f"failed: {out['error']}"
                    continue
                times[name].append(out["seconds"])
                accuracy[name] = out["accuracy"]
        medians = {k: float(np.median(v)) for k, v in times.items() if v}
        results[workload] = {"seconds": medians, "accuracy": accuracy}
        which = "fit" if args.fits == 1 else f"later fits of {args.fits} per process"
        print(
            f"\nworkload {workload} ({EPOCHS[workload]} epochs), {which}, seconds "
            f"(median of {args.repeats}), ratio to skorch and to the torch loop:"
        )
        for name, *_ in runs:
            if name not in medians:
                print(f"  {name:<24} {accuracy.get(name)}")
                continue
            line = f"  {name:<24} {medians[name]:6.2f} s"
            for peer in ("skorch", "torch loop"):
                if peer in medians:
                    line += f"  {medians[name] / medians[peer]:5.2f}"
            print(f"{line}   train accuracy {accuracy[name]:.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
