"""Write every performance figure of the README and the docs from the benchmark's results.

    python benchmarks/figures.py           # rewrite the figures in place
    python benchmarks/figures.py --check   # exit 1, with a diff, where a file differs

The figures come from ``benchmarks/results.md`` (``run.py --output``) and,
for the GPU, ``benchmarks/results_gpu.md`` (``run.py --only gpu --output``).
Each sits in its file between two marker lines that name it::

    <!-- figures:begin NAME -->   ...   <!-- figures:end -->    (markdown)
    .. figures:begin NAME         ...   .. figures:end          (reStructuredText)

What lies between is rewritten whole and the text around it is left as
written, so that prose carries no figure of its own. A GPU figure also says
whether skgd's source is still the code its rows measured (the skgd/ digest
in their notes against the current one). See benchmarks/README.md.
"""

import argparse
import csv
import difflib
import io
import re
import sys
from dataclasses import dataclass

from _provenance import ROOT, source_digest
from _report import HEADERS, markdown_table
from _results import provenance, read_results

RESULTS = ROOT / "benchmarks" / "results.md"
GPU_RESULTS = ROOT / "benchmarks" / "results_gpu.md"
MARKERS = {
    ".md": (re.compile(r"<!-- figures:begin ([\w-]+) -->"), "<!-- figures:end -->"),
    ".rst": (re.compile(r"\.\. figures:begin ([\w-]+)"), ".. figures:end"),
}
# Generated or built pages under docs/, which the figures never go into.
SKIPPED_DIRS = {"_build", "auto_examples", "generated"}
RESULTS_WIDTHS = "30 9 9 5 8 5 34"
GPU_HEADERS = ("fit", "torch CUDA", "NumPy", "ratio", "notes")


@dataclass(frozen=True)
class Sources:
    """What the figures are written from: both results files and skgd's current digest."""

    results: object
    gpu: object
    digest: str


def load_sources(results=RESULTS, gpu_results=GPU_RESULTS, root=ROOT):
    return Sources(read_results(results), read_results(gpu_results), source_digest(root))


# Each figure: (sources, markup) -> text, markup being ".md" or ".rst". Inline
# literals take single backquotes, which the docs read as literals too
# (default_role in docs/conf.py).


def results_table(sources, markup):
    """The machine line and every row of results.md, notes included."""
    rows = [[row[header] for header in HEADERS] for row in sources.results.rows]
    table = markdown_table(HEADERS, rows) if markup == ".md" else _csv_table(HEADERS, rows)
    return f"{_run_description(sources.results.info)}\n\n{table}"


def goals(sources, markup):
    """How many goals the rows meet, and which they do not."""
    with_goal = [row for row in sources.results.rows if row["goal"]]
    missed = [row for row in with_goal if row["met"] != "yes"]
    summary = f"{len(with_goal) - len(missed)} of {len(with_goal)} goals are met."
    if not missed:
        return summary
    items = "\n".join(
        f"- {row['case']}: {_ratio_or_value(row)}, goal {row['goal']}" for row in missed
    )
    return f"{summary} Not met yet:\n\n{items}"


def row_list(prefix):
    """A figure listing the rows of results.md whose case starts with ``prefix``."""

    def figure(sources, markup):
        rows = sources.results.starting_with(prefix)
        if not rows:
            raise ValueError(f"results.md has no row starting with {prefix!r}")
        return "\n".join(f"- {_without(row['case'], prefix)}: {_described(row)}" for row in rows)

    figure.__doc__ = f"The {prefix!r} rows: times, ratio, goal and notes."
    return figure


def gpu_table(sources, markup):
    """Every GPU row, how it was measured, and whether the code has changed since."""
    rows = [
        [row["case"], row["skgd"], row["reference"], row["ratio"], row["notes"]]
        for row in sources.gpu.rows
    ]
    if markup == ".md":
        table = markdown_table(GPU_HEADERS, rows)
    else:
        table = _csv_table(GPU_HEADERS, rows, widths="34 9 9 7 41")
    description = _run_description(sources.gpu.info)
    return f"{description}\n\n{_freshness(sources, sources.gpu.rows)}\n\n{table}"


def gpu_summary(sources, markup):
    """Newton and a minibatch epoch on the GPU against NumPy, for the README."""
    newton = sources.gpu.one("gpu · newton · 3-class one-vs-rest log_loss")
    minibatch = sources.gpu.one("gpu · minibatch")
    batch_size = re.search(r"B=(\d+)", minibatch["case"]).group(1)
    return (
        f"On one {provenance(newton).device}, Newton fits a 3-class one-vs-rest log-loss "
        f"model to {_data(newton)} tensors in {newton['skgd']} on CUDA against "
        f"{newton['reference']} on NumPy, and one minibatch epoch over {_data(minibatch)} "
        f"(batches of {batch_size}) takes {minibatch['skgd']} against "
        f"{minibatch['reference']}. {_freshness(sources, [newton, minibatch])}"
    )


