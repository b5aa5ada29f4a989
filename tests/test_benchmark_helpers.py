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
