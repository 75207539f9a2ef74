"""The contributor page's worked example: adding a step rule touches two files.

``docs/how_skgd_is_built.rst`` sketches an AdaGrad step rule as code blocks,
each captioned with the file it goes into. Here those blocks are appended,
as written, to a copy of the package, and a fresh process fits with
``solver="adagrad"``.
"""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "how_skgd_is_built.rst"

BLOCK = re.compile(
    r"^\.\. code-block:: python\n   :caption: (?P<path>\S+)\n\n(?P<code>(?:   .*\n|\n)+)",
    re.MULTILINE,
)

FIT = textwrap.dedent(
    """
    import json, warnings
    import numpy as np
    from sklearn.datasets import make_classification, make_regression
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.preprocessing import StandardScaler
    import skgd
    from skgd import GDClassifier, GDRegressor

    warnings.simplefilter("ignore")
    X, y = make_regression(n_samples=400, n_features=8, noise=5.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    reg = GDRegressor(solver="adagrad", learning_rate="constant", eta0=1.0, random_state=0)
    reg.fit(X, y)
    Xc, yc = make_classification(n_samples=400, n_features=8, n_classes=3,
                                 n_informative=5, random_state=0)
    Xc = StandardScaler().fit_transform(Xc)
    clf = GDClassifier(solver="adagrad", loss="log_loss", learning_rate="constant",
                       eta0=0.5, random_state=0).fit(Xc, yc)
    print(json.dumps({
        "package": skgd.__file__,
        "r2": reg.score(X, y),
        "r2_least_squares": LinearRegression().fit(X, y).score(X, y),
        "accuracy": clf.score(Xc, yc),
        "accuracy_logistic": LogisticRegression().fit(Xc, yc).score(Xc, yc),
        "loss_curve": [reg.loss_curve_[0], reg.loss_curve_[-1]],
    }))
    """
)


def _blocks():
    return [
        (match["path"], textwrap.dedent(match["code"]))
        for match in BLOCK.finditer(PAGE.read_text())
    ]


def test_the_page_lists_two_files():
    paths = [path for path, _ in _blocks()]
    assert paths == ["skgd/_solvers/_step_rules.py", "skgd/_solvers/_table.py"]
    for path in paths:
        assert (ROOT / path).is_file()


def test_the_adagrad_sketch_fits_as_written(tmp_path):
    # With the compiled kernels' cache: the files the blocks leave alone keep
    # their stamps, so their kernels load instead of compiling again.
    shutil.copytree(ROOT / "skgd", tmp_path / "skgd")
    for path, code in _blocks():
        with open(tmp_path / path, "a", encoding="utf-8") as file:
            file.write("\n\n" + code)
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}
    completed = subprocess.run(
        [sys.executable, "-c", FIT],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        cwd=tmp_path,
        env=environment,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["package"].startswith(str(tmp_path))
    # AdaGrad with a constant step reaches the least-squares fit's score.
    assert result["r2"] > result["r2_least_squares"] - 0.01
    assert result["loss_curve"][1] < 0.1 * result["loss_curve"][0]
    assert result["accuracy"] > result["accuracy_logistic"] - 0.03


# The shape the solver redesign set, kept by the tests: each rule names a
# seam that must not grow back.

PACKAGE = ROOT / "skgd"
SOLVER_NAMES = {"batch", "sgd", "minibatch", "momentum", "newton"}


def _modules(folder=PACKAGE):
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in folder.rglob("*.py")]


def test_functions_and_classes_stay_short():
    too_long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if (isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno >= 100)
        or (isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno >= 350)
    ]
    assert not too_long


def test_only_the_solver_table_compares_solver_names():
    comparisons = []
    for path, tree in _modules():
        if path.name == "_table.py":
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            constants = {
                leaf.value
                for leaf in ast.walk(node)
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str)
            }
            if constants & SOLVER_NAMES:
                comparisons.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not comparisons


def test_solvers_never_probe_what_an_objective_or_step_rule_can_do():
    probes = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _modules(PACKAGE / "_solvers")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("hasattr", "getattr")
    ]
    assert not probes


def test_dask_calls_no_private_estimator_method():
    calls = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _modules(PACKAGE / "_dask")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "estimator"
        and node.attr.startswith("_")
    ]
    assert not calls
