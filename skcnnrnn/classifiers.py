"""The seed article's CNN and CNN-GRU as scikit-learn classifiers."""

from numbers import Integral

from sklearn.utils._param_validation import Interval

from ._base import BaseNetworkClassifier
from ._input import as_images, as_sequences, as_shape
from .networks import build_cnn, build_cnn_gru

_TRAINING_PARAMETERS = """
    padding : {"same", "valid"}, default="same"
        Padding of the convolutions and poolings. "same" lets images as small as
        1 x 1 (a flat row of 1 x F) go through every block; "valid" is Keras'
        default and the seed article's exact network, which needs images large
        enough to survive each block.

    optimizer : str or keras.optimizers.Optimizer, default="adam"
        Keras optimizer: a name ("adam", "sgd", "rmsprop", "adamw", ...), an
        optimizer class, or an instance (copied for each fit; its own learning
        rate is used). Further arguments are routed with the ``optimizer__``
        prefix, e.g. ``optimizer__beta_1=0.8``.

    learning_rate : float, default=1e-3
        Learning rate of the optimizer when given by name or class.

    epochs : int, default=10
        Number of passes over the training data.

    batch_size : int, default=32
        Number of samples per gradient update.

    validation_split : float in [0, 1) or None, default=None
        Fraction of the training data held out to report ``val_loss`` and
        ``val_accuracy`` in ``history_`` each epoch and, with
        ``early_stopping``, to decide when to stop. The split is shuffled and
        stratified by class (unlike Keras' ``validation_split``, which takes the
        last rows unshuffled), and seeded by ``random_state``. None holds out
        0.1 when ``early_stopping`` is True (MLPClassifier's
        ``validation_fraction``) and nothing otherwise.

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

    callbacks : list of keras.callbacks.Callback, default=None
        Keras callbacks run during training (classes are instantiated with
        parameters routed by ``callbacks__``).

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, as in scikit-learn: ``{label: weight}`` or
        "balanced". Multiplied into ``sample_weight``; the caller's arrays are
        never modified.

    dtype : {"float32", "float64", "mixed_float16", "mixed_bfloat16"}, \
            default="float32"
        Keras dtype policy of the network. "float64" is slow but exact enough
        for equivalence tests; the mixed policies speed up training on GPUs.

    verbose : int, default=0
        0 is silent, 1 shows Keras' progress bar, 2 one line per epoch.

    distribution : "mirrored", tf.distribute.Strategy or None, default=None
        Train one model on several devices with TensorFlow's distribution
        strategies. "mirrored" uses ``tf.distribute.MirroredStrategy()``: every
        GPU of the machine (the CPU when there is none), each batch split
        between them. A strategy instance is used as given, e.g. a
        ``MirroredStrategy`` over chosen devices or a
        ``MultiWorkerMirroredStrategy`` across machines. None trains on
        TensorFlow's default device. ``batch_size`` is the global batch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split. With an int, refitting gives identical predictions, in this and
        in other processes. The global Python, NumPy, TensorFlow and Keras
        random state is restored after ``fit``.

    **kwargs : dict
        Routed parameters in scikeras' style: ``optimizer__*``, ``fit__*``
        (extra arguments of ``keras.Model.fit``; not ``batch_size``,
        ``shuffle`` or ``sample_weight`` when ``X`` is a memory map or
        :class:`TiledImages`, which skcnnrnn batches itself) and
        ``callbacks__*``.
"""

_FITTED_ATTRIBUTES = """
    Attributes
    ----------
    model_ : keras.Model
        The trained Keras network. Its first layer is a ``Normalization``
        adapted on the training data, so it takes raw pixels.

    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``accuracy`` (and ``val_loss``,
        ``val_accuracy`` with ``validation_split``), as Keras reports them.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    n_iter_ : int
        Number of epochs trained.

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
        Column names, when ``X`` is a DataFrame with string column names.
"""

_CONV_PARAMETERS = """
    kernel_size : int or tuple of (int, int), default=3
        Size of the convolution kernels.

    pool_size : int or tuple of (int, int), default=2
        Window and stride of the max-pooling after each convolution.
"""


def _docstring(template):
    return (
        template.replace("%(conv)s", _CONV_PARAMETERS.strip("\n"))
        .replace("%(training)s", _TRAINING_PARAMETERS.strip("\n"))
        .replace("%(attributes)s", _FITTED_ATTRIBUTES.strip("\n"))
    )


class CNNClassifier(BaseNetworkClassifier):
    __doc__ = _docstring(
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
    single-channel image).

    Parameters
    ----------
    filters : int or tuple of int, default=(16, 32)
        Filters of each convolution block (one block per entry).

