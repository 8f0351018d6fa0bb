"""The documentation site builds with warnings as errors, gallery included."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_docs_build_with_gallery_figures(tmp_path):
    # Built from a copy: sphinx-gallery and autosummary write into the source.
    for folder in ("docs", "examples"):
        shutil.copytree(
            ROOT / folder,
            tmp_path / folder,
            ignore=shutil.ignore_patterns("_build", "generated", "auto_examples"),
        )
    out = tmp_path / "html"
    environ = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
        + ["-d", str(tmp_path / "doctrees"), str(tmp_path / "docs"), str(out)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    pages = {p.name for p in (out / "auto_examples").glob("plot_*.html")}
    assert pages == {p.stem + ".html" for p in (ROOT / "examples").glob("plot_*.py")}
    assert len(pages) >= 5
    figures = list((out / "_images").glob("sphx_glr_plot_*.png"))
    assert len(figures) >= 3, figures
    for page in ("getting_started", "user_guide", "api", "performance", "changelog"):
        assert (out / f"{page}.html").exists(), page
    api = {p.name for p in (out / "generated").glob("*.html")}
    for name in (
        "PatchTiler",
        "CNNClassifier",
        "CNNGRUSequenceClassifier",
        "CNNRegressor",
        "CNNGRUSequenceRegressor",
    ):
        assert f"skcnnrnn.{name}.html" in api
    assert "skcnnrnn.TrainingHistoryDisplay.html" in api
