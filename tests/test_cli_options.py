"""Every option of the command line does what its --help says: each reaches the parameter it names, with the
default its help gives, so that an option ignored, swapped with another or given another default fails here.

Where an option's effect shows in the output (a number of fields, a format, an exit code), the output is checked;
where it cannot be seen from outside (worker processes, chunk size, a Dask address), what the command passes to
the library function it wraps is."""

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from classifier.bundle.storage import load_model
from classifier.cli import app
from classifier.corpus.documents import Columns
from classifier.options import GLOB_SEPARATOR
from classifier.workflows.picking import Picked
from classifier.workflows.tagging import TagSummary

from conftest import FIXTURES, ROOT, TRAINING, taxonomy_with_youth_renamed

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
# The shipped model's scores for EXAMPLE, as README.md shows them: Elections 1.00 (the one field the model's own
# thresholds accept), Democratization 0.10, Human rights 0.07, Rule of law 0.02, then all below 0.02.
ABOVE_005 = ["Elections", "Democratization", "Human rights"]
SIX_ITEMS = ROOT / "examples" / "lines" / "six-items.txt"
CALLBACKS = ("on_progress", "on_input_error", "on_input_warning", "on_start", "on_warning")


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, prog_name="classifier")


def calls_to(monkeypatch, target: str, answer):
    """Replace the library function `target` ("module.name") with one that records each call and returns
    `answer(*args, **kwargs)`: the calls, as (args, keyword arguments less the callbacks)."""
    module, name = target.rsplit(".", 1)
    calls = []

    def record(*args, **kwargs):
        calls.append((args, {key: value for key, value in kwargs.items() if key not in CALLBACKS}))
        return answer(*args, **kwargs)

    monkeypatch.setattr(f"{module}.{name}", record)
    return calls


def edited_taxonomy(tmp_path):
    """The shipped taxonomy with one keyword added: the shipped model loads with it and warns that it changed."""
    text = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    edited = tmp_path / "edited.yaml"
    edited.write_text(
        text.replace("      - travel documents\n", "      - travel documents\n      - forged passports\n")
    )
    return edited


# suggest


def test_suggest_shows_five_fields_by_default_and_top_k_fields_when_told():
    plain = json.loads(run("suggest", EXAMPLE, "--format", "json").stdout)
    assert len(plain["suggestions"]) == 5
    text = run("suggest", EXAMPLE).stdout.splitlines()
    assert len([line for line in text[2:] if line.strip()]) == 5
    for option in ("--top", "-k"):
        two = json.loads(run("suggest", EXAMPLE, "-f", "json", option, 2).stdout)
        assert [s["label"] for s in two["suggestions"]] == ABOVE_005[:2]


def test_suggest_lines_takes_limit_threshold_and_explain_as_suggest_does():
    first_three = "".join(SIX_ITEMS.read_text(encoding="utf-8").splitlines(keepends=True)[:3])
    wide = run("suggest", "--lines", "-", "-f", "json", "--threshold", 0.01, input=first_three)
    assert wide.exit_code == 0, wide.stderr
    assert all(len(json.loads(line)["labels"]) > 1 for line in wide.stdout.splitlines())  # what the limit cuts
    cut = run("suggest", "--lines", "-", "-f", "json", "-t", 0.01, "--limit", 1, "--explain", input=first_three)
    rows = [json.loads(line) for line in cut.stdout.splitlines()]
    assert [len(row["labels"]) for row in rows] == [1, 1, 1]
    for row in rows:
        best = row["suggestions"][0]
        assert [best["label"]] == row["labels"] and best["evidence"] and "evidence" not in row["suggestions"][1]
    assert "because of: " in run("suggest", "--lines", "-", "--explain", input=first_three).stdout
    shown = run("suggest", "--lines", "-", "-f", "json", "-k", 2, input=first_three).stdout.splitlines()
    assert [len(json.loads(line)["suggestions"]) for line in shown] == [2, 2, 2]


