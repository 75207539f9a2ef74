"""Every performance figure of the README and the docs is benchmarks/results*.md's.

``benchmarks/figures.py`` writes them between marker lines; here the
committed files must be what it would write, and its reading and writing
are checked on small files of its formats.
"""

import sys
import textwrap
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

HEADER = (
    "| case | skgd | reference | ratio | goal | met | notes |\n|---|---|---|---|---|---|---|\n"
)
ROWS = (
    "| sgd · a | 1 ms | 2 ms | 0.50 | ≤ 0.6× | yes | vs X, max\\|Δcoef\\| 1e-9 |\n"
    "| small · b | 3 ms | 2 ms | 1.50 | ≤ 0.7× | **no** | per fit |\n"
    "| dask · newton · c vs d | 1 s | 4 s | 0.25 | ≤ 0.5× | yes | dask-glm ignores the penalty |\n"
    "| array_api · e | | | | | | skipped: No module named 'torch' |\n"
)
GPU_ROWS = (
    "| gpu · newton · 3-class one-vs-rest log_loss 200k×50 f32, torch CUDA vs NumPy "
    "| 140 ms | 440 ms | 0.32 | | | torch 2.11 on Some GPU, commit abc1234, "
    "skgd/ digest {digest}; max\\|Δcoef\\| 3e-06 |\n"
    "| gpu · minibatch B=32 · one epoch 20k×50 f32, torch CUDA vs NumPy "
    "| 3 s | 26 ms | 115.38 | | | torch 2.11 on Some GPU, commit abc1234, "
    "skgd/ digest {digest}; max\\|Δcoef\\| 2e-06 |\n"
)


@pytest.fixture(scope="module")
def figures():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import figures
    finally:
        sys.path.remove(str(BENCHMARKS))
    return figures


def _sources(figures, tmp_path, digest="0123456789ab", current="0123456789ab"):
    results, gpu = tmp_path / "results.md", tmp_path / "results_gpu.md"
    results.write_text(f"# skgd benchmarks\n\nskgd 0 · numpy 2\n\n{HEADER}{ROWS}", "utf-8")
    gpu_rows = GPU_ROWS.format(digest=digest)
    gpu.write_text(f"# GPU\n\nMeasured on a GPU.\n\n{HEADER}{gpu_rows}", "utf-8")
    return figures.Sources(
        figures.read_results(results), figures.read_results(gpu), digest=current
    )


def test_the_committed_readme_and_docs_show_the_results_figures(figures, capsys):
    differing = figures.update(figures.target_files(), figures.load_sources(), check=True)
    assert differing == [], (
        "run `python benchmarks/figures.py`:\n" + capsys.readouterr().out[-4000:]
    )


def test_a_results_file_reads_back_its_description_and_cells(figures, tmp_path):
    results = _sources(figures, tmp_path).results
    assert results.info == "skgd 0 · numpy 2"
    assert [row["case"] for row in results.rows] == [
        "sgd · a",
        "small · b",
        "dask · newton · c vs d",
        "array_api · e",
    ]
    # Escaped pipes belong to the cell; an empty cell stays empty.
    assert results.rows[0]["notes"] == "vs X, max|Δcoef| 1e-9"
    assert results.rows[3]["ratio"] == ""
    (tmp_path / "bad.md").write_text("| a | b |\n|---|---|\n", "utf-8")
    with pytest.raises(ValueError, match="no results table"):
        figures.read_results(tmp_path / "bad.md")


def test_markers_get_the_figure_and_the_prose_around_stays(figures, tmp_path):
    sources = _sources(figures, tmp_path)
    markdown = (
        "Intro.\n\n<!-- figures:begin results-table -->\nstale\n<!-- figures:end -->\n\nEnd.\n"
    )
    written = figures.render(markdown, ".md", sources)
    assert written.startswith("Intro.\n\n<!-- figures:begin results-table -->\n\n")
    assert written.endswith("\n\n<!-- figures:end -->\n\nEnd.\n")
    assert "stale" not in written
    assert "Measured with skgd 0 · numpy 2." in written
    # Columns are padded to line up: compare each row's cells.
    rows = [" ".join(line.split()) for line in written.splitlines()]
    assert "| sgd · a | 1 ms | 2 ms | 0.50 | ≤ 0.6× | yes | vs X, max\\|Δcoef\\| 1e-9 |" in rows
    assert figures.render(written, ".md", sources) == written

    rst = "Goals\n=====\n\n.. figures:begin goals\n.. figures:end\n"
    goals = figures.render(rst, ".rst", sources)
    assert "2 of 3 goals are met. Not met yet:\n\n- small · b: ratio 1.50, goal ≤ 0.7×" in goals
    table = figures.render(rst.replace("goals\n", "results-table\n"), ".rst", sources)
    assert '   sgd · a,1 ms,2 ms,0.50,≤ 0.6×,yes,"vs X, max|Δcoef| 1e-9"' in table


def test_row_lists_carry_the_notes_and_say_why_a_row_has_no_times(figures, tmp_path):
    sources = _sources(figures, tmp_path)
    dask = figures.FIGURES["dask-rows"](sources, ".rst")
    assert dask == (
        "- newton · c vs d: 1 s against 4 s, ratio 0.25 (goal ≤ 0.5×, met); "
        "dask-glm ignores the penalty"
    )
    array_api = figures.FIGURES["array-api-rows"](sources, ".rst")
    assert array_api == "- e: skipped: No module named 'torch'"


def test_gpu_figures_say_when_the_code_measured_has_changed(figures, tmp_path):
    same = _sources(figures, tmp_path)
    summary = figures.FIGURES["gpu-summary"](same, ".md")
    assert summary.startswith(
        "On one Some GPU, Newton fits a 3-class one-vs-rest log-loss model to 200k×50 f32 "
        "tensors in 140 ms on CUDA against 440 ms on NumPy, and one minibatch epoch over "
        "20k×50 f32 (batches of 32) takes 3 s against 26 ms."
    )
    assert "at commit abc1234; skgd's source is still the code measured." in summary
    changed = _sources(figures, tmp_path, current="ba9876543210")
    table = figures.FIGURES["gpu-table"](changed, ".rst")
    assert "skgd's source has changed since, so the times may differ now." in table
    assert "measured by `run.py --only gpu` on Some GPU at commit abc1234" in table


def test_check_reports_a_stale_figure_and_writing_mends_it(figures, tmp_path, capsys):
    sources = _sources(figures, tmp_path)
    page = tmp_path / "page.rst"
    page.write_text(".. figures:begin goals\n\n9 of 9 goals are met.\n\n.. figures:end\n")
    assert figures.update([page], sources, check=True, required=()) == [page]
    assert "-9 of 9 goals are met." in capsys.readouterr().out
    assert "9 of 9" in page.read_text()  # --check changes nothing
    assert figures.update([page], sources, check=False, required=()) == [page]
    assert figures.update([page], sources, check=True, required=()) == []
    with pytest.raises(ValueError, match="shown nowhere: dask-rows"):
        figures.update([page], sources, check=True, required=("goals", "dask-rows"))


@pytest.mark.parametrize(
    "text, message",
    [
        (".. figures:begin nothing\n.. figures:end\n", "unknown figure 'nothing'"),
        (".. figures:begin goals\ntext\n", "has no '.. figures:end'"),
        (".. figures:begin goals\n.. figures:begin goals\n.. figures:end\n", "has no"),
        ("text\n.. figures:end\n", "without a begin marker"),
    ],
)
def test_malformed_markers_are_errors(figures, tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        figures.render(textwrap.dedent(text), ".rst", _sources(figures, tmp_path))
