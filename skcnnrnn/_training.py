"""The training loop, apart from the estimator: batches, validation split,
weights, input statistics, seeding, callbacks and early stopping.

:func:`train` takes validated network inputs (a row source,
``_input.RowSource``: an array, a memory map or lazy tiles), the
:class:`~skcnnrnn._targets.Targets` of every head and a :class:`Plan` of the
training settings, and returns the trained Keras model and its history.
In-memory and streamed inputs take the same path: rows are read and
converted to floats one batch at a time (``_batches.py``). A transform of
the training batches only (augmentation) belongs in ``Batches`` or, as Keras
layers that act in training only, in ``networks.build_model``.
"""

import contextlib
import sys
from dataclasses import dataclass, replace

import numpy as np
from sklearn.model_selection import train_test_split

from ._batches import Batches, fit_input
from ._checkpoint import Checkpoint
from ._keras import keras, on_tensorflow
from ._metrics import scorer_history, with_chosen_loss
from ._persistence import keras_bytes, keras_model
from ._random import keras_seed
from ._statistics import channel_statistics
from ._workarounds import (
    new_models_tracing,
    project_gru_inputs,
    releasing_training_graphs,
)
from .augmentation import augmentation
from .backbones import set_frozen
from .networks import build_model


@dataclass(frozen=True)
class Plan:
    """How to build and train one network (from the estimator's parameters)."""

    body: object  # body(inputs) -> features, parameters bound
    sequence: bool  # whether inputs are frame sequences
    augment: object  # augmentation settings (checked), a layer, or None
    make_optimizer: object  # () -> a new keras optimizer
    callbacks: list
    fit_kwargs: dict  # routed fit__* arguments
    loss: object  # None (the targets' own), a Keras loss, or a dict by output
    metrics: list  # Keras metrics of the main outputs
    scorers: dict  # scikit-learn scorers by name, computed per epoch
    checkpoint: object  # None, or (folder, digest of the parameters)
    freeze_body: object  # bool or int: the body's layers not to train
    frozen_before: object  # freeze_body of the fit a continued fit goes on from
    epochs: int
    batch_size: int
    shuffle: bool
    validation_fraction: float
    early_stopping: bool
    n_iter_no_change: int
    tol: float
    dtype: str
    verbose: int
    seed: int | None
    distribution: object  # None, "mirrored" or a tf.distribute.Strategy


@dataclass
class Trained:
    """What :func:`train` returns."""

    model: object
    history: dict
    best_epoch: int


def train(inputs, targets, plan, model=None, initial_epoch=0, n_train=None):
    """Build a network for ``inputs`` and ``targets`` and train it by ``plan``.

    Given a fitted ``model`` (``warm_start``, ``partial_fit``), train that one
    further instead, from epoch ``initial_epoch``: its input statistics, target
    scaling and optimizer state stay as they are. If training it fails, its
    weights and optimizer state are put back. ``n_train``: the rows from
    ``n_train`` on are a given validation set, not a random split.
    """
    targets = with_chosen_loss(targets, plan.loss, plan.metrics)
    rows = _rows_to_train(targets)
    targets = targets.take(rows)
    if n_train is None:
        train_at, valid_at = _validation_split(
            len(rows),
            targets.stratify,
            plan.validation_fraction,
            _epoch_seed(plan.seed, initial_epoch),
        )
    else:
        train_at, valid_at = (
            np.flatnonzero(rows < n_train),
            np.flatnonzero(rows >= n_train),
        )
    targets.weights = {k: w / w[train_at].mean() for k, w in targets.weights.items()}
    plan = _with_scoring(plan, inputs, rows, targets, train_at, valid_at)
    checkpoint = None
    if plan.checkpoint is not None:
        checkpoint = Checkpoint(*plan.checkpoint, inputs, targets, initial_epoch)
    resumed = None if checkpoint is None else checkpoint.resume()
    continued = model
    with keras_seed(plan.seed):
        batches = _training_batches(
            inputs, rows, targets, plan, train_at, valid_at, initial_epoch
        )
        if resumed is not None:
            model = resumed.model
            batches[0].skip_epochs(resumed.epochs_done)
        elif model is None:
            model = _new_model(inputs, rows[train_at], targets, train_at, plan)
            if plan.distribution is None and on_tensorflow():
                _build_training_state(model, batches[0][0])
        elif _changed(plan.freeze_body, plan.frozen_before):
            model = continued = _refrozen(model, plan)
        with _restored_on_error(continued):
            history, best_epoch = _keras_fit(
                model, *batches, plan, initial_epoch, checkpoint, resumed
            )
    if checkpoint is not None:
        checkpoint.remove()
    return Trained(model, history, best_epoch)


