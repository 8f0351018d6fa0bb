import re
import subprocess
import sys

import pytest

from skcnnrnn.demo import main


def test_demo_prints_one_row_per_fold_and_the_mean(capsys):
    assert main(["demo", "--folds", "2", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^\s+(\d)\s+(0\.\d{4}|1\.0000)\s+\d+\.\d$", out, re.MULTILINE)
    assert [fold for fold, _ in rows] == ["1", "2"]
    # Two epochs already beat chance (0.1) on digits by far.
    assert all(float(score) > 0.3 for _, score in rows)
    assert re.search(r"mean accuracy: 0\.\d{4} \+/- 0\.\d{4}", out)


def test_module_help_explains_the_demo():
    result = subprocess.run(
        [sys.executable, "-m", "skcnnrnn", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--folds" in result.stdout and "digits" in result.stdout


def test_plot_writes_the_training_curves(tmp_path, capsys):
    path = tmp_path / "curves.png"
    assert main(["demo", "--folds", "2", "--epochs", "1", "--plot", str(path)]) == 0
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert f"written to {path}" in out
    assert "cross-validation, 1 epoch per fit" in out  # not "1 epochs"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--folds", "1"], "--folds: must be at least 2, got 1"),
        (["--epochs", "0"], "--epochs: must be at least 1, got 0"),
        (["--patch-height", "two"], "--patch-height: 'two' is not an integer"),
    ],
)
def test_bad_arguments_are_a_usage_error(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", *arguments])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