def test_suggest_lines_warns_of_a_line_cut_at_the_limit(monkeypatch):
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "100")
    first_two = "".join(SIX_ITEMS.read_text(encoding="utf-8").splitlines(keepends=True)[:2])
    result = run("suggest", "--lines", "-", "--top", 1, input=first_two)
    assert result.exit_code == 0 and result.stdout.startswith("<stdin>:1\n")
    assert result.stderr == "".join(
        f"warning: <stdin>:{n}: text cut at 100 characters (the CLASSIFIER_MAX_TEXT limit)\n" for n in (1, 2)
    )


def test_suggest_limit_zero_accepts_no_field_and_the_scores_stay():
    result = json.loads(run("suggest", EXAMPLE, "-f", "json", "-t", 0.05, "-l", 0, "-k", 3).stdout)
    assert result["labels"] == [] and [s["label"] for s in result["suggestions"]] == ABOVE_005


@pytest.mark.parametrize(
    "command",
    [
        ["suggest", EXAMPLE],
        ["tag", EXAMPLE, "--output", "-", "--jobs", "1"],
        ["pick", EXAMPLE],
        ["evaluate", FIXTURES / "page_two_fields.txt"],
    ],
)
def test_model_and_taxonomy_options_reach_the_model_of_every_command(tmp_path, command):
    for option in ("--model", "-m"):
        result = run(*command, option, tmp_path)
        assert result.exit_code == 1 and result.stderr.startswith(f"error: {tmp_path}: not a model bundle")
    result = run(*command, "--taxonomy", edited_taxonomy(tmp_path))
    assert f"warning: {tmp_path / 'edited.yaml'} has changed since " in result.stderr


def test_suggest_reads_a_folder_by_the_globs_given(tmp_path):
    for name in ("a.md", "b.txt", "c.htm"):
        (tmp_path / name).write_text("Observers followed the parliamentary elections.", encoding="utf-8")

    def read(*globs):
        result = run("suggest", tmp_path, "-f", "json", *[option for g in globs for option in ("--glob", g)])
        assert result.exit_code == 0, result.stderr
        return [json.loads(line)["path"] for line in result.stdout.splitlines()]

    assert read() == [str(tmp_path / "b.txt")]
    assert read("*.md") == [str(tmp_path / "a.md")]
    assert sorted(read("*.htm", "*.md")) == [str(tmp_path / "a.md"), str(tmp_path / "c.htm")]


def test_a_bad_setting_is_a_usage_error_before_any_command_runs(monkeypatch):
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "lots")
    for command in (["taxonomy"], ["parse", EXAMPLE]):
        result = run(*command)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == "error: CLASSIFIER_MAX_TEXT='lots': expected a positive whole number of characters\n"


# tag


def test_tag_takes_the_format_from_format_before_the_suffix(tmp_path):
    out = tmp_path / "tags.txt"
    for option in ("--format", "-f"):
        result = run("tag", EXAMPLE, "--output", out, option, "csv", "--force", "--jobs", 1)
        assert result.exit_code == 0, result.stderr
        (row,) = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert row["labels"] == "Elections"
    as_csv = run("tag", EXAMPLE, "-o", "-", "-f", "csv", "--jobs", 1).stdout
    assert as_csv.splitlines()[0] == "id,labels,scores,error,warning,flag,model"
    refused = run("tag", EXAMPLE, "--output", tmp_path / "other.txt")  # the suffix says nothing: --format must
    assert refused.exit_code == 2 and "--format" in refused.stderr
    assert json.loads(run("tag", EXAMPLE, "-o", "-", "--jobs", 1).stdout)["labels"] == ["Elections"]  # jsonl on -


def test_tag_limit_and_threshold_choose_the_fields_of_each_row():
    def labels(*options):
        result = run("tag", EXAMPLE, "--output", "-", "--jobs", 1, *options)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["labels"]

    assert labels() == ["Elections"]
    assert labels("--threshold", 0.05) == labels("-t", 0.05) == ABOVE_005
    assert labels("--threshold", 0.05, "--limit", 2) == labels("-t", 0.05, "-l", 2) == ABOVE_005[:2]
    assert labels("--threshold", 1.0) == []


