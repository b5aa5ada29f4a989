"""README.md stays true: its opening commands, and every command it shows, run as written on the files it names."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.exceptions import UsageError

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# Checkout files the commands read, linked into the temporary directory; models/default is copied, since the
# README rebuilds it there.
LINKED = ["examples", "training", "tests", "taxonomy.yaml", "field_guide.yaml"]
# What the README shows but a test cannot run: a server that runs until stopped, a request to it, installs.
NOT_RUN = ("classifier serve", "curl ", "pip install", "python3 -m venv", "pytest")


def opening_commands():
    block = README.split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_first_command_suggests_for_a_shipped_example():
    install_and_run = opening_commands()[0]
    suggest = install_and_run.rsplit("&&", 1)[1].split()
    assert suggest[:2] == ["classifier", "suggest"]
    assert all((ROOT / path).is_file() for path in suggest[2:])


def test_ci_runs_exactly_the_readme_test_command():
    test_command = opening_commands()[1]
    assert re.search(r"\bpytest\b", test_command)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
    words = shlex.split(test_command)
    options = words[len(words) - words[::-1].index("pytest") :]
    # Every test is run: worker processes (pytest-xdist) and how files go to them, but no path, -k, -m or --ignore.
    assert dict(zip(options[::2], options[1::2])).keys() <= {"-n", "--dist"} and len(options) % 2 == 0, options


def shown_commands() -> list[tuple[str, list[str]]]:
    """(command, the output lines the README shows for it) for every command of the README's code blocks, in
    order: the `$ ` lines of output blocks and the lines of bash blocks."""
    found = []
    for match in re.finditer(r"```(\w*)\n(.*?)```", README, re.S):
        kind, body = match.groups()
        if kind == "bash":
            for part in body.splitlines():
                for command in part.split("&&"):
                    if command.strip() and not command.strip().startswith("#"):
                        found.append((command.strip(), []))
        elif kind == "":
            current = None
            for line in body.splitlines():
                if line.startswith("$ "):
                    current = (line[2:], [])
                    found.append(current)
                elif current is not None:
                    current[1].append(line)
    return found


def classifier_options_exist(command: str) -> None:
    """The classifier command's options and arguments parse (an option renamed or removed fails here)."""
    import typer

    from classifier.cli import app

    args = shlex.split(command)[1:]
    group = typer.main.get_command(app)
    while args and hasattr(group, "commands") and args[0] in group.commands:
        group, args = group.commands[args[0]], args[1:]
    try:
        group.make_context("classifier", [a for a in args if a != "--help"], resilient_parsing=False)
    except UsageError as exc:
        raise AssertionError(f"README: {command}: {exc.format_message()}") from None


