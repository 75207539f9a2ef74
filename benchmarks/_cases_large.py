"""Case 10: the slow large-data test's fits, 2,000,000 × 100 float32 (full mode only).

The same child process as ``tests/test_large_data.py`` (``pytest -m slow``):
one fresh process per solver builds X, fits, and reports the time and the
peak memory the fit added, shown here against the bytes of X.
"""

import json
import subprocess
import sys
from pathlib import Path

from _report import Case, Goal, comparison_row, megabytes

CHILD = Path(__file__).with_name("_large_child.py")
SOLVERS = ("sgd", "batch", "newton")
# The slow test's bound: a fit adds at most a quarter of X (its O(n)
# vectors), beyond newton's Hessian; far below a copy of X.
LARGE_GOAL = Goal(0.25, "≤ 25% of X")


def _large_case(solver):
    def measure():
        completed = subprocess.run(
            [sys.executable, str(CHILD), solver],
            capture_output=True,
            text=True,
            check=False,
            cwd=CHILD.parent,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{CHILD.name} failed:\n{completed.stderr.strip()}")
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        hessian = 8 * (result["n_features"] + 1) ** 2 if solver == "newton" else 0
        counted = max(result["added_bytes"] - hessian, 0)
        notes = (
            f"fit {result['seconds']:.1f} s, {result['n_iter']} iterations; process peak "
            f"{megabytes(result['peak_bytes'])} with X; peak RSS in fit − RSS before"
        )
        if hessian:
            notes += f", minus the 8·(d+1)² = {megabytes(hessian)} Hessian allowance"
        case = f"large · {solver} fit, regression 2M×100 f32"
        return [comparison_row(case, counted, result["x_bytes"], megabytes, LARGE_GOAL, notes)]

    return Case(f"large · {solver}", measure)


def large_cases(config):
    # 800 MB of X per process: the full run only, never --quick (CI).
    if config.mode != "full":
        return []
    return [_large_case(solver) for solver in SOLVERS]
