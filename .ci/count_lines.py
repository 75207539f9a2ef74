"""Count skgd's lines of code: no docstrings, no comments, no blank lines.

    python .ci/count_lines.py [PACKAGE_DIR]

A line counts when a token other than a comment, a newline or a docstring
starts or continues on it. Docstrings are the string statements that open a
module, class or function body.
"""

import ast
import io
import sys
import tokenize
from pathlib import Path


def docstring_lines(source):
    """The line numbers that belong to docstrings."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or not body:
            continue
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            if isinstance(first.value.value, str):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def code_lines(source):
    """How many lines hold code."""
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT}
    skipped |= {tokenize.DEDENT, tokenize.ENDMARKER, tokenize.ENCODING}
    docstrings = docstring_lines(source)
    lines = set()
    for token in tokenize.tokenize(io.BytesIO(source.encode()).readline):
        if token.type in skipped:
            continue
        lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def main(argv):
    package = Path(argv[1] if len(argv) > 1 else "skgd")
    counts = {
        str(path): code_lines(path.read_text(encoding="utf-8"))
        for path in sorted(package.rglob("*.py"))
    }
    print(f"{sum(counts.values())} lines of code in {len(counts)} files under {package}/")


if __name__ == "__main__":
    main(sys.argv)
