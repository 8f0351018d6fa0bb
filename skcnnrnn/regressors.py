"""The seed article's CNN and CNN-GRU as scikit-learn regressors."""

from ._architectures import CNNGRUNetworkMixin, CNNNetworkMixin
from ._docstrings import fill
from ._regressor import BaseNetworkRegressor


class CNNRegressor(CNNNetworkMixin, BaseNetworkRegressor):
    __doc__ = fill(
        """Convolutional network regressor of images.

    The network of :class:`CNNClassifier` with a linear head:
    ``Conv2D(16, 3x3, relu) -> MaxPool(2) -> Conv2D(32, 3x3, relu) ->
    MaxPool(2) -> Flatten -> Dense(128, relu) -> Dropout(0.5) ->
    Dense(n_outputs)``, trained with Adam on the mean squared error. The
    targets are standardised with their training mean and variance, and a
    fixed layer after the head maps predictions back, so ``y`` in any units
    trains alike; ``model_`` predicts in the units of ``y``. ``y`` is one
    number (``(n,)``) or one vector (``(n, n_outputs)``) per image, and
    :meth:`score` is R², as for every scikit-learn regressor.

    Input: images ``(n, H, W, C)``, grayscale images ``(n, H, W)``, or flat rows
    ``(n, F)`` reshaped to ``image_shape`` (otherwise each row is a ``1 x F``
    single-channel image); a list of images of different sizes is resized to
    ``image_shape``.

    Parameters
    ----------
%(cnn)s

%(network)s

%(training)s

%(runtime)s

    Attributes
    ----------
%(fitted)s

%(regressor_fitted)s

    See Also
    --------
    CNNClassifier : The same network predicting classes.
    CNNGRUSequenceRegressor : Regression on sequences of frames or patches.
    skcnnrnn.networks.build_cnn : The network, as a plain Keras function.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skcnnrnn import CNNRegressor
    >>> images = load_digits().images
    >>> ink = images.sum(axis=(1, 2))  # the ink mass of each digit
    >>> reg = CNNRegressor(epochs=2, random_state=0).fit(images, ink)
    >>> reg.predict(images[:3]).shape
    (3,)
    """
    )

    _parameter_constraints: dict = {
        **BaseNetworkRegressor._parameter_constraints,
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
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state
        self.distribution = distribution
        self.checkpoint = checkpoint
        self._routed = kwargs


class CNNGRUSequenceRegressor(CNNGRUNetworkMixin, BaseNetworkRegressor):
    __doc__ = fill(
        """CNN-GRU regressor of frame or patch sequences.

    The network of :class:`CNNGRUSequenceClassifier` with a linear head:
    ``Conv2D(32, 3x3, relu) -> MaxPool(2) -> Flatten`` on every frame, then
    ``GRU(128) -> Dropout(0.5) -> Dense(n_outputs)``,
    trained with Adam on the mean squared error of standardised targets (see
    :class:`CNNRegressor`). ``y`` is one number (``(n,)``) or one vector
    (``(n, n_outputs)``) per sequence, and :meth:`score` is R².

    Input: sequences as for :class:`CNNGRUSequenceClassifier`:
    ``(n, T, h, w, c)`` (what :class:`PatchTiler` returns), ``(n, T, h, w)``,
    ``(n, T, F)`` or flat rows ``(n, F)``, and sequences of different lengths
    (:class:`PaddedSequences` or a list), whose padding the network masks.

    Parameters
    ----------
%(cnn_gru)s

%(network)s

%(training)s

%(runtime)s

    Attributes
    ----------
%(fitted)s

%(regressor_fitted)s

%(sequence_fitted)s

    See Also
    --------
    CNNGRUSequenceClassifier : The same network predicting classes.
    CNNRegressor : Regression on single images.
    PatchTiler : Cuts images into the patch sequences this model reads.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from skcnnrnn import CNNGRUSequenceRegressor, PatchTiler
    >>> images = load_digits().images
    >>> ink = images.sum(axis=(1, 2))
    >>> pipe = make_pipeline(
    ...     PatchTiler(patch_size=(2, 8), output_size=None),
    ...     CNNGRUSequenceRegressor(epochs=2, random_state=0),
    ... )
    >>> pipe.fit(images, ink).predict(images[:3]).shape
    (3,)
    """
    )

    _parameter_constraints: dict = {
        **BaseNetworkRegressor._parameter_constraints,
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
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state
        self.distribution = distribution
        self.checkpoint = checkpoint
        self._routed = kwargs