def test_tag_reads_tables_by_the_columns_named(tmp_path):
    table = tmp_path / "items.csv"
    table.write_text(
        "key,headline,body\nk1,Observers deployed,ODIHR observers followed the parliamentary elections.\n",
        encoding="utf-8",
    )
    named = ["--id-column", "key", "--title-column", "headline", "--text-column", "body"]
    result = run("tag", table, "--output", "-", "--jobs", 1, *named)
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)
    assert (row["id"], row["labels"][:1], row["error"]) == ("k1", ["Elections"], "")
    title_only = run("tag", table, "--output", "-", "--jobs", 1, *named[:4], "--text-column", "headline")
    assert json.loads(title_only.stdout)["scores"] != row["scores"]  # the title alone is another text


def tag_summary(*args, **kwargs):
    return TagSummary(tagged=1)


def test_tag_passes_every_option_to_the_tagger(monkeypatch, tmp_path):
    calls = calls_to(monkeypatch, "classifier.workflows.tagging.tag", tag_summary)
    out = tmp_path / "tags.jsonl"
    assert run("tag", "a.jsonl", "b", "--output", out).exit_code == 0
    assert (
        run("tag", "a.jsonl", "-o", out, "--force", "-j", 3, "--dask", "tcp://h:8786", "--chunk-size", 7).exit_code == 0
    )
    given = ["--resume", "--jobs", 2, "--format", "csv", "--glob", "*.md", "--glob", "*.htm", "-t", 0.3, "-l", 4]
    given += ["--id-column", "i", "--title-column", "ti", "--text-column", "te"]
    assert run("tag", "a.jsonl", "--output", out, *given).exit_code == 0
    (default_args, defaults), (_, chosen), (_, more) = calls
    assert default_args[0].fingerprint == load_model().fingerprint and default_args[1:] == (["a.jsonl", "b"], out)
    assert defaults == {
        "format": None,
        "columns": Columns(),
        "glob": "*.txt",
        "force": False,
        "resume": False,
        "jobs": None,
        "dask": None,
        "limit": None,
        "threshold": None,
    }  # no chunk_size: the tagger's own, 512 as the help says
    assert (chosen["force"], chosen["jobs"], chosen["dask"], chosen["chunk_size"]) == (True, 3, "tcp://h:8786", 7)
    assert (more["resume"], more["force"], more["jobs"], more["format"], more["limit"], more["threshold"]) == (
        True,
        False,
        2,
        "csv",
        4,
        0.3,
    )
    # Each --glob, as one value the readers split again (the README: a file matching any).
    assert more["columns"] == Columns(id="i", title="ti", text="te") and more["glob"] == f"*.md{GLOB_SEPARATOR}*.htm"


def test_tag_exit_code_says_whether_any_row_failed(monkeypatch, tmp_path):
    summaries = iter([TagSummary(tagged=2, failed=1), TagSummary(tagged=2, resumed=3, resumed_failed=1)])
    calls_to(monkeypatch, "classifier.workflows.tagging.tag", lambda *args, **kwargs: next(summaries))
    for _ in range(2):
        result = run("tag", "a.jsonl", "--output", tmp_path / "tags.jsonl")
        assert result.exit_code == 1 and result.stderr.startswith("2 documents tagged, ")


# train


def trained(metadata=None):
    """What the training function returns, as `_print_training` reads it: a model's metadata and its metrics."""
    meta = {"zero_shot_fields": [], "low_confidence_fields": [], "params": {"min_examples": 20}, "label_counts": {}}
    return SimpleNamespace(metadata={**meta, **(metadata or {})}), {"documents": 12}


