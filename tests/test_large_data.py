"""Large data: 2,000,000 × 100 float32 with sgd, batch and newton (slow, not in CI).

Each fit runs in a fresh process (``benchmarks/_large_child.py``), which
builds X (800 MB), warms up on a slice, then fits and reads the peak resident
size. The fit must add little beyond X itself: its O(n) vectors (a few
percent of X) and, for newton, the O(d²) Hessian; never a copy of X.

Run with ``python -m pytest -m slow tests/test_large_data.py -s`` (about a
minute and 1.5 GB of memory; Linux only), or as the ``large`` group of
``python benchmarks/run.py``, which reports the same numbers.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).resolve().parents[1] / "benchmarks" / "_large_child.py"

# A fit may add this share of X's bytes (its O(n) vectors: predictions,
# per-sample derivatives and weights), plus the Hessian's 8·(d+1)² bytes for
# newton and a fixed 32 MiB for allocator slack; a copy of X would exceed it.
MAX_ADDED_SHARE = 0.25
SLACK_BYTES = 32 * 2**20


def hessian_bytes(solver, n_features):
    return 8 * (n_features + 1) ** 2 if solver == "newton" else 0


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
@pytest.mark.parametrize("solver", ["sgd", "batch", "newton"])
def test_fit_2m_by_100_float32_adds_little_beyond_x(solver):
    completed = subprocess.run(
        [sys.executable, str(CHILD), solver],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=CHILD.parent,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    x_bytes, added = result["x_bytes"], result["added_bytes"]
    print(
        f"\n{solver}: X {x_bytes / 1e6:.0f} MB, fit added {added / 1e6:.1f} MB "
        f"({added / x_bytes:.1%} of X), process peak {result['peak_bytes'] / 1e6:.0f} MB, "
        f"{result['seconds']:.1f} s, {result['n_iter']} iterations, R² {result['r2']:.3f}"
    )
    assert x_bytes == 2_000_000 * 100 * 4
    assert result["coef_dtype"] == "float32"
    assert result["finite"]
    assert result["r2"] > 0.9
    limit = MAX_ADDED_SHARE * x_bytes + hessian_bytes(solver, result["n_features"]) + SLACK_BYTES
    assert added <= limit, f"the fit added {added} bytes, more than {limit:.0f}"
