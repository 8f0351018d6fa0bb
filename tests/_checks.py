"""scikit-learn's checks that apply to the file readers."""

from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_estimator_repr,
    check_estimator_tags_renamed,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    check_valid_tag_types,
)

# scikit-learn's check_estimator feeds numeric arrays, which are not paths:
# with input_tags.two_d_array=False it yields no check at all. These are its
# checks that need no data (parameters, cloning, repr, tags); every check on
# data is a test of test_readers.py or test_video.py, on real files.
API_CHECKS = [
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_get_params_invariance,
    check_set_params,
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_estimator_repr,
    check_estimator_tags_renamed,
    check_valid_tag_types,
]