def test_train_passes_every_option_to_the_training_and_the_defaults_its_help_gives(monkeypatch, tmp_path):
    calls = calls_to(monkeypatch, "classifier.workflows.training.train", lambda *args, **kwargs: trained())
    monkeypatch.setattr("classifier.evaluation.metrics.format_report", lambda metrics: f"REPORT of {metrics}")
    out = tmp_path / "bundle"
    result = run("train", "a.jsonl", "b.csv", "--output", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "Cross-validated metrics (5 folds, thresholds tuned on the other folds):\nREPORT of {'documents': 12}\n"
        f"\nwrote {out}\n"
    )
    (args, defaults), *_ = calls
    assert args == (["a.jsonl", "b.csv"], out)
    assert defaults == {
        "seed": 0,
        "taxonomy": None,
        "jobs": None,
        "base": None,
        "min_examples": 20,
        "keyword_examples": "all",
        "phrase_accept": 2,
        "lead_phrase_accept": 1,
        "window_phrase_accept": 0,
        "written_examples": True,
        "field_guide": None,
        "columns": Columns(),
        "glob": "*.txt",
    }
    given = ["--seed", 3, "--min-examples", 4, "--phrase-accept", 5, "--lead-phrase-accept", 6]
    given += ["--window-phrase-accept", 7, "-j", 2, "--keyword-examples", "rare", "--no-written-examples"]
    given += ["--field-guide", tmp_path / "guide.yaml", "--base", tmp_path / "old", "--glob", "*.md"]
    given += ["--taxonomy", ROOT / "taxonomy.yaml", "--id-column", "i", "--title-column", "ti"]
    given += ["--text-column", "te", "--labels-column", "la"]
    assert run("train", "a.jsonl", "-o", out, *given).exit_code == 0
    chosen = calls[-1][1]
    assert chosen.pop("taxonomy").path == str(ROOT / "taxonomy.yaml")
    assert chosen == {
        "seed": 3,
        "jobs": 2,
        "base": tmp_path / "old",
        "min_examples": 4,
        "keyword_examples": "rare",
        "phrase_accept": 5,
        "lead_phrase_accept": 6,
        "window_phrase_accept": 7,
        "written_examples": False,
        "field_guide": tmp_path / "guide.yaml",
        "columns": Columns(id="i", title="ti", text="te", labels="la"),
        "glob": "*.md",
    }
    assert run("train", "a.jsonl", "-o", out, "--keyword-examples", "none").exit_code == 0
    assert calls[-1][1]["keyword_examples"] == "none"
    # --base alone retrains on the bundle's own documents; neither data nor --base is a usage error.
    assert run("train", "--base", tmp_path / "old", "-o", out).exit_code == 0 and calls[-1][0][0] == []
    nothing = run("train", "-o", out)
    assert (nothing.exit_code, len(calls)) == (2, 4)
    assert nothing.stderr == "error: give training data, or --base BUNDLE to retrain on a bundle's own documents\n"


def test_train_says_what_it_merged_and_which_fields_are_zero_shot_or_low_confidence(monkeypatch, tmp_path):
    merge = {"duplicates": 3, "conflicts": 1, "base_documents": 150, "new_documents": 24}
    low = {"low_confidence_fields": ["Youth", "Arms control"], "label_counts": {"Youth": 4, "Arms control": 7}}
    answers = iter(
        [
            trained({"merge": merge, "base": "models/base", "zero_shot_fields": ["Migration", "Education"]}),
            trained({"merge": merge, **low, "params": {"min_examples": 9}}),
        ]
    )
    calls_to(monkeypatch, "classifier.workflows.training.train", lambda *args, **kwargs: next(answers))
    monkeypatch.setattr("classifier.evaluation.metrics.format_report", lambda metrics: "REPORT")
    based = run("train", "--base", "models/base", "-o", tmp_path / "b")
    assert based.stderr == (
        "150 documents from the base, 24 new: 3 duplicates merged, 1 with conflicting fields (later source kept)\n"
    )
    assert "\nzero-shot (no examples; suggested from taxonomy keywords alone): Migration, Education\n" in based.stdout
    assert "low confidence" not in based.stdout
    plain = run("train", "a.jsonl", "-o", tmp_path / "b")
    assert plain.stderr == "3 duplicates merged, 1 with conflicting fields (later source kept)\n"
    assert "\nlow confidence (fewer than 9 examples): Youth (4), Arms control (7)\n" in plain.stdout
    assert "zero-shot" not in plain.stdout


# evaluate


