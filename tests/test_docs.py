"""docs/robustness.md stays the record of every case docs/robustness.py runs."""

import subprocess
import sys

from conftest import ROOT


def test_every_robustness_case_has_a_row_and_every_row_a_case():
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "robustness.py"), "--check", "--rows"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_check_reruns_cases_and_they_still_do_what_the_record_says():
    # The whole record takes minutes (`python docs/robustness.py --check`); the quick bundle cases show
    # that --check runs the commands again instead of only matching rows to cases.
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "robustness.py"), "--check", "--only", "model.json:"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "all 6 cases matching 'model.json:' ran as documented" in result.stdout


def test_the_record_shows_nothing_lost_and_no_traceback():
    record = (ROOT / "docs" / "robustness.md").read_text(encoding="utf-8")
    # The script marks a loss in bold; a crash would put a traceback's last line on stderr.
    assert "**" not in record and "Traceback" not in record


def commands():
    """(full name, click command) of every command the CLI offers, sub-commands included."""
    import typer

    from classifier.cli import app

    def walk(group, prefix):
        for name, command in sorted(group.commands.items()):
            yield f"{prefix} {name}", command
            if hasattr(command, "commands"):
                yield from walk(command, f"{prefix} {name}")

    return list(walk(typer.main.get_command(app), "classifier"))


def test_every_command_has_help_text_and_a_row_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [name for name, _ in commands()]
    assert {"classifier suggest", "classifier tag", "classifier train", "classifier taxonomy sync"} <= set(names)
    for name, command in commands():
        assert (command.help or "").strip(), f"{name} has no help text"
        assert f"| `{name}" in readme, f"{name} has no row in README.md's command table"
        for parameter in command.params:
            if parameter.param_type_name == "option" and parameter.name != "help":
                assert (parameter.help or "").strip(), f"{name} {parameter.opts[0]} has no help text"


def test_every_environment_setting_the_package_reads_is_documented():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    read = set()
    for path in (ROOT / "classifier").rglob("*.py"):
        read |= set(re.findall(r"\bCLASSIFIER_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    assert read >= {"CLASSIFIER_MODEL", "CLASSIFIER_TAXONOMY", "CLASSIFIER_MAX_TEXT"}
    assert [name for name in sorted(read) if f"| `{name}` |" not in readme] == []


def test_every_command_shows_an_example_whose_files_and_options_exist():
    import shlex

    from typer.testing import CliRunner

    from classifier.cli import app

    for name, command in commands():
        result = CliRunner().invoke(app, [*name.split()[1:], "--help"], env={"COLUMNS": "200"})
        assert "Example" in result.stdout, f"{name} --help shows no example"
        examples = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith(name + " ")]
        examples += [line.strip() for line in result.stdout.splitlines() if line.strip() == name]
        assert examples, f"{name} --help shows no example of itself"
        for example in examples:
            args = shlex.split(example)[len(name.split()) :]
            command.make_context(name, list(args), resilient_parsing=False)  # an unknown option fails here
            for arg in args:
                if arg.startswith(("examples/", "training/")):
                    assert (ROOT / arg).exists(), f"{name} example names {arg}, which is not shipped"


def test_top_level_help_lists_every_command_including_taxonomy_sync():
    from typer.testing import CliRunner

    from classifier.cli import app

    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    for name, _ in commands():
        assert name.removeprefix("classifier ") in shown, name
    assert "taxonomy sync" in shown
