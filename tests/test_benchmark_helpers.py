"""Helpers the benchmark scripts share: what they do to the checkout before timing it."""

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.append(str(ROOT / "benchmarks"))
import report  # noqa: E402 (a script of benchmarks/, found on the path above)


def test_byte_compiled_writes_each_modules_bytecode_whatever_the_environment_says(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as that variable sets it at start
    package = tmp_path / "classifier"
    (package / "estimator").mkdir(parents=True)
    sources = [package / "__init__.py", package / "estimator" / "runtime.py"]
    for source in sources:
        source.write_text("VALUE = 1\n", encoding="utf-8")
    report.byte_compiled(tmp_path)
    for source in sources:
        assert Path(importlib.util.cache_from_source(str(source))).is_file()  # where an import looks for it


def test_byte_compiled_stops_on_a_module_that_does_not_compile(tmp_path):
    package = tmp_path / "classifier"
    package.mkdir()
    (package / "__init__.py").write_text("def broken(:\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="could not compile .*classifier"):
        report.byte_compiled(tmp_path)


def _run(n, name, per_core, peak=100, wall=1.0):
    return (n, name, wall, n / wall, per_core, peak)


def test_batch_rounds_give_medians_per_run_and_each_tag_against_its_own_rounds_floor():
    import batch

    floor, tag = "floor: `predict_proba` in chunks of 512, 1 process, no I/O", "`tag --jobs 1`"
    rounds = [
        [_run(1000, floor, 5000.0, peak=10), _run(1000, tag, 4000.0, peak=30)],
        [_run(1000, floor, 4000.0, peak=20), _run(1000, tag, 3600.0, peak=20)],  # a slow round: both slower
        [_run(1000, floor, 6000.0, peak=30), _run(1000, tag, 3000.0, peak=10)],
    ]
    found = batch.medians(rounds)
    assert [row[1] for row in found] == [floor, tag]
    assert found[0][4] == 5000.0 and found[1][4] == 3600.0  # medians of per core
    assert found[0][5] == 30 and found[1][5] == 30  # the highest peak of the rounds
    line = batch._rounds_line([rounds])
    # 4000/5000, 3600/4000, 3000/6000: each round's tag over that round's floor, not over the median floor
    assert "tag --jobs 1 at 1,000: 0.80x, 0.90x, 0.50x (median 0.80x)" in line


def test_batch_rounds_line_leaves_out_sizes_without_a_floor_and_runs_of_another_commit():
    import batch

    before = "before (abc1234): `tag --jobs 1`"
    big = [[_run(10**6, "`tag --jobs 2`", 3000.0)]]  # above the floors' limit: no floor measured
    small = [[_run(10, "floor: `predict_proba` in chunks of 512", 100.0), _run(10, before, 50.0)]]
    line = batch._rounds_line([big, small])
    assert "jobs 2" not in line and "before" not in line


def test_batch_lines_say_so_when_a_size_has_no_floor_to_compare_with():
    import batch

    big = [[_run(10**6, "`tag --jobs 2`", 3000.0)]]
    assert batch._rounds_line([big]).endswith(": none (the floors are measured up to 100,000 documents).")
    assert batch._reference_line(big[0]).endswith(": none (it is measured up to 100,000 documents).")


def test_batch_medians_of_an_even_number_of_rounds_keep_rate_and_wall_consistent():
    import batch

    rounds = [[_run(1000, "`tag --jobs 1`", 900.0, wall=1.0)], [_run(1000, "`tag --jobs 1`", 1100.0, wall=3.0)]]
    [(n, _, wall, rate, per_core, _)] = batch.medians(rounds)
    assert (wall, rate, per_core) == (2.0, 500.0, 1000.0)  # 1,000 documents in the median 2 s: 500 a second


def test_tag_parts_table_gives_each_part_against_the_floor_and_tags_parts_together():
    import tag_parts

    seconds = {
        "reading: JSONL lines to rows": [0.5, 0.4, 0.6],
        "documents: each row parsed as a page": [0.2, 0.2, 0.3],
        "the floor: `predict_proba`": [4.0, 3.0, 5.0],  # median 4.0
        "features with the rules' facts (`predict_proba_and_facts`)": [4.4, 4.4, 4.4],
        "the rules on the text and the scope checks (`read_windowed`, `scope_flags_of_counts`)": [0.3, 0.3, 0.3],
        "`Model.read` whole (the two above)": [5.0, 5.0, 5.0],
        "rows written as JSON lines": [0.3, 0.2, 0.1],
    }
    table = tag_parts.table(1000, seconds)
    assert "| the floor: `predict_proba` | 4.00 | 250 | 1.00x |" in table
    assert "| `Model.read` whole (the two above) | 5.00 | 200 | 1.25x |" in table
    # tag's parts: reading 0.5 + documents 0.2 + Model.read 5.0 + rows 0.2 = 5.9 CPU s; the floor 4.0 / 5.9 = 0.68x
    assert (
        "together (reading, documents, `Model.read`, rows): 5.90 CPU s: per CPU second they go 0.68x as fast" in table
    )
    assert "`Model.read` alone 0.80x" in table and "the median of 3 rounds" in table
