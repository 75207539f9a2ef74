"""The README's examples run as written."""

import contextlib
import io
import pathlib
import re
import runpy

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def _run(example):
    namespace = {}
    exec(compile(example, str(README), "exec"), namespace)
    return namespace


def test_readme_has_the_three_examples():
    assert len(EXAMPLES) == 3
    for example in EXAMPLES:
        compile(example, str(README), "exec")  # the Dask one, at least, parses


def test_readme_grid_search_example_runs(capsys):
    namespace = _run(EXAMPLES[0])
    assert "gdclassifier__solver" in capsys.readouterr().out
    # At their defaults every solver scores within 0.01 of the exact fit:
    # the search compares methods, not step sizes.
    search = namespace["search"]
    exact = cross_val_score(
        make_pipeline(StandardScaler(), LogisticRegression()), namespace["X"], namespace["y"]
    ).mean()
    results = search.cv_results_
    solvers, scores = results["param_gdclassifier__solver"], results["mean_test_score"]
    for solver, score in zip(solvers, scores, strict=True):
        assert score >= exact - 0.01, (solver, score, exact)


def test_main_demo_has_every_solver_within_one_percent_of_the_best_objective(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    demo = README.parent / "examples" / "plot_compare_sgdregressor.py"
    assert "eta0" not in demo.read_text().split("models = ")[1].split("# Compile")[0]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        runpy.run_path(str(demo), run_name="__main__")
    rows = [line.split() for line in output.getvalue().splitlines()[1:]]
    assert [row[0] for row in rows] == [
        "SGDRegressor",
        "sgd",
        "minibatch",
        "momentum",
        "batch",
        "newton",
    ]
    for row in rows:
        assert float(row[3].rstrip("%")) < 1.0, row


def test_readme_array_api_example_runs(capsys):
    pytest.importorskip("torch")
    _run(EXAMPLES[2])
    assert capsys.readouterr().out.startswith(("cpu", "cuda"))