def test_evaluate_passes_every_option_to_the_measure_and_prints_its_metrics(monkeypatch, tmp_path):
    metrics = {"documents": 3, "micro": {"f1": 0.5}}
    calls = calls_to(monkeypatch, "classifier.evaluation.metrics.evaluate_model", lambda *args, **kwargs: metrics)
    monkeypatch.setattr("classifier.evaluation.metrics.format_report", lambda metrics: "REPORT")
    text = run("evaluate", "a.jsonl", "b")
    assert (text.exit_code, text.stdout, text.stderr) == (0, "REPORT\n", "")
    (args, defaults), *_ = calls
    assert args[0].fingerprint == load_model().fingerprint and args[1] == ["a.jsonl", "b"]
    assert defaults == {
        "taxonomy": None,
        "columns": Columns(),
        "glob": "*.txt",
        "report": None,
        "force": False,
        "limit": None,
        "threshold": None,
    }
    report = tmp_path / "r.html"
    given = ["--report", report, "--force", "-l", 2, "-t", 0.25, "--glob", "*.md", "--labels-column", "la"]
    given += ["--id-column", "i", "--title-column", "ti", "--text-column", "te", "--taxonomy", ROOT / "taxonomy.yaml"]
    as_json = run("evaluate", "a.jsonl", "-f", "json", *given)
    assert (as_json.exit_code, json.loads(as_json.stdout)) == (0, metrics)
    assert as_json.stderr == f"wrote {report}\n"
    chosen = calls[-1][1]
    assert chosen.pop("taxonomy").path == str(ROOT / "taxonomy.yaml")
    assert chosen == {
        "columns": Columns(id="i", title="ti", text="te", labels="la"),
        "glob": "*.md",
        "report": report,
        "force": True,
        "limit": 2,
        "threshold": 0.25,
    }


def test_evaluate_records_limit_and_threshold_and_reads_the_columns_named(tmp_path):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:6]
    table = tmp_path / "renamed.jsonl"
    renamed = [{"key": r["id"], "head": r["title"], "body": r["text"], "fields": r["labels"]} for r in records]
    table.write_text("".join(json.dumps(r) + "\n" for r in renamed), encoding="utf-8")
    named = ["--id-column", "key", "--title-column", "head", "--text-column", "body", "--labels-column", "fields"]
    result = run("evaluate", table, "-f", "json", "-l", 1, "-t", 0.5, *named)
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert (metrics["documents"], metrics["limit"], metrics["threshold"], metrics["trained_on"]) == (6, 1, 0.5, 6)
    assert "limit" not in json.loads(run("evaluate", table, "-f", "json", *named).stdout)


# pick


def picked(loaded, documents, n, strategy, max_similarity, **kwargs):
    return Picked(rows=[{"id": "x1"}, {"id": "x2"}], candidates=len(documents), near_duplicates=1, already_trained=2)


def test_pick_passes_n_strategy_and_max_similarity_and_says_what_it_picked(monkeypatch, tmp_path):
    calls = calls_to(monkeypatch, "classifier.workflows.picking.pick", picked)
    table = tmp_path / "items.csv"
    table.write_text("key,head,body\na,One,Observers watched.\nb,Two,Police trained.\n", encoding="utf-8")
    result = run("pick", table, "--text-column", "body", "--title-column", "head", "--id-column", "key")
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{"id": "x1"}, {"id": "x2"}]
    assert result.stderr == (
        "picked 2 of 2 documents by margin; 1 near-duplicates skipped, 2 already in the model's training data\n"
    )
    (args, _), *_ = calls
    assert [(doc.id, doc.title) for doc in args[1]] == [("a", "One"), ("b", "Two")]
    assert args[2:] == (20, "margin", 0.8)  # the defaults the help gives
    out = tmp_path / "picked.jsonl"
    for options in (["--n", 3, "--strategy", "entropy", "--max-similarity", 0.5], ["-n", 3, "-o", out]):
        result = run("pick", table, "--text-column", "body", "--output", out, "--force", *options)
        assert result.exit_code == 0, result.stderr
    assert calls[1][0][2:] == (3, "entropy", 0.5) and calls[2][0][2:] == (3, "margin", 0.8)
    assert result.stdout == "" and out.read_text(encoding="utf-8") == '{"id": "x1"}\n{"id": "x2"}\n'
    assert result.stderr.endswith(f"2 already in the model's training data; wrote {out}\n")


