"""Sizes that keep the package easy to change (issue 13's limits).

Modules at most 450 lines,
classes at most 300 lines, function bodies at most 50 lines of code
(signatures, docstrings, comments and blank lines not counted: an estimator's
``__init__`` declares every parameter in its signature).
"""

import ast
import io
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "skcnnrnn"
MODULES = sorted(PACKAGE.glob("*.py"))
EXEMPT_MODULES = set()


def _code_lines(source):
    """Line numbers holding code: not blank, comment-only or a docstring."""
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            lines.update(range(token.start[0], token.end[0] + 1))
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and _is_docstring(body[0]):
            lines -= set(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def _is_docstring(statement):
    return isinstance(statement, ast.Expr) and isinstance(
        getattr(statement, "value", None), ast.Constant
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_class_and_function_sizes(path):
    source = path.read_text()
    if path.name not in EXEMPT_MODULES:
        assert len(source.splitlines()) <= 450, path.name
    code = _code_lines(source)
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            continue
        span = range(node.lineno, node.end_lineno + 1)
        if isinstance(node, ast.ClassDef):
            assert len(span) <= 300, f"class {node.name}: {len(span)} lines"
        else:
            body = range(node.body[0].lineno, node.end_lineno + 1)
            n_code = len(code.intersection(body))
            assert n_code <= 50, f"{node.name}: {n_code} lines of code"


def test_code_lines_leave_out_docstrings_and_comments():
    source = 'def f():\n    """Doc.\n\n    More.\n    """\n    # why\n\n    return 1\n'
    assert _code_lines(source) == {1, 8}
