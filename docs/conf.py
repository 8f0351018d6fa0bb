"""Sphinx configuration: numpydoc API pages, a sphinx-gallery of examples."""

import os
from importlib.metadata import version as installed_version

# Quiet TensorFlow's C++ start-up lines while the gallery runs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

project = "skcnnrnn"
author = "the skcnnrnn developers"
copyright = "2026, the skcnnrnn developers"  # noqa: A001 (Sphinx's name)
release = installed_version("skcnnrnn")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}


def skip_sklearn_plumbing(app, what, name, obj, skip, options):
    """Leave out scikit-learn's metadata-routing and set_output methods.

    Every estimator has them; their docstrings point into scikit-learn's own
    user guide, which this site cannot link to offline.
    """
    plumbing = {"get_metadata_routing", "set_output"}
    if name in plumbing or (name.startswith("set_") and name.endswith("_request")):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_sklearn_plumbing)


numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Cross-references to other projects would need intersphinx (network access
# at build time); names of scikit-learn and Keras objects stay plain text.
numpydoc_xref_param_type = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": ("matplotlib",),
}

html_theme = "pydata_sphinx_theme"
html_title = f"skcnnrnn {release}"
html_theme_options = {"navigation_with_keys": False, "secondary_sidebar_items": []}
html_static_path = []
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]