def _with_scoring(plan, inputs, rows, targets, train_at, valid_at):
    """``plan`` with the callback of its scikit-learn scorers first (the
    other callbacks read their values), scoring the validation rows."""
    scoring = scorer_history(
        plan.scorers,
        inputs,
        rows,
        targets,
        train_at if valid_at is None else valid_at,
        "" if valid_at is None else "val_",
        np.float64 if plan.dtype == "float64" else np.float32,
    )
    if scoring is None:
        return plan
    return replace(plan, callbacks=[scoring, *plan.callbacks])


def _new_model(inputs, rows, targets, train_at, plan):
    """A new, compiled network, normalised by the statistics of ``inputs[rows]``."""
    heads, loss_weights = targets.standardised(train_at)
    mean, variance, value_range = channel_statistics(
        inputs, rows, _statistics_weights(targets)[train_at]
    )
    seed = None if plan.seed is None else plan.seed + 2
    augment = augmentation(
        plan.augment, sequence=plan.sequence, value_range=value_range, seed=seed
    )
    with _distribution_scope(plan.distribution):
        model = build_model(
            inputs.shape[1:],
            plan.body,
            heads,
            sequence=plan.sequence,
            input_mean=mean,
            input_variance=variance,
            dtype=plan.dtype,
            seed=plan.seed,
            masked=getattr(inputs, "lengths", None) is not None,
            augment=augment,
        )
        set_frozen(model, plan.freeze_body)
        model.compile(
            optimizer=plan.make_optimizer(),
            loss=targets.losses,
            loss_weights=loss_weights,
            metrics=targets.metrics,
        )
    return project_gru_inputs(model)


def _changed(freeze, before):
    """Whether ``freeze_body`` changed (True and 1 differ)."""
    return (freeze, type(freeze)) != (before, type(before))


def _refrozen(model, plan):
    """A copy of ``model`` with the body's layers frozen by ``freeze_body``
    instead of ``frozen_before``, compiled again with a new optimizer, as
    Keras' fine-tuning guide does (the moments of the layers now trained do
    not exist). A copy: a failed fit leaves the fitted network as it was."""
    model = keras_model(keras_bytes(model))
    set_frozen(model, plan.freeze_body, plan.frozen_before)
    config = keras.saving.deserialize_keras_object(model.get_compile_config())
    model.compile(**{**config, "optimizer": plan.make_optimizer()})
    return model


def _build_training_state(model, batch):
    """Create the optimizer's and the metrics' variables before ``fit``.

    Without a distribution strategy, Keras on TensorFlow creates them while
    tracing the first training step (``_maybe_symbolic_build`` in
    keras/src/backend/tensorflow/trainer.py defers them there), and a
    ``tf.function`` whose first trace creates variables is traced a second
    time: 0.6 s of every fit on the CNN-GRU. The loss and the metrics of one
    sample (public Keras methods, run eagerly) create them all; the metrics
    are then reset. Zeros of the outputs' shapes stand for the network's
    prediction, whose eager run would cost 0.1 s of a small CNN-GRU's fit.
    """
    x, y = batch[0][:1], {name: values[:1] for name, values in batch[1].items()}
    if all(None not in output.shape[1:] for output in model.outputs):
        y_pred = keras.tree.map_structure(
            lambda out: keras.ops.zeros((1, *out.shape[1:]), dtype=out.dtype),
            model.output,
        )
    else:  # a user's network with outputs of unknown size: run it
        y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred)
    model.compute_metrics(x, y, y_pred, sample_weight=None)
    model.optimizer.build(model.trainable_variables)
    model.reset_metrics()


