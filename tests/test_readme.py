"""README.md's two opening commands stay true."""

import re
import shlex

from conftest import ROOT


def opening_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
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
    assert shlex.split(test_command)[-1] == "pytest"
