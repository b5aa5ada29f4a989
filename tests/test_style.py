"""The code is formatted and linted as pyproject.toml's ruff settings say (run in CI through this test)."""

import shutil
import subprocess

import pytest

from conftest import ROOT

RUFF = shutil.which("ruff")


@pytest.mark.skipif(RUFF is None, reason="ruff is installed with the test extra: pip install '.[test]'")
@pytest.mark.parametrize("command", [["format", "--check"], ["check"]], ids=["format", "lint"])
def test_ruff_is_clean(command):
    result = subprocess.run([RUFF, *command, "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
