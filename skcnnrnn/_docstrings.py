"""The numpydoc text the estimators' docstrings share, written once.

Each class docstring names its shared blocks as ``%(name)s`` on lines of
their own; :func:`fill` replaces them with the blocks below, which contain
no further placeholders (one flat level). ``tests/test_docstrings.py``
checks the rendered docstrings with numpydoc.
"""

_CONV = """
    kernel_size : int or tuple of (int, int), default=3
        Size of the convolution kernels.

    pool_size : int or tuple of (int, int), default=2
        Window and stride of the max-pooling after each convolution."""

_PADDING = """
    padding : {"same", "valid"}, default="same"
        Padding of the convolutions and poolings. "same" lets images as small as
        1 x 1 (a flat row of 1 x F) go through every block; "valid" is Keras'
        default and the seed article's exact network, which needs images large
        enough to survive each block."""

BLOCKS = {
    "cnn": """\
    filters : int or tuple of int, default=(16, 32)
        Filters of each convolution block (one block per entry)."""
    + _CONV
    + """

    dense_units : int, default=128
        Units of the hidden dense layer.

    dropout : float in [0, 1), default=0.5
        Dropout rate before the output layer.

    image_shape : tuple of (int, int) or (int, int, int), default=None
        ``(height, width)`` or ``(height, width, channels)`` that each row of a
        2-D ``X`` is reshaped to. For 3-D and 4-D input it must match, if given.
        A list of images of different sizes is resized to it (OpenCV, "area"),
        channels included for color images.
"""
    + _PADDING,
    "cnn_gru": """\
    filters : int or tuple of int, default=(32,)
        Filters of each per-frame convolution block; ``()`` feeds the flattened
        frames straight to the GRU."""
    + _CONV
    + """

    gru_units : int, default=128
        Units of the GRU.

    dropout : float in [0, 1), default=0.5
        Dropout rate after the GRU.

    frame_shape : tuple of (int, int) or (int, int, int), default=None
        ``(height, width)`` or ``(height, width, channels)`` of one frame, used
        to reshape 2-D and 3-D ``X``; for 4-D and 5-D input it must match.
"""
    + _PADDING,
    "network": """\
    network : callable or None, default=None
        The body of the network: a function ``network(inputs, **params)`` that
        takes the normalised input (a Keras tensor of shape ``(batch,
        *input_shape_)`` in the layout described above) and returns the
        features the output heads read: ``(batch, features)``, or for
        sequences ``(batch, steps, features)`` (needed for per-step labels;
        one-per-sequence heads read the last step). The estimator adds input
        normalisation before it and the output heads after it, so one body
        serves classification, regression, per-step labels and multi-task
        training. Its parameters are routed as ``network__name`` (and can be
        grid-searched); it also gets ``seed`` and ``dtype`` when its signature
        names them. None is the seed article's network, made from the
        parameters above, which are not used with a network of your own.
        Define the function at module level so that the estimator pickles.

    augment : dict, keras.layers.Layer, callable or None, default=None
        Augmentation of the training batches only (never at predict, nor of
        the validation data), by Keras' random preprocessing layers seeded
        by ``random_state``: a dict of ``flip`` ("horizontal", "vertical",
        "horizontal_and_vertical"), ``rotation`` (a fraction of a full turn),
        ``zoom``, ``translation`` (fractions of the size), ``brightness`` and
        ``contrast`` (fractions of the training data's value range), e.g.
        ``{"flip": "horizontal", "rotation": 0.05}``; or a Keras layer or
        callable of your own, applied to images ``(batch, h, w, c)``. Every
        frame of a sequence gets the same transform (a tiled image or a
        video keeps its geometry), or each its own with
        ``"per_frame": True``. The layers are part of ``model_`` and do
        nothing outside training.

    freeze_body : bool or int, default=False
        Train only part of the network: True freezes every layer of the body
        (only the output heads train), an int the first that many of its
        layers with weights, in order, those inside a nested model (a
        pretrained backbone, :mod:`skcnnrnn.backbones`) counted one by one.
        A frozen ``BatchNormalization`` runs in inference mode. With
        ``warm_start`` (or ``partial_fit``) it may change between fits, the
        usual fine-tuning: fit the heads with the body frozen, then unfreeze
        it at a lower ``learning_rate``; the network is then compiled again
        with a new optimizer (its moments restart). Unfreezing leaves the
        ``BatchNormalization`` layers frozen, as Keras advises for
        fine-tuning (their pretrained statistics are kept); a fit from
        scratch with False trains them. False leaves the body's layers as
        the body made them.""",
    "training": """\
    optimizer : str, keras.optimizers.Optimizer or its class, default="adam"
        Keras optimizer: a name ("adam", "sgd", "rmsprop", "adamw", ...), an
        optimizer class, or an instance (copied for each fit; its own learning
        rate is used). Further arguments are routed with the ``optimizer__``
        prefix, e.g. ``optimizer__beta_1=0.8``. On TensorFlow, Keras' Adam
        and AdamW (without ``amsgrad``) update each variable with
        TensorFlow's fused kernel: the same arithmetic, and still Keras' class.

    learning_rate : float, default=1e-3
        Learning rate of the optimizer when given by name or class.

    loss : str, keras.losses.Loss, callable, dict or None, default=None
        The training loss: a Keras loss name (``"huber"``,
        ``"categorical_focal_crossentropy"``, ...), a ``keras.losses.Loss``
        or a function ``(y_true, y_pred)``; a dict sets it per output
        (``"target"``, ``"target_0"``, ..., ``"auxiliary"``). One loss applies
        to the main outputs; the auxiliary head keeps its squared error.
        None is the sparse categorical cross-entropy (classifiers) or the
        squared error (regressors). A classifier's loss whose name does not
        say "sparse" gets one-hot rows of ``classes_`` as ``y_true``, the
        shape of the probabilities; a regressor's loss sees the targets in
        their units, divided by their variance as the squared error is.
        ``sample_weight``, ``class_weight`` and the multi-task weights apply
        to it. Part of the network: ``warm_start`` and ``partial_fit`` keep it.

    metrics : list of (str, keras.metrics.Metric or callable), default=None
        Further metrics reported per epoch in ``history_`` (and
        ``val_``-prefixed on the validation data) and drawn by
        :class:`TrainingHistoryDisplay`. A name of one of scikit-learn's
        scorers (``"balanced_accuracy"``, ``"roc_auc_ovr"``,
        ``"neg_mean_absolute_error"``, see
        ``sklearn.metrics.get_scorer_names()``) is computed at the end of
        each epoch from the predictions for the validation data where there
        is some (``val_<name>``), else for the training data (``<name>``),
        without sample weights, for one label (or one row of targets) per
        sample; any other name, a ``keras.metrics.Metric`` or a function
        ``(y_true, y_pred)`` is a Keras metric of the main outputs, computed
        on every batch from what the loss sees. Classifiers always report
        ``accuracy``.

    epochs : int, default=10
        Number of passes over the training data.

    batch_size : int, default=32
        Number of samples per gradient update.

    validation_split : float in [0, 1) or None, default=None
        Fraction of the training data held out to report ``val_loss`` (and
        ``val_accuracy`` for classifiers) in ``history_`` each epoch and, with
        ``early_stopping``, to decide when to stop. The split is shuffled,
        stratified by class for one label per sample (unlike Keras'
        ``validation_split``, which takes the last rows unshuffled), and seeded
        by ``random_state``. None holds out 0.1 when ``early_stopping`` is True
        (MLPClassifier's ``validation_fraction``) and nothing otherwise.

    early_stopping : bool, default=False
        Stop training when the validation loss has not improved by at least
        ``tol`` for ``n_iter_no_change`` epochs, and keep the weights of the
        epoch with the lowest validation loss (``best_epoch_``), as
        MLPClassifier's ``early_stopping`` does. Needs ``validation_split``
        above 0 (or None).

    n_iter_no_change : int, default=10
        Epochs without improvement of the validation loss after which
        ``early_stopping`` stops training (Keras' ``patience``).

    tol : float, default=1e-4
        Smallest decrease of the validation loss that counts as an improvement
        for ``early_stopping``.

    shuffle : bool, default=True
        Whether to shuffle the training data before each epoch.

    warm_start : bool, default=False
        When True, ``fit`` goes on training the fitted network (and its
        optimizer, moments included) for ``epochs`` more epochs, and
        ``history_`` and ``n_iter_`` go on counting; otherwise it builds a new
        network. The input shape, the classes and the kinds of targets must
        be those of the first fit, whose input normalisation and target
        scaling stay; changing the architecture, ``network__*``, ``dtype``,
        ``optimizer`` or ``optimizer__*`` in between is an error, while a new
        ``learning_rate`` is applied to the kept optimizer. As in
        MLPClassifier; :meth:`partial_fit` continues the same way, one epoch
        at a time.

    callbacks : list or dict of keras.callbacks.Callback, default=None
        Keras callbacks run during training (classes are instantiated with
        parameters routed by ``callbacks__``).""",
    "classifier": """\
    class_weight : dict, list of dict, "balanced" or None, default=None
        Weights of the classes, as in scikit-learn: ``{label: weight}`` or
        "balanced" (with label columns, applied to each column, or one dict
        per column). Multiplied into ``sample_weight`` (with per-step labels,
        into the weight of each step); the caller's arrays are never modified.
        With a validation set (``fit(X_val=...)``), into its weights too,
        "balanced" computed from the training rows.

    auxiliary_loss_weight : float >= 0, default=0.5
        Weight of the auxiliary regression head's loss when ``fit`` is given an
        ``auxiliary_target`` (the seed's multi-task learning); the
        classification loss has weight 1. The auxiliary loss is the mean
        squared error divided by the target's variance (averaged over its
        columns), so the weight does not depend on the target's units. Unused
        without an auxiliary target.""",
    "runtime": """\
    dtype : {"float32", "float64", "mixed_float16", "mixed_bfloat16"}, \
default="float32"
        Keras dtype policy of the network. "float64" is slow but exact enough
        for equivalence tests; the mixed policies speed up training on GPUs.

    verbose : int, default=0
        0 is silent, 1 shows Keras' progress bar on a terminal or in a
        notebook (one line per epoch when output goes to a file or a pipe,
        where the bar's redrawing would be escape codes), 2 one line per
        epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split. With an int, refitting gives identical predictions, in this and
        in other processes. The global Python, NumPy and Keras random state
        is restored after ``fit``. Without a GPU, TensorFlow's global seed is
        not touched (setting it clears TensorFlow's caches), so ``tf.random``
        operations in a network of your own are not seeded by it: use
        ``keras.random`` or ``keras.layers`` there.

    distribution : "mirrored", tf.distribute.Strategy or None, default=None
        Train one model on several devices with TensorFlow's distribution
        strategies. "mirrored" uses ``tf.distribute.MirroredStrategy()``: every
        GPU of the machine (the CPU when there is none), each batch split
        between them. A strategy instance is used as given, e.g. a
        ``MirroredStrategy`` over chosen devices or a
        ``MultiWorkerMirroredStrategy`` across machines. None trains on
        TensorFlow's default device. ``batch_size`` is the global batch.

    checkpoint : str, os.PathLike or None, default=None
        A folder where ``fit`` saves its whole state after every epoch (the
        network, its optimizer and random generators, the history, early
        stopping's state) in one file, replaced atomically. If a fit is
        killed, the same ``fit`` (same parameters and data) started again
        with the same folder resumes after the last saved epoch, with the
        result of an uninterrupted fit; the file is removed when the fit
        ends. A file left by another fit is a ``ValueError``; ``verbose``
        and ``callbacks`` may differ, and your callbacks' own state is not
        saved. ``partial_fit`` (one epoch per
        call) does not checkpoint: pickle the estimator between calls.

    **kwargs : dict
        Routed parameters in scikeras' style, checked when ``fit`` starts:
        ``optimizer__*`` (arguments of the optimizer class), ``fit__*``
        (further arguments of ``keras.Model.fit``, such as
        ``validation_freq``), ``callbacks__*`` (arguments of the callback
        classes) and ``network__*`` (arguments of ``network``).""",
    "fitted": """\
    model_ : keras.Model
        The trained Keras network. Its first layer is a ``Normalization``
        adapted on the training data, so it takes raw pixels; its outputs are
        a dict by head: ``"target"`` (or ``"target_0"``... for label columns)
        and ``"auxiliary"``.

    n_iter_ : int
        Number of epochs trained, counting those of earlier fits continued by
        ``warm_start`` and :meth:`partial_fit` (one per call).

    best_epoch_ : int
        Index in ``history_`` of the epoch whose weights ``model_`` holds: with
        ``early_stopping``, the last epoch that improved ``val_loss`` by more
        than ``tol`` (the best one); otherwise the last epoch.

    input_shape_ : tuple of int
        Per-sample shape of ``X`` seen in :meth:`fit`; prediction requires the
        same.

    n_features_in_ : int
        ``X.shape[1]`` seen in :meth:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.""",
    "classifier_fitted": """\
    history_ : dict of str to list of float
        Per-epoch values, as Keras reports them: ``loss`` and ``accuracy``
        (and ``val_loss``, ``val_accuracy`` with ``validation_split``). With
        several heads, ``loss`` is the weighted total and each head's loss and
        accuracy are prefixed by its name (``auxiliary_loss``,
        ``target_0_accuracy``...).

    classes_ : ndarray of shape (n_classes,) or list of such arrays
        Class labels (shared by every step with per-step labels); one array
        per label column when fitted on label columns.

    n_outputs_ : int
        1 for one label per sample; the number of label columns (or steps)
        when fitted on a 2-D ``y``.

    n_auxiliary_outputs_ : int
        Outputs of the auxiliary regression head; 0 when fitted without
        ``auxiliary_target``.""",
    "sequence_fitted": """\
    variable_length_ : bool
        Whether :meth:`fit` saw sequences of different lengths, padded
        (:class:`PaddedSequences`, or a list of sequences): the network then
        masks padded steps, and prediction takes sequences of up to
        ``input_shape_[0]`` steps, padding shorter ones.""",
    "regressor_fitted": """\
    history_ : dict of str to list of float
        Per-epoch ``loss`` (and ``val_loss`` with ``validation_split``), the
        mean squared error divided by the variance of the training targets
        (averaged over outputs): about ``1 - R^2`` on the training data,
        whatever the units.

    n_outputs_ : int
        Number of targets: 1 for a 1-D ``y``, ``y.shape[1]`` otherwise.""",
}


def fill(template):
    """``template`` with each ``%(name)s`` replaced by its block."""
    for name, block in BLOCKS.items():
        template = template.replace(f"%({name})s", block)
    return template
