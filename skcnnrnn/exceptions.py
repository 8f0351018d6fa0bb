"""Warnings raised by skcnnrnn."""

from sklearn.exceptions import InconsistentVersionWarning as _SklearnVersionWarning

__all__ = ["InconsistentVersionWarning"]


class InconsistentVersionWarning(_SklearnVersionWarning):
    """An estimator is unpickled by another skcnnrnn version than pickled it.

    Raised like scikit-learn's warning of the same name, and a subclass of it,
    so ``warnings.simplefilter("error", sklearn.exceptions.
    InconsistentVersionWarning)`` turns both into errors. A pickle made by
    another version may load and still predict differently, or fail later;
    retrain, or keep the skcnnrnn version the model was trained with.

    Parameters
    ----------
    estimator_name : str
        Name of the unpickled estimator's class.

    current_version : str
        The skcnnrnn version doing the unpickling.

    original_version : str
        The skcnnrnn version that pickled the estimator; "unknown" for
        pickles made before versions were recorded.

    Examples
    --------
    >>> import pickle, warnings
    >>> from skcnnrnn import PatchTiler
    >>> from skcnnrnn.exceptions import InconsistentVersionWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", InconsistentVersionWarning)
    ...     tiler = pickle.loads(pickle.dumps(PatchTiler()))  # same version
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        UserWarning.__init__(self, estimator_name, current_version, original_version)
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} from skcnnrnn "
            f"version {self.original_version} when using version "
            f"{self.current_version}. This might lead to breaking code or "
            "invalid results. Use at your own risk: retrain, or load it with "
            "the skcnnrnn version it was saved with."
        )