FIGURES = {
    "results-table": results_table,
    "goals": goals,
    # Prefixes that also match a group's "skipped" row, whose notes say why.
    "array-api-rows": row_list("array_api"),
    "dask-rows": row_list("dask"),
    "gpu-table": gpu_table,
    "gpu-summary": gpu_summary,
}


def _freshness(sources, rows):
    """Where and on which code ``rows`` were measured, and whether that code is current."""
    sentences = []
    for found in dict.fromkeys(provenance(row) for row in rows):
        how = "measured by hand" if found.by_hand else "measured by `run.py --only gpu`"
        if found.digest == sources.digest:
            since = "skgd's source is still the code measured"
        else:
            since = "skgd's source has changed since, so the times may differ now"
        sentences.append(
            f"These GPU figures (`benchmarks/results_gpu.md`) were {how} on {found.device} "
            f"at commit {found.commit}; {since}."
        )
    return " ".join(sentences)


def _run_description(info):
    """run.py's machine line as a sentence; a results file's own paragraph as it is."""
    return f"Measured with {info}." if info.startswith("skgd ") else info


def _ratio_or_value(row):
    return f"ratio {row['ratio']}" if row["ratio"] else row["skgd"]


def _described(row):
    if not row["skgd"]:  # a skipped or failed case: its notes say why
        return row["notes"]
    parts = [row["skgd"]]
    if row["reference"]:
        parts.append(f"against {row['reference']}, ratio {row['ratio']}")
    if row["goal"]:
        parts.append(f"(goal {row['goal']}, {'met' if row['met'] == 'yes' else 'not met'})")
    text = " ".join(parts)
    return f"{text}; {row['notes']}" if row["notes"] else text


def _without(case, prefix):
    return case[len(prefix) :].lstrip(" ·") if case.startswith(prefix) else case


def _data(row):
    """The data a row names, as ``describe`` writes it: "200k×50 f32"."""
    return re.search(r"\S+×\S+ f\d+", row["case"]).group(0)


def _csv_table(header, rows, widths=RESULTS_WIDTHS):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    body = "\n".join(f"   {line}" for line in buffer.getvalue().splitlines())
    return f".. csv-table::\n   :header-rows: 1\n   :widths: {widths}\n\n{body}"


def render(text, markup, sources, shown=None):
    """``text`` with every marked figure rewritten; ``shown`` collects their names."""
    begin, end = MARKERS[markup]
    lines = text.splitlines(keepends=True)
    out, index = [], 0
    while index < len(lines):
        line = lines[index].rstrip("\n")
        out.append(lines[index])
        index += 1
        if line == end:
            raise ValueError(f"line {index}: {end!r} without a begin marker")
        opened = begin.fullmatch(line)
        if opened is None:
            continue
        name = opened.group(1)
        if name not in FIGURES:
            raise ValueError(f"line {index}: unknown figure {name!r}; known: {', '.join(FIGURES)}")
        closing = _closing(lines, index, begin, end)
        if closing is None:
            raise ValueError(f"line {index}: figure {name!r} has no {end!r} before the next one")
        out.append(f"\n{FIGURES[name](sources, markup)}\n\n")
        out.append(lines[closing])
        index = closing + 1
        if shown is not None:
            shown.add(name)
    return "".join(out)


def _closing(lines, start, begin, end):
    """The index of the end marker after ``start``, or None if a figure begins first."""
    for index in range(start, len(lines)):
        line = lines[index].rstrip("\n")
        if line == end:
            return index
        if begin.fullmatch(line):
            return None
    return None


def target_files(root=ROOT):
    """The README and the documentation's own pages."""
    pages = [
        path
        for path in sorted((root / "docs").rglob("*.rst"))
        if not SKIPPED_DIRS & set(path.relative_to(root / "docs").parts)
    ]
    return [root / "README.md", *pages]


def update(paths, sources, check, required=tuple(FIGURES)):
    """Rewrite (or, with ``check``, compare) each file; the paths that differed.

    Nothing is written unless every file renders and every ``required``
    figure is shown in one of them.
    """
    rendered, shown = {}, set()
    for path in paths:
        old = path.read_text(encoding="utf-8")
        try:
            rendered[path] = (old, render(old, path.suffix, sources, shown))
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
    unshown = set(required) - shown
    if unshown:
        raise ValueError(f"figures shown nowhere: {', '.join(sorted(unshown))}")
    differing = [path for path, (old, new) in rendered.items() if new != old]
    for path in differing:
        old, new = rendered[path]
        if check:
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    f"{path} (as committed)",
                    f"{path} (from the results)",
                )
            )
        else:
            path.write_text(new, encoding="utf-8")
    return differing


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 where a figure differs"
    )
    args = parser.parse_args(argv)
    try:
        differing = update(target_files(), load_sources(), args.check)
    except ValueError as error:
        print(f"figures.py: {error}", file=sys.stderr)
        return 2
    for path in differing:
        verb = "differs from the results" if args.check else "updated"
        print(f"{path.relative_to(ROOT)}: {verb}", file=sys.stderr)
    if args.check and differing:
        print("run `python benchmarks/figures.py` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
