"""Rows of the results table, their formatting, and the machine description."""

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass

HEADERS = ("case", "skgd", "reference", "ratio", "goal", "met", "notes")


@dataclass(frozen=True)
class Goal:
    """An upper bound on a row's ratio (or, for the JIT rows, on added seconds)."""

    limit: float
    text: str

    def is_met(self, value: float) -> bool:
        return value <= self.limit


def ratio_goal(limit: float) -> Goal:
    return Goal(limit, f"≤ {limit:g}×")


@dataclass(frozen=True)
class Row:
    """One line of the table; cells are already formatted, except ``ratio`` and ``met``."""

    case: str
    skgd: str = ""
    reference: str = ""
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None
    notes: str = ""

    def cells(self) -> tuple[str, ...]:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: ""}[self.met]
        return (self.case, self.skgd, self.reference, ratio, self.goal, met, self.notes)


@dataclass(frozen=True)
class Case:
    """A named measurement producing one or more rows; run.py runs and reports it."""

    name: str
    measure: Callable[[], list[Row]]


def comparison_row(case, skgd_value, reference_value, unit_format, goal, notes=""):
    """A row comparing skgd with a reference, the ratio checked against ``goal``."""
    ratio = skgd_value / reference_value
    return Row(
        case=case,
        skgd=unit_format(skgd_value),
        reference=unit_format(reference_value),
        ratio=ratio,
        goal=goal.text,
        met=goal.is_met(ratio),
        notes=notes,
    )


def error_row(case, error):
    """A row for a case that raised: the table still prints, the failure shows."""
    return Row(case=case, notes=f"error: {type(error).__name__}: {error}")


def seconds(value: float) -> str:
    """A duration with three significant digits in a readable unit."""
    if value >= 1.0:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def seconds_per_epoch(value: float) -> str:
    return f"{seconds(value)}/epoch"


def megabytes(value: float) -> str:
    return f"{value / 1e6:.3g} MB"


def markdown_table(header, rows) -> str:
    """A header and rows of cells as a markdown table, padded to read as plain text too."""
    # A "|" inside a cell (max|∇J|) would split it: markdown escapes it.
    lines = [tuple(cell.replace("|", "\\|") for cell in cells) for cells in (header, *rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def render(cells):
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    head, *body = (render(cells) for cells in lines)
    return "\n".join([head, separator, *body])


def machine_info(mode: str, repeats: int) -> str:
    """Versions, CPUs and BLAS threads: what the numbers depend on."""
    import numba
    import numpy
    import scipy
    import sklearn

    import skgd

    return (
        f"skgd {skgd.__version__} · numpy {numpy.__version__} · scipy {scipy.__version__} · "
        f"scikit-learn {sklearn.__version__} · numba {numba.__version__} · "
        f"Python {platform.python_version()} · {os.cpu_count()} CPUs ({_cpu_model()}) · "
        f"BLAS: {_blas_description()} · mode: {mode}, median of {repeats} interleaved repeats"
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas_description() -> str:
    """Each loaded BLAS with its thread count (numpy and scipy may each bring one)."""
    from threadpoolctl import threadpool_info

    pools = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    return (
        ", ".join(
            f"{pool['internal_api']} {pool.get('version') or ''}, "
            f"{pool['num_threads']} thread{'s' if pool['num_threads'] != 1 else ''}"
            for pool in pools
        )
        or "unknown"
    )