def _epoch_seed(seed, epoch):
    """The seed of the shuffles and split of a fit that starts at ``epoch``: a
    continued fit draws new ones, a fresh fit (epoch 0) those of ``seed``."""
    if seed is None or epoch == 0:
        return seed
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


@contextlib.contextmanager
def _restored_on_error(model):
    """Put back ``model``'s weights and optimizer state if the block raises
    (a failed ``partial_fit`` leaves the estimator as it was)."""
    if model is None:
        yield
        return
    variables = [*model.variables, *model.optimizer.variables]
    saved = [v.numpy() for v in variables]
    try:
        yield
    except BaseException:
        for variable, value in zip(variables, saved, strict=True):
            variable.assign(value)
        raise


def _rows_to_train(targets):
    """Rows with some weight: samples of weight zero are left out."""
    keep = np.zeros(len(next(iter(targets.weights.values()))), dtype=bool)
    for weights in targets.weights.values():
        keep |= weights.reshape(len(weights), -1).max(axis=1) > 0
    return np.flatnonzero(keep)


def _statistics_weights(targets):
    """Per-sample weights of the input statistics: the main head's, per sample."""
    weights = targets.weights[next(iter(targets.heads))]
    return weights if weights.ndim == 1 else weights.reshape(len(weights), -1).mean(1)


def _validation_split(n_samples, stratify, fraction, seed):
    """Indices of training and validation samples: shuffled, stratified
    by the class labels ``stratify`` when given."""
    everything = np.arange(n_samples)
    if fraction == 0:
        return everything, None
    rng = np.random.RandomState(seed)
    if stratify is not None:
        try:
            return train_test_split(
                everything, test_size=fraction, stratify=stratify, random_state=rng
            )
        except ValueError:
            pass  # classes too small to stratify: a plain shuffled split
    return train_test_split(everything, test_size=fraction, random_state=rng)


def _distribution_scope(distribution):
    """The ``tf.distribute`` scope the network is built and compiled in.

    Keras trains a model on the strategy it was created under, so the scope
    must cover building and compiling; ``fit`` follows on its own.
    """
    if distribution is None:
        return contextlib.nullcontext()
    if not on_tensorflow():
        raise ValueError(
            f"distribution={distribution!r} needs Keras' TensorFlow backend; "
            f"this process runs Keras on {keras.backend.backend()!r} "
            "(KERAS_BACKEND)."
        )
    if isinstance(distribution, str):  # "mirrored"
        import tensorflow as tf

        return tf.distribute.MirroredStrategy().scope()
    return distribution.scope()


def _training_batches(inputs, rows, targets, plan, train_at, valid_at, initial_epoch):
    """The training batches, and the validation batches (or None)."""
    weights = targets.weights
    if all(np.all(w == 1) for w in weights.values()):
        weights = None
    dtype = np.float64 if plan.dtype == "float64" else np.float32
    training = Batches(
        inputs,
        rows[train_at],
        {k: v[train_at] for k, v in targets.values.items()},
        None
        if weights is None
        else {k: w[train_at].astype(np.float32) for k, w in weights.items()},
        plan.batch_size,
        dtype,
        shuffle_seed=_epoch_seed(plan.seed, initial_epoch) if plan.shuffle else False,
    )
    if valid_at is None:
        return training, None
    validation = Batches(
        inputs,
        rows[valid_at],
        {k: v[valid_at] for k, v in targets.values.items()},
        None,
        plan.batch_size,
        dtype,
    )
    return training, validation


