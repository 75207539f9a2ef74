"""Case 9: what numba's compilation adds to the first fit of a fresh process."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _report import Case, Goal, Row, seconds

CHILD = Path(__file__).with_name("_jit_child.py")
WARM_CACHE_GOAL = Goal(0.5, "adds ≤ 0.5 s")


def run_child(cache_dir):
    """One fresh interpreter with numba's cache in ``cache_dir``; its JSON result."""
    completed = subprocess.run(
        [sys.executable, str(CHILD)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NUMBA_CACHE_DIR": cache_dir},
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{CHILD.name} failed:\n{completed.stderr.strip()}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _row(cache_state, result, goal):
    first, steady = result["first_fit_seconds"], result["steady_fit_seconds"]
    added = first - steady
    return Row(
        case=f"JIT · first sgd fit in a fresh process, numba cache {cache_state}",
        skgd=seconds(first),
        reference=f"{seconds(steady)} (compiled)",
        goal=goal.text if goal else "",
        met=goal.is_met(added) if goal else None,
        notes=f"adds {added:.2f} s; `import skgd` itself takes {result['import_seconds']:.2f} s",
    )


def jit_cases(config):
    def measure():
        # A fresh cache directory makes the first process compile everything;
        # the second finds what the first wrote.
        with tempfile.TemporaryDirectory(prefix="skgd-bench-numba-") as cache_dir:
            cold = run_child(cache_dir)
            warm = run_child(cache_dir)
        return [_row("cold", cold, None), _row("warm", warm, WARM_CACHE_GOAL)]

    return [Case("JIT first fit", measure)]
