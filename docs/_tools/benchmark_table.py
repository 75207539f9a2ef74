"""The performance page's table, read from the benchmark's own markdown output.

``python benchmarks/run.py --output benchmarks/results.md`` writes the
results once; the docs build turns that file into a CSV for ``csv-table``,
so the numbers live in one place.
"""

import csv
import re
from pathlib import Path


def write_table(results_md: Path, out_dir: Path) -> None:
    """Write ``environment.rst`` and ``results.csv`` into ``out_dir``."""
    lines = results_md.read_text(encoding="utf-8").splitlines()
    environment = next(line for line in lines if line.startswith("skgd "))
    rows = [line for line in lines if line.startswith("|")]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "environment.rst").write_text(f"Measured with {environment}.\n", encoding="utf-8")
    with open(out_dir / "results.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for index, row in enumerate(rows):
            if index == 1:
                continue  # the markdown header rule
            # Split on the column rules only, not on escaped pipes inside cells.
            cells = re.split(r"(?<!\\)\|", row.strip()[1:-1])
            writer.writerow(cell.strip().replace("\\|", "|").replace("**", "") for cell in cells)