def test_every_readme_command_names_options_that_exist():
    commands = [command for command, _ in shown_commands() if command.startswith("classifier ")]
    assert len(commands) >= 18
    for command in commands:
        classifier_options_exist(command.split("|")[0].split(">")[0])
    assert "classifier taxonomy sync examples/election-observation-kyrgyzstan.txt" in " ".join(commands)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A directory that looks like the checkout: the files README's commands read, and a copy of the default
    model (which the README rebuilds). The corpus is cut to its first 120 items, so that rebuilding the model
    takes seconds; the examples stay whole."""
    root = tmp_path_factory.mktemp("checkout")
    for name in LINKED:
        (root / name).symlink_to(ROOT / name)
    (root / "models").mkdir()
    shutil.copytree(ROOT / "models" / "default", root / "models" / "default")
    training = root / "training"
    training.unlink()
    shutil.copytree(ROOT / "training", training, ignore=shutil.ignore_patterns("releases.jsonl"))
    lines = (ROOT / "training" / "data" / "releases.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (training / "data" / "releases.jsonl").write_text("".join(lines[:120]), encoding="utf-8")
    return root


@pytest.mark.slow
def test_every_readme_command_runs_as_written_and_prints_what_the_readme_shows(checkout):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("CLASSIFIER_MODEL", None), env.pop("CLASSIFIER_TAXONOMY", None), env.pop("CLASSIFIER_MAX_TEXT", None)
    ran = 0
    for command, shown in shown_commands():
        if command.startswith(NOT_RUN) or "classifier" not in command and not command.startswith(("cp ", "head ")):
            continue
        result = subprocess.run(command, shell=True, cwd=checkout, env=env, capture_output=True, text=True)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"README: {command}: exit {result.returncode}\n{output[-2000:]}"
        assert "Traceback" not in output, command
        # Lines the README shows that hold no number (numbers move with data, versions and machines) are printed.
        for line in shown:
            if line.strip() and not re.search(r"\d|\.\.\.|^\^C", line):
                assert line.rstrip() in output.splitlines(), f"README: {command}: does not print {line!r}"
        ran += 1
    assert ran >= 20
    # The walkthrough ran: its bundles exist, and the synced taxonomy holds the new field.
    assert {"base", "zero-shot", "candidate", "early", "default"} <= {p.name for p in (checkout / "models").iterdir()}
    assert "  - name: Gender equality  # new on the site" in (checkout / "my-taxonomy.yaml").read_text()
    assert json.loads((checkout / "to_label.jsonl").read_text().splitlines()[0])["model"]


def test_the_first_python_example_runs_as_pasted_and_gives_what_its_comments_say(monkeypatch):
    block = README.split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    names: dict = {}
    exec(compile(block, "README.md", "exec"), names)  # a NameError here: a name the example never defines
    assert names["suggestion"].labels == ["Combating trafficking in human beings"]
    assert len(names["model"].labels) == 23 and names["suggestion"].flag is None
    framed = names["model"].tag_frame(names["df"], text="body", title="headline")
    assert list(framed.columns[:5]) == ["labels", "flag", "error", "warning", "model"]  # as the comment lists them
    assert list(framed["labels"]) == [["Elections"]] and list(framed["model"]) == [names["model"].fingerprint]


@pytest.mark.slow
def test_the_python_retraining_loop_runs(checkout, monkeypatch):
    block = README.split("The retraining loop from Python:", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(checkout)
    names: dict = {}
    exec(compile(block, "README.md", "exec"), names)  # its own bundles: it needs none the walkthrough makes
    assert "Gender equality" not in names["base"].labels and "Gender equality" in names["candidate"].labels
    assert names["diff"].added == ["Gender equality"]
    assert len(names["picked"].rows) == 20 and names["comparison"].regressions(max_drop=0.02) == []


def test_shipped_examples_are_real_corpus_items_and_the_walkthrough_sets_are_apart():
    corpus = {
        json.loads(line)["id"]: json.loads(line)
        for line in (ROOT / "training" / "data" / "releases.jsonl").read_text(encoding="utf-8").splitlines()
    }
    sets = {}
    for name in ("base", "labelled", "held_out"):
        rows = [
            json.loads(line) for line in (ROOT / "examples" / "retraining" / f"{name}.jsonl").open(encoding="utf-8")
        ]
        assert all(row == corpus[row["id"]] for row in rows), name  # copied unchanged: real items only
        sets[name] = {row["id"] for row in rows}
    assert not (
        sets["base"] & sets["labelled"] or sets["base"] & sets["held_out"] or sets["labelled"] & sets["held_out"]
    )
    assert not any("Gender equality" in corpus[i]["labels"] for i in sets["base"])
    item = (ROOT / "examples" / "retraining" / "gender-equality.txt").read_text(encoding="utf-8")
    title, text = item.split("\n\n", 1)
    assert any(
        r["title"] == title and r["text"] == text.strip() and r["id"] in sets["held_out"] for r in corpus.values()
    )
    texts = {f"{r['title']}. {r['text']}" for r in corpus.values()}
    assert all(
        line in texts
        for line in (ROOT / "examples" / "lines" / "six-items.txt").read_text(encoding="utf-8").splitlines()
    )
    # The taxonomy before the field is the shipped one without that field's entry, line for line.
    before = (ROOT / "examples" / "retraining" / "taxonomy-before.yaml").read_text(encoding="utf-8").splitlines()
    shipped = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8").splitlines()
    start, end = shipped.index("  - name: Gender equality"), shipped.index("  - name: Good governance")
    assert before[before.index(shipped[0]) :] == shipped[:start] + shipped[end:]
