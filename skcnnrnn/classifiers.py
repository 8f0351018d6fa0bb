"""The seed article's CNN and CNN-GRU as scikit-learn classifiers."""

from ._architectures import CNNGRUNetworkMixin, CNNNetworkMixin
from ._classifier import BaseNetworkClassifier
from ._docstrings import fill


class CNNClassifier(CNNNetworkMixin, BaseNetworkClassifier):
    __doc__ = fill(
        """Convolutional network image classifier (seed article, sections 3.2-3.4).

    The default network is the seed's: ``Conv2D(16, 3x3, relu) ->
    MaxPool(2) -> Conv2D(32, 3x3, relu) -> MaxPool(2) -> Flatten ->
    Dense(128, relu) -> Dropout(0.5) -> Dense(n_classes, softmax)``, trained with
    Adam (learning rate 1e-3) on the cross-entropy. A leading ``Normalization``
    layer, adapted on the training data per channel, lets it train on raw
    ``uint8`` pixels (0-255) with the default settings. Convolutions and
    poolings use ``padding="same"``, so any image size works; set
    ``padding="valid"`` for the seed's exact network.

    Input: images ``(n, H, W, C)``, grayscale images ``(n, H, W)``, or flat rows
    ``(n, F)`` reshaped to ``image_shape`` (otherwise each row is a ``1 x F``
    single-channel image); a list of images of different sizes is resized to
    ``image_shape``.

    With ``fit(X, y, auxiliary_target=r)``, a second, linear head on the dense
    layer's output learns the regression target ``r`` (a number or a vector
    per image) jointly with the classes: the seed's multi-task learning
    (section 2.4), weighted by ``auxiliary_loss_weight``.
    :meth:`predict_auxiliary` returns its predictions.

    Parameters
    ----------
%(cnn)s

%(network)s

%(training)s

%(classifier)s

%(runtime)s

    Attributes
    ----------
%(fitted)s

%(classifier_fitted)s

    See Also
    --------
    CNNGRUSequenceClassifier : Classifies sequences of frames or patches.
    CNNRegressor : The same network predicting numbers.
    PatchTiler : Cuts images into patch sequences.
    skcnnrnn.networks.build_cnn : The network, as a plain Keras function.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skcnnrnn import CNNClassifier
    >>> digits = load_digits()
    >>> clf = CNNClassifier(epochs=2, random_state=0).fit(digits.images, digits.target)
    >>> clf.predict(digits.images[:3]).shape
    (3,)
    >>> clf.predict_proba(digits.images[:3]).shape
    (3, 10)

    Learning the ink mass of each digit as an auxiliary task:

    >>> ink = digits.images.sum(axis=(1, 2))
    >>> clf.fit(digits.images, digits.target, auxiliary_target=ink)
    CNNClassifier(epochs=2, random_state=0)
    >>> clf.predict_auxiliary(digits.images[:3]).shape
    (3,)
    """
    )

    _parameter_constraints: dict = {
        **BaseNetworkClassifier._parameter_constraints,
        **CNNNetworkMixin._parameter_constraints,
    }

    def __init__(
        self,
        *,
        filters=(16, 32),
        kernel_size=3,
        pool_size=2,
        dense_units=128,
        dropout=0.5,
        image_shape=None,
        padding="same",
        network=None,
        augment=None,
        freeze_body=False,
        optimizer="adam",
        learning_rate=1e-3,
        loss=None,
        metrics=None,
        epochs=10,
        batch_size=32,
        validation_split=None,
        early_stopping=False,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        warm_start=False,
        callbacks=None,
        class_weight=None,
        auxiliary_loss_weight=0.5,
        dtype="float32",
        verbose=0,
        random_state=None,
        distribution=None,
        checkpoint=None,
        **kwargs,
    ):
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.dense_units = dense_units
        self.dropout = dropout
        self.image_shape = image_shape
        self.padding = padding
        self.network = network
        self.augment = augment
        self.freeze_body = freeze_body
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.metrics = metrics
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.class_weight = class_weight
        self.auxiliary_loss_weight = auxiliary_loss_weight
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state
        self.distribution = distribution
        self.checkpoint = checkpoint
        self._routed = kwargs


