"""The README's examples run as written."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def _run(example):
    exec(compile(example, str(README), "exec"), {})


def test_readme_has_the_three_examples():
    assert len(EXAMPLES) == 3
    for example in EXAMPLES:
        compile(example, str(README), "exec")  # the Dask one, at least, parses


def test_readme_grid_search_example_runs(capsys):
    _run(EXAMPLES[0])
    assert "gdclassifier__solver" in capsys.readouterr().out


def test_readme_array_api_example_runs(capsys):
    pytest.importorskip("torch")
    _run(EXAMPLES[2])
    assert capsys.readouterr().out.startswith(("cpu", "cuda"))
