"""Benchmark skgd against scikit-learn and print the results table.

    python benchmarks/run.py                 # full size, up to ~15 minutes (with 'large')
    python benchmarks/run.py --quick         # small data, for CI
    python benchmarks/run.py --output results.md
    python benchmarks/run.py --only gpu --output benchmarks/results_gpu.md  # on a CUDA machine

Goals are reported, never enforced: a missed goal does not change the exit
status. The status is 1 only when a case raised (a broken benchmark or a
failing fit); its row then shows the error. See benchmarks/README.md.
"""

import argparse
import contextlib
import sys
import time
import traceback
import warnings

from _cases_array_api import array_api_cases
from _cases_dask import dask_cases
from _cases_first_order import batch_gradient_cases, minibatch_cases, sgd_cases, stream_cases
from _cases_gpu import gpu_cases
from _cases_jit import jit_cases
from _cases_large import large_cases
from _cases_memory import memory_cases
from _cases_newton import logistic_cases, multinomial_cases, ridge_cases
from _cases_small import small_cases
from _config import make_config
from _report import HEADERS, error_row, machine_info, markdown_table
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

# In table order: the stream rows sit next to the per-epoch rows they bound.
CASE_GROUPS = {
    "sgd": sgd_cases,
    "minibatch": minibatch_cases,
    "stream": stream_cases,
    "batch": batch_gradient_cases,
    "newton": lambda config: (
        logistic_cases(config) + ridge_cases(config) + multinomial_cases(config)
    ),
    # Small fits, the work of a grid search: the same data in both modes.
    "small": small_cases,
    "memory": memory_cases,
    "jit": jit_cases,
    # The slow test's 2,000,000-row fits; full mode only (empty with --quick).
    "large": large_cases,
    # skgd on a LocalCluster against dask-glm (needs the dask and benchmark extras).
    "dask": dask_cases,
    # minibatch and newton on PyTorch CPU tensors against NumPy (needs torch).
    "array_api": array_api_cases,
    # The same fits on a CUDA device against NumPy (needs torch and a GPU).
    "gpu": gpu_cases,
}
# The GPU rows go to their own file (results_gpu.md), measured on another
# machine than the rest: that group runs only when --only names it.
DEFAULT_GROUPS = [name for name in CASE_GROUPS if name != "gpu"]
MIN_REPEATS = 3


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data sets (CI)")
    parser.add_argument("--output", metavar="PATH", help="also write the table as markdown")
    parser.add_argument(
        "--repeats",
        type=int,
        default=MIN_REPEATS,
        help=f"timed runs of each side after the warm-up (at least {MIN_REPEATS})",
    )
    parser.add_argument(
        "--only",
        metavar="GROUPS",
        help=f"comma-separated subset of: {', '.join(CASE_GROUPS)} (all but gpu by default)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        metavar="N",
        help="limit BLAS to N threads on both sides (default: the libraries' own choice)",
    )
    args = parser.parse_args(argv)
    if args.repeats < MIN_REPEATS:
        parser.error(f"--repeats must be at least {MIN_REPEATS}")
    unknown = set(_selected_groups(args.only)) - set(CASE_GROUPS)
    if unknown:
        parser.error(f"unknown groups in --only: {', '.join(sorted(unknown))}")
    return args


def _selected_groups(only):
    if not only:
        return DEFAULT_GROUPS
    return [name.strip() for name in only.split(",") if name.strip()]


def run_cases(cases):
    """Measure each case, logging progress to stderr; a failing case becomes an error row."""
    rows, n_failed = [], 0
    start = time.perf_counter()
    for case in cases:
        print(f"[{time.perf_counter() - start:6.1f} s] {case.name}", file=sys.stderr, flush=True)
        try:
            rows.extend(case.measure())
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            rows.append(error_row(case.name, error))
            n_failed += 1
    print(f"[{time.perf_counter() - start:6.1f} s] done", file=sys.stderr, flush=True)
    return rows, n_failed


def render_markdown(info, table):
    return f"# skgd benchmarks\n\n{info}\n\n{table}\n"


def main(argv=None):
    args = parse_args(argv)
    config = make_config(args.quick, args.repeats)
    # Both sides run a fixed number of epochs (tol=None) or to a tolerance
    # they may not reach; either way the warning says nothing about speed.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    blas_limit = (
        threadpool_limits(limits=args.blas_threads, user_api="blas")
        if args.blas_threads
        else contextlib.nullcontext()
    )
    with blas_limit:
        info = machine_info(config.mode, config.repeats)
        cases = [
            case for group in _selected_groups(args.only) for case in CASE_GROUPS[group](config)
        ]
        rows, n_failed = run_cases(cases)
    table = markdown_table(HEADERS, [row.cells() for row in rows])
    print(info)
    print()
    print(table)
    if args.output and not rows:
        # An empty table would replace rows measured elsewhere (the GPU rows).
        print(f"no rows measured: {args.output} left as it was", file=sys.stderr)
    elif args.output:
        with open(args.output, "w", encoding="utf-8") as output:
            output.write(render_markdown(info, table))
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