class CNNGRUSequenceClassifier(CNNGRUNetworkMixin, BaseNetworkClassifier):
    __doc__ = fill(
        """CNN-GRU classifier of frame or patch sequences (seed article, 3.5-3.6).

    The default network is the seed's:
    ``Conv2D(32, 3x3, relu) -> MaxPool(2) -> Flatten`` on every frame, then
    ``GRU(128) -> Dropout(0.5) -> Dense(n_classes, softmax)``, with a leading
    per-channel ``Normalization`` adapted on the training data, trained with
    Adam (learning rate 1e-3).

    Targets:

    - ``y`` of shape ``(n,)``: one label per sequence.
    - ``y`` of shape ``(n, T)``, ``T`` the number of steps: one label per step
      (per patch, per frame), with the seed's labelling head
      ``GRU(128, return_sequences=True) -> Dropout(0.5) ->
      Dense(n_classes, softmax)`` on every step. The GRU reads the steps in
      order, so each step's label is predicted from the frames up to it. All
      steps share one set of ``classes_``. :meth:`predict` returns ``(n, T)``
      labels, :meth:`predict_proba` a list of ``T`` arrays of shape
      ``(n, n_classes)`` (scikit-learn's multi-output convention, as
      RandomForestClassifier and MultiOutputClassifier return it), and
      :meth:`score` the mean per-step accuracy. A ``(n, 1)`` column is taken
      as one label per sequence, with scikit-learn's ``DataConversionWarning``,
      unless the sequences have one step.
    - With ``fit(X, y, auxiliary_target=r)``, a second, linear head on the
      GRU's last state learns the regression target ``r`` jointly
      (multi-task learning, seed section 2.4); :meth:`predict_auxiliary`
      returns its predictions.

    Input (``T`` steps of ``h x w x c`` frames):

    - ``(n, T, h, w, c)``, exactly what :class:`PatchTiler` returns, or
      ``(n, T, h, w)`` for single-channel frames;
    - ``(n, T, F)``: each step's ``F`` values reshaped to ``frame_shape`` when
      given, otherwise a ``1 x F`` single-channel frame;
    - flat rows ``(n, F)``: reshaped to ``(F / prod(frame_shape), *frame_shape)``
      when ``frame_shape`` is given, otherwise ``F`` steps of ``1 x 1`` frames.
    - sequences of different lengths: a :class:`PaddedSequences` (what
      :class:`PatchTiler` gives for images of different sizes) or a list of
      ``(T_i, ...)`` arrays. The network masks the padded steps, so a sequence
      gets the same prediction whatever it is padded to; per-step labels may
      be given as one array per sequence.

    Parameters
    ----------
%(cnn_gru)s

%(network)s

%(training)s

%(classifier)s

%(runtime)s

    Attributes
    ----------
%(fitted)s

%(classifier_fitted)s

%(sequence_fitted)s

    See Also
    --------
    PatchTiler : Cuts images into the patch sequences this model reads.
    CNNClassifier : Classifies single images.
    CNNGRUSequenceRegressor : The same network predicting numbers.
    skcnnrnn.networks.build_cnn_gru : The network, as a plain Keras function.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from skcnnrnn import CNNGRUSequenceClassifier, PatchTiler
    >>> digits = load_digits()
    >>> pipe = make_pipeline(
    ...     PatchTiler(patch_size=(2, 8), output_size=None),
    ...     CNNGRUSequenceClassifier(epochs=2, random_state=0),
    ... )
    >>> pipe.fit(digits.images, digits.target).predict(digits.images[:3]).shape
    (3,)

    One label per step: is each 2 x 8 strip of the digit darker than usual?

    >>> strips = digits.images.reshape(-1, 4, 16).sum(axis=2)
    >>> dark = strips > np.median(strips, axis=0)
    >>> pipe.fit(digits.images, dark).predict(digits.images[:3]).shape
    (3, 4)
    """
    )

    _parameter_constraints: dict = {
        **BaseNetworkClassifier._parameter_constraints,
        **CNNGRUNetworkMixin._parameter_constraints,
    }

    def __init__(
        self,
        *,
        filters=(32,),
        kernel_size=3,
        pool_size=2,
        gru_units=128,
        dropout=0.5,
        frame_shape=None,
        padding="same",
        network=None,
        augment=None,
        freeze_body=False,
        optimizer="adam",
        learning_rate=1e-3,
        loss=None,
        metrics=None,
        epochs=10,
        batch_size=32,
        validation_split=None,
        early_stopping=False,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        warm_start=False,
        callbacks=None,
        class_weight=None,
        auxiliary_loss_weight=0.5,
        dtype="float32",
        verbose=0,
        random_state=None,
        distribution=None,
        checkpoint=None,
        **kwargs,
    ):
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.gru_units = gru_units
        self.dropout = dropout
        self.frame_shape = frame_shape
        self.padding = padding
        self.network = network
        self.augment = augment
        self.freeze_body = freeze_body
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.metrics = metrics
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.class_weight = class_weight
        self.auxiliary_loss_weight = auxiliary_loss_weight
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state
        self.distribution = distribution
        self.checkpoint = checkpoint
        self._routed = kwargs
