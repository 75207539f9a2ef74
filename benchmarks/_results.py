"""A results file that run.py wrote (``--output``), read back: its description and rows.

The file is a heading, a paragraph describing the run (run.py's machine line,
or how rows measured elsewhere were taken) and the markdown table of
``_report.markdown_table``.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from _report import HEADERS

# A cell ends at a "|" that markdown_table did not escape.
_COLUMN_RULE = re.compile(r"(?<!\\)\|")
# What run.py's gpu group and results_gpu.md write in a row's notes.
_PROVENANCE = re.compile(
    r"on (?P<device>[^,;]+), commit (?P<commit>[^,;]+), skgd/ digest (?P<digest>[0-9a-f]+)"
)


@dataclass(frozen=True)
class Provenance:
    """The device and the code a row measured: a commit and a digest of skgd's source."""

    device: str
    commit: str
    digest: str
    by_hand: bool


@dataclass(frozen=True)
class Results:
    """The description paragraph and the rows, each a dict keyed by ``HEADERS``."""

    info: str
    rows: tuple

    def starting_with(self, prefix):
        """The rows whose case starts with ``prefix``, in table order."""
        return [row for row in self.rows if row["case"].startswith(prefix)]

    def one(self, prefix):
        """The one row whose case starts with ``prefix``; a ValueError otherwise."""
        rows = self.starting_with(prefix)
        if len(rows) != 1:
            raise ValueError(f"expected one row starting with {prefix!r}, found {len(rows)}")
        return rows[0]


def read_results(path):
    """The :class:`Results` of the markdown file at ``path``."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    table = [line for line in lines if line.startswith("|")]
    if not table or tuple(_cells(table[0])) != HEADERS:
        raise ValueError(f"{path}: no results table with the columns {', '.join(HEADERS)}")
    info = " ".join(
        line.strip() for line in lines if line.strip() and not line.startswith(("#", "|"))
    )
    # table[1] is the rule under the header.
    rows = tuple(dict(zip(HEADERS, _cells(line), strict=True)) for line in table[2:])
    return Results(info, rows)


def provenance(row):
    """The :class:`Provenance` a row's notes give; a ValueError where they give none."""
    found = _PROVENANCE.search(row["notes"])
    if found is None:
        raise ValueError(f"row {row['case']!r} names no device, commit and skgd/ digest")
    return Provenance(**found.groupdict(), by_hand="measured by hand" in row["notes"])


def _cells(line):
    return [cell.strip().replace("\\|", "|") for cell in _COLUMN_RULE.split(line.strip()[1:-1])]
