"""The demo: cross-validate PatchTiler + CNNGRUSequenceClassifier on digits.

``python -m skcnnrnn demo`` tiles each 8x8 digit into row strips with
:class:`~skcnnrnn.PatchTiler`, classifies the strip sequences with
:class:`~skcnnrnn.CNNGRUSequenceClassifier`, prints each cross-validation
fold's accuracy and fit time as it finishes, then the mean and standard
deviation; ``--plot FILE`` writes the first fold's training curves as a PNG.
"""

import argparse
import time


def _at_least(minimum):
    """An argparse type: an int no smaller than ``minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


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
        "(PATCH_HEIGHT, 8), output_size=None)), ('clf', "
        "CNNGRUSequenceClassifier(validation_split=0.1))]) on scikit-learn's 8x8 "
        "digits. Prints each fold's accuracy and fit time as it finishes, then "
        "the mean and standard deviation.",
    )
    demo.add_argument(
        "--folds", type=_at_least(2), default=3, help="CV folds, 2 or more (default 3)"
    )
    demo.add_argument(
        "--epochs", type=_at_least(1), default=10, help="epochs (default 10)"
    )
    demo.add_argument(
        "--patch-height",
        type=_at_least(1),
        default=2,
        help="height of the row strips the digits are cut into (default 2: 4 strips)",
    )
    demo.add_argument("--seed", type=int, default=0, help="random_state (default 0)")
    demo.add_argument(
        "--plot",
        metavar="FILE",
        help="also write the first fold's training curves (loss and accuracy, "
        "train and validation) to this PNG file; needs matplotlib "
        "(pip install 'skcnnrnn[plot]')",
    )
    demo.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=0,
        help="Keras output per fit: 0 none (default), 1 a progress bar per "
        "epoch, 2 one line per epoch",
    )
    return parser


def run_demo(folds, epochs, patch_height, seed, plot=None, verbose=0, out=print):
    """Cross-validate the tiler + CNN-GRU Pipeline on digits; return the scores."""
    import numpy as np
    from sklearn.base import clone
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline

    from . import CNNGRUSequenceClassifier, PatchTiler, TrainingHistoryDisplay

    digits = load_digits()
    X, y = digits.images, digits.target
    pipe = Pipeline(
        [
            ("tile", PatchTiler(patch_size=(patch_height, 8), output_size=None)),
            (
                "clf",
                CNNGRUSequenceClassifier(
                    epochs=epochs,
                    validation_split=0.1,
                    verbose=verbose,
                    random_state=seed,
                ),
            ),
        ]
    )
    out(f"Digits: {X.shape[0]} images of 8x8, 10 classes")
    out(f"Pipeline: {pipe}")
    per_fit = "1 epoch" if epochs == 1 else f"{epochs} epochs"
    out(f"{folds}-fold stratified cross-validation, {per_fit} per fit")
    out("")
    out(f"{'fold':>4}  {'accuracy':>8}  {'fit time (s)':>12}")
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    scores = []
    for fold, (train, test) in enumerate(cv.split(X, y), 1):
        start = time.perf_counter()
        fitted = clone(pipe).fit(X[train], y[train])
        fit_time = time.perf_counter() - start
        scores.append(fitted.score(X[test], y[test]))
        out(f"{fold:>4}  {scores[-1]:>8.4f}  {fit_time:>12.1f}")
        if plot and fold == 1:
            display = TrainingHistoryDisplay.from_estimator(fitted)
            display.figure_.suptitle(f"fold 1 of {folds}")
            display.figure_.savefig(plot, dpi=100)
    out(f"mean accuracy: {np.mean(scores):.4f} +/- {np.std(scores):.4f}")
    if plot:
        out(f"training curves of fold 1 written to {plot}")
    return np.array(scores)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.plot:
        try:
            import matplotlib
        except ImportError:
            parser.error("--plot needs matplotlib: pip install 'skcnnrnn[plot]'")
        matplotlib.use("Agg")  # a file, not a window
    start = time.perf_counter()
    run_demo(
        args.folds,
        args.epochs,
        args.patch_height,
        args.seed,
        plot=args.plot,
        verbose=args.verbose,
    )
    print(f"total time: {time.perf_counter() - start:.1f} s")
    return 0