def _keras_fit(model, training, validation, plan, initial_epoch, checkpoint, resumed):
    """``model.fit`` with the plan's callbacks; the history and best epoch.

    A continued fit numbers its epochs on from ``initial_epoch``, so that
    callbacks (learning-rate schedules, early stopping) see the total count;
    a resumed one (``checkpoint``) starts after the epochs it had done.
    """
    done = 0 if resumed is None else resumed.epochs_done
    if resumed is not None and (resumed.stopper or {}).get("stopped_epoch"):
        done = plan.epochs  # early stopping had ended it: nothing left
    callbacks = [*plan.callbacks, _StopOnNonFiniteLoss()]
    stopper = None
    if plan.early_stopping:
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_loss",
            mode="min",
            min_delta=plan.tol,
            patience=plan.n_iter_no_change,
            restore_best_weights=True,
        )
        callbacks.append(stopper)
    if checkpoint is not None:  # last: it saves what early stopping has seen
        callbacks.append(checkpoint.callback(resumed, stopper))
    try:  # the pipelines pin the batches until released
        training_input, steps = fit_input(
            training, plan.distribution, max(plan.epochs - done, 1)
        )
        validation_input, _ = fit_input(validation, plan.distribution)
        fit_kwargs = {
            "epochs": initial_epoch + plan.epochs,
            "initial_epoch": initial_epoch + done,
            "verbose": _keras_verbose(plan.verbose),
            "validation_data": validation_input,
            # Batches shuffles its rows, from its own generator; Keras' shuffling
            # of the batch order would draw from the global, shared random state.
            "shuffle": False,
            "steps_per_epoch": steps,
            **plan.fit_kwargs,  # fit__* parameters override the defaults above
        }
        with releasing_training_graphs(), new_models_tracing():
            result = model.fit(training_input, callbacks=callbacks, **fit_kwargs)
    finally:
        for batches in (training, validation):
            if batches is not None:
                batches.release()
    history = _history(result.history, resumed)
    best_epoch = initial_epoch + len(history["loss"]) - 1
    if stopper is not None:
        best_epoch = int(stopper.best_epoch)  # the epoch it restored
    return history, best_epoch


def _history(logs, resumed):
    """The history of the fit (a resumed one's epochs first), under our
    names; a ValueError if the loss became NaN or infinite."""
    if resumed is not None:
        logs = {
            k: resumed.history.get(k, []) + list(logs.get(k, []))
            for k in {**resumed.history, **logs}
        }
    history = {
        _HISTORY_NAMES.get(key, key): [float(v) for v in values]
        for key, values in logs.items()
    }
    if history["loss"] and not np.isfinite(history["loss"][-1]):
        raise ValueError(
            f"Training diverged: the loss became {history['loss'][-1]} at epoch "
            f"{len(history['loss'])}. Lower learning_rate, or check the inputs "
            "for extreme values."
        )
    return history


def _keras_verbose(verbose):
    """Keras' ``verbose`` for ours: the progress bar (1) only on a terminal
    or in a notebook, one line per epoch (2) in a log file or a pipe.

    Keras' progress bar redraws its line with carriage returns and
    backspaces wherever ``"posix" in sys.modules`` (keras/src/utils/
    progbar.py), that is on every Linux and macOS, so a log file collected
    them as escape codes.
    """
    isatty = getattr(sys.stdout, "isatty", None)
    interactive = "ipykernel" in sys.modules or bool(isatty and isatty())
    return 2 if verbose == 1 and not interactive else verbose


# Keras prefixes the metrics of a multi-output network with the output's name.
_HISTORY_NAMES = {"target_accuracy": "accuracy", "val_target_accuracy": "val_accuracy"}


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop at the end of the first epoch whose loss is NaN or infinite.

    Checked per epoch, not per batch, so training never waits on the device
    to report a batch loss.
    """

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            self.model.stop_training = True
