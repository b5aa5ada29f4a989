"""Write a benchmark's results table into a Markdown file, between its own start and end markers."""

from __future__ import annotations

from pathlib import Path


def write_section(path: Path, name: str, table: str) -> None:
    """Replace the block `<!-- name:start -->...<!-- name:end -->` in `path`, or append it."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start_mark, end_mark = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start_mark}\n{table}\n{end_mark}"
    if start_mark in text:
        before, rest = text.split(start_mark, 1)
        text = before + block + rest.split(end_mark, 1)[1]
    else:
        text = text + "\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def publish(table: str, path: Path | None, name: str) -> None:
    """Print a benchmark's table, and write it into `path` (its `name` section) when one is given."""
    print(table)
    if path:
        write_section(path, name, table)