def test_pick_never_overwrites_an_output_without_force(monkeypatch, tmp_path):
    calls = calls_to(monkeypatch, "classifier.workflows.picking.pick", picked)
    out = tmp_path / "picked.jsonl"
    out.write_text("my corrections\n", encoding="utf-8")
    result = run("pick", EXAMPLE, "--output", out)
    assert (result.exit_code, result.stdout, calls) == (1, "", [])  # an output that exists: exit 1, as README says
    assert result.stderr == f"error: {out}: already exists; pass --force to overwrite\n"
    assert out.read_text(encoding="utf-8") == "my corrections\n"
    assert run("pick", EXAMPLE, "--output", out, "--force").exit_code == 0 and len(calls) == 1


# serve


def test_serve_passes_its_options_to_the_server_with_the_defaults_its_help_gives(monkeypatch, tmp_path):
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    import classifier.cli as cli

    built = calls_to(monkeypatch, "classifier.serve.app.build_app", lambda *args, **kwargs: "service")
    served = []
    monkeypatch.setattr(cli, "_serve_app", lambda service, host, port, *rest: served.append((service, host, port)))
    assert run("serve").exit_code == 0
    (args, defaults), *_ = built
    assert args == (None, None, None, None, 500) and served == [("service", "127.0.0.1", 8000)]
    assert defaults == {
        "local_only": True,
        "allowed_hosts": (),
        "queue_columns": Columns(),
        "queue_glob": "*.txt",
        "labels_lock": None,
    }
    labels = tmp_path / "labels.jsonl"
    given = ["--model", "a", "-m", "b", "--host", "0.0.0.0", "-p", 1234, "--queue", "q1", "--queue", "q2"]
    given += ["--labels", labels, "--queue-size", 7, "--taxonomy", "t.yaml", "--allowed-host", "x.org"]
    given += ["--allowed-host", "y.org", "--id-column", "i", "--title-column", "ti", "--text-column", "te"]
    assert run("serve", *given, "--glob", "*.md").exit_code == 0
    (args, chosen) = built[1]
    assert args == ([Path("a"), Path("b")], ["q1", "q2"], labels, Path("t.yaml"), 7)
    assert chosen.pop("labels_lock") is not None and served[1] == ("service", "0.0.0.0", 1234)
    assert chosen == {
        "local_only": False,
        "allowed_hosts": ("x.org", "y.org"),
        "queue_columns": Columns(id="i", title="ti", text="te"),
        "queue_glob": "*.md",
    }
    assert run("serve", "--host", "localhost").exit_code == 0 and built[2][1]["local_only"] is True


