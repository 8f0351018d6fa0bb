"""The demo: cross-validate the used-by Pipeline on scikit-learn's digits.

``python -m skcnnrnn demo`` tiles each 8x8 digit into row strips with
:class:`~skcnnrnn.PatchTiler`, classifies the strip sequences with
:class:`~skcnnrnn.CNNGRUSequenceClassifier`, and prints the accuracy of each
cross-validation fold.
"""

import argparse
import os
import time


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skcnnrnn",
        description="skcnnrnn: scikit-learn estimators for CNN and CNN-GRU models.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="cross-validate Pipeline([PatchTiler(), CNNGRUSequenceClassifier()]) "
        "on the digits dataset shipped with scikit-learn",
        description="Cross-validate Pipeline([('tile', PatchTiler(patch_size="
        "(PATCH_H, 8), output_size=None)), ('clf', CNNGRUSequenceClassifier())]) "
        "on scikit-learn's 8x8 digits and print the accuracy of each fold.",
    )
    demo.add_argument("--folds", type=int, default=3, help="CV folds (default 3)")
    demo.add_argument("--epochs", type=int, default=10, help="epochs (default 10)")
    demo.add_argument(
        "--patch-height",
        type=int,
        default=2,
        help="height of the row strips the digits are cut into (default 2: 4 strips)",
    )
    demo.add_argument("--seed", type=int, default=0, help="random_state (default 0)")
    return parser


def run_demo(folds, epochs, patch_height, seed, out=print):
    """Cross-validate the used-by Pipeline on digits; return the fold scores."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.pipeline import Pipeline

    from . import CNNGRUSequenceClassifier, PatchTiler

    digits = load_digits()
    pipe = Pipeline(
        [
            ("tile", PatchTiler(patch_size=(patch_height, 8), output_size=None)),
            ("clf", CNNGRUSequenceClassifier(epochs=epochs, random_state=seed)),
        ]
    )
    out(f"Digits: {digits.images.shape[0]} images of 8x8, 10 classes")
    out(f"Pipeline: {pipe}")
    out(f"{folds}-fold stratified cross-validation, {epochs} epochs per fit ...")
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    results = cross_validate(pipe, digits.images, digits.target, cv=cv)
    scores = results["test_score"]
    out("")
    out(f"{'fold':>4}  {'accuracy':>8}  {'fit time (s)':>12}")
    for fold, (score, fit_time) in enumerate(
        zip(scores, results["fit_time"], strict=True), 1
    ):
        out(f"{fold:>4}  {score:>8.4f}  {fit_time:>12.1f}")
    out(f"mean accuracy: {np.mean(scores):.4f} +/- {np.std(scores):.4f}")
    return scores


def main(argv=None):
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    run_demo(args.folds, args.epochs, args.patch_height, args.seed)
    print(f"total time: {time.perf_counter() - start:.1f} s")
    return 0