%(conv)s

    dense_units : int, default=128
        Units of the hidden dense layer.

    dropout : float in [0, 1), default=0.5
        Dropout rate before the output layer.

    image_shape : tuple of (int, int) or (int, int, int), default=None
        ``(height, width)`` or ``(height, width, channels)`` that each row of a
        2-D ``X`` is reshaped to. For 3-D and 4-D input it must match, if given.

%(training)s

%(attributes)s

    See Also
    --------
    CNNGRUSequenceClassifier : Classifies sequences of frames or patches.
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
    """
    )

    _parameter_constraints: dict = {
        **BaseNetworkClassifier._parameter_constraints,
        "dense_units": [Interval(Integral, 1, None, closed="left")],
        "image_shape": [tuple, list, None],
    }
    _max_ndim = 4

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
        optimizer="adam",
        learning_rate=1e-3,
        epochs=10,
        batch_size=32,
        validation_split=None,
        early_stopping=False,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        callbacks=None,
        class_weight=None,
        dtype="float32",
        verbose=0,
        random_state=None,
        distribution=None,
        **kwargs,
    ):
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.dense_units = dense_units
        self.dropout = dropout
        self.image_shape = image_shape
        self.padding = padding
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.callbacks = callbacks
        self.class_weight = class_weight
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state
        self.distribution = distribution
        vars(self).update(kwargs)

    def _network_kwargs(self):
        as_shape(self.image_shape, "image_shape")
        return {**super()._network_kwargs(), "dense_units": self.dense_units}

    def _network_input(self, X):
        return as_images(X, as_shape(self.image_shape, "image_shape"))

    _build_network = staticmethod(build_cnn)


class CNNGRUSequenceClassifier(BaseNetworkClassifier):
    __doc__ = _docstring(
        """CNN-GRU classifier of frame or patch sequences (seed article, 3.5-3.6).

    One label per sequence. The default network is the seed's:
    ``TimeDistributed(Conv2D(32, 3x3, relu)) -> TimeDistributed(MaxPool(2)) ->
    TimeDistributed(Flatten) -> GRU(128) -> Dropout(0.5) -> Dense(n_classes,
    softmax)``, with a leading per-channel ``Normalization`` adapted on the
    training data, trained with Adam (learning rate 1e-3).

    Input (``T`` steps of ``h x w x c`` frames):

    - ``(n, T, h, w, c)``, exactly what :class:`PatchTiler` returns, or
      ``(n, T, h, w)`` for single-channel frames;
    - ``(n, T, F)``: each step's ``F`` values reshaped to ``frame_shape`` when
      given, otherwise a ``1 x F`` single-channel frame;
    - flat rows ``(n, F)``: reshaped to ``(F / prod(frame_shape), *frame_shape)``
      when ``frame_shape`` is given, otherwise ``F`` steps of ``1 x 1`` frames.

    Parameters
    ----------
    filters : int or tuple of int, default=(32,)
        Filters of each per-frame convolution block; ``()`` feeds the flattened
        frames straight to the GRU.

%(conv)s

    gru_units : int, default=128
        Units of the GRU.

    dropout : float in [0, 1), default=0.5
        Dropout rate after the GRU.

    frame_shape : tuple of (int, int) or (int, int, int), default=None
        ``(height, width)`` or ``(height, width, channels)`` of one frame, used
        to reshape 2-D and 3-D ``X``; for 4-D and 5-D input it must match.

%(training)s

%(attributes)s

    See Also
    --------
    PatchTiler : Cuts images into the patch sequences this model reads.
    CNNClassifier : Classifies single images.
    skcnnrnn.networks.build_cnn_gru : The network, as a plain Keras function.

    Examples
    --------
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
    """
    )

    _parameter_constraints: dict = {
        **BaseNetworkClassifier._parameter_constraints,
        "gru_units": [Interval(Integral, 1, None, closed="left")],
        "frame_shape": [tuple, list, None],
    }
    _max_ndim = 5

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
        optimizer="adam",
        learning_rate=1e-3,
        epochs=10,
        batch_size=32,
        validation_split=None,
        early_stopping=False,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        callbacks=None,
        class_weight=None,
        dtype="float32",
        verbose=0,
        random_state=None,
        distribution=None,
        **kwargs,
    ):
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.gru_units = gru_units
        self.dropout = dropout
        self.frame_shape = frame_shape
        self.padding = padding
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.callbacks = callbacks
        self.class_weight = class_weight
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state
        self.distribution = distribution
        vars(self).update(kwargs)

    def _network_kwargs(self):
        as_shape(self.frame_shape, "frame_shape")
        return {**super()._network_kwargs(), "gru_units": self.gru_units}

    def _network_input(self, X):
        return as_sequences(X, as_shape(self.frame_shape, "frame_shape"))

    _build_network = staticmethod(build_cnn_gru)
