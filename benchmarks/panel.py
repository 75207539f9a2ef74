"""Print the defaults panel: every solver at its defaults on eight data sets.

    python benchmarks/panel.py                        # print the table (~30 s)
    python benchmarks/panel.py --output panel.md      # also write it as markdown

Each data set is scored raw and standardized by 3-fold shuffled
(Stratified)KFold cross-validation (R² for the regressions, accuracy for the
classifications), for every solver with only ``solver`` set (the
classifier's newton takes ``loss="log_loss"``), the median over
``random_state`` 0–4, against scikit-learn's SGD estimator at its defaults
and the exact fit (LogisticRegression(max_iter=5000), Ridge(alpha=1e-4·n)).
``tests/test_defaults.py`` holds every solver to it; this prints it. "warns"
marks a solver whose fits gave a ConvergenceWarning.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _defaults_panel import DATA_SETS, markdown, panel_row  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", metavar="PATH", help="also write the table as markdown")
    args = parser.parse_args(argv)
    rows = []
    for data in DATA_SETS:
        for standardized in (True, False):
            print(f"{data} ({'standardized' if standardized else 'raw'})", file=sys.stderr)
            rows.append(panel_row(data, standardized))
    table = markdown(rows)
    print(table)
    if args.output:
        heading = "# Every solver at its defaults\n\nWritten by `python benchmarks/panel.py`.\n\n"
        Path(args.output).write_text(heading + table + "\n")


if __name__ == "__main__":
    main()