def test_serve_orders_queue_size_documents_and_leaves_the_rest_for_a_later_start(monkeypatch, tmp_path):
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    import classifier.serve.app

    monkeypatch.setattr(classifier.serve.app, "serve", lambda service, sock: sock.close())
    queue = tmp_path / "queue.jsonl"
    lines = (ROOT / "training" / "data" / "unlabelled.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    queue.write_text("".join(lines[:5]), encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    result = run("serve", "--port", 0, "--queue", queue, "--labels", labels, "--queue-size", 2)
    assert result.exit_code == 0, result.output
    assert f"review queue: 2 documents (and 3 for a later start); decisions go to {labels}" in result.stderr


# taxonomy


def test_taxonomy_shows_the_tree_of_the_taxonomy_given(tmp_path):
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(taxonomy_with_youth_renamed(), encoding="utf-8")
    shipped = run("taxonomy").stdout
    given = run("taxonomy", "--taxonomy", renamed)
    assert given.exit_code == 0, given.stderr
    assert "Young people" in given.stdout and "Young people" not in shipped
    assert given.stdout.replace("Young people", "Youth") == shipped


# parse


def test_parse_prints_one_json_object_per_input_named_by_its_path():
    page = EXAMPLE.read_text(encoding="utf-8")
    result = run("parse", EXAMPLE, "-", input="Vote count\nObservers watched the count.\n")
    assert result.exit_code == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert set(first) == {
        "path",
        "title",
        "date",
        "place",
        "source",
        "fields",
        "unknown_fields",
        "content_type",
        "body",
    }
    # As the page says under its menus: "Press release", its title, "Date: 18 September 2015", "Place: BISHKEK".
    assert (first["path"], first["title"], first["date"], first["place"]) == (
        str(EXAMPLE),
        "Observers open a mission to follow Kyrgyzstan's parliamentary elections",
        "2015-09-18",
        "BISHKEK",
    )
    assert first["content_type"] == "Press release" and first["body"].split()[:3] == ["BISHKEK,", "18", "September"]
    assert "Border management" not in first["body"] and "Border management" in page  # the menus left out
    assert (second["path"], second["title"], second["body"]) == (
        "<stdin>",
        "Vote count",
        "Observers watched the count.",
    )


@pytest.mark.parametrize("stdin", ["", " \n\n"])
def test_parse_of_an_empty_stdin_is_an_error_as_an_empty_file_is(tmp_path, stdin):
    (tmp_path / "empty.txt").write_text(stdin, encoding="utf-8")
    result = run("parse", "-", EXAMPLE, tmp_path / "empty.txt", input=stdin)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: <stdin>: no text", f"error: {tmp_path / 'empty.txt'}: empty file"]
    assert [json.loads(line)["path"] for line in result.stdout.splitlines()] == [str(EXAMPLE)]  # the page between


# ranges: every bound the help shows ("[x>=1]", "[0.0<=x<=1.0]") is a usage error just outside it


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        (["suggest", "x.txt"], "--top", "0"),
        (["suggest", "x.txt"], "--limit", "-1"),
        (["suggest", "x.txt"], "--threshold", "-0.01"),
        (["suggest", "x.txt"], "--threshold", "1.01"),
        (["tag", "x.txt", "-o", "-"], "--jobs", "0"),
        (["tag", "x.txt", "-o", "-"], "--jobs", "1025"),
        (["tag", "x.txt", "-o", "-"], "--chunk-size", "0"),
        (["tag", "x.txt", "-o", "-"], "--limit", "-1"),
        (["tag", "x.txt", "-o", "-"], "--threshold", "1.5"),
        (["train", "x.jsonl", "-o", "out"], "--min-examples", "-1"),
        (["train", "x.jsonl", "-o", "out"], "--phrase-accept", "-1"),
        (["train", "x.jsonl", "-o", "out"], "--lead-phrase-accept", "-1"),
        (["train", "x.jsonl", "-o", "out"], "--window-phrase-accept", "-1"),
        (["train", "x.jsonl", "-o", "out"], "--keyword-examples", "some"),
        (["evaluate", "x.jsonl"], "--limit", "-1"),
        (["evaluate", "x.jsonl"], "--threshold", "-0.5"),
        (["evaluate", "x.jsonl"], "--format", "csv"),
        (["compare", "a", "b", "x.jsonl"], "--max-drop", "-0.01"),
        (["compare", "a", "b", "x.jsonl"], "--min-support", "0"),
        (["compare", "a", "b", "x.jsonl"], "--confidence", "1.01"),
        (["compare", "a", "b", "x.jsonl"], "--confidence", "-0.01"),
        (["pick", "x.jsonl"], "--n", "0"),
        (["pick", "x.jsonl"], "--strategy", "random"),
        (["pick", "x.jsonl"], "--max-similarity", "1.01"),
        (["pick", "x.jsonl"], "--max-similarity", "-0.01"),
        (["serve"], "--port", "65536"),
        (["serve"], "--port", "-1"),
        (["serve"], "--queue-size", "0"),
        (["taxonomy", "sync", "page.txt"], "--format", "yaml"),
    ],
)
def test_a_value_outside_what_the_help_allows_is_a_usage_error_naming_the_option(
    command, option, value, monkeypatch, tmp_path
):
    # Where the bound is gone, the command runs: in a folder of its own, and a server that does not wait for clients.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("classifier.cli._serve_app", lambda *args: None)
    result = run(*command, option, value)
    assert (result.exit_code, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    named = "classifier " + " ".join(command[:2] if command[0] == "taxonomy" else command[:1])
    assert line.startswith(f"error: Invalid value for '{option}'") and line.endswith(f"(see {named} --help)"), line
